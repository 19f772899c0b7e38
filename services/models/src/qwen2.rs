//! The Qwen2 transformer over GGUF weights, with the key/value cache held
//! outside the model.
//!
//! Adapted from `candle_transformers::models::quantized_qwen2` (candle
//! 0.11.1, MIT/Apache-2.0). The one change is why it exists: candle's
//! model keeps its KV cache private and can only clear it, so every request
//! recomputed the whole prompt. Here a [`KvCache`] is a value the caller
//! keeps, clones and truncates, which lets the generator reuse the cached
//! prefix a new prompt shares with an earlier one (the fixed system prompt,
//! the earlier turns of a conversation) and compute only the rest.

use candle_core::quantized::{gguf_file, QMatMul};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;
use candle_transformers::utils::build_causal_mask;

/// Keys and values of every layer for the tokens seen so far, in buffers
/// with room to grow: a new token's keys and values are written in place,
/// where appending by concatenation copied the whole cache for every
/// generated token.
#[derive(Debug, Default)]
pub(crate) struct KvCache {
    /// Per layer, keys and values `[1, kv_heads, capacity, head_dim]`;
    /// positions `0..len` are filled.
    layers: Vec<(Tensor, Tensor)>,
    len: usize,
}

/// Positions a cache buffer gains when it is copied or full. A regrowth
/// copies the whole cache, so it happens once per this many generated
/// tokens; unused, the room costs 29 MB for Qwen2.5-1.5B.
const CACHE_HEADROOM: usize = 512;

