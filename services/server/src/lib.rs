//! Seogo's HTTP server (axum). This spine serves `/healthz`,
//! `POST /v1/search` and `POST /v1/ask` (JSON); the appliance-server issue
//! adds streaming, auth, the OpenAI-compatible endpoint and the widget.
//!
//! The engine is blocking (candle, tantivy, qdrant-edge), so every engine
//! call runs on tokio's blocking pool, never on the async workers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use seogo_engine::answer::AskRequest;
use seogo_engine::retrieve::SearchRequest;
use seogo_engine::{Engine, EngineError};
use serde_json::json;

/// Server failures (binding, serving).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
}

/// An API error: a stable code, an HTTP status and a message a person can
/// act on. Internal details go to the log, not the response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let (status, code) = match &e {
            EngineError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            EngineError::NoSuchCollection(_) => (StatusCode::NOT_FOUND, "no_such_collection"),
            EngineError::EmbedderMismatch { .. } => (StatusCode::CONFLICT, "embedder_mismatch"),
            _ if e.is_user_error() => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "request failed");
            "internal error; see the server log".to_string()
        } else {
            e.to_string()
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_json",
            message: e.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

type Shared = Arc<Engine>;

/// The router, for tests and embedding.
pub fn router(engine: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/search", post(search))
        .route("/v1/ask", post(ask))
        .with_state(engine)
}

/// Binds `addr` and serves until ctrl-c.
pub async fn serve(engine: Shared, addr: SocketAddr) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(ServerError::Serve)?;
    tracing::info!(%local, "serving");
    eprintln!("seogo: listening on http://{local}");
    axum::serve(listener, router(engine))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(ServerError::Serve)
}

/// Until authentication lands (appliance-server issue), every HTTP caller is
/// anonymous: groups claimed in a request body are ignored, so only public
/// documents are reachable.
fn anonymous() -> Vec<String> {
    Vec::new()
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Runs blocking engine work off the async workers; a panic inside becomes
/// a 500, never a dead server.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, EngineError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(join) => {
            tracing::error!(error = %join, "engine task failed");
            Err(ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "internal error; see the server log".into(),
            })
        }
    }
}

async fn search(
    State(engine): State<Shared>,
    body: Result<Json<SearchRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(mut req) = body?;
    req.scope.principals = anonymous();
    let results = blocking(move || engine.search(&req)).await?;
    Ok(Json(json!({ "results": results })))
}

async fn ask(
    State(engine): State<Shared>,
    body: Result<Json<AskRequest>, JsonRejection>,
) -> Result<Json<seogo_engine::answer::Answer>, ApiError> {
    let Json(mut req) = body?;
    req.scope.principals = anonymous();
    let answer = blocking(move || engine.ask(&req, &mut |_| {})).await?;
    Ok(Json(answer))
}
