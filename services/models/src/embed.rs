//! Text embedders: the [`Embedder`] trait and the candle BERT implementation
//! that runs multilingual-e5 (or any HF-format BERT folder) in-process.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

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

/// The arithmetic of the CPU encoder's matrix products, for passages and
/// queries alike (attention, norms and pooling stay f32).
///
/// Not part of the [`EmbedderFingerprint`]: both compute the same model's
/// vectors (cosine ≈ 0.999 to each other; retrieval on ko-autorag and
/// KorQuAD within 0.0015 of each other in docs/BENCHMARKS.md, with int8
/// passages under f32 queries too), so a collection built with one
/// precision is searched with the other without re-embedding.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbedPrecision {
    /// 7-bit weights (per column) and activations (per token) in 8-bit
    /// products: ≈ 2× the f32 MAC rate on an AVX2 CPU, and a quarter of
    /// the weight reads.
    #[default]
    Int8,
    /// The weights as stored.
    F32,
}

/// multilingual-e5 (BERT architecture): `query: ` / `passage: ` prefixes,
/// masked mean pooling, L2 normalisation.
pub struct BertEmbedder {
    encoder: Encoder,
    tokenizer: Tokenizer,
    fingerprint: EmbedderFingerprint,
    batch_size: usize,
}

/// What an embedder is made of, however it was loaded.
pub(crate) struct Parts {
    pub(crate) vb: VarBuilder<'static>,
    pub(crate) config: Config,
    pub(crate) tokenizer: Tokenizer,
    /// Where the tokenizer came from, for errors.
    pub(crate) tokenizer_path: std::path::PathBuf,
    pub(crate) model_name: String,
    pub(crate) revision: String,
}

/// Which code runs the encoder.
enum Encoder {
    /// The native encoder over plain buffers: the fast path on a CPU.
    Cpu(Bert),
    /// candle-transformers' BERT on an accelerator, batches padded.
    Device {
        model: BertModel,
        device: Device,
        pad_id: u32,
    },
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

/// Tokens per call of the CPU encoder: enough rows that each matrix
/// product amortises its packing, few enough that the activations
/// (≈ 10 KB a token for e5-small) stay small.
const CPU_BATCH_TOKENS: usize = 2048;

/// Scales a vector to unit length (a zero vector stays zero).
pub(crate) fn normalise(v: &mut [f32]) {
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
}

impl BertEmbedder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from
    /// `dir` onto `device`. `batch_size` bounds the texts per call on an
    /// accelerator; on the CPU batches are cut by tokens instead, and
    /// `precision` is the arithmetic of their products.
    pub fn load(
        dir: &Path,
        batch_size: usize,
        device: &Device,
        precision: EmbedPrecision,
    ) -> Result<Self, ModelError> {
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
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, device)?;
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(|e| ModelError::Invalid {
            path: tokenizer_path.clone(),
            reason: e.to_string(),
        })?;
        let model_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        let parts = Parts {
            vb,
            config,
            tokenizer,
            tokenizer_path,
            model_name,
            revision,
        };
        Self::assemble(parts, batch_size, device, precision)
    }

    /// The embedder from its loaded parts, on `device`.
    pub(crate) fn assemble(
        parts: Parts,
        batch_size: usize,
        device: &Device,
        precision: EmbedPrecision,
    ) -> Result<Self, ModelError> {
        let Parts {
            vb,
            config,
            mut tokenizer,
            tokenizer_path,
            model_name,
            revision,
        } = parts;
        let encoder = if device.is_cpu() {
            Encoder::Cpu(Bert::load(vb, &config, precision)?)
        } else {
            Encoder::Device {
                model: BertModel::load(vb, &config)?,
                device: device.clone(),
                pad_id: config.pad_token_id as u32,
            }
        };
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(config.max_position_embeddings),
                ..Default::default()
            }))
            .map_err(|e| ModelError::Invalid {
                path: tokenizer_path,
                reason: e.to_string(),
            })?;
        // No tokenizer padding: the CPU encoder packs sequences unpadded,
        // and `embed_padded` pads each accelerator batch itself.
        tokenizer.with_padding(None);
        Ok(Self {
            encoder,
            tokenizer,
            fingerprint: EmbedderFingerprint {
                model: model_name,
                revision,
                dimension: config.hidden_size,
                pooling: "mean, first 512 tokens".into(),
                query_prefix: "query: ".into(),
                passage_prefix: "passage: ".into(),
            },
            batch_size: batch_size.max(1),
        })
    }

    /// Embeds texts in input order. Texts are truncated to the model's 512
    /// tokens: tokenizers' overflow windows came back empty here (a test
    /// showed the tail past 512 tokens did not count), so windowed pooling
    /// is left to the performance issue.
    fn embed_prefixed(&self, prefix: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        let inputs: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        // Batch texts of similar length together: no padding wasted on an
        // accelerator, and even work for the CPU's attention.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        let mut start = 0;
        while start < order.len() {
            let end = self.batch_end(&order, &ids, start);
            let batch: Vec<&[u32]> = order[start..end].iter().map(|&i| ids[i]).collect();
            let vectors = match &self.encoder {
                Encoder::Cpu(bert) => bert.embed(&batch)?,
                Encoder::Device {
                    model,
                    device,
                    pad_id,
                } => embed_padded(model, device, *pad_id, &batch)?,
            };
            for (&i, v) in order[start..end].iter().zip(vectors) {
                out[i] = v;
            }
            start = end;
        }
        Ok(out)
    }

    /// Where the batch starting at `order[start]` ends: a token budget on
    /// the CPU, a text count on an accelerator.
    fn batch_end(&self, order: &[usize], ids: &[&[u32]], start: usize) -> usize {
        match self.encoder {
            Encoder::Cpu(_) => {
                let mut tokens = 0;
                let mut end = start;
                while end < order.len()
                    && (end == start || tokens + ids[order[end]].len() <= CPU_BATCH_TOKENS)
                {
                    tokens += ids[order[end]].len();
                    end += 1;
                }
                end
            }
            Encoder::Device { .. } => (start + self.batch_size).min(order.len()),
        }
    }
}

/// One padded batch through candle's BERT: masked sum per text, normalised.
fn embed_padded(
    model: &BertModel,
    device: &Device,
    pad_id: u32,
    batch: &[&[u32]],
) -> Result<Vec<Vec<f32>>, ModelError> {
    let len = batch.iter().map(|row| row.len()).max().unwrap_or(0);
    let n = batch.len();
    let mut ids = Vec::with_capacity(n * len);
    let mut mask = Vec::with_capacity(n * len);
    for row in batch {
        ids.extend_from_slice(row);
        ids.extend(std::iter::repeat_n(pad_id, len - row.len()));
        mask.extend(std::iter::repeat_n(1u32, row.len()));
        mask.extend(std::iter::repeat_n(0u32, len - row.len()));
    }
    let ids = Tensor::from_vec(ids, (n, len), device)?;
    let mask = Tensor::from_vec(mask, (n, len), device)?;
    let type_ids = ids.zeros_like()?;
    let hidden = model.forward(&ids, &type_ids, Some(&mask))?;
    let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let mut out = hidden.broadcast_mul(&mask_f)?.sum(1)?.to_vec2::<f32>()?;
    out.iter_mut().for_each(|v| normalise(v));
    Ok(out)
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
