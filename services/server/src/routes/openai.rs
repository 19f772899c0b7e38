//! The OpenAI-compatible endpoint, so chat front ends and SDKs work
//! unchanged: `GET /v1/models` lists `seogo` (the default collection) and
//! `seogo/<collection>`; `POST /v1/chat/completions` answers the last user
//! message from the documents, earlier turns as the conversation. The
//! reply's text ends with the sources as footnotes, and the `seogo` field
//! carries the citations, per-sentence support and `grounded`.
//!
//! Streaming sends the verified answer, not the model's raw tokens: an
//! OpenAI client cannot take back a sentence the verifier later drops, so
//! the stream opens at once (role, then keep-alives) and the content
//! follows verification.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use seogo_engine::answer::{Answer, AskRequest};
use seogo_types::{ChatMessage, Role as ChatRole};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::query::answer;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::{blocking, Shared};

/// The model name for the default collection.
const MODEL: &str = "seogo";

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Option<Content>,
}

/// Seogo's own request fields (`"seogo": {"filters": [...]}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extension {
    #[serde(default)]
    filters: Vec<String>,
}

/// Sampling fields and the like are accepted and ignored: answers are
/// greedy and grounded by design.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatRequest {
    model: String,
    messages: Vec<Message>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    seogo: Option<Extension>,
}

fn text_of(content: Option<Content>) -> String {
    match content {
        None => String::new(),
        Some(Content::Text(t)) => t,
        Some(Content::Parts(parts)) => parts
            .into_iter()
            .filter_map(|p| p.text)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn collection_of(model: &str) -> Result<String, ApiError> {
    if model == MODEL {
        return Ok(seogo_engine::DEFAULT_COLLECTION.to_string());
    }
    model
        .strip_prefix("seogo/")
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoSuchModel,
                format!(
                    "model `{model}`: use `{MODEL}` or `{MODEL}/<collection>` (see /v1/models)"
                ),
            )
        })
}

/// The question (the last user message) and the turns before it. System
/// messages are dropped: the appliance's instructions are fixed, and a
/// client cannot loosen them.
fn conversation(messages: Vec<Message>) -> Result<(String, Vec<ChatMessage>), ApiError> {
    let mut turns: Vec<ChatMessage> = messages
        .into_iter()
        .filter_map(|m| {
            let role = match m.role.as_str() {
                "user" => ChatRole::User,
                "assistant" => ChatRole::Assistant,
                _ => return None,
            };
            Some(ChatMessage {
                role,
                content: text_of(m.content),
            })
        })
        .collect();
    match turns.pop() {
        Some(last) if last.role == ChatRole::User && !last.content.trim().is_empty() => {
            Ok((last.content, turns))
        }
        _ => Err(ApiError::bad_request(
            "the last message must be a non-empty user message",
        )),
    }
}

/// The answer with its sources as numbered footnotes.
fn with_footnotes(answer: &Answer) -> String {
    let mut text = answer.answer.clone();
    if !answer.citations.is_empty() {
        text.push_str("\n\n");
        for c in &answer.citations {
            let mut place = c.title.clone();
            if !c.section.is_empty() {
                place.push_str(&format!(" — {}", c.section));
            }
            if let Some(p) = c.page {
                place.push_str(&format!(", p. {p}"));
            }
            text.push_str(&format!("[{}] {place}: \"{}\"\n", c.n, c.quote));
        }
    }
    text.trim_end().to_string()
}

fn extension(answer: &Answer) -> Value {
    json!({
        "grounded": answer.grounded,
        "citations": answer.citations,
        "sentences": answer.sentences,
        "closest": answer.closest,
        "standalone_question": answer.standalone_question,
    })
}

fn usage(answer: &Answer) -> Value {
    let (prompt, completion) = answer
        .usage
        .map_or((0, 0), |u| (u.prompt_tokens, u.completion_tokens));
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

pub(crate) async fn models(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let names = blocking(move || engine.collection_names()).await?;
    let mut data = Vec::new();
    if caller.sees_collection(seogo_engine::DEFAULT_COLLECTION) {
        data.push(json!({"id": MODEL, "object": "model", "created": 0, "owned_by": "seogo"}));
    }
    for name in names.iter().filter(|n| caller.sees_collection(n)) {
        data.push(json!({"id": format!("{MODEL}/{name}"), "object": "model", "created": 0, "owned_by": "seogo"}));
    }
    Ok(Json(json!({"object": "list", "data": data})))
}

pub(crate) async fn chat_completions(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<ChatRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let collection = collection_of(&body.model)?;
    let scope = caller.scope(collection, body.seogo.unwrap_or_default().filters)?;
    let (question, history) = conversation(body.messages)?;
    let req = AskRequest {
        question,
        history,
        scope,
    };
    let id = crate::random_id("chatcmpl-", 12)?;
    let created = seogo_engine::unix_now();
    let model = body.model;
    if !body.stream {
        let answer = answer(&state, &caller, req, "/v1/chat/completions", |_| {}).await?;
        return Ok(Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": with_footnotes(&answer)},
                "finish_reason": "stop",
            }],
            "usage": usage(&answer),
            "seogo": extension(&answer),
        }))
        .into_response());
    }
    let base = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
    });
    let usage_base = base.clone();
    let chunk = move |delta: Value, finish: Option<&str>, extra: Option<(&str, Value)>| {
        let mut v = base.clone();
        if let Some(map) = v.as_object_mut() {
            map.insert(
                "choices".into(),
                json!([{"index": 0, "delta": delta, "finish_reason": finish}]),
            );
            if let Some((key, value)) = extra {
                map.insert(key.to_string(), value);
            }
        }
        Event::default().data(v.to_string())
    };
    // The usage chunk OpenAI sends last (no choices).
    let usage_chunk = move |answer: &Answer| {
        let mut v = usage_base.clone();
        if let Some(map) = v.as_object_mut() {
            map.insert("choices".into(), json!([]));
            map.insert("usage".into(), usage(answer));
        }
        Event::default().data(v.to_string())
    };
    let (tx, rx) = mpsc::channel(16);
    let _ = tx
        .send(chunk(
            json!({"role": "assistant", "content": ""}),
            None,
            None,
        ))
        .await;
    tokio::spawn(async move {
        match answer(&state, &caller, req, "/v1/chat/completions", |_| {}).await {
            Ok(answer) => {
                let text = with_footnotes(&answer);
                // Word-sized pieces, so a client renders as it would a stream.
                for piece in text.split_inclusive(' ') {
                    let _ = tx.send(chunk(json!({"content": piece}), None, None)).await;
                }
                let last = chunk(json!({}), Some("stop"), Some(("seogo", extension(&answer))));
                let _ = tx.send(last).await;
                let _ = tx.send(usage_chunk(&answer)).await;
            }
            Err(e) => {
                // OpenAI's streams carry errors as a plain data event.
                let error = json!({"error": {"code": e.code.code(), "message": e.message, "type": e.code.code()}});
                let _ = tx.send(Event::default().data(error.to_string())).await;
            }
        }
        let _ = tx.send(Event::default().data("[DONE]")).await;
    });
    Ok(super::sse(rx))
}
