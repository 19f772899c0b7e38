//! The encoder's products in 8-bit integers, for a batch of passages and
//! for a query alike:
//!
//! - **Many rows** are bound by arithmetic. On this AVX2 CPU without
//!   VNNI, `vpmaddubsw` multiplies 32 byte pairs and sums them pairwise
//!   into i16, and `vpmaddwd` by ones widens those to i32; both use the
//!   two multiply pipes, where `vfmadd231ps` does 8 float pairs. Two steps'
//!   i16 sums are added before one widening, so 64 pairs take three
//!   multiply instructions: about 2× the MACs per cycle of the f32 loop
//!   (one panel on one core: 100-110 against 49 GMAC/s). The f32 `gemm`
//!   already ran at the FMA ceiling (docs/BENCHMARKS.md, "Embedding"), so
//!   this is the way past it.
//! - **Few rows** (a query's 5-60 tokens) are bound by reading the
//!   weights: 21 MB here against 85 MB for [`super::few_rows`]'s f32
//!   panels.
//!
//! - **Weights**: quantised once, at load, per output column to 7 bits
//!   (±63). With 7-bit activations, two steps' sums of two u8 × i8
//!   products (≤ 4 · 127 · 63 = 32,004) never saturate an i16. Packed like
//!   [`super::few_rows`]'s panels: 16 output columns, each 4-input step
//!   one 64-byte line holding column `c`'s 4 weights at bytes `4c..4c+4`.
//! - **Activations**: quantised per row on every call to 7 bits (0-127)
//!   with a zero point (`x ≈ scale · (q − zero)`), because a row's range is
//!   lopsided after GELU. The zero point is taken out after the product
//!   with each column's sum of quantised weights. 7 bits rather than 8
//!   made the embedder 12 % faster for KorQuAD dense nDCG@10 0.8873
//!   against 0.8885 in f32 (R@10 0.9740 against 0.9752); 6-bit weights with
//!   8-bit activations would allow the same pairing but kept the vectors
//!   less close to f32 (cosine 0.9981 against 0.9988).
//!
//! Rows are independent: a passage's vector does not depend on what else
//! is in its batch.

use std::arch::x86_64::{
    _mm256_add_epi16, _mm256_add_epi32, _mm256_cvtepi32_ps, _mm256_cvtps_epi32, _mm256_fmadd_ps,
    _mm256_loadu_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_max_ps,
    _mm256_min_ps, _mm256_mul_ps, _mm256_mullo_epi32, _mm256_packs_epi32, _mm256_packus_epi16,
    _mm256_permutevar8x32_epi32, _mm256_set1_epi16, _mm256_set1_epi32, _mm256_set1_ps,
    _mm256_setr_epi32, _mm256_setzero_si256, _mm256_storeu_ps, _mm256_storeu_si256,
    _mm256_sub_epi32, _mm_prefetch, _MM_HINT_T0,
};

use rayon::prelude::*;

use super::{packed_kernels_available as available, SharedOut, PANEL, PANELS_PER_TASK};

/// Inputs per step: the 4 bytes one i32 lane sums.
const STEP: usize = 4;
/// Input rows per register tile: 4 × 2 accumulators, a step pair's 4
/// weight registers, 2 broadcasts, the ones and a temporary fit in 16.
const TILE_ROWS: usize = 4;
/// Largest quantised weight: 7 bits (see the module comment).
const WEIGHT_MAX: f32 = 63.0;
/// Largest quantised activation: 7 bits (see the module comment).
const ACTIVATION_MAX: f32 = 127.0;
/// Rows per pool task: 128 rows of the widest input (1,536 bytes) stay in
/// L2 while the task's panels pass over them.
const ROWS_PER_TASK: usize = 128;
/// How far ahead of the tile the panel is fetched, in steps (lines).
const PREFETCH_STEPS: usize = 16;

/// A linear layer's weights in 8 bits, packed for [`dense`].
pub(super) struct Quantized {
    /// `n / PANEL` (rounded up) panels of `k / STEP` lines of 64 bytes.
    panels: Vec<i8>,
    /// Per output column (padded to whole panels with zeros): the float
    /// a quantised step stands for.
    scales: Vec<f32>,
    /// Per output column (padded to whole panels): the sum of its
    /// quantised weights, to take the activations' zero point out.
    sums: Vec<i32>,
    k: usize,
}

