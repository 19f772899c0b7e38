//! Probes, metrics and the caller's view of the collections.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::metrics::IndexSize;
use crate::{blocking, Shared};

/// The API described for client generators and people (kept in
/// `services/server/api/openapi.json`; a test checks every path in it is
/// served).
pub(crate) const OPENAPI: &str = include_str!("../../api/openapi.json");

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
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
            Json(json!({"status": "unavailable", "error": {"code": e.code, "message": e.message}})),
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

/// Configured sources with their last sync (ingest role; the sources of
/// collections the caller may use).
pub(crate) async fn sources(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(crate::auth::Role::Ingest)?;
    let engine = state.engine.clone();
    let mut all = blocking(move || Ok(engine.sources())).await?;
    all.retain(|s| caller.sees_collection(&s.collection));
    Ok(Json(json!({ "sources": all })))
}

/// `POST /v1/admin/backup` (admin): a consistent snapshot of the data
/// directory as a tar, taken while the server keeps serving (each
/// collection is copied under its write lock). Built under `uploads/`,
/// which a backup leaves out, and unlinked once open.
pub(crate) async fn backup(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<axum::response::Response, ApiError> {
    caller.require(crate::auth::Role::Admin)?;
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
