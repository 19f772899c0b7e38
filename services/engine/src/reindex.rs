//! `seogo reindex`: re-embeds a collection with the configured embedder
//! into a shadow copy and swaps it in, for when the embedder changed (a new
//! model pack) and the collection refuses to mix vectors.
//!
//! The old collection is only read until the shadow is complete and its
//! counts match, so a failure or a crash before the swap leaves it as it
//! was, and a server keeps answering searches from it throughout (changes
//! to it are refused meanwhile with a "busy" error). The shadow is built in `NAME.reindexing` (removed by the next
//! attempt), renamed `NAME.reindexed` once verified, then swapped in by
//! two renames; [`recover_swap`] finishes a swap a crash interrupted. The
//! lexical index does not depend on the embedder and is copied as is.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::VectorsConfig;
use crate::{lock, read, Collection, Engine, EngineError};
use seogo_durable::PathContext;

/// What a reindex did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReindexReport {
    pub collection: String,
    /// `model rev revision` before and after.
    pub from: String,
    pub to: String,
    pub chunks: u64,
    pub seconds: f64,
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dir.with_file_name(name)
}

/// Finishes a swap a crash interrupted: a verified shadow with no live
/// collection beside it moves into place; a retired copy is removed.
pub(crate) fn recover_swap(dir: &Path) -> Result<(), EngineError> {
    let reindexed = sibling(dir, ".reindexed");
    if !dir.exists() && reindexed.exists() {
        seogo_durable::rename(&reindexed, dir)?;
    }
    let retired = sibling(dir, ".retired");
    if dir.exists() && retired.exists() {
        std::fs::remove_dir_all(&retired).at(&retired)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(to).at(to)?;
    for entry in std::fs::read_dir(from).at(from)? {
        let entry = entry.at(from)?;
        let target = to.join(entry.file_name());
        if entry.file_type().at(entry.path())?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).at(&target)?;
        }
    }
    Ok(())
}

/// Marks a collection as being rebuilt for as long as it lives, so changes
/// to it are refused rather than queued (see `collection_for_change`).
struct Rebuilding<'e> {
    engine: &'e Engine,
    name: String,
}

impl<'e> Rebuilding<'e> {
    fn start(engine: &'e Engine, name: &str) -> Result<Self, EngineError> {
        if !lock(&engine.reindexing).insert(name.to_string()) {
            return Err(EngineError::Busy(format!(
                "collection `{name}` is already being reindexed"
            )));
        }
        Ok(Self {
            engine,
            name: name.to_string(),
        })
    }
}

impl Drop for Rebuilding<'_> {
    fn drop(&mut self) {
        lock(&self.engine.reindexing).remove(&self.name);
    }
}

impl Engine {
    /// Re-embeds every chunk of `name` with the configured embedder and
    /// swaps the result in; the old collection keeps answering searches
    /// until the swap, and changes to it are refused meanwhile. `progress`
    /// gets the chunks done so far.
    pub fn reindex(
        &self,
        name: &str,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReindexReport, EngineError> {
        if !matches!(self.config().vectors, VectorsConfig::Embedded { .. }) {
            return Err(EngineError::Unsupported(
                "reindex rebuilds embedded collections; for a Qdrant server, \
                 `seogo migrate --from` it to an embedded collection first"
                    .into(),
            ));
        }
        let started = Instant::now();
        let embedder = self.embedder()?;
        let collection = self.collection(name, false)?;
        let _rebuilding = Rebuilding::start(self, name)?;
        let dir = Collection::dir_of(&self.config().data.dir, name);
        let shadow = sibling(&dir, ".reindexing");
        // Leftovers of an attempt that stopped before the swap began; the
        // live collection is the authority.
        for stale in [&shadow, &sibling(&dir, ".reindexed")] {
            if stale.exists() {
                std::fs::remove_dir_all(stale).at(stale)?;
            }
        }
        let (from, chunks) = {
            let old = read(&collection);
            let from = format!("{} rev {}", old.embedder.model, old.embedder.revision);
            // The lexical index and the manifest carry over unchanged.
            copy_tree(&dir.join("lexical"), &shadow.join("lexical"))?;
            seogo_durable::write_json(&shadow.join("manifest.json"), &old.manifest, "manifest")?;
            let mut new = Collection::open(
                name,
                &shadow,
                Some((embedder.fingerprint(), old.lexical.analyzer())),
                self.lexical_resources()?,
                &self.config().vectors,
            )?;
            let mut done = 0u64;
            old.vectors.export(&mut |batch| {
                let texts: Vec<String> = batch.iter().map(|(c, _)| c.indexed_text()).collect();
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let vectors = embedder
                    .embed_passages(&refs)
                    .map_err(|e| seogo_index::IndexError::Vector(e.to_string()))?;
                let chunks: Vec<_> = batch.into_iter().map(|(c, _)| c).collect();
                new.vectors.upsert(&chunks, &vectors)?;
                done += chunks.len() as u64;
                progress(done);
                Ok(())
            })?;
            new.commit()?;
            let (before, after) = (old.counts()?, new.counts()?);
            if before != after || after.vector_chunks != after.manifest_chunks {
                return Err(EngineError::Corrupt(format!(
                    "the re-embedded copy of `{name}` does not match it ({after:?} vs {before:?}); \
                     the collection is unchanged"
                )));
            }
            (from, after.vector_chunks)
        };
        // Verified: from here a crash is finished by `recover_swap`.
        let reindexed = sibling(&dir, ".reindexed");
        seogo_durable::rename(&shadow, &reindexed)?;
        drop(collection);
        self.retire_collection(name, || {
            let retired = sibling(&dir, ".retired");
            seogo_durable::rename(&dir, &retired)?;
            recover_swap(&dir)
        })?;
        let fingerprint = embedder.fingerprint();
        Ok(ReindexReport {
            collection: name.to_string(),
            from,
            to: format!("{} rev {}", fingerprint.model, fingerprint.revision),
            chunks,
            seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_swap_is_finished_and_a_live_collection_is_kept() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("default");
        // Crashed between the two renames: only the verified copy is left.
        std::fs::create_dir_all(sibling(&dir, ".reindexed")).expect("reindexed");
        std::fs::write(sibling(&dir, ".reindexed").join("manifest.json"), "new").expect("w");
        std::fs::create_dir_all(sibling(&dir, ".retired")).expect("retired");
        recover_swap(&dir).expect("recover");
        assert_eq!(
            std::fs::read_to_string(dir.join("manifest.json")).expect("r"),
            "new"
        );
        assert!(!sibling(&dir, ".retired").exists());
        assert!(!sibling(&dir, ".reindexed").exists());
        // A shadow still being built is never swapped in over nothing…
        let other = root.path().join("other");
        std::fs::create_dir_all(sibling(&other, ".reindexing")).expect("reindexing");
        recover_swap(&other).expect("recover");
        assert!(!other.exists());
        // …and a live collection is never replaced by a leftover (the next
        // reindex removes it).
        std::fs::create_dir_all(&other).expect("live");
        std::fs::create_dir_all(sibling(&other, ".reindexed")).expect("reindexed");
        recover_swap(&other).expect("recover");
        assert!(other.exists() && sibling(&other, ".reindexed").exists());
    }
}
