//! A [`Generator`] served over the OpenAI-compatible chat completions API:
//! vLLM or SGLang on the B200 node in production, llama.cpp's
//! `llama-server` on a workstation. Streaming (server-sent events), with
//! the retries, backoff, timeout and TLS of seogo-http, and a cap on the
//! generations in flight so a batch job cannot swamp the model server.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use seogo_http::{HttpClient, HttpSettings};
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::generate::{FinishReason, Generation, GenerationParams, Generator};
use crate::ModelError;
use seogo_types::ChatMessage;

/// `[generator]` with `kind = "openai"`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAiConfig {
    /// The API root, e.g. `http://gpu-node:8000/v1`.
    pub base_url: String,
    /// The served model's name (vLLM `--served-model-name`).
    pub model: String,
    /// Sent as `Authorization: Bearer …`; when unset, read from
    /// `api_key_env` (unset there too: no header).
    pub api_key: Option<String>,
    /// The environment variable holding the API key.
    pub api_key_env: String,
    /// Prompt + completion tokens the served model attends to (vLLM
    /// `--max-model-len`): the answer's context budget.
    pub context_length: usize,
    /// Generations in flight at once from this process.
    pub max_concurrent: usize,
    /// Overrides the answer's temperature (0 = greedy) when set.
    pub temperature: Option<f64>,
    /// Overrides nucleus sampling's top-p when set.
    pub top_p: Option<f64>,
    /// The served model's `tokenizer.json`, for exact context budgets;
    /// without it tokens are over-estimated from characters.
    pub tokenizer: Option<PathBuf>,
    /// Merged into every request body: server-specific sampling such as
    /// vLLM's `repetition_penalty` or `chat_template_kwargs`.
    pub extra_body: serde_json::Map<String, serde_json::Value>,
    /// Timeouts, retries and TLS for the model server.
    pub http: HttpSettings,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8000/v1".into(),
            model: String::new(),
            api_key: None,
            api_key_env: "SEOGO_GENERATOR_API_KEY".into(),
            context_length: 8192,
            max_concurrent: 16,
            temperature: None,
            top_p: None,
            tokenizer: None,
            extra_body: serde_json::Map::new(),
            http: HttpSettings {
                requests_per_second: 0.0,
                retries: 3,
                timeout_secs: 300,
                ..HttpSettings::default()
            },
        }
    }
}

/// The chat completions client.
pub struct OpenAiGenerator {
    config: OpenAiConfig,
    client: HttpClient,
    tokenizer: Option<Tokenizer>,
    in_flight: Mutex<usize>,
    freed: Condvar,
}

