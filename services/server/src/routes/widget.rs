//! The chat widget's script, its demo host page and the feedback its thumbs
//! post (kept in the audit log, counted in the metrics).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::audit::AuditEntry;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::Shared;

/// `GET /widget.js`: public, like any script an intranet page includes;
/// what it can do is decided by the key or token it is given.
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        seogo_widget::SCRIPT,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct DemoQuery {
    /// An API key for the demo's widget (when the server requires one).
    key: Option<String>,
}

/// The policy the demo page runs under: it and its widget may reach this
/// server and nothing else, which is what an air-gapped intranet needs.
const DEMO_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'";

/// `GET /demo`: a host page embedding the widget with one script tag.
pub(crate) async fn demo(Query(query): Query<DemoQuery>) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        seogo_widget::demo_page(query.key.as_deref()),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DEMO_POLICY),
    );
    response
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Rating {
    Up,
    Down,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackBody {
    rating: Rating,
    #[serde(default)]
    collection: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    question: Option<String>,
    /// The answer as the reader saw it.
    #[serde(default)]
    answer: Option<String>,
    /// Chunk ids the answer cited.
    #[serde(default)]
    cited: Vec<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// Longest free text kept from one feedback.
const MAX_FEEDBACK_TEXT: usize = 4000;

/// `POST /v1/feedback`: a thumb up or down on an answer, stored as an audit
/// line (who, question, cited chunks, rating) for the people who tune the
/// corpus.
pub(crate) async fn feedback(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<FeedbackBody>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Json(body) = body?;
    if let Some(collection) = &body.collection {
        caller.may_use(collection)?;
    }
    let clip = |text: Option<String>| {
        text.map(|t| {
            state
                .audit
                .mask(&t.chars().take(MAX_FEEDBACK_TEXT).collect::<String>())
        })
    };
    let rating = match body.rating {
        Rating::Up => "up",
        Rating::Down => "down",
    };
    state.metrics.feedback(body.rating == Rating::Up);
    state.audit.record(AuditEntry {
        who: caller.id,
        route: "/v1/feedback".into(),
        collection: body.collection,
        question: body.question,
        cited: body.cited.into_iter().take(64).collect(),
        detail: Some(json!({
            "feedback": rating,
            "conversation_id": body.conversation_id,
            "answer": clip(body.answer),
            "comment": clip(body.comment),
        })),
        status: 201,
        ..AuditEntry::default()
    });
    Ok((StatusCode::CREATED, Json(json!({"recorded": true}))))
}
