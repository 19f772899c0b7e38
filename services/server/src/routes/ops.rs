//! Probes, metrics and the caller's view of the collections.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::metrics::IndexSize;
use crate::routes::jobs::Job;
use crate::{blocking, Shared};

/// The API described for client generators and people (kept in
/// `services/server/api/openapi.json`; a test checks every path in it is
/// served).
pub(crate) const OPENAPI: &str = include_str!("../../api/openapi.json");

/// The document served: the file with the error codes listed from
/// [`crate::error::ErrorCode`].
static DOCUMENT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crate::error::ErrorCode::document(OPENAPI));

pub(crate) async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; the API is under /v1 (see the README)")
}

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when the models are loaded and every collection opens.
pub(crate) async fn readyz(State(state): State<Shared>) -> impl IntoResponse {
    let engine = state.engine.clone();
    let checked = blocking(move || {
        let names = engine.collection_names()?;
        for name in &names {
            engine.collection(name, false)?;
        }
        Ok((engine.models_loaded(), names.len()))
    })
    .await;
    match checked {
        Ok((true, collections)) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "models_loaded": true, "collections": collections})),
        ),
        Ok((false, collections)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "loading", "models_loaded": false, "collections": collections})),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "error": e.body()["error"]})),
        ),
    }
}

pub(crate) async fn metrics(State(state): State<Shared>) -> Result<impl IntoResponse, ApiError> {
    let engine = state.engine.clone();
    let sizes: Vec<IndexSize> = blocking(move || engine.collection_summaries())
        .await?
        .into_iter()
        .map(|c| IndexSize {
            collection: c.name,
            documents: c.documents,
            chunks: c.chunks,
        })
        .collect();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&sizes),
    ))
}

/// The collections the caller may use, with their size and embedder.
pub(crate) async fn collections(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let mut all = blocking(move || engine.collection_summaries()).await?;
    all.retain(|c| caller.sees_collection(&c.name));
    Ok(Json(json!({ "collections": all })))
}

/// `POST /v1/admin/backup` (admin): a consistent snapshot of the data
/// directory as a tar, taken while the server keeps serving (each
/// collection is copied under its write lock). Built under `uploads/`,
/// which a backup leaves out, and unlinked once open.
pub(crate) async fn backup(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<axum::response::Response, ApiError> {
    caller.require(Role::Admin)?;
    let dir = state.engine.config().data.dir.join("uploads");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("backup-{nanos}.tar"));
    let engine = state.engine.clone();
    let target = path.clone();
    let report = blocking(move || engine.backup(&target)).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(ApiError::internal)?;
    let length = file.metadata().await.map_err(ApiError::internal)?.len();
    tokio::fs::remove_file(&path)
        .await
        .map_err(ApiError::internal)?;
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id.clone(),
        route: "/v1/admin/backup".into(),
        detail: Some(json!({ "collections": report.collections, "files": report.files })),
        status: 200,
        ..Default::default()
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (header::CONTENT_LENGTH, length.to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"seogo-backup.tar\"".to_string(),
            ),
        ],
        crate::routes::documents::file_body(file),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReindexBody {
    collection: Option<String>,
}

/// `POST /v1/admin/reindex` (admin): re-embeds a collection with the
/// configured embedder into a shadow copy and swaps it in, as a background
/// job (`GET /v1/jobs/{id}`). The collection keeps answering searches until
/// the swap; changes to it are refused (409 `busy`) meanwhile.
pub(crate) async fn reindex(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<ReindexBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body?;
    let name = body
        .collection
        .unwrap_or_else(|| seogo_engine::DEFAULT_COLLECTION.to_string());
    if !caller.sees_collection(&name) {
        return Err(seogo_engine::EngineError::NoSuchCollection(name).into());
    }
    let engine = state.engine.clone();
    let checked = name.clone();
    blocking(move || engine.collection(&checked, false).map(drop)).await?;
    let job = Job::running(&caller.id, crate::random_id("job_", 12)?, name.clone());
    state.jobs.put(job.clone());
    let id = job.id.clone();
    let shared = state.clone();
    tokio::spawn(async move {
        let engine = shared.engine.clone();
        let outcome = blocking(move || engine.reindex(&name, &mut |_| {})).await;
        let (done, status) = job.finish(outcome);
        shared.audit.record(crate::audit::AuditEntry {
            who: done.owner.clone(),
            route: "/v1/admin/reindex".into(),
            detail: Some(json!({ "collection": done.collection, "job": done.id })),
            status,
            ..Default::default()
        });
        shared.jobs.put(done);
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "job_id": id }))))
}
