//! Seogo's HTTP server (axum): the versioned API under `/v1` (search, ask
//! with SSE streaming and conversations, an OpenAI-compatible chat
//! endpoint), health, readiness and Prometheus metrics — behind API keys or
//! OIDC tokens, with every read filtered by the caller's groups, an audit
//! line per read, and limits on body size, request rate, concurrent
//! generations and time.
//!
//! The engine is blocking (candle, tantivy, qdrant-edge), so every engine
//! call runs on tokio's blocking pool, never on the async workers.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

pub mod audit;
pub mod auth;
pub mod config;
mod conversations;
mod cors;
mod error;
mod metrics;
mod routes;
mod schedule;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use seogo_engine::{Engine, EngineError};
use tokio::sync::Semaphore;

pub use audit::Audit;
pub use auth::keys::{KeyError, KeyRecord, KeyStore};
pub use auth::oidc::Oidc;
pub use auth::{Authenticator, Caller, Role};
pub use config::{AuditConfig, OidcConfig, ServerConfig};
pub use error::{ApiError, ErrorCode};
use metrics::Metrics;

/// Server failures (configuration, binding, serving).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        addr: SocketAddr,
        cause: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Oidc(#[from] auth::oidc::JwksError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

/// Everything a request handler reaches.
#[derive(Debug)]
pub struct AppState {
    engine: Arc<Engine>,
    /// `[server]`.
    config: ServerConfig,
    auth: Authenticator,
    audit: Audit,
    metrics: Metrics,
    conversations: conversations::Conversations,
    jobs: routes::jobs::Jobs,
    batches: routes::batch::BatchJobs,
    generations: Arc<Semaphore>,
    timeout: Duration,
    /// Sources with a sync running (one at a time each).
    syncing: Running,
    /// The evaluation running from the console, if any.
    evals: routes::eval::EvalRuns,
    /// Held while the API changes the key file, one change at a time.
    key_changes: std::sync::Mutex<()>,
}

impl AppState {
    /// The API keys' file (`server.keys_file`, else in the data directory).
    pub(crate) fn keys_file(&self) -> std::path::PathBuf {
        self.config.keys_file(&self.engine.config().data.dir)
    }
}

/// Names with something running, so a second start is refused.
#[derive(Debug, Default)]
pub(crate) struct Running(std::sync::Mutex<std::collections::HashSet<String>>);

impl Running {
    /// Marks `name` running; false when it already was.
    pub(crate) fn start(&self, name: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_string())
    }

    pub(crate) fn finish(&self, name: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    /// State from the `[server]` configuration: the key file, the OIDC
    /// keys (file or URL), the audit directory.
    pub fn from_config(engine: Arc<Engine>, config: ServerConfig) -> Result<Self, ServerError> {
        let data = engine.config().data.dir.clone();
        let oidc = match &config.oidc {
            Some(oidc) => {
                let source = oidc.clone();
                Some(Oidc::new(
                    oidc.clone(),
                    Box::new(move || read_jwks(&source)),
                )?)
            }
            None => None,
        };
        let audit_dir = config
            .audit
            .dir
            .clone()
            .unwrap_or_else(|| data.join("audit"));
        let audit = Audit::open(&audit_dir, &config.audit)?;
        let auth = Authenticator::new(
            config.keys_file(&data),
            oidc,
            config.anonymous,
            config.requests_per_minute,
        )?;
        let conversations = conversations::Conversations::new(config.max_conversations);
        // Both at least 1: the configuration is validated at load.
        let generations = Arc::new(Semaphore::new(config.max_concurrent_generations));
        let timeout = Duration::from_secs(config.request_timeout_secs);
        Ok(Self {
            engine,
            config,
            auth,
            audit,
            metrics: Metrics::default(),
            conversations,
            jobs: routes::jobs::Jobs::default(),
            batches: routes::batch::BatchJobs::default(),
            generations,
            timeout,
            syncing: Running::default(),
            evals: routes::eval::EvalRuns::default(),
            key_changes: std::sync::Mutex::new(()),
        })
    }
}

fn read_jwks(oidc: &OidcConfig) -> Result<String, auth::oidc::JwksError> {
    use auth::oidc::JwksError;
    match (&oidc.jwks_file, &oidc.jwks_url) {
        (Some(path), _) => {
            std::fs::read_to_string(path).map_err(|e| JwksError(format!("{}: {e}", path.display())))
        }
        (None, Some(url)) => {
            let client = seogo_http::HttpClient::new(&seogo_http::HttpSettings::default())
                .map_err(|e| JwksError(e.to_string()))?;
            let response = client
                .get(url, &[], 1 << 20)
                .map_err(|e| JwksError(e.to_string()))?;
            String::from_utf8(response).map_err(|e| JwksError(e.to_string()))
        }
        (None, None) => Err(JwksError("server.oidc needs jwks_file or jwks_url".into())),
    }
}

/// The router, for tests and embedding.
pub fn router(state: Shared) -> Router {
    let config = &state.config;
    let body_limit = config.max_body_bytes;
    // Uploads stream to disk under their own per-file limit.
    let upload_limit = usize::try_from(config.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(4);
    let cors = cors::Cors::new(&config.cors_origins);
    Router::new()
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .route("/v1/openapi.json", get(routes::ops::openapi))
        .route(
            "/v1/collections",
            get(routes::ops::collections).post(routes::documents::create_collection),
        )
        .route(
            "/v1/collections/{name}",
            delete(routes::documents::delete_collection),
        )
        .route(
            "/v1/collections/{name}/documents",
            get(routes::documents::list_documents)
                .post(routes::documents::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/v1/collections/{name}/documents/{id}",
            get(routes::documents::get_document).delete(routes::documents::delete_document),
        )
        .route(
            "/v1/collections/{name}/documents/{id}/file",
            get(routes::documents::document_file),
        )
        .route(
            "/v1/collections/{name}/failures",
            get(routes::documents::failures),
        )
        .route("/v1/jobs/{id}", get(routes::jobs::job))
        .route("/v1/sources", get(routes::sources::sources))
        .route("/v1/sources/{name}/sync", post(routes::sources::sync))
        .route("/v1/whoami", get(routes::keys::whoami))
        .route(
            "/v1/admin/keys",
            get(routes::keys::list).post(routes::keys::create),
        )
        .route("/v1/admin/keys/{id}", delete(routes::keys::revoke))
        .route("/v1/admin/audit", get(routes::audit::search))
        .route("/v1/admin/status", get(routes::status::status))
        .route(
            "/v1/admin/eval",
            get(routes::eval::list)
                .post(routes::eval::start)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/v1/admin/eval/{id}",
            get(routes::eval::get).delete(routes::eval::delete),
        )
        .route("/v1/admin/backup", post(routes::ops::backup))
        .route("/v1/admin/reindex", post(routes::ops::reindex))
        .route("/v1/search", post(routes::query::search))
        .route("/v1/ask", post(routes::query::ask))
        .route(
            "/v1/chat/completions",
            post(routes::openai::chat_completions),
        )
        .route("/v1/models", get(routes::openai::models))
        .route("/v1/feedback", post(routes::widget::feedback))
        .route(
            "/v1/batch",
            post(routes::batch::create).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/v1/batch/{id}",
            get(routes::batch::status).delete(routes::batch::stop),
        )
        .route("/v1/batch/{id}/result", get(routes::batch::result))
        .route("/widget.js", get(routes::widget::script))
        .route("/demo", get(routes::widget::demo))
        .route("/console", get(routes::console::page))
        .route("/console/console.js", get(routes::console::script))
        .route("/console/console.css", get(routes::console::style))
        .fallback(routes::ops::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::middleware::from_fn_with_state(cors, cors::apply))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Counts each request by route and status, with its latency.
async fn observe(
    State(state): State<Shared>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = matched.map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Binds `addr` and serves until ctrl-c or SIGTERM, then lets requests in
/// flight (answer streams included) finish.
pub async fn serve(
    engine: Arc<Engine>,
    config: ServerConfig,
    addr: SocketAddr,
) -> Result<(), ServerError> {
    let state = Arc::new(AppState::from_config(engine, config)?);
    schedule::spawn(state.clone());
    if state.auth.unauthenticated() {
        tracing::warn!(
            "serving without authentication: no API key and no OIDC configured, so every caller is anonymous and sees public documents only (an Authorization header is ignored)"
        );
    } else if state.auth.allows_anonymous() {
        tracing::warn!(
            "callers without credentials are served as anonymous: public documents only"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|cause| ServerError::Bind { addr, cause })?;
    let local = listener.local_addr().map_err(ServerError::Serve)?;
    tracing::info!(%local, "serving");
    eprintln!("seogo: listening on http://{local}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Serve)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("seogo: shutting down; finishing requests in flight");
}

/// An unguessable id (`prefix` + `bytes` random bytes in hex) for
/// conversations, jobs and completions.
pub(crate) fn random_id(prefix: &str, bytes: usize) -> Result<String, ApiError> {
    auth::keys::random_hex(bytes)
        .map(|hex| format!("{prefix}{hex}"))
        .map_err(ApiError::internal)
}

/// Runs blocking engine work off the async workers; a panic inside becomes
/// a 500, never a dead server.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, EngineError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(join) => Err(ApiError::internal(format!("engine task failed: {join}"))),
    }
}
