//! The configured `[[sources]]`: their last sync, and "sync now" as a
//! background job with progress, one sync per source at a time.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use seogo_engine::ingest::Progress;
use seogo_engine::EngineError;
use serde_json::{json, Value};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::routes::jobs::{Job, JobProgress};
use crate::{blocking, Shared};

/// `GET /v1/sources` (ingest role): configured sources with their last
/// sync, for the collections the caller may use.
pub(crate) async fn sources(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Ingest)?;
    let engine = state.engine.clone();
    let mut all = blocking(move || Ok(engine.sources())).await?;
    all.retain(|s| caller.sees_collection(&s.collection));
    Ok(Json(json!({ "sources": all })))
}

/// How often a running sync's progress is published to its job.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// `POST /v1/sources/{name}/sync` (ingest role): syncs the source now
/// (its fetch first, where it has one), as `seogo sync NAME` does, in a
/// background job whose progress `GET /v1/jobs/{id}` shows. A source
/// already syncing is refused (409 `busy`), never queued; the finished
/// sync is audited.
pub(crate) async fn sync(
    State(state): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Ingest)?;
    let engine = state.engine.clone();
    let sources = blocking(move || Ok(engine.sources())).await?;
    let Some(source) = sources
        .into_iter()
        .find(|s| s.name == name && caller.sees_collection(&s.collection))
    else {
        // A source of a collection the caller may not use is not named.
        return Err(EngineError::NoSuchSource {
            name,
            configured: "see GET /v1/sources".into(),
        }
        .into());
    };
    let id = start_sync(&state, &caller.id, name, source.collection)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job_id": id }))))
}

/// Starts syncing source `name` (of `collection`) for `owner` in a
/// background job and returns the job's id; `busy` while it syncs already.
/// "Sync now" and the schedule both start syncs here.
pub(crate) fn start_sync(
    state: &Shared,
    owner: &str,
    name: String,
    collection: String,
) -> Result<String, ApiError> {
    // The id first: nothing can fail between marking the source syncing
    // and the job that unmarks it.
    let id = crate::random_id("job_", 12)?;
    if !state.syncing.start(&name) {
        return Err(EngineError::Busy(format!(
            "source `{name}` is syncing already; follow its job, or retry when it is done"
        ))
        .into());
    }
    let job = Job {
        progress: Some(JobProgress::default()),
        ..Job::running(owner, id.clone(), collection)
    };
    state.jobs.put(job.clone());
    let shared = state.clone();
    tokio::spawn(async move {
        let engine = shared.engine.clone();
        let publisher = shared.clone();
        let running = job.clone();
        let source_name = name.clone();
        let outcome = blocking(move || {
            let mut progress = JobProgress::default();
            let mut published = Instant::now();
            let mut on_progress = |p: Progress| {
                progress.add(p);
                if published.elapsed() >= PROGRESS_EVERY {
                    published = Instant::now();
                    let mut snapshot = running.clone();
                    snapshot.progress = Some(progress.clone());
                    publisher.jobs.put(snapshot);
                }
            };
            let report = engine.sync(&source_name, &mut on_progress)?;
            Ok((report, progress))
        })
        .await;
        let mut last_progress = None;
        let outcome = outcome.map(|(report, progress)| {
            shared.metrics.ingested(
                report.ingest.added + report.ingest.updated,
                report.ingest.failures.len(),
            );
            last_progress = Some(progress);
            report
        });
        let (mut done, status) = job.finish(outcome);
        if last_progress.is_some() {
            done.progress = last_progress;
        }
        shared.audit.record(crate::audit::AuditEntry {
            who: done.owner.clone(),
            route: "/v1/sources/{name}/sync".into(),
            detail: Some(json!({ "source": name, "collection": done.collection, "job": done.id })),
            status,
            ..Default::default()
        });
        shared.jobs.put(done);
        shared.syncing.finish(&name);
    });
    Ok(id)
}