impl Quantized {
    /// `rows`: `n` rows of `k` inputs, row-major as loaded. `None` where
    /// the CPU lacks AVX2 or `k` is not whole steps.
    pub(super) fn new(rows: &[f32], k: usize) -> Option<Self> {
        if !available() || k == 0 || !k.is_multiple_of(STEP) || !rows.len().is_multiple_of(k) {
            return None;
        }
        let n = rows.len() / k;
        let panels = n.div_ceil(PANEL);
        let mut packed = vec![0i8; panels * k * PANEL];
        let mut scales = vec![0.0f32; panels * PANEL];
        let mut sums = vec![0i32; panels * PANEL];
        for (j, row) in rows.chunks_exact(k).enumerate() {
            let largest = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if largest > 0.0 {
                largest / WEIGHT_MAX
            } else {
                1.0
            };
            scales[j] = scale;
            let panel = &mut packed[j / PANEL * k * PANEL..][..k * PANEL];
            for (i, &w) in row.iter().enumerate() {
                let q = (w / scale).round().clamp(-WEIGHT_MAX, WEIGHT_MAX) as i8;
                panel[i / STEP * STEP * PANEL + j % PANEL * STEP + i % STEP] = q;
                sums[j] += i32::from(q);
            }
        }
        Some(Self {
            panels: packed,
            scales,
            sums,
            k,
        })
    }
}

/// Rows of activations in 8 bits: `x ≈ scale · (q − zero)` per row.
struct Activations {
    bytes: Vec<u8>,
    /// Per row: (scale, zero point).
    params: Vec<(f32, i32)>,
}

/// `out[m × n] = bias + x[m × k] · wᵀ`, with `w` as [`Quantized::new`]
/// left it. Call only where [`available`] says so.
pub(super) fn dense(x: &[f32], w: &Quantized, bias: &[f32], out: &mut [f32]) {
    let (k, n) = (w.k, bias.len());
    let m = x.len() / k;
    let panels = n.div_ceil(PANEL);
    assert!(
        available()
            && x.len() == m * k
            && w.scales.len() == panels * PANEL
            && w.sums.len() == panels * PANEL
            && w.panels.len() == panels * k * PANEL
            && out.len() == m * n,
        "int8: shape mismatch"
    );
    let activations = quantize(x, k);
    let shared = SharedOut(out.as_mut_ptr());
    let row_blocks = m.div_ceil(ROWS_PER_TASK);
    (0..row_blocks * panels.div_ceil(PANELS_PER_TASK))
        .into_par_iter()
        .for_each(|task| {
            let (rows, group) = (task % row_blocks, task / row_blocks);
            let first_row = rows * ROWS_PER_TASK;
            let last_row = (first_row + ROWS_PER_TASK).min(m);
            let first_panel = group * PANELS_PER_TASK;
            for panel in first_panel..(first_panel + PANELS_PER_TASK).min(panels) {
                let start = panel * PANEL;
                let columns = (n - start).min(PANEL);
                let mut padded_bias = [0.0f32; PANEL];
                padded_bias[..columns].copy_from_slice(&bias[start..start + columns]);
                let block = Block {
                    x: &activations.bytes[first_row * k..last_row * k],
                    params: &activations.params[first_row..last_row],
                    k,
                    weights: &w.panels[panel * k * PANEL..][..k * PANEL],
                    scales: &w.scales[start..start + PANEL],
                    sums: &w.sums[start..start + PANEL],
                    bias: padded_bias,
                    columns,
                    out: shared.at(first_row * n + start),
                    n,
                };
                // SAFETY: the CPU has AVX2 (asserted above); the block's
                // rows, panel and columns are inside the checked shapes;
                // each task writes only its own rows of its own panels'
                // columns of `out`.
                unsafe { block.run() };
            }
        });
}

