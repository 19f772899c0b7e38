//! API errors: a stable code, an HTTP status and a message a person can act
//! on. Internal details (paths, causes) go to the server log, never into a
//! response.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::EngineError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub(crate) fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Something failed inside: logged in full, reported without detail.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let (status, code) = match &e {
            EngineError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            EngineError::NoSuchCollection(_) => (StatusCode::NOT_FOUND, "no_such_collection"),
            EngineError::EmbedderMismatch { .. } => (StatusCode::CONFLICT, "embedder_mismatch"),
            EngineError::Busy(_) => (StatusCode::CONFLICT, "busy"),
            EngineError::DiskFull { .. } => {
                // The message names the server's data path: logged, not sent.
                tracing::error!(error = %e, "the data disk is full");
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "disk_full",
                    "the server's data disk is full; an administrator frees space",
                );
            }
            EngineError::Model(seogo_models::ModelError::ContextOverflow { .. }) => {
                (StatusCode::BAD_REQUEST, "too_long")
            }
            EngineError::Model(seogo_models::ModelError::NotInstalled { .. }) => {
                // The message names the server's models path: logged, not sent.
                tracing::error!(error = %e, "a model is missing");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_ready",
                    "a model this request needs is not installed on the server; an administrator runs `seogo models install`",
                );
            }
            EngineError::Document(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_document"),
            _ => return ApiError::internal(e),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "unsupported_media_type"
        } else {
            "bad_json"
        };
        ApiError::new(status, code, e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
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