impl std::fmt::Debug for OpenAiGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiGenerator")
            .field("base_url", &self.config.base_url)
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiGenerator {
    pub fn new(config: &OpenAiConfig) -> Result<Self, ModelError> {
        if config.model.trim().is_empty() {
            return Err(ModelError::Generation(
                "generator.model: name the served model".into(),
            ));
        }
        let mut client =
            HttpClient::new(&config.http).map_err(|e| ModelError::Generation(e.to_string()))?;
        let key = config
            .api_key
            .clone()
            .or_else(|| std::env::var(&config.api_key_env).ok())
            .filter(|k| !k.is_empty());
        if let Some(key) = key {
            client = client.with_header("Authorization", &format!("Bearer {key}"));
        }
        let tokenizer = config
            .tokenizer
            .as_ref()
            .map(|path| {
                Tokenizer::from_file(path).map_err(|e| ModelError::Invalid {
                    path: path.clone(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        Ok(Self {
            config: config.clone(),
            client,
            tokenizer,
            in_flight: Mutex::new(0),
            freed: Condvar::new(),
        })
    }

    fn request(&self, messages: &[ChatMessage], params: &GenerationParams) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": params.max_tokens,
            "temperature": self.config.temperature.unwrap_or(params.temperature),
            "seed": params.seed,
        });
        if let Some(top_p) = self.config.top_p {
            body["top_p"] = top_p.into();
        }
        if !params.stop.is_empty() {
            body["stop"] = params.stop.clone().into();
        }
        if let Some(map) = body.as_object_mut() {
            map.extend(self.config.extra_body.clone());
        }
        body
    }

    /// Waits for a free slot under `max_concurrent`; the guard frees it.
    fn slot(&self) -> SlotGuard<'_> {
        let mut n = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= self.config.max_concurrent.max(1) {
            n = self.freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a OpenAiGenerator);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut n = self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        self.0.freed.notify_one();
    }
}

impl Generator for OpenAiGenerator {
    fn model_id(&self) -> &str {
        &self.config.model
    }

    /// The server's model list answers (vLLM, SGLang and llama-server all
    /// serve `GET /models`).
    fn reachable(&self) -> Result<(), ModelError> {
        let url = format!("{}/models", self.config.base_url.trim_end_matches('/'));
        self.client
            .get(&url, &[], 1 << 20)
            .map(drop)
            .map_err(|e| ModelError::Generation(e.to_string()))
    }

    fn context_length(&self) -> usize {
        self.config.context_length
    }

    /// Exact with the served model's tokenizer; otherwise an over-estimate
    /// (a token per non-ASCII character, one per three ASCII ones) so a
    /// context budget is never exceeded by a surprise.
    fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        match &self.tokenizer {
            Some(t) => Ok(t
                .encode(text, false)
                .map_err(|e| ModelError::Tokenize(e.to_string()))?
                .len()),
            None => {
                let ascii = text.bytes().filter(u8::is_ascii).count();
                let other = text.chars().filter(|c| !c.is_ascii()).count();
                Ok(other + ascii.div_ceil(3))
            }
        }
    }

    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        let _slot = self.slot();
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let response = self
            .client
            .post_json(&url, &self.request(messages, params))
            .map_err(|e| ModelError::Generation(e.to_string()))?;
        read_stream(BufReader::new(response.into_body().into_reader()), on_text)
            .map_err(|reason| ModelError::Generation(format!("{url}: {reason}")))
    }
}

/// One `data:` event of a chat completions stream.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    /// vLLM, SGLang and llama-server report prefix-cache hits here.
    #[serde(default)]
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptTokensDetails {
    #[serde(default)]
    cached_tokens: usize,
}

/// Reads server-sent events up to `data: [DONE]`, passing text pieces on.
/// A stream that ends early, carries an error event or a line that is not
/// JSON is an error (the text already passed on stays with the caller).
pub(crate) fn read_stream(
    reader: impl BufRead,
    on_text: &mut dyn FnMut(&str),
) -> Result<Generation, String> {
    let mut text = String::new();
    let mut finish = None;
    let mut usage = None;
    let mut pieces = 0;
    for line in reader.lines() {
        let line = line.map_err(|e| format!("reading the stream: {e}"))?;
        let Some(data) = line.strip_prefix("data:") else {
            // Comments (`: keep-alive`), `event:`/`id:` fields, blank lines.
            continue;
        };
        let data = data.trim();
        if data == "[DONE]" {
            let finish_reason = match finish.as_deref() {
                Some("length") => FinishReason::Length,
                _ => FinishReason::Stop,
            };
            let (prompt_tokens, completion_tokens, cached_prompt_tokens) =
                usage.map_or((0, pieces, 0), |u: Usage| {
                    let cached = u.prompt_tokens_details.map_or(0, |d| d.cached_tokens);
                    (u.prompt_tokens, u.completion_tokens, cached)
                });
            return Ok(Generation {
                text,
                prompt_tokens,
                completion_tokens,
                cached_prompt_tokens,
                finish_reason,
            });
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            format!(
                "malformed stream event ({e}): {}",
                data.chars().take(120).collect::<String>()
            )
        })?;
        if let Some(error) = chunk.error {
            return Err(format!("the server reported: {error}"));
        }
        for choice in chunk.choices {
            if let Some(piece) = choice.delta.content.filter(|p| !p.is_empty()) {
                on_text(&piece);
                text.push_str(&piece);
                pieces += 1;
            }
            if choice.finish_reason.is_some() {
                finish = choice.finish_reason;
            }
        }
        if chunk.usage.is_some() {
            usage = chunk.usage;
        }
    }
    Err(format!(
        "the stream ended before [DONE] after {} characters",
        text.chars().count()
    ))
}

#[cfg(test)]
mod tests;