/// Each row of `x` (`k` wide) in 8 bits over its own range (0 included, so
/// that the zero point is a whole step).
fn quantize(x: &[f32], k: usize) -> Activations {
    let m = x.len() / k;
    let mut bytes = vec![0u8; m * k];
    let mut params = vec![(0.0f32, 0i32); m];
    bytes
        .par_chunks_mut(k)
        .zip(params.par_iter_mut())
        .zip(x.par_chunks(k))
        .with_min_len(16)
        .for_each(|((q, param), row)| {
            // SAFETY: `dense` asserted AVX2; `q` and `row` are both k long.
            *param = unsafe { quantize_row(row, q) };
        });
    Activations { bytes, params }
}

/// One row: its scale and zero point, and its bytes into `q`.
#[target_feature(enable = "avx2,fma")]
unsafe fn quantize_row(row: &[f32], q: &mut [u8]) -> (f32, i32) {
    debug_assert_eq!(row.len(), q.len());
    let lanes = row.len() / 8 * 8;
    let (mut low, mut high) = (_mm256_set1_ps(0.0), _mm256_set1_ps(0.0));
    for i in (0..lanes).step_by(8) {
        // SAFETY: i + 8 ≤ lanes ≤ row.len().
        let v = unsafe { _mm256_loadu_ps(row.as_ptr().add(i)) };
        low = _mm256_min_ps(low, v);
        high = _mm256_max_ps(high, v);
    }
    let (mut lows, mut highs) = ([0.0f32; 8], [0.0f32; 8]);
    // SAFETY: both arrays hold 8 floats.
    unsafe {
        _mm256_storeu_ps(lows.as_mut_ptr(), low);
        _mm256_storeu_ps(highs.as_mut_ptr(), high);
    }
    let tail = &row[lanes..];
    let low = lows.iter().chain(tail).fold(0.0f32, |a, &b| a.min(b));
    let high = highs.iter().chain(tail).fold(0.0f32, |a, &b| a.max(b));
    let scale = if high > low {
        (high - low) / ACTIVATION_MAX
    } else {
        1.0
    };
    let zero = (-low / scale).round_ties_even().clamp(0.0, ACTIVATION_MAX);
    let inverse = 1.0 / scale;
    let (inv, z) = (_mm256_set1_ps(inverse), _mm256_set1_ps(zero));
    // Four registers of 8 become 32 bytes: the packs interleave 128-bit
    // halves, which the permutation puts back in order.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let whole = row.len() / 32 * 32;
    for i in (0..whole).step_by(32) {
        // SAFETY: i + 32 ≤ whole ≤ row.len() = q.len().
        unsafe {
            let at = |j: usize| {
                _mm256_cvtps_epi32(_mm256_fmadd_ps(
                    _mm256_loadu_ps(row.as_ptr().add(i + j)),
                    inv,
                    z,
                ))
            };
            let low_half = _mm256_packs_epi32(at(0), at(8));
            let high_half = _mm256_packs_epi32(at(16), at(24));
            let packed =
                _mm256_permutevar8x32_epi32(_mm256_packus_epi16(low_half, high_half), order);
            _mm256_storeu_si256(q.as_mut_ptr().add(i).cast(), packed);
        }
    }
    for (b, &v) in q[whole..].iter_mut().zip(&row[whole..]) {
        *b = (v * inverse + zero)
            .round_ties_even()
            .clamp(0.0, ACTIVATION_MAX) as u8;
    }
    (scale, zero as i32)
}

/// A task's rows against one panel, in tiles of [`TILE_ROWS`] rows.
struct Block<'a> {
    /// The rows' quantised inputs, `k` bytes each.
    x: &'a [u8],
    params: &'a [(f32, i32)],
    k: usize,
    /// One panel: `k / STEP` lines of 64 bytes.
    weights: &'a [i8],
    /// `PANEL` column scales, sums and biases (zeros past the real
    /// columns).
    scales: &'a [f32],
    sums: &'a [i32],
    bias: [f32; PANEL],
    /// The panel's real columns (fewer than `PANEL` in the last one).
    columns: usize,
    /// Where output row 0, column 0 of the block goes; rows are `n` apart.
    out: *mut f32,
    n: usize,
}

