//! Models of the real shapes with seeded random weights. A machine with a
//! GPU gets no model pack (nothing reaches it), yet the embedder's and the
//! generator's speed there depends only on their shapes: `seogo bench gpu`
//! (scripts/gpu-check.sh) measures these, and compares the CPU and CUDA
//! code paths on a tiny one. The weights come from the seed alone, so two
//! devices given the same seed hold the same model; they go through the
//! same loaders as the real files (`VarBuilder` for the BERT, a GGUF read
//! back for Qwen2).

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::pre_tokenizers::whitespace::Whitespace;
use tokenizers::Tokenizer;

use crate::embed::{BertEmbedder, EmbedPrecision, Parts};
use crate::generate::QwenGguf;
use crate::ModelError;

/// splitmix64: a reproducible stream of seeded values, the same on every
/// machine, without a dependency (the synthetic models and the benches'
/// synthetic collections).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `n` values uniform in `center ± spread`.
    fn values(&mut self, n: usize, center: f32, spread: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
                center + spread * (2.0 * unit - 1.0)
            })
            .collect()
    }
}

/// A tensor's values by its name: norms near 1, biases near 0, weights
/// spread enough that activations neither vanish nor blow up.
fn values_for(name: &str, n: usize, seed: u64) -> Vec<f32> {
    let mut random = SplitMix64::new(
        seed ^ name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }),
    );
    if name.contains("norm") || name.contains("LayerNorm.weight") {
        random.values(n, 1.0, 0.1)
    } else if name.ends_with("bias") {
        random.values(n, 0.0, 0.02)
    } else {
        random.values(n, 0.0, 0.05)
    }
}

/// A BERT encoder's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BertShape {
    pub vocab_size: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub max_positions: usize,
}

impl BertShape {
    /// multilingual-e5-small, the model pack's embedder.
    pub const E5_SMALL: Self = Self {
        vocab_size: 250_037,
        hidden: 384,
        layers: 12,
        heads: 12,
        intermediate: 1536,
        max_positions: 512,
    };

    /// Two small layers: the CPU-against-CUDA comparison.
    pub const TINY: Self = Self {
        vocab_size: 2_000,
        hidden: 64,
        layers: 2,
        heads: 4,
        intermediate: 128,
        max_positions: 128,
    };

    fn config(&self) -> Result<Config, ModelError> {
        serde_json::from_value(serde_json::json!({
            "vocab_size": self.vocab_size, "hidden_size": self.hidden,
            "num_hidden_layers": self.layers, "num_attention_heads": self.heads,
            "intermediate_size": self.intermediate, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.0, "max_position_embeddings": self.max_positions,
            "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
            "pad_token_id": 1
        }))
        .map_err(|e| ModelError::Device(format!("a synthetic BERT config: {e}")))
    }
}

/// The word the synthetic tokenizers read as token `id`: `w{id}`. Text made
/// of such words has a known length in tokens.
pub fn synthetic_word(id: usize) -> String {
    format!("w{id}")
}

impl BertEmbedder {
    /// A BERT of `shape` with weights from `seed` and a tokenizer that reads
    /// each [`synthetic_word`] as one token (anything else is unknown).
    pub fn random(
        shape: &BertShape,
        seed: u64,
        batch_size: usize,
        device: &Device,
        precision: EmbedPrecision,
    ) -> Result<Self, ModelError> {
        let config = shape.config()?;
        // The names and shapes candle's BERT asks for, then seeded values.
        let vars = VarMap::new();
        BertModel::load(
            VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
            &config,
        )?;
        let mut tensors = HashMap::new();
        for (name, var) in vars.data().lock().map_err(|_| poisoned())?.iter() {
            let shape = var.shape().clone();
            let values = values_for(name, shape.elem_count(), seed);
            tensors.insert(name.clone(), Tensor::from_vec(values, shape, &Device::Cpu)?);
        }
        let mut vocab: HashMap<String, u32> = (2..shape.vocab_size)
            .map(|id| (synthetic_word(id), id as u32))
            .collect();
        vocab.insert("[UNK]".into(), 0);
        vocab.insert("[PAD]".into(), 1);
        let model = WordLevel::builder()
            .vocab(vocab.into_iter().collect())
            .unk_token("[UNK]".into())
            .build()
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        let mut tokenizer = Tokenizer::new(model);
        tokenizer.with_pre_tokenizer(Some(Whitespace {}));
        let parts = Parts {
            vb: VarBuilder::from_tensors(tensors, DType::F32, device),
            config,
            tokenizer,
            tokenizer_path: "synthetic".into(),
            model_name: format!("random-bert-{}x{}", shape.layers, shape.hidden),
            revision: format!("seed-{seed}"),
        };
        Self::assemble(parts, batch_size, device, precision)
    }
}

