//! Collections and documents: create and delete collections (admin);
//! list, read and delete documents (through the caller's ACL: a document
//! it may not read is "not found", never "forbidden"); upload files, which
//! an ingest job indexes in the background (status and per-file errors at
//! `/v1/jobs/{id}`).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::documents::DocumentQuery;
use seogo_engine::ingest::{IngestReport, IngestRequest};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::auth::{Caller, Role};
use crate::error::{ApiError, ErrorCode};
use crate::{blocking, Shared};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCollection {
    name: String,
}

pub(crate) async fn create_collection(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<NewCollection>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body?;
    caller.may_use(&body.name)?;
    let engine = state.engine.clone();
    let name = body.name.clone();
    let created = blocking(move || engine.create_collection(&name)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"name": body.name, "created": created}))))
}

pub(crate) async fn delete_collection(
    State(state): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    caller.may_use(&name)?;
    let engine = state.engine.clone();
    let target = name.clone();
    if !blocking(move || engine.delete_collection(&target)).await? {
        return Err(ApiError::not_found(format!("no collection `{name}`")));
    }
    Ok(Json(json!({"name": name, "deleted": true})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[serde(default)]
    contains: String,
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    50
}

pub(crate) async fn list_documents(
    State(state): State<Shared>,
    caller: Caller,
    Path(collection): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    if query.limit > 1000 {
        return Err(ApiError::bad_request("limit must be at most 1000"));
    }
    let scope = caller.scope(collection, Vec::new())?;
    let engine = state.engine.clone();
    let page = blocking(move || {
        engine.documents(
            &scope,
            &DocumentQuery {
                contains: query.contains,
                offset: query.offset,
                limit: query.limit,
            },
        )
    })
    .await?;
    Ok(Json(
        serde_json::to_value(page).map_err(ApiError::internal)?,
    ))
}

pub(crate) async fn get_document(
    State(state): State<Shared>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope(collection.clone(), Vec::new())?;
    let engine = state.engine.clone();
    let doc_id = id.clone();
    let view = blocking(move || engine.document(&scope, &doc_id)).await?;
    let view = view.ok_or_else(|| ApiError::not_found(format!("no document `{id}`")))?;
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id.clone(),
        route: "/v1/collections/{name}/documents/{id}".into(),
        collection: Some(collection),
        retrieved: view.chunks.iter().map(|c| c.chunk.id.clone()).collect(),
        status: 200,
        ..Default::default()
    });
    Ok(Json(
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
}

/// `GET …/documents/{id}/file`: the original file a readable document was
/// ingested from (the citation's "open the original"). Types a browser
/// could run (HTML, SVG, office files) are sent as downloads, never shown
/// inline, and under a sandboxing policy: a document is data, and must not
/// run in the API's origin.
pub(crate) async fn document_file(
    State(state): State<Shared>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(collection.clone(), Vec::new())?;
    let engine = state.engine.clone();
    let doc_id = id.clone();
    let view = blocking(move || engine.document(&scope, &doc_id)).await?;
    let view = view.ok_or_else(|| ApiError::not_found(format!("no document `{id}`")))?;
    let source = PathBuf::from(&view.summary.source);
    let file = tokio::fs::File::open(&source).await.map_err(|e| {
        tracing::warn!(path = %source.display(), error = %e, "original file unreadable");
        ApiError::new(
            ErrorCode::OriginalGone,
            format!("the original of `{id}` is no longer where it was ingested from"),
        )
    })?;
    let length = file.metadata().await.map_err(ApiError::internal)?.len();
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id.clone(),
        route: "/v1/collections/{name}/documents/{id}/file".into(),
        collection: Some(collection),
        detail: Some(json!({ "document": id })),
        status: 200,
        ..Default::default()
    });
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document".into());
    let (content_type, disposition) = match shown_inline(&name) {
        Some(content_type) => (content_type, "inline"),
        None => ("application/octet-stream", "attachment"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_LENGTH, length.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename*=UTF-8''{}", percent_encode(&name)),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".into(),
            ),
        ],
        file_body(file),
    )
        .into_response())
}

