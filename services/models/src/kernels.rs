//! The CPU kernels of the native BERT encoder ([`crate::bert`]): one
//! matrix product (the `gemm` crate, the kernel candle itself calls) and
//! the element-wise steps fused around it, on plain row-major `f32` slices.
//!
//! Written out rather than composed from candle ops because on a 2-core
//! CPU candle's per-op costs (a fresh tensor per op, a thread barrier per
//! element-wise op, padded batches, per-sequence matmuls) took half the
//! embedder's time; the matrix products alone are the other half
//! (docs/BENCHMARKS.md, "Embedding").

// The one place unsafe code is allowed: `gemm` takes raw pointers and
// strides. Each call states why its pointers stay in bounds.
#![allow(unsafe_code)]

use gemm::{gemm, Parallelism};
use rayon::prelude::*;

pub(crate) use crate::embed::EmbedPrecision as Precision;

/// Below this many elements an element-wise pass runs on the calling
/// thread: waking the pool costs more than it saves.
const PARALLEL_ELEMENTS: usize = 1 << 15;

#[cfg(target_arch = "x86_64")]
mod few_rows;
#[cfg(target_arch = "x86_64")]
mod int8;

/// Output columns per panel of packed weights ([`few_rows`], [`int8`]):
/// two AVX registers of 8 lanes.
#[cfg(target_arch = "x86_64")]
const PANEL: usize = 16;
/// Panels per pool task (64 columns).
#[cfg(target_arch = "x86_64")]
const PANELS_PER_TASK: usize = 4;

/// Whether the CPU runs the packed kernels ([`few_rows`], [`int8`]).
#[cfg(target_arch = "x86_64")]
fn packed_kernels_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// With f32 weights, up to this many rows (tokens) a linear layer skips
/// `gemm`: for a query
/// of 10-60 tokens, packing the weights (9 MB a layer for e5-small) cost
/// more than the products themselves (25 % of a query's time against
/// 16 %), so few rows take [`few_rows`], whose weights were packed at load.
/// Measured with the first few-rows kernel on KorQuAD's and ko-autorag's
/// questions: 48, 96 and 160 rows gave p50 15.2 / 14.8 / 16.1 ms and
/// 23.2 / 20.4 / 23.1 ms.
const FEW_ROWS: usize = 96;

/// A linear layer's weights, `n` output columns of `k` inputs, in the
/// form its products run in.
pub(crate) struct Weights {
    form: Form,
    k: usize,
    n: usize,
}

enum Form {
    /// Quantised for [`int8`] ([`Precision::Int8`], every product). The
    /// float rows are dropped: nothing reads them again (85 MB for
    /// e5-small).
    #[cfg(target_arch = "x86_64")]
    Int8(int8::Quantized),
    /// `[n × k]` row-major as loaded (Hugging Face's `Linear` layout,
    /// which `gemm` reads with strides), and on x86-64 with AVX2 and FMA
    /// also packed for [`few_rows`] (products of few rows).
    Float {
        rows: Vec<f32>,
        #[cfg(target_arch = "x86_64")]
        panels: Option<Vec<f32>>,
    },
}

