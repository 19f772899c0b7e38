//! `seogo sync NAME`: one `[[sources]]` entry brought up to date — new and
//! changed files parsed, refined by the source's connector and embedded,
//! unchanged ones skipped by content hash, vanished ones deleted — and its
//! outcome kept under `DATA/sources/NAME.json` for `seogo sources`. A
//! source with `[sources.fetch]` first has its API mirrored into its
//! folder (seogo-fetch), so the same rules then apply to what was fetched.
//!
//! Deletion is the dangerous part of a sync: a share that is unmounted, a
//! folder that errors half-way, or a source that suddenly lists nothing
//! must never wipe the collection. So documents are removed only when the
//! source was listed completely and still holds at least one file (ingest
//! enforces this per folder); a missing or empty source is an error.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::SourceConfig;
use crate::connectors::{connector, FileFilter};
use crate::ingest::{IngestReport, IngestRequest, Progress};
use crate::{unix_now, Engine, EngineError};
use seogo_durable::PathContext;
pub use seogo_fetch::FetchReport;

/// What one sync did: the fetch (for an API source), then the ingest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<FetchReport>,
    #[serde(flatten)]
    pub ingest: IngestReport,
}

/// What the last sync of a source did, as kept on disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncState {
    /// Unix seconds at the end of the last sync.
    pub last_sync: u64,
    /// What it fetched, indexed, removed and failed on (empty when it
    /// never ran).
    pub report: SyncReport,
    /// Why the whole sync was refused, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A configured source and what its last sync did (if it ran).
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub name: String,
    pub path: PathBuf,
    pub connector: Option<String>,
    pub collection: String,
    pub state: Option<SyncState>,
    /// `every_minutes`: how often `seogo serve` syncs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every_minutes: Option<u64>,
    /// When the server syncs it next (Unix seconds): `every_minutes` after
    /// the last sync, or now when it never ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_sync: Option<u64>,
}

impl SourceStatus {
    /// Whether a scheduled sync is due at `now` (Unix seconds).
    pub fn due(&self, now: u64) -> bool {
        self.next_sync.is_some_and(|next| next <= now)
    }
}

impl Engine {
    pub(crate) fn source(&self, name: &str) -> Result<&SourceConfig, EngineError> {
        self.config()
            .sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self
                    .config()
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                EngineError::NoSuchSource {
                    name: name.to_string(),
                    configured: if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    },
                }
            })
    }

    fn state_path(&self, name: &str) -> PathBuf {
        self.config()
            .data
            .dir
            .join("sources")
            .join(format!("{name}.json"))
    }

    /// Syncs the source `name`. A source whose folder is missing, cannot be
    /// fully listed or holds no file at all — or whose API listing fails or
    /// comes back empty — is an error and deletes nothing.
    pub fn sync(
        &self,
        name: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, EngineError> {
        let source = self.source(name)?;
        let outcome = self.sync_source(source, progress);
        let mut state = SyncState {
            last_sync: unix_now(),
            ..SyncState::default()
        };
        match &outcome {
            Ok(report) => state.report = report.clone(),
            Err(e) => state.error = Some(e.to_string()),
        }
        self.save_state(name, &state)?;
        outcome
    }

    fn sync_source(
        &self,
        source: &SourceConfig,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, EngineError> {
        let fetch = source
            .fetch
            .as_ref()
            .map(|fetch| {
                let refused = |e: &dyn std::fmt::Display| {
                    EngineError::SourceFailed(format!(
                        "source `{}`: fetch: {e}; nothing was deleted",
                        source.name
                    ))
                };
                let fetcher = fetch
                    .fetcher(&self.config().parse)
                    .map_err(|e| refused(&e))?;
                seogo_fetch::mirror(fetcher.as_ref(), &source.path).map_err(|e| refused(&e))
            })
            .transpose()?;
        let ingest = self.ingest_source(source, progress)?;
        Ok(SyncReport { fetch, ingest })
    }

    fn ingest_source(
        &self,
        source: &SourceConfig,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestReport, EngineError> {
        let filter = FileFilter::new(&source.include, &source.exclude)?;
        let connector = source
            .connector
            .as_deref()
            .map(|name| connector(name, &source.options))
            .transpose()?;
        let root = std::fs::canonicalize(&source.path).map_err(|e| {
            EngineError::SourceFailed(format!(
                "source `{}`: {}: {e}; nothing was changed",
                source.name,
                source.path.display()
            ))
        })?;
        let domain = source
            .domain
            .or(connector.as_ref().map(|c| c.domain()))
            .unwrap_or_default();
        let req = IngestRequest {
            paths: vec![root.clone()],
            collection: source.collection.clone(),
            domain,
            acl: source.acl.clone(),
            remove_missing: true,
            connector,
            filter,
        };
        let report = self.ingest(&req, progress)?;
        if report.files == 0 {
            // Ingest removed nothing under an empty listing; say so loudly.
            return Err(EngineError::SourceFailed(format!(
                "source `{}`: {} lists no file; nothing was deleted",
                source.name,
                root.display()
            )));
        }
        Ok(report)
    }

    fn save_state(&self, name: &str, state: &SyncState) -> Result<(), EngineError> {
        let path = self.state_path(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let json =
            serde_json::to_vec_pretty(state).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        Ok(seogo_durable::write(&path, &json, "sync-state")?)
    }

    /// Every configured source with its last sync.
    pub fn sources(&self) -> Vec<SourceStatus> {
        self.config()
            .sources
            .iter()
            .map(|s| {
                let state: Option<SyncState> = std::fs::read(self.state_path(&s.name))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
                let next_sync = s.every_minutes.map(|every| {
                    state.as_ref().map_or_else(unix_now, |st| {
                        st.last_sync.saturating_add(every.saturating_mul(60))
                    })
                });
                SourceStatus {
                    name: s.name.clone(),
                    path: s.path.clone(),
                    connector: s.connector.clone(),
                    collection: s.collection.clone(),
                    state,
                    every_minutes: s.every_minutes,
                    next_sync,
                }
            })
            .collect()
    }
}
