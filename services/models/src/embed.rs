//! Text embedders: the [`Embedder`] trait and the candle BERT implementation
//! that runs multilingual-e5 (or any HF-format BERT folder) in-process.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;

use crate::bert::Bert;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use crate::ModelError;

/// What identifies an embedding space: vectors from two embedders with
/// different fingerprints must never be mixed in one index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedderFingerprint {
    /// Model id and the sha256 of its weights (the revision).
    pub model: String,
    pub revision: String,
    pub dimension: usize,
    pub pooling: String,
    pub query_prefix: String,
    pub passage_prefix: String,
}

/// Turns text into unit-length vectors; queries and passages may be encoded
/// differently (e5's prefixes).
pub trait Embedder: Send + Sync + std::fmt::Debug {
    fn fingerprint(&self) -> &EmbedderFingerprint;
    /// Vectors for passages, in input order.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError>;
    /// The vector for one query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, ModelError>;
}

/// multilingual-e5 (BERT architecture) on candle: `query: ` / `passage: `
/// prefixes, masked mean pooling, L2 normalisation.
pub struct BertEmbedder {
    model: Bert,
    tokenizer: Tokenizer,
    device: Device,
    fingerprint: EmbedderFingerprint,
    batch_size: usize,
    pad_id: u32,
}

impl std::fmt::Debug for BertEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertEmbedder")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Longest input the model reads, in tokens.
const MAX_TOKENS: usize = 512;

impl BertEmbedder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from
    /// `dir` onto `device`.
    pub fn load(dir: &Path, batch_size: usize, device: &Device) -> Result<Self, ModelError> {
        let device = device.clone();
        let read = |name: &str| -> Result<Vec<u8>, ModelError> {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| ModelError::io(&path, e))
        };
        let config: Config =
            serde_json::from_slice(&read("config.json")?).map_err(|e| ModelError::Invalid {
                path: dir.join("config.json"),
                reason: e.to_string(),
            })?;
        let weights = read("model.safetensors")?;
        let revision = hex::encode(&Sha256::digest(&weights)[..8]);
        // f32: candle's f16 matmuls are slow on the CPU, and one dtype on
        // every device keeps a collection's vectors comparable.
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = Bert::load(vb, &config)?;
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| ModelError::Invalid {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| ModelError::Invalid {
                path: tokenizer_path,
                reason: e.to_string(),
            })?;
        // No tokenizer padding: `embed_batch` pads each batch itself.
        tokenizer.with_padding(None);
        let model_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        Ok(Self {
            model,
            tokenizer,
            device,
            fingerprint: EmbedderFingerprint {
                model: model_name,
                revision,
                dimension: config.hidden_size,
                pooling: "mean, first 512 tokens".into(),
                query_prefix: "query: ".into(),
                passage_prefix: "passage: ".into(),
            },
            batch_size: batch_size.max(1),
            pad_id: config.pad_token_id as u32,
        })
    }

    /// Embeds one batch, padded to its longest text. Texts are truncated to
    /// the model's 512 tokens: tokenizers' overflow windows came back empty
    /// here (a test showed the tail past 512 tokens did not count), so
    /// windowed pooling is left to the performance issue.
    fn embed_batch(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ModelError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts, true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        let len = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0);
        let n = encodings.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            let row = e.get_ids();
            ids.extend_from_slice(row);
            ids.extend(std::iter::repeat_n(self.pad_id, len - row.len()));
            mask.extend(std::iter::repeat_n(1u32, row.len()));
            mask.extend(std::iter::repeat_n(0u32, len - row.len()));
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device)?;
        let type_ids = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &type_ids, &mask)?;
        // Masked sum per text; L2 normalising the sum equals normalising the
        // masked mean.
        let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let mut out = hidden.broadcast_mul(&mask_f)?.sum(1)?.to_vec2::<f32>()?;
        for v in &mut out {
            let norm = v
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
                .max(f32::MIN_POSITIVE);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(out)
    }

    fn embed_prefixed(&self, prefix: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        // Batch texts of similar length together so padding wastes little.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(self.batch_size) {
            let inputs = batch
                .iter()
                .map(|&i| format!("{prefix}{}", texts[i]))
                .collect();
            for (&i, v) in batch.iter().zip(self.embed_batch(inputs)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

impl Embedder for BertEmbedder {
    fn fingerprint(&self) -> &EmbedderFingerprint {
        &self.fingerprint
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        self.embed_prefixed(&self.fingerprint.passage_prefix, texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        self.embed_prefixed(&self.fingerprint.query_prefix, &[text])?
            .pop()
            .ok_or_else(|| ModelError::Tokenize("empty embedding batch".into()))
    }
}