impl KvCache {
    /// Tokens the cache covers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The cache of the first `len` tokens, in buffers of its own (tokens
    /// appended later are written in place, so two caches must never share
    /// one). Exact, because attention is causal: a position's keys and
    /// values depend only on the tokens before it.
    pub(crate) fn truncated(&self, len: usize) -> Result<KvCache> {
        let len = len.min(self.len);
        if len == 0 {
            return Ok(KvCache::default());
        }
        let layers = self
            .layers
            .iter()
            .map(|(k, v)| {
                Ok((
                    with_headroom(&[&k.narrow(2, 0, len)?])?,
                    with_headroom(&[&v.narrow(2, 0, len)?])?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(KvCache { layers, len })
    }
}

/// `parts` (`[b, heads, n, d]` each) joined along the positions, followed
/// by [`CACHE_HEADROOM`] empty positions, in a new buffer.
fn with_headroom(parts: &[&Tensor]) -> Result<Tensor> {
    let (b, heads, _, d) = parts[0].dims4()?;
    let room = Tensor::zeros(
        (b, heads, CACHE_HEADROOM, d),
        parts[0].dtype(),
        parts[0].device(),
    )?;
    let mut all = parts.to_vec();
    all.push(&room);
    Tensor::cat(&all, 2)
}

/// Writes a layer's new keys and values (`[b, kv_heads, seq, d]`, for
/// positions `pos..pos + seq`) into its buffers, regrowing them when
/// full, and returns views of positions `0..pos + seq`.
fn append(
    slot: &mut Option<(Tensor, Tensor)>,
    pos: usize,
    k: &Tensor,
    v: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let end = pos + k.dim(2)?;
    let buffers = match slot.take() {
        Some((keys, values)) if keys.dim(2)? >= end => {
            keys.slice_set(k, 2, pos)?;
            values.slice_set(v, 2, pos)?;
            (keys, values)
        }
        Some((keys, values)) => (
            with_headroom(&[&keys.narrow(2, 0, pos)?, k])?,
            with_headroom(&[&values.narrow(2, 0, pos)?, v])?,
        ),
        None if pos == 0 => (with_headroom(&[k])?, with_headroom(&[v])?),
        None => candle_core::bail!("no cached keys for position {pos}"),
    };
    let views = (buffers.0.narrow(2, 0, end)?, buffers.1.narrow(2, 0, end)?);
    *slot = Some(buffers);
    Ok(views)
}

#[derive(Debug, Clone)]
struct Mlp {
    gate: QMatMul,
    down: QMatMul,
    up: QMatMul,
}

impl Module for Mlp {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let gate = self.gate.forward(xs)?;
        let up = self.up.forward(xs)?;
        self.down.forward(&(candle_nn::ops::silu(&gate)? * up)?)
    }
}

#[derive(Debug, Clone)]
struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    bq: Tensor,
    bk: Tensor,
    bv: Tensor,
    wo: QMatMul,
    attention_norm: RmsNorm,
    mlp: Mlp,
    ffn_norm: RmsNorm,
}

/// Rotary embedding tables and head geometry, shared by every layer.
#[derive(Debug, Clone)]
struct Attention {
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    cos: Tensor,
    sin: Tensor,
    neg_inf: Tensor,
}

impl Attention {
    fn rope(&self, x: &Tensor, pos: usize) -> Result<Tensor> {
        let seq_len = x.dim(2)?;
        let cos = self.cos.narrow(0, pos, seq_len)?;
        let sin = self.sin.narrow(0, pos, seq_len)?;
        candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
    }

    /// One layer's attention over `x` (the tokens from position `pos`
    /// on), its keys and values appended to `cache`.
    fn forward(
        &self,
        layer: &Layer,
        x: &Tensor,
        mask: Option<&Tensor>,
        cache: &mut Option<(Tensor, Tensor)>,
        pos: usize,
    ) -> Result<Tensor> {
        let (b_sz, seq_len, n_embd) = x.dims3()?;
        let heads = |t: Tensor, n: usize| -> Result<Tensor> {
            t.reshape((b_sz, seq_len, n, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = heads(layer.wq.forward(x)?.broadcast_add(&layer.bq)?, self.n_head)?;
        let k = heads(
            layer.wk.forward(x)?.broadcast_add(&layer.bk)?,
            self.n_kv_head,
        )?;
        let v = heads(
            layer.wv.forward(x)?.broadcast_add(&layer.bv)?,
            self.n_kv_head,
        )?;
        let q = self.rope(&q, pos)?;
        let k = self.rope(&k, pos)?;
        let (k, v) = append(cache, pos, &k, &v)?;

        let y = grouped_attention(&q, &k, &v, mask, &self.neg_inf)?;
        let y = y.transpose(1, 2)?.reshape(&[b_sz, seq_len, n_embd])?;
        layer.wo.forward(&y)
    }
}

/// Attention of `q` `[b, heads, seq, d]` over `k` and `v` `[b, kv_heads,
/// len, d]`, each key/value head shared by `heads / kv_heads` adjacent
/// query heads; `mask` (`[seq, len]`, 1 = hidden) as `build_causal_mask`
/// makes it.
///
/// The query heads of a group are viewed as one head of `groups × seq`
/// rows, so they read their shared keys and values where they are. candle's
/// `repeat_kv` copied them once per query head instead: for
/// Qwen2.5-1.5B (12 query heads, 2 key/value heads) at a 3,000-token
/// context, about 1 GB written and read again per generated token.
fn grouped_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    neg_inf: &Tensor,
) -> Result<Tensor> {
    let (b, heads, seq, d) = q.dims4()?;
    let (_, kv_heads, len, _) = k.dims4()?;
    let groups = heads / kv_heads;
    let q = q.contiguous()?.reshape((b, kv_heads, groups * seq, d))?;
    let att = (q.matmul(&k.t()?)? / (d as f64).sqrt())?;
    let att = match mask {
        None => att,
        Some(mask) => {
            let att = att.reshape((b, kv_heads, groups, seq, len))?;
            let hidden = mask.broadcast_as(att.shape())?;
            hidden
                .where_cond(&neg_inf.broadcast_as(att.shape().dims())?, &att)?
                .reshape((b, kv_heads, groups * seq, len))?
        }
    };
    let att = candle_nn::ops::softmax_last_dim(&att)?;
    // `v` may be a view of a larger cache buffer: the product reads it
    // with its strides rather than a contiguous copy.
    att.matmul(v)?.reshape((b, heads, seq, d))
}

/// Qwen2/2.5 weights from a GGUF file.
pub(crate) struct Qwen2 {
    embeddings: Embedding,
    layers: Vec<Layer>,
    attention: Attention,
    norm: RmsNorm,
    output: QMatMul,
    device: Device,
}

impl Qwen2 {
    pub(crate) fn from_gguf<R: std::io::Seek + std::io::Read>(
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Self> {
        let meta = |key: &str| match ct.metadata.get(key) {
            None => candle_core::bail!("cannot find {key} in metadata"),
            Some(v) => Ok(v),
        };
        let n_head = meta("qwen2.attention.head_count")?.to_u32()? as usize;
        let n_kv_head = meta("qwen2.attention.head_count_kv")?.to_u32()? as usize;
        let embedding_length = meta("qwen2.embedding_length")?.to_u32()? as usize;
        let context_length = meta("qwen2.context_length")?.to_u32()? as usize;
        let block_count = meta("qwen2.block_count")?.to_u32()? as usize;
        let eps = f64::from(meta("qwen2.attention.layer_norm_rms_epsilon")?.to_f32()?);
        let rope_base = meta("qwen2.rope.freq_base")
            .and_then(|m| m.to_f32())
            .unwrap_or(10_000.0);
        let head_dim = embedding_length / n_head;
        let (cos, sin) = rope_tables(head_dim, rope_base, context_length, device)?;

        let mut tensor = |name: &str| ct.tensor(reader, name, device);
        let embeddings = tensor("token_embd.weight")?.dequantize(device)?;
        let norm = RmsNorm::from_qtensor(tensor("output_norm.weight")?, eps)?;
        // Small Qwen models tie the output projection to the embeddings.
        let output = match tensor("output.weight") {
            Ok(w) => QMatMul::from_qtensor(w)?,
            Err(_) => QMatMul::from_qtensor(tensor("token_embd.weight")?)?,
        };
        let mut layers = Vec::with_capacity(block_count);
        for i in 0..block_count {
            let mut weight = |name: &str| tensor(&format!("blk.{i}.{name}"));
            layers.push(Layer {
                wq: QMatMul::from_qtensor(weight("attn_q.weight")?)?,
                wk: QMatMul::from_qtensor(weight("attn_k.weight")?)?,
                wv: QMatMul::from_qtensor(weight("attn_v.weight")?)?,
                bq: weight("attn_q.bias")?.dequantize(device)?,
                bk: weight("attn_k.bias")?.dequantize(device)?,
                bv: weight("attn_v.bias")?.dequantize(device)?,
                wo: QMatMul::from_qtensor(weight("attn_output.weight")?)?,
                attention_norm: RmsNorm::from_qtensor(weight("attn_norm.weight")?, eps)?,
                mlp: Mlp {
                    gate: QMatMul::from_qtensor(weight("ffn_gate.weight")?)?,
                    down: QMatMul::from_qtensor(weight("ffn_down.weight")?)?,
                    up: QMatMul::from_qtensor(weight("ffn_up.weight")?)?,
                },
                ffn_norm: RmsNorm::from_qtensor(weight("ffn_norm.weight")?, eps)?,
            });
        }
        Ok(Self {
            embeddings: Embedding::new(embeddings, embedding_length),
            layers,
            attention: Attention {
                n_head,
                n_kv_head,
                head_dim,
                cos,
                sin,
                neg_inf: Tensor::new(f32::NEG_INFINITY, device)?,
            },
            norm,
            output,
            device: device.clone(),
        })
    }

    /// Runs `tokens` (which follow the ones `cache` covers), extends
    /// `cache` with them, and returns the logits for the next token.
    pub(crate) fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let seq_len = tokens.len();
        let pos = cache.len;
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mask = if seq_len == 1 {
            None
        } else {
            Some(build_causal_mask(seq_len, pos, &self.device)?)
        };
        let mut slots: Vec<Option<(Tensor, Tensor)>> = if cache.layers.is_empty() {
            vec![None; self.layers.len()]
        } else {
            std::mem::take(&mut cache.layers)
                .into_iter()
                .map(Some)
                .collect()
        };
        let mut hidden = self.embeddings.forward(&input)?;
        for (layer, slot) in self.layers.iter().zip(slots.iter_mut()) {
            let x = layer.attention_norm.forward(&hidden)?;
            let attn = self
                .attention
                .forward(layer, &x, mask.as_ref(), slot, pos)?;
            let x = (attn + &hidden)?;
            let mlp = layer.mlp.forward(&layer.ffn_norm.forward(&x)?)?;
            hidden = (mlp + x)?;
        }
        cache.layers = slots.into_iter().flatten().collect();
        cache.len = pos + seq_len;
        let last = self.norm.forward(&hidden)?.i((.., seq_len - 1, ..))?;
        self.output.forward(&last)?.squeeze(0)?.to_dtype(DType::F32)
    }
}

fn rope_tables(
    head_dim: usize,
    base: f32,
    context_length: usize,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let theta: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let theta = Tensor::new(theta.as_slice(), device)?;
    let angles = Tensor::arange(0, context_length as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((context_length, 1))?
        .matmul(&theta.reshape((1, theta.elem_count()))?)?;
    Ok((angles.cos()?, angles.sin()?))
}

#[cfg(test)]
mod tests {
    use candle_transformers::utils::repeat_kv;

    use super::*;

    /// candle's way: every query head gets its own copy of its key/value
    /// head.
    fn repeated_attention(
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
        neg_inf: &Tensor,
    ) -> Result<Tensor> {
        let groups = q.dim(1)? / k.dim(1)?;
        let k = repeat_kv(k.clone(), groups)?;
        let v = repeat_kv(v.clone(), groups)?;
        let att = (q.matmul(&k.t()?)? / (q.dim(3)? as f64).sqrt())?;
        let att = match mask {
            None => att,
            Some(mask) => mask
                .broadcast_as(att.shape())?
                .where_cond(&neg_inf.broadcast_as(att.shape().dims())?, &att)?,
        };
        candle_nn::ops::softmax_last_dim(&att)?.matmul(&v.contiguous()?)
    }

    #[test]
    fn grouped_attention_matches_repeated_heads() -> Result<()> {
        let cpu = Device::Cpu;
        let neg_inf = Tensor::new(f32::NEG_INFINITY, &cpu)?;
        // 6 query heads over 2 key/value heads; 3 new tokens after 4
        // cached (a masked prefill), then 1 (a decoding step).
        for (seq, cached) in [(3, 4), (1, 6)] {
            let len = seq + cached;
            let q = Tensor::randn(0f32, 1.0, (1, 6, seq, 8), &cpu)?;
            let k = Tensor::randn(0f32, 1.0, (1, 2, len, 8), &cpu)?;
            let v = Tensor::randn(0f32, 1.0, (1, 2, len, 8), &cpu)?;
            let mask = (seq > 1)
                .then(|| build_causal_mask(seq, cached, &cpu))
                .transpose()?;
            let want = repeated_attention(&q, &k, &v, mask.as_ref(), &neg_inf)?;
            let got = grouped_attention(&q, &k, &v, mask.as_ref(), &neg_inf)?;
            assert!(max_difference(&got, &want)? < 1e-5, "seq {seq}");
            // As the cache hands them over: views of larger buffers.
            let mut slot = None;
            let (k_view, v_view) = append(&mut slot, 0, &k, &v)?;
            assert!(!k_view.is_contiguous());
            let got = grouped_attention(&q, &k_view, &v_view, mask.as_ref(), &neg_inf)?;
            assert!(max_difference(&got, &want)? < 1e-5, "seq {seq}, views");
        }
        Ok(())
    }

    fn max_difference(a: &Tensor, b: &Tensor) -> Result<f32> {
        (a - b)?.abs()?.max_all()?.to_scalar::<f32>()
    }

    #[test]
    fn a_truncated_cache_grows_apart_from_its_source() -> Result<()> {
        let cpu = Device::Cpu;
        let keys = |n: usize, first: f32| {
            Tensor::arange(first, first + (2 * n * 4) as f32, &cpu)?.reshape((1, 2, n, 4))
        };
        // Past the headroom, so the buffer regrows once on the way.
        let mut source = KvCache::default();
        let mut slot = None;
        let mut written = Vec::new();
        for (pos, n) in [(0, 300), (300, 600), (900, 1)] {
            let k = keys(n, pos as f32 * 100.0)?;
            append(&mut slot, pos, &k, &k)?;
            written.push(k);
        }
        source.layers = slot.into_iter().collect();
        source.len = 901;
        let whole = Tensor::cat(&written.iter().collect::<Vec<_>>(), 2)?;
        let filled = |c: &KvCache| c.layers[0].0.narrow(2, 0, c.len);
        assert_eq!(max_difference(&filled(&source)?, &whole)?, 0.0);

        // A copy of the first 10 positions takes new tokens in place...
        let mut copy = source.truncated(10)?;
        let mut slot = copy.layers.pop();
        let new = keys(5, -1000.0)?;
        let (k_view, _) = append(&mut slot, 10, &new, &new)?;
        assert_eq!(max_difference(&k_view.narrow(2, 10, 5)?, &new)?, 0.0);
        assert_eq!(
            max_difference(&k_view.narrow(2, 0, 10)?, &whole.narrow(2, 0, 10)?)?,
            0.0
        );
        // ...and the source still holds what it held.
        assert_eq!(max_difference(&filled(&source)?, &whole)?, 0.0);
        Ok(())
    }
}
