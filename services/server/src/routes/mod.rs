//! Request handlers, by area.

pub(crate) mod documents;
pub(crate) mod openai;
pub(crate) mod ops;
pub(crate) mod query;

use axum::response::sse::Event;
use serde::Serialize;

use crate::error::ApiError;

/// A JSON server-sent event (`event: <name>`).
pub(crate) fn event(name: &str, data: &impl Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| Event::default().event("error").data("{}"))
}

/// The `error` event a stream ends with when something fails mid-way.
pub(crate) fn error_event(e: &ApiError) -> Event {
    event(
        "error",
        &serde_json::json!({"error": {"code": e.code, "message": e.message}}),
    )
}