fn poisoned() -> ModelError {
    ModelError::Device("a lock of the synthetic model was poisoned".into())
}

/// A Qwen2 decoder's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QwenShape {
    pub vocab_size: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub intermediate: usize,
    pub context: usize,
}

impl QwenShape {
    /// Qwen2.5(-Coder)-1.5B, the model pack's generator.
    pub const QWEN2_5_1_5B: Self = Self {
        vocab_size: 151_936,
        hidden: 1536,
        layers: 28,
        heads: 12,
        kv_heads: 2,
        intermediate: 8960,
        context: 32_768,
    };

    /// Two small layers: the CPU-against-CUDA comparison. Q4_K rows are
    /// 256 values, so the widths are multiples of 256.
    pub const TINY: Self = Self {
        vocab_size: 1_024,
        hidden: 256,
        layers: 2,
        heads: 4,
        kv_heads: 2,
        intermediate: 512,
        context: 1_024,
    };
}

/// GPT-2's byte-to-character table: the byte-level BPE's 256 base tokens.
fn byte_tokens() -> Vec<String> {
    let printable = |b: u32| {
        (u32::from(b'!')..=u32::from(b'~')).contains(&b)
            || (0xA1..=0xAC).contains(&b)
            || (0xAE..=0xFF).contains(&b)
    };
    let mut shifted = 0;
    (0..256u32)
        .map(|b| {
            let c = if printable(b) {
                b
            } else {
                shifted += 1;
                255 + shifted
            };
            char::from_u32(c).map(String::from).unwrap_or_default()
        })
        .collect()
}

