//! Files that failed to ingest into a collection and have not been read
//! since: what the console's "failed" filter shows, so an operator sees a
//! broken file after the job that met it is forgotten. A file leaves the
//! list when an ingest reads it again (it then fails anew or succeeds);
//! deleting the collection forgets the list.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ingest::IngestFailure;
use crate::{unix_now, Engine, EngineError};
use seogo_durable::PathContext;

/// One file that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFailure {
    /// The file as the ingest named it.
    pub source: String,
    pub error: String,
    /// When it failed (seconds since the epoch).
    pub at: u64,
}

/// Most failures kept per collection (the oldest go first).
const KEPT: usize = 1000;

impl Engine {
    fn failures_path(&self, collection: &str) -> PathBuf {
        self.config()
            .data
            .dir
            .join("failures")
            .join(format!("{collection}.json"))
    }

    /// The files of `collection` that failed and were not read since,
    /// newest first.
    pub fn failures(&self, collection: &str) -> Result<Vec<RecordedFailure>, EngineError> {
        crate::collection::validate_name(collection)?;
        let path = self.failures_path(collection);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| EngineError::Corrupt(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).at(&path)?,
        }
    }

    /// After an ingest into `collection` that read `attempted`: their old
    /// failures go, `failed` are added.
    pub(crate) fn record_failures(
        &self,
        collection: &str,
        attempted: &[String],
        failed: &[IngestFailure],
    ) -> Result<(), EngineError> {
        let before = self.failures(collection)?;
        if before.is_empty() && failed.is_empty() {
            return Ok(());
        }
        let at = unix_now();
        let mut kept: Vec<RecordedFailure> = failed
            .iter()
            .map(|f| RecordedFailure {
                source: f.path.clone(),
                error: f.error.clone(),
                at,
            })
            .collect();
        kept.extend(before.into_iter().filter(|old| {
            !attempted.contains(&old.source) && !failed.iter().any(|f| f.path == old.source)
        }));
        kept.truncate(KEPT);
        self.write_failures(collection, &kept)
    }

    fn write_failures(
        &self,
        collection: &str,
        failures: &[RecordedFailure],
    ) -> Result<(), EngineError> {
        let path = self.failures_path(collection);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        Ok(seogo_durable::write_json(&path, &failures, "failures")?)
    }

    /// Forgets the failures of `collection` that `superseded` picks (a file
    /// read since under another path: an upload's new copy).
    pub fn forget_failures_where(
        &self,
        collection: &str,
        superseded: impl Fn(&RecordedFailure) -> bool,
    ) -> Result<(), EngineError> {
        let before = self.failures(collection)?;
        let kept: Vec<RecordedFailure> =
            before.iter().filter(|f| !superseded(f)).cloned().collect();
        if kept.len() == before.len() {
            return Ok(());
        }
        self.write_failures(collection, &kept)
    }

    /// Forgets `collection`'s failures (the collection is gone).
    pub(crate) fn forget_failures(&self, collection: &str) -> Result<(), EngineError> {
        let path = self.failures_path(collection);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&path)?,
            _ => Ok(()),
        }
    }
}
