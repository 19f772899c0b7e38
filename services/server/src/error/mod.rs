//! API errors: a stable code, an HTTP status and a message a person can act
//! on. Internal details (paths, causes) go to the server log, never into a
//! response.
//!
//! The engine → API mapping names every engine, model and index error: a
//! new variant does not compile until someone decides what a client sees
//! (`clippy::wildcard_enum_match_arm` refuses a catch-all arm here).
#![warn(clippy::wildcard_enum_match_arm)]

mod codes;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::{EngineError, IndexError, ModelError};
use serde_json::json;

pub use codes::ErrorCode;

#[derive(Debug)]
pub struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The JSON every error is sent as, in a response or a stream's event.
    pub(crate) fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code.code(), "message": self.message}})
    }

    /// Something failed inside: logged in full, reported without detail.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        Self::logged(
            ErrorCode::Internal,
            &detail,
            "internal error; see the server log",
        )
    }

    /// A failure whose message names server paths: logged in full, sent
    /// as `public`.
    fn logged(code: ErrorCode, detail: &dyn std::fmt::Display, public: &str) -> Self {
        tracing::error!(error = %detail, code = code.code(), "request failed");
        Self::new(code, public)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::InvalidCollectionName(_) => ErrorCode::InvalidCollectionName,
            EngineError::InvalidFilter(_) => ErrorCode::InvalidFilter,
            EngineError::EmptyQuery => ErrorCode::EmptyQuery,
            EngineError::QueryTooLong { .. } => ErrorCode::QueryTooLong,
            EngineError::KOutOfRange { .. } => ErrorCode::KOutOfRange,
            EngineError::NoSuchCollection(_) => ErrorCode::NoSuchCollection,
            EngineError::NoSuchSource { .. } => ErrorCode::NoSuchSource,
            EngineError::EmbedderMismatch { .. } => ErrorCode::EmbedderMismatch,
            EngineError::Busy(_) => ErrorCode::Busy,
            EngineError::Unsupported(_) => ErrorCode::Unsupported,
            EngineError::Conflict(_) => ErrorCode::Conflict,
            EngineError::BadInput(_) => ErrorCode::BadInput,
            EngineError::Document(_) => ErrorCode::BadDocument,
            EngineError::SourceFailed(_) => ErrorCode::SourceFailed,
            // The messages below name the server's paths: logged, not sent.
            EngineError::DiskFull { .. } => {
                return Self::logged(
                    ErrorCode::DiskFull,
                    &e,
                    "the server's data disk is full; an administrator frees space",
                )
            }
            EngineError::Config(_) => {
                return Self::logged(
                    ErrorCode::Misconfigured,
                    &e,
                    "the server's configuration cannot serve this request; see the server log",
                )
            }
            EngineError::Model(model) => return model_error(model, &e),
            EngineError::Index(index) => return index_error(index, &e),
            EngineError::Io { .. } | EngineError::Corrupt(_) => return Self::internal(e),
        };
        Self::new(code, e.to_string())
    }
}

fn model_error(model: &ModelError, e: &EngineError) -> ApiError {
    match model {
        ModelError::ContextOverflow { .. } => ApiError::new(ErrorCode::TooLong, e.to_string()),
        ModelError::NotInstalled { .. } => ApiError::logged(
            ErrorCode::NotReady,
            e,
            "a model this request needs is not installed on the server; an administrator runs `seogo models install`",
        ),
        ModelError::Io { .. }
        | ModelError::Invalid { .. }
        | ModelError::Checksum { .. }
        | ModelError::Fetch(_)
        | ModelError::Tokenize(_)
        | ModelError::Device(_)
        | ModelError::Generation(_)
        | ModelError::Embedding(_)
        | ModelError::Candle(_) => ApiError::internal(e),
    }
}

fn index_error(index: &IndexError, e: &EngineError) -> ApiError {
    match index {
        IndexError::LockBusy => ApiError::new(
            ErrorCode::Busy,
            "another process is writing this collection's index; retry later",
        ),
        IndexError::Io { .. }
        | IndexError::Lexical(_)
        | IndexError::Vector(_)
        | IndexError::Analysis(_)
        | IndexError::Json(_) => ApiError::internal(e),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        let code = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::InvalidJson,
            _ => ErrorCode::BadJson,
        };
        ApiError::new(code, e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::new(ErrorCode::BadQuery, e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}
