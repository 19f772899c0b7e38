//! Text generators: the [`Generator`] trait and the local candle
//! implementation running a Qwen2 GGUF in-process. The OpenAI-compatible
//! client for vLLM/SGLang implements the same trait (answering issue).

use std::path::Path;
use std::sync::Mutex;

use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_qwen2::ModelWeights;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::ModelError;

/// Who says a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

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
}

/// Qwen2/2.5 GGUF run by candle on the CPU.
pub struct QwenGguf {
    model: Mutex<ModelWeights>,
    tokenizer: Tokenizer,
    stop_ids: Vec<u32>,
    context_length: usize,
    model_id: String,
    device: Device,
}

impl std::fmt::Debug for QwenGguf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QwenGguf")
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

impl QwenGguf {
    /// Loads the weights and the tokenizer the GGUF carries.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let invalid = |reason: String| ModelError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let mut file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| invalid(e.to_string()))?;
        let tokenizer = Tokenizer::from_gguf(&content).map_err(|e| invalid(e.to_string()))?;
        let context_length = content
            .metadata
            .get("qwen2.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(4096, |n| n as usize);
        let model_id = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "qwen2".into());
        // ChatML ends a turn with <|im_end|>; base models end with <|endoftext|>.
        let stop_ids = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect::<Vec<_>>();
        if stop_ids.is_empty() {
            return Err(invalid("no <|im_end|> or <|endoftext|> token".into()));
        }
        let device = Device::Cpu;
        let model = ModelWeights::from_gguf(content, &mut file, &device)?;
        Ok(Self {
            model: Mutex::new(model),
            tokenizer,
            stop_ids,
            context_length,
            model_id,
            device,
        })
    }

    /// Qwen's ChatML prompt, ending with the open assistant turn.
    fn chatml(messages: &[ChatMessage]) -> String {
        let mut prompt = String::new();
        for m in messages {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            prompt.push_str(&format!("<|im_start|>{role}\n{}<|im_end|>\n", m.content));
        }
        prompt.push_str("<|im_start|>assistant\n");
        prompt
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
        let prompt_ids = self.encode(&Self::chatml(messages))?;
        if prompt_ids.len() + 1 >= self.context_length {
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
        let mut model = self
            .model
            .lock()
            .map_err(|_| ModelError::Generation("model lock poisoned".into()))?;
        model.clear_kv_cache();

        let mut generated: Vec<u32> = Vec::new();
        let mut emitted = String::new();
        let mut finish = FinishReason::Length;
        let mut input = Tensor::new(prompt_ids.as_slice(), &self.device)?.unsqueeze(0)?;
        let mut pos = 0;
        for _ in 0..max_new {
            let logits = model.forward(&input, pos)?.squeeze(0)?;
            pos += input.dim(1)?;
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
            input = Tensor::new(&[next], &self.device)?.unsqueeze(0)?;
        }
        Ok(Generation {
            text: emitted,
            prompt_tokens: prompt_ids.len(),
            completion_tokens: generated.len(),
            finish_reason: finish,
        })
    }
}
