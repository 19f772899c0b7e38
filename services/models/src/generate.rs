//! Text generators: the [`Generator`] trait and the local candle
//! implementation running a Qwen2 GGUF in-process, prompted through the
//! GGUF's own chat template and reusing the KV cache of the prompt prefix it
//! shares with recent requests. The OpenAI-compatible client for
//! vLLM/SGLang implements the same trait.

use std::path::Path;
use std::sync::Mutex;

use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::chat_template::ChatTemplate;
use crate::qwen2::{KvCache, Qwen2};
use crate::ModelError;
use seogo_durable::PathContext;
use seogo_types::ChatMessage;

/// Sampling and stopping.
#[derive(Debug, Clone)]
pub struct GenerationParams {
    pub max_tokens: usize,
    /// 0 means greedy (reproducible answers, the default for grounded QA).
    pub temperature: f64,
    pub repeat_penalty: f32,
    pub seed: u64,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 384,
            temperature: 0.0,
            repeat_penalty: 1.1,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    Stop,
    Length,
}

/// A finished generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens whose keys and values were reused from an earlier
    /// request instead of being computed (0 where the backend does not say).
    #[serde(default)]
    pub cached_prompt_tokens: usize,
    pub finish_reason: FinishReason,
}

/// A chat model. Implementations stream text pieces to `on_text` as they are
/// decoded and return the whole generation at the end.
pub trait Generator: Send + Sync + std::fmt::Debug {
    /// Reported in answers (`model`) and the OpenAI-compatible API.
    fn model_id(&self) -> &str;
    /// Prompt + completion tokens the model can attend to.
    fn context_length(&self) -> usize;
    /// Tokens `text` takes in this model's vocabulary (for context budgets).
    fn count_tokens(&self, text: &str) -> Result<usize, ModelError>;
    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError>;
    /// Whether the model answers now: a served model's endpoint replies.
    /// An in-process model, once loaded, always does.
    fn reachable(&self) -> Result<(), ModelError> {
        Ok(())
    }
}

/// Cached prompts kept for prefix reuse: the answer prompt, the follow-up
/// rewrite prompt and one more conversation. Each costs about 57 KB per
/// token for the 1.5B model.
const CACHED_PROMPTS: usize = 3;

/// A token sequence the model has run and the keys and values it left.
struct CachedPrompt {
    tokens: Vec<u32>,
    cache: KvCache,
    /// How many of `tokens` were the prompt, and the logits its last token
    /// gave: the same prompt again starts from them instead of running that
    /// token alone, whose single-token path rounds differently from the
    /// batched prompt pass and can flip a close first choice (a retried
    /// question must get the answer it got before).
    prompt_len: usize,
    first_logits: Tensor,
}

/// Where a generation starts: a cache, and the first token's logits when
/// the whole prompt was cached.
struct Start {
    cache: KvCache,
    first_logits: Option<Tensor>,
}

/// Qwen2/2.5 GGUF run by candle in-process (CPU, or a GPU with the `cuda`
/// feature).
pub struct QwenGguf {
    model: Qwen2,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    stop_ids: Vec<u32>,
    context_length: usize,
    model_id: String,
    /// Most recent first. The lock also serialises generation: two requests
    /// at once would only split the same cores.
    cached: Mutex<Vec<CachedPrompt>>,
}

impl std::fmt::Debug for QwenGguf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QwenGguf")
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

/// Tokens that end a turn in the chat formats of GGUF models.
const END_OF_TURN: [&str; 4] = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"];

impl QwenGguf {
    /// Loads the weights, the tokenizer and the chat template the GGUF
    /// carries, onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self, ModelError> {
        let mut file = std::fs::File::open(path).at(path)?;
        Self::from_reader(&mut file, path, device)
    }

    /// [`load`](Self::load) from any reader of a GGUF (`path` names it in
    /// errors): a file, or one built in memory (`synthetic`).
    pub(crate) fn from_reader<R: std::io::Read + std::io::Seek>(
        file: &mut R,
        path: &Path,
        device: &Device,
    ) -> Result<Self, ModelError> {
        let invalid = |reason: String| ModelError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let content = gguf_file::Content::read(file).map_err(|e| invalid(e.to_string()))?;
        let tokenizer = Tokenizer::from_gguf(&content).map_err(|e| invalid(e.to_string()))?;
        let meta_str = |key: &str| {
            content
                .metadata
                .get(key)
                .and_then(|v| v.to_string().ok())
                .cloned()
        };
        let meta_u32 = |key: &str| content.metadata.get(key).and_then(|v| v.to_u32().ok());
        let context_length = meta_u32("qwen2.context_length").map_or(4096, |n| n as usize);
        let model_id = meta_str("general.name").unwrap_or_else(|| "qwen2".into());
        let token = |id: Option<u32>| id.and_then(|id| tokenizer.id_to_token(id));
        let eos_id = meta_u32("tokenizer.ggml.eos_token_id");
        let eos = token(eos_id).unwrap_or_default();
        let bos = token(meta_u32("tokenizer.ggml.bos_token_id")).unwrap_or_default();
        let template =
            ChatTemplate::new(meta_str("tokenizer.chat_template").as_deref(), &bos, &eos)
                .map_err(invalid)?;
        let mut stop_ids: Vec<u32> = END_OF_TURN
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .chain(eos_id)
            .collect();
        stop_ids.sort_unstable();
        stop_ids.dedup();
        if stop_ids.is_empty() {
            return Err(invalid("no end-of-sequence token".into()));
        }
        let model = Qwen2::from_gguf(&content, file, device)?;
        Ok(Self {
            model,
            tokenizer,
            template,
            stop_ids,
            context_length,
            model_id,
            cached: Mutex::new(Vec::new()),
        })
    }

    /// The prompt `messages` become, through the model's chat template.
    pub fn prompt(&self, messages: &[ChatMessage]) -> Result<String, ModelError> {
        self.template
            .render(messages)
            .map_err(ModelError::Generation)
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        Ok(self
            .tokenizer
            .encode(text, false)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?
            .get_ids()
            .to_vec())
    }
}

