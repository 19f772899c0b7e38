//! The BERT encoder behind the embedder, shaped for short inputs on a CPU.
//!
//! candle-transformers' `BertModel` computes the same thing; this one
//! exists for speed (docs/BENCHMARKS.md, "Query latency"). A query is
//! 15-30 tokens, so each layer's matmuls are small and their fixed costs
//! (packing, thread wake-ups) weigh as much as the arithmetic. Here the
//! query, key and value projections are one matmul instead of three, and
//! GELU's erf is a branch-free polynomial over the whole buffer instead of
//! a libm call per element (|error| ≤ 3e-7, about f32's own rounding of the
//! activations). 8-bit (Q8_0) weights were measured too and were slower
//! in candle 0.11 on this CPU: half the passages/s, no faster per query.
//! Follows Hugging Face's `modeling_bert.py` layer for layer.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Module, Result, Shape, Tensor, D};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};
use candle_transformers::models::bert::Config;

/// erf(x) by Abramowitz & Stegun 7.1.28 (|error| ≤ 3e-7): only
/// multiplications, so the loop over a buffer vectorises.
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let p = 1.0
        + z * (0.070_523_08
            + z * (0.042_282_01
                + z * (0.009_270_527
                    + z * (0.000_152_014_3 + z * (0.000_276_567_2 + z * 0.000_043_063_8)))));
    let p2 = p * p;
    let p4 = p2 * p2;
    let p8 = p4 * p4;
    (1.0 - 1.0 / (p8 * p8)).copysign(x)
}

/// GELU with the exact erf form BERT was trained with.
struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "seogo-gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("gelu: f32 expected");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("gelu: contiguous input expected");
        };
        let out = data[start..end]
            .iter()
            .map(|&x| 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)))
            .collect();
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

fn gelu(xs: &Tensor) -> Result<Tensor> {
    if xs.device().is_cpu() {
        xs.contiguous()?.apply_op1_no_bwd(&GeluErf)
    } else {
        xs.gelu_erf()
    }
}

struct Layer {
    /// Query, key and value projections stacked: [3 × hidden, hidden].
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
    heads: usize,
    head_size: usize,
}

impl Layer {
    fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let hidden = config.hidden_size;
        let attention = vb.pp("attention");
        let projection = attention.pp("self");
        let mut weights = Vec::with_capacity(3);
        let mut biases = Vec::with_capacity(3);
        for name in ["query", "key", "value"] {
            weights.push(projection.pp(name).get((hidden, hidden), "weight")?);
            biases.push(projection.pp(name).get(hidden, "bias")?);
        }
        let out = attention.pp("output");
        Ok(Self {
            qkv: Linear::new(Tensor::cat(&weights, 0)?, Some(Tensor::cat(&biases, 0)?)),
            attention_out: linear(hidden, hidden, out.pp("dense"))?,
            attention_norm: layer_norm(hidden, config.layer_norm_eps, out.pp("LayerNorm"))?,
            intermediate: linear(
                hidden,
                config.intermediate_size,
                vb.pp("intermediate").pp("dense"),
            )?,
            output: linear(
                config.intermediate_size,
                hidden,
                vb.pp("output").pp("dense"),
            )?,
            output_norm: layer_norm(
                hidden,
                config.layer_norm_eps,
                vb.pp("output").pp("LayerNorm"),
            )?,
            heads: config.num_attention_heads,
            head_size: hidden / config.num_attention_heads,
        })
    }

    /// `xs`: [batch, seq, hidden]; `mask`: [batch, 1, 1, seq], additive.
    fn forward(&self, xs: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, seq, hidden) = xs.dims3()?;
        let qkv = self.qkv.forward(xs)?;
        let heads = |i: usize| -> Result<Tensor> {
            qkv.narrow(D::Minus1, i * hidden, hidden)?
                .reshape((batch, seq, self.heads, self.head_size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (heads(0)?, heads(1)?, heads(2)?);
        let scores = (q.matmul(&k.t()?)? / (self.head_size as f64).sqrt())?;
        let probs = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(mask)?)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, seq, hidden))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + xs)?)?;
        let inner = gelu(&self.intermediate.forward(&attended)?)?;
        self.output_norm
            .forward(&(self.output.forward(&inner)? + attended)?)
    }
}

