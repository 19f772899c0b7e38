//! `POST /v1/search` and `POST /v1/ask` (JSON, or a server-sent event
//! stream of tokens ending with the verified answer). Both run with the
//! caller's groups as the ACL filter; a body can only narrow them (an
//! admin's search `as_groups`), never name others.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::answer::{Answer, AskEvent, AskRequest};
use seogo_engine::retrieve::{SearchMode, SearchRequest};
use seogo_types::{ChatMessage, Role as ChatRole};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{error_event, event};
use crate::audit::AuditEntry;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::{blocking, Shared};

fn default_collection() -> String {
    seogo_engine::DEFAULT_COLLECTION.to_string()
}

fn default_k() -> usize {
    10
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchBody {
    query: String,
    #[serde(default)]
    mode: SearchMode,
    #[serde(default = "default_k")]
    k: usize,
    #[serde(default = "default_collection")]
    collection: String,
    /// `KEY=VALUE` metadata filters.
    #[serde(default)]
    filters: Vec<String>,
    #[serde(default = "default_true")]
    snippets: bool,
    /// Search as these of the caller's groups only (admin): what a member
    /// of just those groups finds, for the console's playground. It
    /// narrows what the caller sees, never widens it.
    #[serde(default)]
    as_groups: Option<Vec<String>>,
}

/// The caller's scope narrowed to `groups` (each one the caller's own).
fn narrowed(caller: &Caller, groups: Vec<String>) -> Result<Vec<String>, ApiError> {
    caller.require(crate::auth::Role::Admin)?;
    match groups.iter().find(|g| !caller.principals.contains(g)) {
        Some(other) => Err(ApiError::new(
            ErrorCode::RoleForbidden,
            format!(
                "`as_groups`: `{other}` is not one of the caller's groups; searching as groups \
                 narrows what the caller sees, never widens it"
            ),
        )),
        None => Ok(groups),
    }
}

pub(crate) async fn search(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<SearchBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let mut scope = caller.scope(body.collection, body.filters)?;
    let as_groups = match body.as_groups {
        Some(groups) => Some(narrowed(&caller, groups)?),
        None => None,
    };
    if let Some(groups) = &as_groups {
        scope.principals = groups.clone();
    }
    let req = SearchRequest {
        query: body.query,
        mode: body.mode,
        k: body.k,
        snippets: body.snippets,
        scope,
    };
    let engine = state.engine.clone();
    let query = req.query.clone();
    let collection = req.scope.collection.clone();
    let results = blocking(move || engine.search(&req)).await?;
    state.audit.record(AuditEntry {
        who: caller.id.clone(),
        route: "/v1/search".into(),
        collection: Some(collection),
        question: Some(query),
        retrieved: results.iter().map(|r| r.chunk.id.clone()).collect(),
        detail: as_groups.map(|groups| json!({ "as_groups": groups })),
        status: 200,
        ..AuditEntry::default()
    });
    Ok(Json(json!({ "results": results })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AskBody {
    question: String,
    #[serde(default = "default_collection")]
    collection: String,
    #[serde(default)]
    filters: Vec<String>,
    /// The conversation so far, kept by the client...
    #[serde(default)]
    history: Vec<ChatMessage>,
    /// ...or by the server: the id an earlier answer returned.
    #[serde(default)]
    conversation_id: Option<String>,
    /// Stream tokens as server-sent events (also: `Accept:
    /// text/event-stream`).
    #[serde(default)]
    stream: bool,
}

/// Answers `req` for `caller` on the blocking pool, within the limit on
/// generations at once and the request timeout, passing the sources and
/// raw tokens to `on_event`; records the audit line and the token counts.
pub(crate) async fn answer(
    state: &Shared,
    caller: &Caller,
    req: AskRequest,
    route: &'static str,
    mut on_event: impl FnMut(AskEvent<'_>) + Send + 'static,
) -> Result<Answer, ApiError> {
    let deadline = tokio::time::Instant::now() + state.timeout;
    let permit = tokio::time::timeout_at(deadline, state.generations.clone().acquire_owned())
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::Overloaded,
                "every generation slot stayed busy until the request timed out; retry later",
            )
        })?
        .map_err(ApiError::internal)?;
    let engine = state.engine.clone();
    let question = req.question.clone();
    let collection = req.scope.collection.clone();
    let work = blocking(move || {
        let _permit = permit;
        engine.ask(&req, &mut on_event)
    });
    let result = match tokio::time::timeout_at(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::new(
            ErrorCode::Timeout,
            format!(
                "no answer within {} s (server.request_timeout_secs)",
                state.timeout.as_secs()
            ),
        )),
    };
    let mut entry = AuditEntry {
        who: caller.id.clone(),
        route: route.into(),
        collection: Some(collection),
        question: Some(question),
        ..AuditEntry::default()
    };
    match &result {
        Ok(answer) => {
            entry.retrieved = answer.retrieved.clone();
            entry.cited = answer
                .citations
                .iter()
                .map(|c| c.chunk_id.clone())
                .collect();
            entry.grounded = Some(answer.grounded);
            entry.model = Some(answer.model.clone());
            entry.status = 200;
            let usage = answer.usage.unwrap_or(seogo_engine::answer::TokenUsage {
                prompt_tokens: 0,
                completion_tokens: 0,
                cached_prompt_tokens: 0,
            });
            state.metrics.answer(
                usage.prompt_tokens,
                usage.completion_tokens,
                !answer.grounded,
            );
        }
        Err(e) => entry.status = e.status().as_u16(),
    }
    state.audit.record(entry);
    result
}

fn wants_stream(headers: &HeaderMap, asked: bool) -> bool {
    asked
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"))
}

pub(crate) async fn ask(
    State(state): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<AskBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    if body.conversation_id.is_some() && !body.history.is_empty() {
        return Err(ApiError::bad_request(
            "send either history or conversation_id, not both",
        ));
    }
    let history = match &body.conversation_id {
        Some(id) => state.conversations.history(id, &caller.id)?,
        None => body.history,
    };
    let req = AskRequest {
        question: body.question,
        history,
        scope: caller.scope(body.collection, body.filters)?,
    };
    let conversation_id = body.conversation_id;
    if !wants_stream(&headers, body.stream) {
        let question = req.question.clone();
        let answer = answer(&state, &caller, req, "/v1/ask", |_| {}).await?;
        let answer = remember(
            &state,
            &caller,
            conversation_id.as_deref(),
            question,
            &answer,
        )?;
        return Ok(Json(answer).into_response());
    }
    let (tx, rx) = mpsc::channel(256);
    let tokens = tx.clone();
    tokio::spawn(async move {
        let question = req.question.clone();
        let result = answer(&state, &caller, req, "/v1/ask", move |e| {
            // A client that went away just stops receiving.
            let _ = tokens.blocking_send(match e {
                // The sources as soon as retrieval is done, before the
                // first token: a person reads the evidence meanwhile.
                AskEvent::Sources(sources) => event("sources", &json!({ "sources": sources })),
                AskEvent::Text(piece) => event("token", &json!({ "text": piece })),
            });
        })
        .await;
        let last = result
            .and_then(|answer| {
                remember(
                    &state,
                    &caller,
                    conversation_id.as_deref(),
                    question,
                    &answer,
                )
            })
            .map(|answer| event("answer", &answer));
        let _ = tx.send(last.unwrap_or_else(|e| error_event(&e))).await;
    });
    Ok(super::sse(rx))
}

/// Keeps the turn in the caller's conversation and returns the answer as
/// the client gets it, with the conversation's id.
fn remember(
    state: &Shared,
    caller: &Caller,
    id: Option<&str>,
    question: String,
    answer: &Answer,
) -> Result<Value, ApiError> {
    let id = state.conversations.append(
        id,
        &caller.id,
        [
            ChatMessage {
                role: ChatRole::User,
                content: question,
            },
            ChatMessage {
                role: ChatRole::Assistant,
                content: answer.answer.clone(),
            },
        ],
    )?;
    let mut value = serde_json::to_value(answer).map_err(ApiError::internal)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("conversation_id".into(), Value::String(id));
    }
    Ok(value)
}