/// The cache to start `prompt` from: the whole prompt when it was asked
/// before, else the longest prefix it shares with a cached sequence,
/// leaving at least one prompt token to run (its logits choose the first
/// new token).
fn reusable_prefix(cached: &[CachedPrompt], prompt: &[u32]) -> Result<Start, ModelError> {
    if let Some(c) = cached
        .iter()
        .find(|c| c.prompt_len == prompt.len() && c.tokens.starts_with(prompt))
    {
        return Ok(Start {
            cache: c.cache.truncated(prompt.len())?,
            first_logits: Some(c.first_logits.clone()),
        });
    }
    let best = cached
        .iter()
        .map(|c| {
            let shared = c
                .tokens
                .iter()
                .zip(prompt)
                .take_while(|(a, b)| a == b)
                .count();
            (shared.min(prompt.len() - 1).min(c.cache.len()), c)
        })
        .max_by_key(|(shared, _)| *shared);
    let cache = match best {
        Some((shared, c)) if shared > 0 => c.cache.truncated(shared)?,
        _ => KvCache::default(),
    };
    Ok(Start {
        cache,
        first_logits: None,
    })
}

impl Generator for QwenGguf {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn context_length(&self) -> usize {
        self.context_length
    }

    fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        Ok(self.encode(text)?.len())
    }

    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        let prompt_ids = self.encode(&self.prompt(messages)?)?;
        if prompt_ids.is_empty() || prompt_ids.len() + 1 >= self.context_length {
            return Err(ModelError::ContextOverflow {
                tokens: prompt_ids.len(),
                limit: self.context_length,
            });
        }
        let max_new = params
            .max_tokens
            .min(self.context_length - prompt_ids.len() - 1);
        let sampling = if params.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::All {
                temperature: params.temperature,
            }
        };
        let mut logits_processor = LogitsProcessor::from_sampling(params.seed, sampling);
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| ModelError::Generation("model lock poisoned".into()))?;
        let Start {
            mut cache,
            first_logits: mut reused_logits,
        } = reusable_prefix(&cached, &prompt_ids)?;
        let cached_prompt_tokens = cache.len();
        let mut first_logits = None;

        let mut generated: Vec<u32> = Vec::new();
        let mut emitted = String::new();
        let mut finish = FinishReason::Length;
        let mut input = prompt_ids[cached_prompt_tokens..].to_vec();
        for _ in 0..max_new {
            let logits = match reused_logits.take() {
                Some(logits) => logits,
                None => self.model.forward(&input, &mut cache)?,
            };
            if first_logits.is_none() {
                first_logits = Some(logits.clone());
            }
            let logits = if params.repeat_penalty != 1.0 && !generated.is_empty() {
                let start = generated.len().saturating_sub(64);
                candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    params.repeat_penalty,
                    &generated[start..],
                )?
            } else {
                logits
            };
            let next = logits_processor.sample(&logits)?;
            if self.stop_ids.contains(&next) {
                finish = FinishReason::Stop;
                break;
            }
            generated.push(next);
            let text = self
                .tokenizer
                .decode(&generated, true)
                .map_err(|e| ModelError::Tokenize(e.to_string()))?;
            // Hold back a piece that ends inside a multi-byte character.
            if !text.ends_with('\u{FFFD}')
                && text.len() > emitted.len()
                && text.starts_with(&emitted)
            {
                if let Some(stop) = params.stop.iter().find_map(|s| text.find(s.as_str())) {
                    if stop > emitted.len() {
                        on_text(&text[emitted.len()..stop]);
                    }
                    emitted = text[..stop].to_string();
                    finish = FinishReason::Stop;
                    break;
                }
                on_text(&text[emitted.len()..]);
                emitted = text;
            }
            input = vec![next];
        }
        // The cache covers the prompt and every generated token but the
        // last (never run); a follow-up turn that quotes this answer
        // shares all of it.
        let mut tokens = prompt_ids.clone();
        tokens.extend(&generated);
        tokens.truncate(cache.len());
        if let Some(first_logits) = first_logits {
            cached.retain(|c| !tokens.starts_with(&c.tokens));
            cached.insert(
                0,
                CachedPrompt {
                    tokens,
                    cache,
                    prompt_len: prompt_ids.len(),
                    first_logits,
                },
            );
        }
        cached.truncate(CACHED_PROMPTS);
        Ok(Generation {
            text: emitted,
            prompt_tokens: prompt_ids.len(),
            completion_tokens: generated.len(),
            cached_prompt_tokens,
            finish_reason: finish,
        })
    }
}