/// The GGUF of a Qwen2 of `shape`, weights Q4_K from `seed`, with a
/// byte-level tokenizer (each byte one token, one merge) and ChatML.
fn random_gguf(shape: &QwenShape, seed: u64) -> Result<Vec<u8>, ModelError> {
    use gguf_file::Value;
    let head_dim = shape.hidden / shape.heads;
    let kv = shape.kv_heads * head_dim;
    let (h, i) = (shape.hidden, shape.intermediate);
    let mut specs: Vec<(String, Vec<usize>)> = vec![
        ("token_embd.weight".into(), vec![shape.vocab_size, h]),
        ("output_norm.weight".into(), vec![h]),
    ];
    for layer in 0..shape.layers {
        let blk = |name: &str| format!("blk.{layer}.{name}");
        specs.extend([
            (blk("attn_q.weight"), vec![h, h]),
            (blk("attn_k.weight"), vec![kv, h]),
            (blk("attn_v.weight"), vec![kv, h]),
            (blk("attn_q.bias"), vec![h]),
            (blk("attn_k.bias"), vec![kv]),
            (blk("attn_v.bias"), vec![kv]),
            (blk("attn_output.weight"), vec![h, h]),
            (blk("attn_norm.weight"), vec![h]),
            (blk("ffn_gate.weight"), vec![i, h]),
            (blk("ffn_up.weight"), vec![i, h]),
            (blk("ffn_down.weight"), vec![h, i]),
            (blk("ffn_norm.weight"), vec![h]),
        ]);
    }
    // Each tensor from its own name and the seed: the same bytes whatever
    // order the threads finish in.
    let tensors: Vec<(String, QTensor)> = specs
        .par_iter()
        .map(|(name, dims)| {
            let n = dims.iter().product();
            let t = Tensor::from_vec(values_for(name, n, seed), dims.as_slice(), &Device::Cpu)?;
            let dtype = if dims.len() == 1 {
                GgmlDType::F32
            } else {
                GgmlDType::Q4K
            };
            Ok((name.clone(), QTensor::quantize(&t, dtype)?))
        })
        .collect::<Result<_, candle_core::Error>>()?;

    let mut tokens = byte_tokens();
    let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
    let eos = tokens.len() + 2;
    tokens.extend(specials.iter().map(|s| s.to_string()));
    tokens.push("Ġt".into());
    let fillers = shape.vocab_size.saturating_sub(tokens.len());
    tokens.extend((0..fillers).map(|n| format!("<|filler_{n}|>")));
    let u32_of = |n: usize| Value::U32(u32::try_from(n).unwrap_or(u32::MAX));
    let metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("qwen2".into())),
        (
            "general.name",
            Value::String(format!("random-qwen2-{}x{}", shape.layers, shape.hidden)),
        ),
        ("qwen2.attention.head_count", u32_of(shape.heads)),
        ("qwen2.attention.head_count_kv", u32_of(shape.kv_heads)),
        ("qwen2.embedding_length", u32_of(shape.hidden)),
        ("qwen2.context_length", u32_of(shape.context)),
        ("qwen2.block_count", u32_of(shape.layers)),
        ("qwen2.attention.layer_norm_rms_epsilon", Value::F32(1e-6)),
        ("qwen2.rope.freq_base", Value::F32(1_000_000.0)),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("qwen2".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        ),
        (
            "tokenizer.ggml.merges",
            Value::Array(vec![Value::String("Ġ t".into())]),
        ),
        ("tokenizer.ggml.eos_token_id", u32_of(eos)),
        ("tokenizer.ggml.bos_token_id", u32_of(eos - 2)),
    ];
    let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &tensors)?;
    Ok(out.into_inner())
}

impl QwenGguf {
    /// A Qwen2 of `shape` with Q4_K weights from `seed`, loaded onto
    /// `device` through the same reader as a GGUF file. Its tokenizer reads
    /// every byte as one token, so a prompt's length in tokens is its
    /// length in bytes (plus the ChatML markers).
    pub fn random(shape: &QwenShape, seed: u64, device: &Device) -> Result<Self, ModelError> {
        let bytes = random_gguf(shape, seed)?;
        Self::from_reader(&mut Cursor::new(bytes), Path::new("synthetic.gguf"), device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Embedder, GenerationParams, Generator};
    use seogo_types::{ChatMessage, Role};

    #[test]
    fn the_same_seed_makes_the_same_model_and_another_seed_another() {
        let embed = |seed| {
            let model =
                BertEmbedder::random(&BertShape::TINY, seed, 8, &Device::Cpu, EmbedPrecision::F32)
                    .expect("random bert");
            let text = (2..40).map(synthetic_word).collect::<Vec<_>>().join(" ");
            model.embed_passages(&[&text]).expect("embed").remove(0)
        };
        let (a, b, c) = (embed(7), embed(7), embed(8));
        assert_eq!(a.len(), BertShape::TINY.hidden);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }

    #[test]
    fn a_random_qwen_generates_through_the_real_path() {
        let model = QwenGguf::random(&QwenShape::TINY, 7, &Device::Cpu).expect("random qwen");
        let messages = [ChatMessage {
            role: Role::User,
            content: "the quick brown fox".into(),
        }];
        let params = GenerationParams {
            max_tokens: 12,
            ..GenerationParams::default()
        };
        let first = model
            .generate(&messages, &params, &mut |_| {})
            .expect("generate");
        assert!(
            first.prompt_tokens > "the quick brown fox".len(),
            "{first:?}"
        );
        assert!(first.completion_tokens > 0, "{first:?}");
        let again = QwenGguf::random(&QwenShape::TINY, 7, &Device::Cpu)
            .expect("random qwen")
            .generate(&messages, &params, &mut |_| {})
            .expect("generate");
        assert_eq!(first.text, again.text, "greedy output is the seed's");
        assert_eq!(model.count_tokens("abc").expect("count"), 3);
    }
}