impl Block<'_> {
    /// The whole block: one call per panel and task, so that a tile's
    /// set-up is a few pointer additions (a call per 4-row tile with its
    /// own bounds-checked slices cost 4 % of the embedder's time).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run(&self) {
        let rows = self.params.len();
        debug_assert!(
            self.x.len() == rows * self.k
                && self.weights.len() == self.k * PANEL
                && self.scales.len() == PANEL
                && self.sums.len() == PANEL
        );
        let whole = rows / TILE_ROWS * TILE_ROWS;
        // SAFETY (all calls): each tile's rows are inside the block.
        for t in (0..whole).step_by(TILE_ROWS) {
            unsafe { self.tile::<TILE_ROWS>(t) };
        }
        unsafe {
            match rows - whole {
                3 => self.tile::<3>(whole),
                2 => self.tile::<2>(whole),
                1 => self.tile::<1>(whole),
                _ => {}
            }
        }
    }

    /// Rows `first..first + R` of the block.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const R: usize>(&self, first: usize) {
        debug_assert!(first + R <= self.params.len() && R <= TILE_ROWS);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        let w = self.weights.as_ptr();
        // SAFETY: row `first` is inside the block (the caller's contract).
        let x = unsafe { self.x.as_ptr().add(first * self.k) };
        // Line `step` of the panel: 4 inputs of 16 columns. Past the end
        // the prefetch fetches the next panel's lines: it never faults.
        // SAFETY (both closures): callers pass step < k / STEP and t < R,
        // so the line (64 bytes) and the row's bytes step·4..step·4+4 are
        // inside the slices.
        let line = |step: usize| unsafe {
            _mm_prefetch::<_MM_HINT_T0>(
                w.wrapping_add((step + PREFETCH_STEPS) * STEP * PANEL)
                    .cast(),
            );
            (
                _mm256_loadu_si256(w.add(step * STEP * PANEL).cast()),
                _mm256_loadu_si256(w.add(step * STEP * PANEL + 32).cast()),
            )
        };
        let inputs = |t: usize, step: usize| unsafe {
            _mm256_set1_epi32(
                x.add(t * self.k + step * STEP)
                    .cast::<i32>()
                    .read_unaligned(),
            )
        };
        let steps = self.k / STEP;
        // Two steps at a time: their i16 products are summed before the one
        // widening `vpmaddwd`, which shares the multiply pipes with
        // `vpmaddubsw` (3 multiplies per register's 64 pairs instead of 4).
        for step in (0..steps - steps % 2).step_by(2) {
            let (a0, a1) = line(step);
            let (b0, b1) = line(step + 1);
            for (t, acc) in acc.iter_mut().enumerate() {
                let (xa, xb) = (inputs(t, step), inputs(t, step + 1));
                let sum0 =
                    _mm256_add_epi16(_mm256_maddubs_epi16(xa, a0), _mm256_maddubs_epi16(xb, b0));
                let sum1 =
                    _mm256_add_epi16(_mm256_maddubs_epi16(xa, a1), _mm256_maddubs_epi16(xb, b1));
                acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(sum0, ones));
                acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(sum1, ones));
            }
        }
        if steps % 2 == 1 {
            let (a0, a1) = line(steps - 1);
            for (t, acc) in acc.iter_mut().enumerate() {
                let xa = inputs(t, steps - 1);
                acc[0] = _mm256_add_epi32(
                    acc[0],
                    _mm256_madd_epi16(_mm256_maddubs_epi16(xa, a0), ones),
                );
                acc[1] = _mm256_add_epi32(
                    acc[1],
                    _mm256_madd_epi16(_mm256_maddubs_epi16(xa, a1), ones),
                );
            }
        }
        // SAFETY: `sums`, `scales` and `bias` hold PANEL values each.
        let load = |at: usize| unsafe {
            (
                _mm256_loadu_si256(self.sums.as_ptr().add(at).cast()),
                _mm256_loadu_ps(self.scales.as_ptr().add(at)),
                _mm256_loadu_ps(self.bias.as_ptr().add(at)),
            )
        };
        let halves = [load(0), load(8)];
        let full = self.columns == PANEL;
        let mut row = [0.0f32; PANEL];
        for (t, acc) in acc.iter().enumerate() {
            let (scale, zero) = self.params[first + t];
            let (offset, scale) = (_mm256_set1_epi32(zero), _mm256_set1_ps(scale));
            // SAFETY: row first + t of the block, columns 0..PANEL of the
            // panel: inside `out` for a full panel (see `dense`); else the
            // values go through `row` and only the real columns are written.
            let out = unsafe { self.out.add((first + t) * self.n) };
            for (half, (sum, (sums, scales, bias))) in acc.iter().zip(halves).enumerate() {
                let exact = _mm256_sub_epi32(*sum, _mm256_mullo_epi32(offset, sums));
                let value = _mm256_fmadd_ps(
                    _mm256_cvtepi32_ps(exact),
                    _mm256_mul_ps(scale, scales),
                    bias,
                );
                let to = if full {
                    out.wrapping_add(8 * half)
                } else {
                    row.as_mut_ptr().wrapping_add(8 * half)
                };
                unsafe { _mm256_storeu_ps(to, value) };
            }
            if !full {
                unsafe { std::ptr::copy_nonoverlapping(row.as_ptr(), out, self.columns) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(x: &[f32], w: &[f32], bias: &[f32], k: usize) -> Vec<f32> {
        let n = bias.len();
        x.chunks_exact(k)
            .flat_map(|row| {
                (0..n).map(move |j| {
                    bias[j] + row.iter().zip(&w[j * k..]).map(|(a, b)| a * b).sum::<f32>()
                })
            })
            .collect()
    }

    /// Weights and activations already on the grids (every weight column
    /// reaching ±63 steps, every row spanning 127 steps) give the
    /// float product exactly: the quantisation, packing, zero point and
    /// tails are all checked at once. 11 rows (tile tail), 40 columns (a
    /// partial panel), 36 inputs (an odd step and a partial 32-byte
    /// quantisation block)
    /// and 300 rows (three pool tasks).
    #[test]
    fn on_grid_inputs_give_the_exact_product() {
        if !available() {
            return;
        }
        for (m, n, k) in [(11, 40, 36), (300, 16, 64)] {
            let w: Vec<f32> = (0..n * k)
                .map(|i| {
                    let (j, c) = (i / k, i % k);
                    let step = if c == j % k {
                        63
                    } else {
                        (i * 37 % 127) as i32 - 63
                    };
                    step as f32 * 0.25 * (1 + j % 3) as f32
                })
                .collect();
            let x: Vec<f32> = (0..m * k)
                .map(|i| {
                    let (r, c) = (i / k, i % k);
                    let top = ACTIVATION_MAX as usize;
                    let zero = (r * 29 % (top - 20)) as i32;
                    let q = match c {
                        0 => 0,
                        1 => top as i32,
                        _ => (i * 53 % (top + 1)) as i32,
                    };
                    (q - zero) as f32 * 0.5
                })
                .collect();
            let bias: Vec<f32> = (0..n).map(|j| j as f32 - 7.0).collect();
            let quantized = Quantized::new(&w, k).expect("quantised");
            let mut out = vec![0.0; m * n];
            dense(&x, &quantized, &bias, &mut out);
            assert_eq!(out, plain(&x, &w, &bias, k), "m {m} n {n} k {k}");
        }
    }

    /// Off the grid the product is close: within 2 % of the largest output.
    #[test]
    fn random_inputs_stay_close_to_the_float_product() {
        if !available() {
            return;
        }
        let (m, n, k) = (37, 48, 384);
        let mut state = 42u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let w: Vec<f32> = (0..n * k).map(|_| next()).collect();
        let x: Vec<f32> = (0..m * k).map(|_| next() * 4.0).collect();
        let bias: Vec<f32> = (0..n).map(|_| next()).collect();
        let quantized = Quantized::new(&w, k).expect("quantised");
        let mut out = vec![0.0; m * n];
        dense(&x, &quantized, &bias, &mut out);
        let want = plain(&x, &w, &bias, k);
        let largest = want.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        let worst = out
            .iter()
            .zip(&want)
            .fold(0.0f32, |a, (o, w)| a.max((o - w).abs()));
        assert!(worst < 0.02 * largest, "worst {worst} of {largest}");
    }
}
