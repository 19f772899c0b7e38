//! The encoder's products in 8-bit integers, for a batch of passages and
//! for a query alike:
//!
//! - **Many rows** are bound by arithmetic. On this AVX2 CPU without
//!   VNNI, `vpmaddubsw` + `vpmaddwd` multiply 32 byte pairs in two
//!   instructions on two pipes, where `vfmadd231ps` does 8 float pairs, so
//!   the integer loop does about 1.6× the MACs per cycle of the f32 one
//!   (a register-only loop: 80 against 49 GMAC/s on one core). The f32
//!   `gemm` already ran at the FMA ceiling (docs/BENCHMARKS.md,
//!   "Embedding"), so this is the way past it.
//! - **Few rows** (a query's 5-60 tokens) are bound by reading the
//!   weights: 21 MB here against 85 MB for [`super::few_rows`]'s f32
//!   panels.
//!
//! - **Weights**: quantised once, at load, per output column to 7 bits
//!   (±63), so that `vpmaddubsw`'s sum of two u8 × i8 products
//!   (≤ 2 · 255 · 63 = 32,130) never saturates its i16. Packed like
//!   [`super::few_rows`]'s panels: 16 output columns, each 4-input step
//!   one 64-byte line holding column `c`'s 4 weights at bytes `4c..4c+4`.
//! - **Activations**: quantised per row on every call to 8 bits with a
//!   zero point (`x ≈ scale · (q − zero)`), because a row's range is
//!   lopsided after GELU. The zero point is taken out after the product
//!   with each column's sum of quantised weights.
//!
//! Rows are independent: a passage's vector does not depend on what else
//! is in its batch.

use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_cvtepi32_ps, _mm256_cvtps_epi32, _mm256_fmadd_ps,
    _mm256_loadu_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_max_ps,
    _mm256_min_ps, _mm256_mullo_epi32, _mm256_packs_epi32, _mm256_packus_epi16,
    _mm256_permutevar8x32_epi32, _mm256_set1_epi16, _mm256_set1_epi32, _mm256_set1_ps,
    _mm256_setr_epi32, _mm256_setzero_si256, _mm256_storeu_ps, _mm256_storeu_si256,
    _mm256_sub_epi32, _mm_prefetch, _MM_HINT_T0,
};

use rayon::prelude::*;

use super::{packed_kernels_available as available, SharedOut, PANEL, PANELS_PER_TASK};

/// Inputs per step: the 4 bytes one i32 lane sums.
const STEP: usize = 4;
/// Input rows per register tile: 4 × 2 accumulators, 2 weight registers,
/// the broadcast, the ones and the products' temporaries fit in 16.
const TILE_ROWS: usize = 4;
/// Largest quantised weight: 7 bits (see the module comment).
const WEIGHT_MAX: f32 = 63.0;
/// Rows per pool task: 128 rows of the widest input (1,536 bytes) stay in
/// L2 while the task's panels pass over them.
const ROWS_PER_TASK: usize = 128;
/// How far ahead of the tile the panel is fetched, in steps (lines).
const PREFETCH_STEPS: usize = 16;

/// A linear layer's weights in 8 bits, packed for [`dense`].
pub(super) struct Quantized {
    /// `n / PANEL` (rounded up) panels of `k / STEP` lines of 64 bytes.
    panels: Vec<i8>,
    /// Per output column: the float a quantised step stands for.
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
        let mut scales = Vec::with_capacity(n);
        let mut sums = vec![0i32; panels * PANEL];
        for (j, row) in rows.chunks_exact(k).enumerate() {
            let largest = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if largest > 0.0 {
                largest / WEIGHT_MAX
            } else {
                1.0
            };
            scales.push(scale);
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
            && w.scales.len() == n
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
                let mut t = first_row;
                while t < last_row {
                    let rows = (last_row - t).min(TILE_ROWS);
                    let tile = Tile {
                        x: &activations.bytes[t * k..(t + rows) * k],
                        params: &activations.params[t..t + rows],
                        k,
                        weights: &w.panels[panel * k * PANEL..][..k * PANEL],
                        scales: &w.scales[start..start + columns],
                        sums: &w.sums[start..start + PANEL],
                        bias: &bias[start..start + columns],
                        out: shared.at(t * n + start),
                        n,
                    };
                    // SAFETY: the CPU has AVX2 (asserted above); the tile's
                    // rows, panel and columns are inside the checked
                    // shapes; each task writes only its own rows of its own
                    // panels' columns of `out`.
                    unsafe {
                        match rows {
                            4 => tile.run::<4>(),
                            3 => tile.run::<3>(),
                            2 => tile.run::<2>(),
                            _ => tile.run::<1>(),
                        }
                    }
                    t += rows;
                }
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
        (high - low) / 255.0
    } else {
        1.0
    };
    let zero = (-low / scale).round_ties_even().clamp(0.0, 255.0);
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
        *b = (v * inverse + zero).round_ties_even().clamp(0.0, 255.0) as u8;
    }
    (scale, zero as i32)
}

