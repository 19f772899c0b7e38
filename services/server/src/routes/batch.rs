//! Batch QA as an API job: `POST /v1/batch` uploads a table of questions,
//! `GET /v1/batch/{id}` tells its progress, `GET /v1/batch/{id}/result`
//! returns the answered table, `DELETE /v1/batch/{id}` stops it. A job runs
//! as its caller (the caller's groups are the ACL filter) and only its
//! caller sees it. One batch runs at a time, as many questions in flight as
//! `server.max_concurrent_generations`, so interactive users keep a share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_batch::{BatchEvent, BatchOptions, Format};
use serde::Serialize;
use serde_json::{json, Value};

use super::documents::{safe_file_name, save_field};
use crate::audit::AuditEntry;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::Shared;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BatchState {
    Queued,
    Running,
    Done,
    Stopped,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct BatchJob {
    #[serde(skip)]
    owner: String,
    #[serde(skip)]
    output: PathBuf,
    #[serde(skip)]
    cancel: Arc<AtomicBool>,
    id: String,
    collection: String,
    state: BatchState,
    format: Format,
    rows: usize,
    done: usize,
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Batch jobs by id (a restart forgets them; their files stay on disk).
#[derive(Debug, Default)]
pub(crate) struct BatchJobs {
    by_id: Mutex<HashMap<String, BatchJob>>,
    /// One batch at a time.
    running: tokio::sync::Mutex<()>,
}

impl BatchJobs {
    fn update(&self, id: &str, change: impl FnOnce(&mut BatchJob)) {
        if let Ok(mut jobs) = self.by_id.lock() {
            if let Some(job) = jobs.get_mut(id) {
                change(job);
            }
        }
    }

    fn get(&self, id: &str, owner: &str) -> Result<BatchJob, ApiError> {
        self.by_id
            .lock()
            .ok()
            .and_then(|jobs| jobs.get(id).filter(|j| j.owner == owner).cloned())
            .ok_or_else(|| ApiError::not_found(format!("no batch `{id}`")))
    }
}

fn output_format(name: &str) -> Result<Format, ApiError> {
    match name {
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        "jsonl" => Ok(Format::Jsonl),
        other => Err(ApiError::bad_request(format!(
            "format `{other}`: csv, xlsx or jsonl"
        ))),
    }
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
        Format::Jsonl => "jsonl",
    }
}

/// `multipart/form-data`: a `file` field (CSV, XLSX or JSONL) and optional
/// `collection`, `question_column` and `format` (of the result) fields.
pub(crate) async fn create(
    State(state): State<Shared>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut multipart =
        multipart.map_err(|e| ApiError::bad_request(format!("not a multipart upload: {e}")))?;
    let id = crate::random_id("batch_", 12)?;
    let dir = state.engine.config().data.dir.join("batch").join(&id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let limit = state.config.max_upload_bytes;
    let mut input = None;
    let mut fields: HashMap<String, String> = HashMap::new();
    let read: Result<(), ApiError> = async {
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            match name.as_str() {
                "file" => {
                    let file_name = field
                        .file_name()
                        .and_then(safe_file_name)
                        .ok_or_else(|| ApiError::bad_request("the file field needs a file name"))?;
                    let path = dir.join(format!("input-{file_name}"));
                    save_field(&mut field, &path, limit).await?;
                    input = Some((path, file_name));
                }
                "collection" | "question_column" | "format" => {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    fields.insert(name, text.trim().to_string());
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unexpected field `{other}`: send `file` and optionally `collection`, `question_column`, `format`"
                    )))
                }
            }
        }
        Ok(())
    }
    .await;
    let checked = read.and_then(|()| {
        let (path, name) =
            input.ok_or_else(|| ApiError::bad_request("no `file` field in the upload"))?;
        let format = match fields.get("format") {
            Some(f) => output_format(f)?,
            None => Format::for_output(std::path::Path::new(&name)),
        };
        let collection = fields
            .remove("collection")
            .unwrap_or_else(|| seogo_engine::DEFAULT_COLLECTION.to_string());
        let scope = caller.scope(collection, Vec::new())?;
        Ok((path, format, scope))
    });
    let (input, format, scope) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e);
        }
    };
    let output = dir.join(format!("answers.{}", extension(format)));
    let cancel = Arc::new(AtomicBool::new(false));
    let job = BatchJob {
        owner: caller.id.clone(),
        output: output.clone(),
        cancel: cancel.clone(),
        id: id.clone(),
        collection: scope.collection.clone(),
        state: BatchState::Queued,
        format,
        rows: 0,
        done: 0,
        failed: 0,
        error: None,
    };
    if let Ok(mut jobs) = state.batches.by_id.lock() {
        jobs.insert(id.clone(), job);
    }
    let options = BatchOptions {
        collection: scope.collection.clone(),
        principals: scope.principals.clone(),
        question_column: fields.remove("question_column"),
        concurrency: state.config.max_concurrent_generations,
        resume: false,
        retries: 2,
    };
    state.audit.record(AuditEntry {
        who: caller.id.clone(),
        route: "/v1/batch".into(),
        collection: Some(scope.collection),
        detail: Some(json!({ "batch": id })),
        status: 202,
        ..AuditEntry::default()
    });
    let shared = state.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        let _turn = shared.batches.running.lock().await;
        shared
            .batches
            .update(&job_id, |j| j.state = BatchState::Running);
        let engine = shared.engine.clone();
        let events = shared.clone();
        let events_id = job_id.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            seogo_batch::run(&engine, &input, &output, &options, &cancel, &|event| {
                events.batches.update(&events_id, |j| match event {
                    BatchEvent::Started { total, done } => {
                        j.rows = total;
                        j.done = done;
                    }
                    BatchEvent::Answered { rows, failed } => {
                        j.done += rows;
                        if failed {
                            j.failed += rows;
                        }
                    }
                });
            })
        })
        .await;
        shared.batches.update(&job_id, |j| match outcome {
            Ok(Ok(summary)) => {
                j.state = if summary.stopped {
                    BatchState::Stopped
                } else {
                    BatchState::Done
                };
                j.failed = summary.failed;
            }
            Ok(Err(e)) => {
                j.state = BatchState::Failed;
                // Named by the upload's name, not by where the server keeps it.
                j.error = Some(e.to_string().replace(
                    &format!(
                            "{}/",
                            j.output
                                .parent()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default()
                        ),
                    "",
                ));
            }
            Err(join) => {
                j.state = BatchState::Failed;
                j.error = Some(format!("the batch task failed: {join}"));
            }
        });
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "batch_id": id, "state": "queued" })),
    ))
}

pub(crate) async fn status(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BatchJob>, ApiError> {
    Ok(Json(state.batches.get(&id, &caller.id)?))
}

/// The answered table (while running: 409, with the progress).
pub(crate) async fn result(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = state.batches.get(&id, &caller.id)?;
    if !matches!(job.state, BatchState::Done | BatchState::Stopped) {
        return Err(ApiError::new(
            ErrorCode::NotFinished,
            format!(
                "batch `{id}` is {:?}: {} of {} rows done",
                job.state, job.done, job.rows
            )
            .to_lowercase(),
        ));
    }
    let bytes = tokio::fs::read(&job.output)
        .await
        .map_err(ApiError::internal)?;
    let content_type = match job.format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Jsonl => "application/x-ndjson",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.{}\"", extension(job.format)),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Stops a batch after the questions in flight; the rows answered so far
/// are in its result.
pub(crate) async fn stop(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BatchJob>, ApiError> {
    let job = state.batches.get(&id, &caller.id)?;
    job.cancel.store(true, Ordering::SeqCst);
    Ok(Json(job))
}
