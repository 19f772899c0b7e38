//! Request handlers, by area.

pub(crate) mod audit;
pub(crate) mod batch;
pub(crate) mod console;
pub(crate) mod documents;
pub(crate) mod eval;
pub(crate) mod jobs;
pub(crate) mod keys;
pub(crate) mod openai;
pub(crate) mod ops;
pub(crate) mod query;
pub(crate) mod sources;
pub(crate) mod status;
pub(crate) mod widget;

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::mpsc;

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
    event("error", &e.body())
}

/// A server-sent event response fed by `rx` (ends when every sender is
/// dropped), with keep-alive comments while the answer is being generated.
pub(crate) fn sse(rx: mpsc::Receiver<Event>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
