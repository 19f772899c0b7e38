//! Keeping a folder equal to an API's listing, item by item.
//!
//! The mirror's manifest (`.seogo-fetch.json`, hidden so the folder sync
//! skips it) maps item id → version and file. An item whose version is
//! unchanged and whose file is still there is not downloaded again; a
//! failed download keeps the previous file (so ingest keeps its chunks);
//! an item the API no longer lists is removed — but only after a complete,
//! non-empty listing.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{FetchError, Fetcher};

/// The manifest's name inside the mirror folder.
pub const MANIFEST_FILE: &str = ".seogo-fetch.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    items: BTreeMap<String, Kept>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    version: String,
    file: String,
}

/// What one mirror pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchReport {
    /// Items the API listed.
    pub listed: usize,
    /// New or changed items downloaded.
    pub downloaded: usize,
    /// Items already mirrored at the listed version.
    pub unchanged: usize,
    /// Items no longer listed, whose files were removed.
    pub removed: usize,
    /// Items that could not be downloaded (their previous file, if any,
    /// was kept).
    pub failed: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFailure {
    pub id: String,
    pub reason: String,
}

/// Brings `dir` up to date with `fetcher`'s listing. A listing that fails
/// or comes back empty changes nothing and is an error.
pub fn mirror(fetcher: &dyn Fetcher, dir: &Path) -> Result<FetchReport, FetchError> {
    let items = fetcher.list()?;
    if items.is_empty() {
        return Err(FetchError::response(
            dir.display().to_string(),
            "the source listed nothing; the mirror was left as it was",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|cause| io(dir, cause))?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut manifest: Manifest = match std::fs::read(&manifest_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            FetchError::response(manifest_path.display().to_string(), e.to_string())
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
        Err(cause) => return Err(io(&manifest_path, cause)),
    };
    let mut report = FetchReport {
        listed: items.len(),
        ..FetchReport::default()
    };
    for item in &items {
        let target = dir.join(&item.file);
        let current = manifest
            .items
            .get(&item.id)
            .is_some_and(|kept| kept.version == item.version && kept.file == item.file);
        if current && target.is_file() {
            report.unchanged += 1;
            continue;
        }
        match fetcher
            .download(item)
            .and_then(|bytes| store(&target, &bytes))
        {
            Ok(()) => {
                // A renamed item (same id, new file) leaves no stale copy.
                if let Some(old) = manifest.items.get(&item.id) {
                    if old.file != item.file {
                        remove(dir, &old.file)?;
                    }
                }
                manifest.items.insert(
                    item.id.clone(),
                    Kept {
                        version: item.version.clone(),
                        file: item.file.clone(),
                    },
                );
                report.downloaded += 1;
                tracing::info!(id = %item.id, file = %item.file, "fetched");
            }
            Err(e) => report.failed.push(ItemFailure {
                id: item.id.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let listed: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let gone: Vec<String> = manifest
        .items
        .keys()
        .filter(|id| !listed.contains(id.as_str()))
        .cloned()
        .collect();
    for id in gone {
        if let Some(kept) = manifest.items.remove(&id) {
            remove(dir, &kept.file)?;
            report.removed += 1;
        }
    }
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| FetchError::response("mirror manifest", e.to_string()))?;
    store(&manifest_path, &json)?;
    Ok(report)
}

/// Writes through a temporary file, so a crash never leaves half a file
/// that the next sync would index.
fn store(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|cause| io(parent, cause))?;
    }
    // The temporary name is hidden, so a folder sync running meanwhile
    // skips it.
    seogo_durable::write(path, bytes, "mirror").map_err(|e| io(&e.path, e.cause))
}

fn remove(dir: &Path, file: &str) -> Result<(), FetchError> {
    let path = dir.join(file);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(cause) => Err(io(&path, cause)),
    }
}

fn io(path: &Path, cause: std::io::Error) -> FetchError {
    FetchError::Io {
        path: path.to_path_buf(),
        cause,
    }
}
