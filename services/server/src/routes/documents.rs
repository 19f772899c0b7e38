//! Collections and documents: create and delete collections (admin);
//! list, read and delete documents (through the caller's ACL: a document
//! it may not read is "not found", never "forbidden"); upload files, which
//! an ingest job indexes in the background (status and per-file errors at
//! `/v1/jobs/{id}`).

use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::documents::DocumentQuery;
use seogo_engine::ingest::{IngestReport, IngestRequest};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::auth::{Caller, Role};
use crate::error::{ApiError, ErrorCode};
use crate::routes::jobs::{Job, JobState};
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
    domain: Option<seogo_types::Domain>,
    group: Option<String>,
    format: Option<String>,
    /// A configured `[[sources]]` entry's name.
    source: Option<String>,
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
                domain: query.domain,
                group: query.group,
                format: query.format,
                source: query.source,
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

/// `GET /v1/collections/{name}/failures` (ingest role): the files that
/// failed to ingest into the collection and were not read since. An
/// upload's file is named as uploaded, not by where the server keeps it.
pub(crate) async fn failures(
    State(state): State<Shared>,
    caller: Caller,
    Path(collection): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Ingest)?;
    caller.may_use(&collection)?;
    let uploads = uploads_root(&state.engine);
    let engine = state.engine.clone();
    let name = collection.clone();
    let failures = blocking(move || engine.failures(&name)).await?;
    let shown: Vec<Value> = failures
        .into_iter()
        .map(|f| {
            let source = uploaded_name(&uploads, &f.source).unwrap_or_else(|| f.source.clone());
            let error = f.error.replace(&f.source, &source);
            json!({ "source": source, "error": error, "at": f.at })
        })
        .collect();
    Ok(Json(json!({ "failures": shown })))
}

/// Where uploads are kept: `<data>/uploads/<collection>/<job>/<file>`.
fn uploads_root(engine: &seogo_engine::Engine) -> PathBuf {
    let uploads = engine.config().data.dir.join("uploads");
    std::fs::canonicalize(&uploads).unwrap_or(uploads)
}

/// An uploaded file's name as its uploader gave it (`None` for a file
/// that was not uploaded).
fn uploaded_name(uploads: &FsPath, source: &str) -> Option<String> {
    let rest = FsPath::new(source).strip_prefix(uploads).ok()?;
    let name: PathBuf = rest.iter().skip(2).collect();
    (!name.as_os_str().is_empty()).then(|| name.display().to_string())
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
        let uploads = uploads_root(&engine);
        let uploaded = job.files.clone();
        let outcome = blocking(move || {
            let report = engine.ingest(&req, &mut |_| {})?;
            // A file read now supersedes the failures of its earlier uploads.
            let read: Vec<&String> = uploaded
                .iter()
                .filter(|name| {
                    !report
                        .failures
                        .iter()
                        .any(|f| f.path.ends_with(&format!("/{name}")))
                })
                .collect();
            engine.forget_failures_where(&req.collection, |f| {
                uploaded_name(&uploads, &f.source).is_some_and(|n| read.contains(&&n))
            })?;
            Ok(report)
        })
        .await;
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
