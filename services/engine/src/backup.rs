//! `seogo backup` / `seogo restore`: the data directory as one tar, taken
//! while the server keeps answering.
//!
//! Each collection is copied under its write lock (searches wait for the
//! copy; an ingest in progress finishes its run first), after both indexes
//! are flushed, so the manifest, BM25 and the vectors in the tar are one
//! commit's state. The rest of the data directory (API keys, sync state,
//! audit logs) is copied as it is; uploads in flight and batch jobs are
//! not. The effective configuration, secrets masked, goes in as
//! `config.json`, for reference: a restore does not apply it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{write_current, Collection, Engine, EngineError};
use seogo_durable::PathContext;

/// The archive's top folder.
const ROOT: &str = "seogo-backup";
/// Disk space a restore leaves free.
const RESTORE_KEEP_FREE: u64 = 256 << 20;
/// Data-directory entries a backup leaves out: transient work.
const TRANSIENT: [&str; 3] = ["uploads", "batch", "bench"];

/// What a backup holds (its `BACKUP.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupReport {
    pub format: u32,
    pub seogo_version: String,
    pub collections: Vec<String>,
    pub files: u64,
    pub bytes: u64,
}

/// What a restore put back.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub data_dir: PathBuf,
    pub collections: Vec<String>,
    pub files: u64,
}

/// Appends `bytes` as a regular file `name` (errors name `source`).
fn append_bytes(
    tar: &mut tar::Builder<BufWriter<seogo_durable::Staged>>,
    name: &Path,
    bytes: &[u8],
    mode: u32,
    source: &Path,
) -> Result<(), EngineError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
        .map_err(|e| EngineError::io(source, e))
}

/// Appends the file at `path` as `name`. A file that may grow meanwhile
/// (an audit log) is read whole first, so its header matches its bytes.
fn append_file(
    tar: &mut tar::Builder<BufWriter<seogo_durable::Staged>>,
    path: &Path,
    name: &Path,
    stable: bool,
    report: &mut BackupReport,
) -> Result<(), EngineError> {
    if stable {
        tar.append_path_with_name(path, name).at(path)?;
        report.bytes += std::fs::metadata(path).map_or(0, |m| m.len());
    } else {
        let bytes = std::fs::read(path).at(path)?;
        append_bytes(tar, name, &bytes, 0o600, path)?;
        report.bytes += bytes.len() as u64;
    }
    report.files += 1;
    Ok(())
}

/// Appends every file under `dir` as `prefix/…`, counting them.
fn append_tree(
    tar: &mut tar::Builder<BufWriter<seogo_durable::Staged>>,
    dir: &Path,
    prefix: &Path,
    stable: bool,
    report: &mut BackupReport,
) -> Result<(), EngineError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).at(dir)?.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = prefix.join(entry.file_name());
        let kind = entry.file_type().at(&path)?;
        if kind.is_dir() {
            append_tree(tar, &path, &name, stable, report)?;
        } else if kind.is_file() {
            append_file(tar, &path, &name, stable, report)?;
        }
    }
    Ok(())
}

