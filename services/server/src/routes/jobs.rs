//! Background jobs (an upload's ingest, a reindex, a source's sync) and
//! `GET /v1/jobs/{id}`, where their owner follows them.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::Shared;

/// Where an ingest job stands.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum JobState {
    Running,
    Done,
    Failed,
}

/// A background job: an upload's ingest, a reindex or a source's sync.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Job {
    #[serde(skip)]
    pub(crate) owner: String,
    pub(crate) id: String,
    pub(crate) collection: String,
    pub(crate) state: JobState,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) files: Vec<String>,
    /// How far a sync has come (published while it runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) progress: Option<JobProgress>,
    /// The ingest or reindex report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// A running job's counts: files read, chunks to embed, chunks indexed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct JobProgress {
    pub(crate) files: usize,
    pub(crate) chunks_planned: usize,
    pub(crate) chunks_indexed: usize,
}

impl JobProgress {
    /// Counts one progress report of an ingest.
    pub(crate) fn add(&mut self, report: seogo_engine::ingest::Progress) {
        match report {
            seogo_engine::ingest::Progress::Planned { files, chunks } => {
                self.files += files;
                self.chunks_planned += chunks;
            }
            seogo_engine::ingest::Progress::Indexed { chunks } => self.chunks_indexed += chunks,
        }
    }
}

impl Job {
    /// A job of `owner`'s on `collection`, just started.
    pub(crate) fn running(owner: &str, id: String, collection: String) -> Job {
        Job {
            owner: owner.to_string(),
            id,
            collection,
            state: JobState::Running,
            files: Vec::new(),
            progress: None,
            report: None,
            error: None,
        }
    }

    /// The job finished with `outcome`: done with its report, or failed
    /// with the error's message; and the HTTP status its audit line gets.
    pub(crate) fn finish<T: Serialize>(mut self, outcome: Result<T, ApiError>) -> (Job, u16) {
        match outcome {
            Ok(report) => {
                self.state = JobState::Done;
                self.report = serde_json::to_value(report).ok();
                (self, 200)
            }
            Err(e) => {
                self.state = JobState::Failed;
                let status = e.status().as_u16();
                self.error = Some(e.message);
                (self, status)
            }
        }
    }
}

/// Ingest jobs by id (the latest ones; a restart forgets them).
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    by_id: Mutex<HashMap<String, Job>>,
}

/// Jobs remembered; the oldest finished ones go first.
const JOBS_KEPT: usize = 1000;

impl Jobs {
    pub(crate) fn put(&self, job: Job) {
        if let Ok(mut jobs) = self.by_id.lock() {
            if jobs.len() >= JOBS_KEPT {
                let finished: Vec<String> = jobs
                    .values()
                    .filter(|j| !matches!(j.state, JobState::Running))
                    .map(|j| j.id.clone())
                    .take(jobs.len() + 1 - JOBS_KEPT)
                    .collect();
                for id in finished {
                    jobs.remove(&id);
                }
            }
            jobs.insert(job.id.clone(), job);
        }
    }

    fn get(&self, id: &str, owner: &str) -> Option<Job> {
        self.by_id
            .lock()
            .ok()?
            .get(id)
            .filter(|j| j.owner == owner)
            .cloned()
    }
}

pub(crate) async fn job(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    state
        .jobs
        .get(&id, &caller.id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no job `{id}`")))
}