/// Up to [`TILE_ROWS`] rows against one panel.
struct Tile<'a> {
    /// `R × k` quantised inputs.
    x: &'a [u8],
    params: &'a [(f32, i32)],
    k: usize,
    /// One panel: `k / STEP` lines of 64 bytes.
    weights: &'a [i8],
    /// This panel's real columns (fewer than `PANEL` in the last one).
    scales: &'a [f32],
    /// `PANEL` column sums (zeros past the real columns).
    sums: &'a [i32],
    bias: &'a [f32],
    /// Where output row 0, column 0 of the tile goes; rows are `n` apart.
    out: *mut f32,
    n: usize,
}

impl Tile<'_> {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run<const R: usize>(&self) {
        debug_assert!(
            self.x.len() == R * self.k && self.weights.len() == self.k * PANEL && R <= TILE_ROWS
        );
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        let w = self.weights.as_ptr();
        let x = self.x.as_ptr();
        for step in 0..self.k / STEP {
            // Past the end this fetches the next panel's lines: a prefetch
            // never faults.
            _mm_prefetch::<_MM_HINT_T0>(
                w.wrapping_add((step + PREFETCH_STEPS) * STEP * PANEL)
                    .cast(),
            );
            // SAFETY (whole loop): step < k / STEP, so line `step` of the
            // panel (64 bytes) and bytes step·4..step·4+4 of each row are
            // inside the slices.
            let (w0, w1): (__m256i, __m256i) = unsafe {
                (
                    _mm256_loadu_si256(w.add(step * STEP * PANEL).cast()),
                    _mm256_loadu_si256(w.add(step * STEP * PANEL + 32).cast()),
                )
            };
            for (t, acc) in acc.iter_mut().enumerate() {
                let four = unsafe {
                    x.add(t * self.k + step * STEP)
                        .cast::<i32>()
                        .read_unaligned()
                };
                let xv = _mm256_set1_epi32(four);
                acc[0] = _mm256_add_epi32(
                    acc[0],
                    _mm256_madd_epi16(_mm256_maddubs_epi16(xv, w0), ones),
                );
                acc[1] = _mm256_add_epi32(
                    acc[1],
                    _mm256_madd_epi16(_mm256_maddubs_epi16(xv, w1), ones),
                );
            }
        }
        // SAFETY: `sums` holds PANEL i32s.
        let sums = unsafe {
            [
                _mm256_loadu_si256(self.sums.as_ptr().cast()),
                _mm256_loadu_si256(self.sums.as_ptr().add(8).cast()),
            ]
        };
        let mut row = [0.0f32; PANEL];
        for (t, (acc, &(scale, zero))) in acc.iter().zip(self.params).enumerate() {
            let offset = _mm256_set1_epi32(zero);
            for (half, (sum, column)) in acc.iter().zip(sums).enumerate() {
                let exact = _mm256_sub_epi32(*sum, _mm256_mullo_epi32(offset, column));
                // SAFETY: `row` holds PANEL floats.
                unsafe {
                    _mm256_storeu_ps(row.as_mut_ptr().add(8 * half), _mm256_cvtepi32_ps(exact))
                };
            }
            for (c, ((value, w_scale), b)) in row.iter().zip(self.scales).zip(self.bias).enumerate()
            {
                // SAFETY: row t < R of the tile, column c < columns of this
                // panel: inside `out` (see `dense`).
                unsafe { *self.out.add(t * self.n + c) = value * scale * w_scale + b };
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

    /// Weights and activations already on the 8-bit grids (every weight
    /// column reaching ±63 steps, every row spanning 255 steps) give the
    /// float product exactly: the quantisation, packing, zero point and
    /// tails are all checked at once. 11 rows (tile tail), 40 columns (a
    /// partial panel), 36 inputs (a partial 32-byte quantisation block)
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
                    let zero = (r * 29 % 200) as i32;
                    let q = match c {
                        0 => 0,
                        1 => 255,
                        _ => (i * 53 % 256) as i32,
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