impl Engine {
    /// Writes the backup to `out` (through a temporary file beside it, renamed when
    /// complete).
    pub fn backup(&self, out: &Path) -> Result<BackupReport, EngineError> {
        if matches!(self.config().vectors, crate::VectorsConfig::Qdrant(_)) {
            return Err(EngineError::Unsupported(
                "the collections are on the Qdrant cluster: back them up with Qdrant's \
                 snapshots (docs/DEPLOY.md), or `seogo migrate --from` them here first"
                    .into(),
            ));
        }
        let data = self.config().data.dir.clone();
        let staged = seogo_durable::Staged::create(out)?;
        let partial = staged.temp_path().to_path_buf();
        let mut tar = tar::Builder::new(BufWriter::new(staged));
        tar.mode(tar::HeaderMode::Deterministic);
        let mut report = BackupReport {
            format: 1,
            seogo_version: env!("CARGO_PKG_VERSION").into(),
            collections: self.collection_names()?,
            files: 0,
            bytes: 0,
        };
        let root = PathBuf::from(ROOT);
        for name in report.collections.clone() {
            let collection = self.collection_for_change(&name, false)?;
            let mut col = write_current(&collection)?;
            col.commit()?;
            let dir = Collection::dir_of(&data, &name);
            let name = root.join("data/collections").join(&name);
            append_tree(&mut tar, &dir, &name, true, &mut report)?;
        }
        let mut others: Vec<_> = std::fs::read_dir(&data)
            .at(&data)?
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                name != "collections" && !TRANSIENT.iter().any(|t| name == *t)
            })
            .collect();
        others.sort_by_key(std::fs::DirEntry::file_name);
        for entry in others {
            let path = entry.path();
            let name = root.join("data").join(entry.file_name());
            if path.is_dir() {
                append_tree(&mut tar, &path, &name, false, &mut report)?;
            } else if path.is_file() && path != partial {
                append_file(&mut tar, &path, &name, false, &mut report)?;
            }
        }
        let mut append_json = |name: &str, value: &serde_json::Value| -> Result<(), EngineError> {
            let bytes = serde_json::to_vec_pretty(value)
                .map_err(|e| EngineError::Corrupt(e.to_string()))?;
            append_bytes(&mut tar, &root.join(name), &bytes, 0o644, out)
        };
        append_json("config.json", &crate::config::masked_json(self.config()))?;
        let manifest =
            serde_json::to_value(&report).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        append_json("BACKUP.json", &manifest)?;
        let mut writer = tar.into_inner().at(out)?;
        writer.flush().at(out)?;
        writer
            .into_inner()
            .map_err(|e| EngineError::io(out, e.into_error()))?
            .commit("backup")?;
        Ok(report)
    }
}

/// Unpacks `archive` into `data_dir`, which must be missing or empty:
/// into `data_dir.restoring` first, renamed when every entry is out. Links,
/// absolute paths and `..` are refused.
pub fn restore(archive: &Path, data_dir: &Path) -> Result<RestoreReport, EngineError> {
    if std::fs::read_dir(data_dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(EngineError::Conflict(format!(
            "{}: not empty; restore into a new data directory",
            data_dir.display()
        )));
    }
    let staging = data_dir.with_extension("restoring");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).at(&staging)?;
    }
    let file = File::open(archive).at(archive)?;
    let mut tar = tar::Archive::new(std::io::BufReader::new(file));
    // What the disk can take, less a reserve: a damaged or hostile archive
    // that inflates without end stops there.
    let mut budget = seogo_durable::Budget::free_space(data_dir, RESTORE_KEEP_FREE)?;
    let mut files = 0;
    let mut manifest: Option<BackupReport> = None;
    let refuse = |why: &str| {
        EngineError::BadInput(format!("{}: not a Seogo backup ({why})", archive.display()))
    };
    for entry in tar.entries().at(archive)? {
        let mut entry = entry.at(archive)?;
        let path = entry.path().at(archive)?.into_owned();
        let Some(inside) = seogo_durable::member_under(&path, ROOT) else {
            return Err(refuse(&format!(
                "entry `{}` is not a plain name under {ROOT}/",
                path.display()
            )));
        };
        if !entry.header().entry_type().is_file() {
            return Err(refuse(&format!("entry `{}` is not a file", path.display())));
        }
        if inside == Path::new("BACKUP.json") {
            manifest =
                Some(serde_json::from_reader(&mut entry).map_err(|e| refuse(&e.to_string()))?);
            continue;
        }
        let Ok(relative) = inside.strip_prefix("data") else {
            continue; // config.json: for reference only.
        };
        seogo_durable::unpack_member(&mut entry, &staging.join(relative), &mut budget, "restore")?;
        files += 1;
    }
    let manifest = manifest.ok_or_else(|| refuse("no BACKUP.json: incomplete"))?;
    if files != manifest.files {
        return Err(refuse(&format!(
            "{files} files, the manifest lists {}",
            manifest.files
        )));
    }
    if data_dir.exists() {
        std::fs::remove_dir(data_dir).at(data_dir)?;
    }
    seogo_durable::rename(&staging, data_dir)?;
    Ok(RestoreReport {
        data_dir: data_dir.to_path_buf(),
        collections: manifest.collections,
        files,
    })
}