impl Weights {
    /// `rows`: `n` rows of `k` inputs. [`Precision::Int8`] falls back to
    /// f32 where the CPU lacks AVX2 or `k` is not whole steps.
    pub(crate) fn new(rows: Vec<f32>, k: usize, precision: Precision) -> Self {
        assert!(
            k > 0 && rows.len().is_multiple_of(k),
            "weights: {} is not rows of {k}",
            rows.len()
        );
        let n = rows.len() / k;
        #[cfg(target_arch = "x86_64")]
        if let Some(quantized) = matches!(precision, Precision::Int8)
            .then(|| int8::Quantized::new(&rows, k))
            .flatten()
        {
            return Self {
                form: Form::Int8(quantized),
                k,
                n,
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = precision;
        Self {
            form: Form::Float {
                #[cfg(target_arch = "x86_64")]
                panels: packed_kernels_available().then(|| few_rows::pack(&rows, n, k)),
                rows,
            },
            k,
            n,
        }
    }
}

/// `out[m × n] = bias + x[m × k] · wᵀ`.
pub(crate) fn dense(x: &[f32], w: &Weights, bias: &[f32], out: &mut Vec<f32>) {
    let (k, n) = (w.k, w.n);
    let m = x.len() / k;
    assert!(x.len() == m * k && bias.len() == n, "dense: shape mismatch");
    // The packed kernels write every output, so `out` is only resized:
    // after the first batch that fills nothing (zeroing it first was 3 %
    // of the embedder's time, on one thread).
    let rows = match &w.form {
        #[cfg(target_arch = "x86_64")]
        Form::Int8(quantized) => {
            out.resize(m * n, 0.0);
            int8::dense(x, quantized, bias, out);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        Form::Float {
            panels: Some(panels),
            ..
        } if m <= FEW_ROWS => {
            out.resize(m * n, 0.0);
            few_rows::dense(x, k, panels, bias, out);
            return;
        }
        Form::Float { rows, .. } => rows,
    };
    out.clear();
    out.reserve(m * n);
    for _ in 0..m {
        out.extend_from_slice(bias);
    }
    // SAFETY: the three buffers hold m×k, n×k and m×n floats (asserted
    // and filled above), and the strides below stay inside them.
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            rows.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::Rayon(rayon::current_num_threads()),
        );
    }
}

/// A sequence's first token and length in a batch packed without padding.
pub(crate) type Span = (usize, usize);

/// A raw pointer that may cross to pool threads: each attention task
/// writes its own columns of the shared context buffer.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);

impl SharedOut {
    /// Through a method, so a closure captures the whole (`Send`) wrapper
    /// and not its raw-pointer field.
    fn at(self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}
// SAFETY: tasks write disjoint (sequence, head) blocks, and the buffer
// outlives the parallel loop that uses it.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

/// Multi-head self-attention over sequences packed back to back, with no
/// padding: `qkv` is `[tokens × 3h]` (query | key | value), `spans` are
/// each sequence's (first token, length). Writes `context` `[tokens × h]`.
/// A sequence attends only to its own tokens, so no mask is needed.
pub(crate) fn attention(
    qkv: &[f32],
    spans: &[Span],
    heads: usize,
    head_size: usize,
    context: &mut [f32],
) {
    let hidden = heads * head_size;
    let width = 3 * hidden;
    let tokens = qkv.len() / width;
    assert!(
        qkv.len() == tokens * width
            && context.len() == tokens * hidden
            && spans.iter().all(|&(start, len)| start + len <= tokens),
        "attention: shape mismatch"
    );
    let scale = 1.0 / (head_size as f32).sqrt();
    let out = SharedOut(context.as_mut_ptr());
    let tasks: Vec<(usize, usize, usize)> = spans
        .iter()
        .flat_map(|&(start, len)| (0..heads).map(move |head| (start, len, head)))
        .collect();
    tasks
        .par_iter()
        .for_each_init(Vec::new, |scores, &(start, len, head)| {
            scores.clear();
            scores.resize(len * len, 0.0);
            let base = start * width + head * head_size;
            // SAFETY: query/key/value rows start..start+len and columns
            // head·hs..(head+1)·hs of their thirds lie inside `qkv` (asserted
            // above); `scores` is len×len; the context block written is this
            // task's alone.
            unsafe {
                // scores = scale · Q Kᵀ
                gemm(
                    len,
                    len,
                    head_size,
                    scores.as_mut_ptr(),
                    1,
                    len as isize,
                    false,
                    qkv.as_ptr().add(base),
                    1,
                    width as isize,
                    qkv.as_ptr().add(base + hidden),
                    width as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
            softmax_rows(scores, len);
            unsafe {
                // context = P V
                gemm(
                    len,
                    head_size,
                    len,
                    out.at(start * hidden + head * head_size),
                    1,
                    hidden as isize,
                    false,
                    scores.as_ptr(),
                    1,
                    len as isize,
                    qkv.as_ptr().add(base + 2 * hidden),
                    1,
                    width as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        });
}

/// Runs `body` compiled for AVX2 and FMA where the CPU has them, else as
/// it is. The default x86-64 target has SSE2 only (4 lanes, no FMA): the
/// element-wise passes (softmax, norms, GELU) ran at half width, and
/// softmax alone took 11 % of the embedder's time at 384 tokens. `body`
/// and what it calls must be inlined into it to get the features: keep
/// them closures and `#[inline(always)]` functions.
#[inline(always)]
fn wide<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if packed_kernels_available() {
        #[target_feature(enable = "avx2,fma")]
        fn run<R>(body: impl FnOnce() -> R) -> R {
            body()
        }
        // SAFETY: the CPU has the features `run` is compiled for.
        return unsafe { run(body) };
    }
    body()
}

/// Softmax of each `len`-wide row of `scores`.
fn softmax_rows(scores: &mut [f32], len: usize) {
    // A plain loop: `for_each` was left out of line, without AVX2.
    wide(|| {
        for row in scores.chunks_exact_mut(len) {
            softmax(row);
        }
    });
}

/// In place, numerically stable. Written so that the compiler vectorises
/// every pass: libm's `expf` per element took 9 % of the embedder's time
/// at 384 tokens.
#[inline(always)]
fn softmax(row: &mut [f32]) {
    // Eight running maxima, as in `sum`.
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let mut max = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
    for chunk in chunks {
        for (l, &x) in lanes.iter_mut().zip(chunk) {
            *l = if x > *l { x } else { *l };
        }
    }
    for l in lanes {
        max = if l > max { l } else { max };
    }
    for x in row.iter_mut() {
        *x = exp_nonpositive(*x - max);
    }
    let inverse = 1.0 / sum(row);
    for x in row.iter_mut() {
        *x *= inverse;
    }
}

/// Sums in eight lanes, so the loop vectorises (a single running sum
/// cannot be reordered by the compiler).
#[inline(always)]
fn sum(values: &[f32]) -> f32 {
    sum_of(values, |x| x)
}

/// Σ (x − mean)², in eight lanes like [`sum`].
#[inline(always)]
fn squared_deviations(values: &[f32], mean: f32) -> f32 {
    sum_of(values, |x| (x - mean) * (x - mean))
}

/// Σ term(x) over `values` in eight running lanes.
#[inline(always)]
fn sum_of(values: &[f32], term: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|&x| term(x)).sum();
    for chunk in chunks {
        lanes
            .iter_mut()
            .zip(chunk)
            .for_each(|(l, &x)| *l += term(x));
    }
    lanes.iter().sum::<f32>() + tail
}

/// eˣ for x ≤ 0 (larger x is not needed by softmax), by Cephes' `expf`
/// polynomial (relative error ≈ 2e-7) with only arithmetic and bit
/// operations, so it vectorises. Below -87 the result flushes to 0.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    // 1.5 × 2²³: adding it rounds to an integer held in the low bits.
    const ROUND: f32 = 12_582_912.0;
    if x < -87.0 {
        return 0.0;
    }
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e = p * r * r + r + 1.0;
    // 2ⁿ from n's bits in `shifted`; n ≥ -126 here, so the exponent is valid.
    let exponent = shifted
        .to_bits()
        .wrapping_sub(ROUND.to_bits())
        .wrapping_add(127)
        << 23;
    e * f32::from_bits(exponent)
}

/// Layer normalisation parameters.
pub(crate) struct Norm {
    pub(crate) gamma: Vec<f32>,
    pub(crate) beta: Vec<f32>,
    pub(crate) eps: f32,
}

impl Norm {
    /// `x = norm(x + residual)`, row by row (`residual` may be empty: no add).
    pub(crate) fn add_and_apply(&self, x: &mut [f32], residual: &[f32]) {
        let width = self.gamma.len();
        assert!(
            residual.is_empty() || residual.len() == x.len(),
            "norm: shape"
        );
        let row = |(i, row): (usize, &mut [f32])| {
            wide(
                #[inline(always)]
                || {
                    if !residual.is_empty() {
                        let add = &residual[i * width..(i + 1) * width];
                        row.iter_mut().zip(add).for_each(|(x, r)| *x += r);
                    }
                    let mean = sum(row) / width as f32;
                    let var = squared_deviations(row, mean) / width as f32;
                    let inverse = 1.0 / (var + self.eps).sqrt();
                    for ((x, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                        *x = (*x - mean) * inverse * g + b;
                    }
                },
            )
        };
        if x.len() >= PARALLEL_ELEMENTS {
            x.par_chunks_mut(width).enumerate().for_each(row);
        } else {
            x.chunks_mut(width).enumerate().for_each(row);
        }
    }
}

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

/// GELU in place, with the exact erf form BERT was trained with.
pub(crate) fn gelu(x: &mut [f32]) {
    let apply = |chunk: &mut [f32]| {
        wide(
            #[inline(always)]
            || {
                for x in chunk {
                    *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
                }
            },
        )
    };
    if x.len() >= PARALLEL_ELEMENTS {
        x.par_chunks_mut(PARALLEL_ELEMENTS / 4).for_each(apply);
    } else {
        apply(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn dense_adds_the_bias_to_x_times_w_transposed() {
        // x: 2×3, w: 2×3 (two outputs), bias: 2.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 0.0, -1.0, 0.5, 0.5, 0.5];
        let mut out = Vec::new();
        dense(
            &x,
            &Weights::new(w.to_vec(), 3, Precision::F32),
            &[10.0, 20.0],
            &mut out,
        );
        assert_eq!(out, vec![8.0, 23.0, 8.0, 27.5]);
    }

    #[test]
    fn exp_matches_std_where_softmax_uses_it() {
        let mut x = 0.0f32;
        while x > -90.0 {
            let want = x.exp();
            let got = exp_nonpositive(x);
            assert!(
                (got - want).abs() <= 4e-7 * want + f32::MIN_POSITIVE * 2.0,
                "exp({x}) = {got}, want {want}"
            );
            x -= 0.0137;
        }
        assert_eq!(exp_nonpositive(-1000.0), 0.0);
        assert!((sum(&[1.0; 21]) - 21.0).abs() < 1e-6);
    }

    /// Inputs for a `dense` case and `bias + x · wᵀ` by plain loops.
    fn plain_case(m: usize, k: usize, n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let value = |i: usize| ((i * 7919 % 1000) as f32 - 500.0) / 250.0;
        let x: Vec<f32> = (0..m * k).map(value).collect();
        let w: Vec<f32> = (0..n * k).map(|i| value(i + 17)).collect();
        let bias: Vec<f32> = (0..n).map(|i| value(i + 3)).collect();
        let want = (0..m * n)
            .map(|o| {
                let (t, j) = (o / n, o % n);
                bias[j] + (0..k).map(|i| x[t * k + i] * w[j * k + i]).sum::<f32>()
            })
            .collect();
        (x, w, bias, want)
    }

    fn assert_close(got: &[f32], want: &[f32], case: &str) {
        assert_eq!(got.len(), want.len(), "{case}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-3, "{case} [{i}]: {g} vs {w}");
        }
    }

    /// Both paths of `dense` (few rows and `gemm`), with shapes that leave
    /// tails everywhere (k not a multiple of 8, n not of the panel width,
    /// m not of the tile's rows, several pool tasks).
    #[test]
    fn dense_matches_plain_loops_on_both_paths() {
        for (m, k, n) in [
            (1, 8, 4),
            (3, 13, 7),
            (5, 384, 130),
            (2, 20, 1),
            (13, 40, 37),
            (FEW_ROWS, 24, 70),
            (FEW_ROWS + 7, 40, 9),
        ] {
            let (x, w, bias, want) = plain_case(m, k, n);
            let weights = Weights::new(w.clone(), k, Precision::F32);
            let mut got = Vec::new();
            dense(&x, &weights, &bias, &mut got);
            assert_close(&got, &want, &format!("dense {m}×{k}×{n}"));
            #[cfg(target_arch = "x86_64")]
            if packed_kernels_available() {
                let mut got = vec![0.0; m * n];
                few_rows::dense(&x, k, &few_rows::pack(&w, n, k), &bias, &mut got);
                assert_close(&got, &want, &format!("few rows {m}×{k}×{n}"));
            }
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row = [1.0, 3.0, 2.0, -1000.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[1] > row[2] && row[2] > row[0] && row[3] == 0.0);
    }
}