/// The content type of files a browser shows without running anything.
fn shown_inline(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" | "md" | "csv" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) async fn delete_document(
    State(state): State<Shared>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Ingest)?;
    let scope = caller.scope(collection.clone(), Vec::new())?;
    let engine = state.engine.clone();
    let doc_id = id.clone();
    let deleted = blocking(move || {
        // Only what the caller could read may it delete; the rest is
        // "not found" like everywhere else.
        if engine.document(&scope, &doc_id)?.is_none() {
            return Ok(false);
        }
        engine.delete_document(&scope.collection, &doc_id)
    })
    .await?;
    if !deleted {
        return Err(ApiError::not_found(format!("no document `{id}`")));
    }
    Ok(Json(json!({"id": id, "deleted": true})))
}

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
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct JobProgress {
    pub(crate) files: usize,
    pub(crate) chunks_planned: usize,
    pub(crate) chunks_indexed: usize,
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

/// A file name safe to create: its last component, no hidden or parent
/// names, no separators.
pub(crate) fn safe_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next()?.trim();
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_control() || c == ':' { '_' } else { c })
        .collect();
    (!cleaned.is_empty() && !cleaned.starts_with('.') && cleaned.len() <= 255).then_some(cleaned)
}

/// Streams one multipart field to `path`, refusing more than `limit` bytes.
pub(crate) async fn save_field(
    field: &mut axum::extract::multipart::Field<'_>,
    path: &FsPath,
    limit: u64,
) -> Result<(), ApiError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    let mut written = 0u64;
    while let Some(piece) = field
        .chunk()
        .await
        .map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?
    {
        written += piece.len() as u64;
        if written > limit {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
            return Err(ApiError::new(
                ErrorCode::TooLarge,
                format!(
                    "a file is over the upload limit of {limit} bytes (server.max_upload_bytes)"
                ),
            ));
        }
        file.write_all(&piece).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)
}

/// `multipart/form-data` with one or more `file` fields and an optional
/// `acl` field (comma-separated groups; public when absent).
pub(crate) async fn upload(
    State(state): State<Shared>,
    caller: Caller,
    Path(collection): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Ingest)?;
    caller.may_use(&collection)?;
    seogo_engine::validate_name(&collection)?;
    let mut multipart =
        multipart.map_err(|e| ApiError::bad_request(format!("not a multipart upload: {e}")))?;
    let id = crate::random_id("job_", 12)?;
    let dir: PathBuf = state
        .engine
        .config()
        .data
        .dir
        .join("uploads")
        .join(&collection)
        .join(&id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let limit = state.config.max_upload_bytes;
    let mut files = Vec::new();
    let mut acl = Vec::new();
    let result: Result<(), ApiError> = async {
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?
        {
            match field.name() {
                Some("acl") => {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    acl = text
                        .split(',')
                        .map(|g| g.trim().to_string())
                        .filter(|g| !g.is_empty())
                        .collect();
                }
                Some("file") => {
                    let name = field
                        .file_name()
                        .and_then(safe_file_name)
                        .ok_or_else(|| ApiError::bad_request("a file field needs a file name"))?;
                    if files.contains(&name) {
                        return Err(ApiError::bad_request(format!("`{name}` is uploaded twice")));
                    }
                    save_field(&mut field, &dir.join(&name), limit).await?;
                    files.push(name);
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unexpected field {other:?}: send `file` fields and an optional `acl`"
                    )))
                }
            }
        }
        if files.is_empty() {
            return Err(ApiError::bad_request("no `file` field in the upload"));
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return Err(e);
    }
    let job = Job {
        files: files.clone(),
        ..Job::running(&caller.id, id.clone(), collection.clone())
    };
    state.jobs.put(job.clone());
    let engine = state.engine.clone();
    let shared = state.clone();
    let upload_dir = format!("{}/", dir.display());
    tokio::spawn(async move {
        let req = IngestRequest {
            paths: vec![dir],
            collection,
            acl,
            remove_missing: false,
            ..IngestRequest::default()
        };
        let outcome = blocking(move || engine.ingest(&req, &mut |_| {})).await;
        let mut done = job;
        match outcome {
            Ok(mut report) => {
                hide_upload_dir(&mut report, &upload_dir);
                shared
                    .metrics
                    .ingested(report.added + report.updated, report.failures.len());
                done.state = JobState::Done;
                done.report = serde_json::to_value(report).ok();
            }
            Err(e) => {
                done.state = JobState::Failed;
                done.error = Some(e.message.replace(&upload_dir, ""));
            }
        }
        shared.jobs.put(done);
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job_id": id, "files": files})),
    ))
}

/// A job's report names files as the caller uploaded them, not where the
/// server keeps them: the data directory's path is the server's business.
fn hide_upload_dir(report: &mut IngestReport, upload_dir: &str) {
    for failure in &mut report.failures {
        failure.path = failure.path.replace(upload_dir, "");
        failure.error = failure.error.replace(upload_dir, "");
    }
    for warning in &mut report.warnings {
        *warning = warning.replace(upload_dir, "");
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

/// A response body that streams `file` in 64 KB reads.
pub(crate) fn file_body(file: tokio::fs::File) -> Body {
    Body::from_stream(futures_util::stream::unfold(file, |mut file| async move {
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(buffer), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    }))
}