/// A BERT encoder: token ids in, the last hidden state out.
pub(crate) struct Bert {
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Reads HF BERT weights, with or without the `bert.` prefix.
    pub(crate) fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let emb = vb.pp("embeddings");
        let hidden = config.hidden_size;
        Ok(Self {
            words: embedding(config.vocab_size, hidden, emb.pp("word_embeddings"))?,
            positions: embedding(
                config.max_position_embeddings,
                hidden,
                emb.pp("position_embeddings"),
            )?,
            token_types: embedding(
                config.type_vocab_size,
                hidden,
                emb.pp("token_type_embeddings"),
            )?,
            norm: layer_norm(hidden, config.layer_norm_eps, emb.pp("LayerNorm"))?,
            layers: (0..config.num_hidden_layers)
                .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config))
                .collect::<Result<_>>()?,
        })
    }

    /// `ids`, `type_ids`, `mask`: [batch, seq] u32 (mask 1 on real tokens).
    pub(crate) fn forward(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (_, seq) = ids.dims2()?;
        let positions = Tensor::arange(0u32, seq as u32, ids.device())?;
        let embedded = (self.words.forward(ids)? + self.token_types.forward(type_ids)?)?
            .broadcast_add(&self.positions.forward(&positions)?)?;
        let mut xs = self.norm.forward(&embedded)?;
        // 0 where attended, f32::MIN where padded (as modeling_bert.py).
        let mask = ((1.0 - mask.to_dtype(DType::F32)?)? * f64::from(f32::MIN))?
            .unsqueeze(1)?
            .unsqueeze(1)?;
        for layer in &self.layers {
            xs = layer.forward(&xs, &mask)?;
        }
        Ok(xs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::{VarBuilder, VarMap};
    use candle_transformers::models::bert::BertModel;

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-1.0, -0.842_700_8),
            (2.0, 0.995_322_3),
            (-3.5, -0.999_999_3),
        ] {
            assert!((erf(x) - want).abs() < 4e-7, "erf({x}) = {}", erf(x));
        }
    }

    /// The same random weights through candle-transformers' BertModel and
    /// through this encoder give the same hidden states, padding included.
    #[test]
    fn matches_candle_bert_on_random_weights() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 64,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
            "max_position_embeddings": 16, "type_vocab_size": 2,
            "initializer_range": 0.02, "layer_norm_eps": 1e-12,
            "pad_token_id": 0
        }))
        .expect("config");
        let device = Device::Cpu;
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &device);
        let reference = BertModel::load(vb.clone(), &config).expect("candle bert");
        // Layer norms start at 1/0: give every weight a random value.
        for var in vars.all_vars() {
            let random = Tensor::randn(0f32, 0.5, var.shape(), &device).expect("randn");
            var.set(&random).expect("set");
        }
        let ours = Bert::load(vb, &config).expect("our bert");
        let ids = Tensor::new(&[[3u32, 7, 9, 11, 2], [5, 8, 2, 0, 0]], &device).expect("ids");
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], &device).expect("mask");
        let types = ids.zeros_like().expect("types");
        let want = reference
            .forward(&ids, &types, Some(&mask))
            .expect("reference forward");
        let got = ours.forward(&ids, &types, &mask).expect("our forward");
        let diff = (want - got)
            .expect("sub")
            .abs()
            .expect("abs")
            .flatten_all()
            .expect("flat")
            .max(0)
            .expect("max")
            .to_scalar::<f32>()
            .expect("scalar");
        assert!(diff < 1e-4, "max difference {diff}");
    }
}
