//! The BERT encoder behind the embedder on the CPU, written out over plain
//! `f32` buffers ([`crate::kernels`]).
//!
//! candle-transformers' `BertModel` computes the same thing (and still runs
//! the embedder on a GPU); this one exists for speed (docs/BENCHMARKS.md,
//! "Embedding"). The sequences of a batch are packed back to back with no
//! padding: every linear layer is one matrix product over all their tokens,
//! and attention runs per sequence and head, so no token is computed for
//! nothing and no mask is needed. The query, key and value projections are
//! one product instead of three, the bias is added inside the product, and
//! GELU's erf is a branch-free polynomial. 8-bit (Q8_0) weights were
//! measured in candle 0.11 and were slower on this CPU. Follows Hugging
//! Face's `modeling_bert.py` layer for layer.

use candle_core::{bail, Result, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;

use crate::kernels::{attention, dense, gelu, Norm, Precision, Span, Weights};

/// A linear layer: weights `[outputs × inputs]`, bias `[outputs]`.
struct Linear {
    weights: Weights,
    bias: Vec<f32>,
}

impl Linear {
    fn load(vb: &VarBuilder, inputs: usize, outputs: usize, precision: Precision) -> Result<Self> {
        let (rows, bias) = linear_parts(vb, inputs, outputs)?;
        Ok(Self {
            weights: Weights::new(rows, inputs, precision),
            bias,
        })
    }

    fn forward(&self, x: &[f32], out: &mut Vec<f32>) {
        dense(x, &self.weights, &self.bias, out);
    }
}

/// A linear layer's weight rows and bias as stored.
fn linear_parts(vb: &VarBuilder, inputs: usize, outputs: usize) -> Result<(Vec<f32>, Vec<f32>)> {
    Ok((
        flat(&vb.get((outputs, inputs), "weight")?)?,
        flat(&vb.get(outputs, "bias")?)?,
    ))
}

fn flat(tensor: &Tensor) -> Result<Vec<f32>> {
    tensor.flatten_all()?.to_vec1()
}

fn norm(vb: &VarBuilder, width: usize, eps: f64) -> Result<Norm> {
    Ok(Norm {
        gamma: flat(&vb.get(width, "weight")?)?,
        beta: flat(&vb.get(width, "bias")?)?,
        eps: eps as f32,
    })
}

struct Layer {
    /// Query, key and value projections stacked: `[3 × hidden, hidden]`.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// One forward pass's scratch buffers, reused from layer to layer.
#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    context: Vec<f32>,
    projected: Vec<f32>,
    inner: Vec<f32>,
}

impl Layer {
    fn load(vb: VarBuilder, config: &Config, precision: Precision) -> Result<Self> {
        let hidden = config.hidden_size;
        let eps = config.layer_norm_eps;
        let attention = vb.pp("attention");
        let projection = attention.pp("self");
        let mut rows = Vec::with_capacity(3 * hidden * hidden);
        let mut bias = Vec::with_capacity(3 * hidden);
        for name in ["query", "key", "value"] {
            let (part_rows, part_bias) = linear_parts(&projection.pp(name), hidden, hidden)?;
            rows.extend(part_rows);
            bias.extend(part_bias);
        }
        let qkv = Linear {
            weights: Weights::new(rows, hidden, precision),
            bias,
        };
        let out = attention.pp("output");
        let output = vb.pp("output");
        Ok(Self {
            qkv,
            attention_out: Linear::load(&out.pp("dense"), hidden, hidden, precision)?,
            attention_norm: norm(&out.pp("LayerNorm"), hidden, eps)?,
            intermediate: Linear::load(
                &vb.pp("intermediate").pp("dense"),
                hidden,
                config.intermediate_size,
                precision,
            )?,
            output: Linear::load(
                &output.pp("dense"),
                config.intermediate_size,
                hidden,
                precision,
            )?,
            output_norm: norm(&output.pp("LayerNorm"), hidden, eps)?,
        })
    }

    /// `x`: `[tokens × hidden]`, replaced by the layer's output.
    fn forward(&self, x: &mut Vec<f32>, spans: &[Span], shape: &Shape, s: &mut Scratch) {
        self.qkv.forward(x, &mut s.qkv);
        // Attention writes every value: resized only, not zeroed.
        s.context.resize(x.len(), 0.0);
        attention(&s.qkv, spans, shape.heads, shape.head_size, &mut s.context);
        self.attention_out.forward(&s.context, &mut s.projected);
        self.attention_norm.add_and_apply(&mut s.projected, x);
        self.intermediate.forward(&s.projected, &mut s.inner);
        gelu(&mut s.inner);
        self.output.forward(&s.inner, &mut s.context);
        self.output_norm.add_and_apply(&mut s.context, &s.projected);
        // The output becomes the next layer's input; the old input buffer
        // is scratch again.
        std::mem::swap(x, &mut s.context);
    }
}

struct Shape {
    hidden: usize,
    heads: usize,
    head_size: usize,
    positions: usize,
    vocab: usize,
}

/// A BERT encoder: token ids in, pooled vectors out.
pub(crate) struct Bert {
    words: Vec<f32>,
    positions: Vec<f32>,
    /// The token-type embedding of type 0, the only type the embedder uses.
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
    shape: Shape,
}

impl Bert {
    /// Reads HF BERT weights, with or without the `bert.` prefix.
    pub(crate) fn load(vb: VarBuilder, config: &Config, precision: Precision) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let emb = vb.pp("embeddings");
        let hidden = config.hidden_size;
        let table = |name: &str, rows: usize| -> Result<Vec<f32>> {
            flat(&emb.pp(name).get((rows, hidden), "weight")?)
        };
        let token_types = table("token_type_embeddings", config.type_vocab_size)?;
        if config.num_attention_heads == 0 || !hidden.is_multiple_of(config.num_attention_heads) {
            bail!(
                "{hidden} hidden units do not split into {} heads",
                config.num_attention_heads
            );
        }
        Ok(Self {
            words: table("word_embeddings", config.vocab_size)?,
            positions: table("position_embeddings", config.max_position_embeddings)?,
            token_type: token_types[..hidden].to_vec(),
            norm: norm(&emb.pp("LayerNorm"), hidden, config.layer_norm_eps)?,
            layers: (0..config.num_hidden_layers)
                .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config, precision))
                .collect::<Result<_>>()?,
            shape: Shape {
                hidden,
                heads: config.num_attention_heads,
                head_size: hidden / config.num_attention_heads,
                positions: config.max_position_embeddings,
                vocab: config.vocab_size,
            },
        })
    }

    /// The last hidden state of each token, `[tokens × hidden]` with the
    /// sequences back to back, and each sequence's (first token, length).
    fn hidden_states(&self, sequences: &[&[u32]]) -> Result<(Vec<f32>, Vec<Span>)> {
        let hidden = self.shape.hidden;
        let mut spans = Vec::with_capacity(sequences.len());
        let tokens: usize = sequences.iter().map(|s| s.len()).sum();
        let mut x = Vec::with_capacity(tokens * hidden);
        for ids in sequences {
            if ids.len() > self.shape.positions {
                bail!(
                    "{} tokens, the model reads {}",
                    ids.len(),
                    self.shape.positions
                );
            }
            spans.push((x.len() / hidden, ids.len()));
            for (position, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= self.shape.vocab {
                    bail!(
                        "token id {id} outside the vocabulary of {}",
                        self.shape.vocab
                    );
                }
                let word = &self.words[id * hidden..(id + 1) * hidden];
                let place = &self.positions[position * hidden..(position + 1) * hidden];
                x.extend(
                    word.iter()
                        .zip(place)
                        .zip(&self.token_type)
                        .map(|((w, p), t)| w + p + t),
                );
            }
        }
        self.norm.add_and_apply(&mut x, &[]);
        let mut scratch = Scratch::default();
        for layer in &self.layers {
            layer.forward(&mut x, &spans, &self.shape, &mut scratch);
        }
        Ok((x, spans))
    }

    /// Each sequence's masked mean of its last hidden state, L2-normalised
    /// (normalising the sum equals normalising the mean).
    pub(crate) fn embed(&self, sequences: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let hidden = self.shape.hidden;
        let (states, spans) = self.hidden_states(sequences)?;
        Ok(spans
            .iter()
            .map(|&(start, len)| {
                let mut sum = vec![0.0f32; hidden];
                for row in states[start * hidden..(start + len) * hidden].chunks_exact(hidden) {
                    sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
                }
                crate::embed::normalise(&mut sum);
                sum
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, IndexOp};
    use candle_nn::{VarBuilder, VarMap};
    use candle_transformers::models::bert::BertModel;

    /// A two-layer BERT small enough for random weights.
    fn tiny_config(vocab: usize, hidden: usize, heads: usize, positions: usize) -> Config {
        serde_json::from_value(serde_json::json!({
            "vocab_size": vocab, "hidden_size": hidden, "num_hidden_layers": 2,
            "num_attention_heads": heads, "intermediate_size": 2 * hidden,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
            "max_position_embeddings": positions, "type_vocab_size": 2,
            "initializer_range": 0.02, "layer_norm_eps": 1e-12,
            "pad_token_id": 0
        }))
        .expect("config")
    }

    /// The same random weights through candle-transformers' BertModel (with
    /// padding and a mask) and through this encoder (packed, no padding)
    /// give the same hidden states on every real token.
    #[test]
    fn matches_candle_bert_on_random_weights() {
        let config = tiny_config(50, 32, 4, 16);
        let device = Device::Cpu;
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &device);
        let reference = BertModel::load(vb.clone(), &config).expect("candle bert");
        // Layer norms start at 1/0: give every weight a random value.
        for var in vars.all_vars() {
            let random = Tensor::randn(0f32, 0.5, var.shape(), &device).expect("randn");
            var.set(&random).expect("set");
        }
        let ours = Bert::load(vb, &config, Precision::F32).expect("our bert");
        let ids = Tensor::new(&[[3u32, 7, 9, 11, 2], [5, 8, 2, 0, 0]], &device).expect("ids");
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], &device).expect("mask");
        let types = ids.zeros_like().expect("types");
        let want = reference
            .forward(&ids, &types, Some(&mask))
            .expect("reference forward");
        let (got, spans) = ours
            .hidden_states(&[&[3, 7, 9, 11, 2], &[5, 8, 2]])
            .expect("our forward");
        assert_eq!(spans, vec![(0, 5), (5, 3)]);
        let mut diff = 0.0f32;
        for (sequence, &(start, len)) in spans.iter().enumerate() {
            let rows = want
                .i((sequence, ..len))
                .expect("rows")
                .flatten_all()
                .expect("flat")
                .to_vec1::<f32>()
                .expect("vec");
            let ours = &got[start * 32..(start + len) * 32];
            for (a, b) in rows.iter().zip(ours) {
                diff = diff.max((a - b).abs());
            }
        }
        assert!(diff < 1e-4, "max difference {diff}");
    }

    /// Asked for 8-bit products, a batch (180 tokens) and a lone short
    /// text (a query's few rows) both take them (their vectors differ from
    /// f32's) and still give the same embedding (cosine to the f32 vector
    /// ≥ 0.99 for each text).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn int8_products_keep_the_vectors() {
        let config = tiny_config(50, 64, 4, 32);
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        BertModel::load(vb.clone(), &config).expect("create the weights");
        for var in vars.all_vars() {
            let random = Tensor::randn(0f32, 0.5, var.shape(), &Device::Cpu).expect("randn");
            var.set(&random).expect("set");
        }
        let exact = Bert::load(vb.clone(), &config, Precision::F32).expect("f32");
        let int8 = Bert::load(vb, &config, Precision::Int8).expect("int8");
        let texts: Vec<Vec<u32>> = (0..6u32)
            .map(|t| (0..30).map(|i| (t * 7 + i * 3) % 50).collect())
            .collect();
        let batch: Vec<&[u32]> = texts.iter().map(Vec::as_slice).collect();
        let query: &[&[u32]] = &[&[4, 9, 16, 25, 36]];
        for sequences in [&batch[..], query] {
            let want = exact.embed(sequences).expect("f32 embed");
            let got = int8.embed(sequences).expect("int8 embed");
            assert_ne!(want, got, "the int8 path was not taken");
            for (a, b) in want.iter().zip(&got) {
                let cosine: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                assert!(cosine >= 0.99, "cosine {cosine}");
            }
        }
    }

    #[test]
    fn an_id_outside_the_vocabulary_is_an_error_not_a_panic() {
        let config = tiny_config(10, 8, 2, 4);
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        BertModel::load(vb.clone(), &config).expect("create the weights");
        let bert = Bert::load(vb, &config, Precision::Int8).expect("load");
        assert!(bert.embed(&[&[1, 2]]).is_ok());
        assert!(bert.embed(&[&[1, 10]]).is_err());
        assert!(bert.embed(&[&[1, 2, 3, 4, 5]]).is_err());
    }
}
