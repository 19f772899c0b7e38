//! The product for few rows (a query's 5-60 tokens): weights packed once,
//! at load, into panels of [`PANEL`] output columns stored input-major, so
//! that a 6 × 16 register tile of outputs reads each panel as one
//! contiguous stream and each input element by broadcast, the way `gemm`'s
//! own microkernel works once it has packed its operands. `gemm` packs per
//! call, which for a query is 9 MB of weights repacked per layer; packed at
//! load, the cost is paid once (and the packed copy, as large as the
//! weights, is the price).
//!
//! An earlier kernel read the weights as loaded (`[outputs × inputs]`) and
//! took dot products four rows by two tokens at a time: it reached about a
//! third of the cores' FMA rate, between its horizontal sums and a working
//! set larger than L1 for the 1,536-wide layer.

use std::arch::x86_64::{
    _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    _mm_prefetch, _MM_HINT_T0,
};

use rayon::prelude::*;

use super::{packed_kernels_available as available, SharedOut, PANEL, PANELS_PER_TASK};

/// Input rows per register tile: 6 × 2 accumulators, 2 weight registers
/// and a broadcast fill 15 of the 16 registers.
const TILE_ROWS: usize = 6;
/// How far ahead of the tile the panel is fetched, in cache lines (steps).
const PREFETCH_LINES: usize = 32;

/// `rows` (`[n × k]` row-major) as `n / PANEL` (rounded up) panels of
/// `k × PANEL` floats, column `j` of the output at `(j / PANEL, i, j %
/// PANEL)`; the last panel's missing columns are zeros.
pub(super) fn pack(rows: &[f32], n: usize, k: usize) -> Vec<f32> {
    let panels = n.div_ceil(PANEL);
    let mut packed = vec![0.0; panels * k * PANEL];
    for (j, row) in rows.chunks_exact(k).enumerate() {
        let panel = &mut packed[j / PANEL * k * PANEL..][..k * PANEL];
        for (i, &w) in row.iter().enumerate() {
            panel[i * PANEL + j % PANEL] = w;
        }
    }
    packed
}

/// `out[m × n] = bias + x[m × k] · wᵀ` with `w` as [`pack`] left it.
/// Call only where [`available`] says so.
pub(super) fn dense(x: &[f32], k: usize, packed: &[f32], bias: &[f32], out: &mut [f32]) {
    let n = bias.len();
    let m = x.len() / k;
    let panels = n.div_ceil(PANEL);
    assert!(
        available() && x.len() == m * k && packed.len() == panels * k * PANEL && out.len() == m * n,
        "few_rows: shape mismatch"
    );
    let shared = SharedOut(out.as_mut_ptr());
    (0..panels.div_ceil(PANELS_PER_TASK))
        .into_par_iter()
        .for_each(|task| {
            let first = task * PANELS_PER_TASK;
            for panel in first..(first + PANELS_PER_TASK).min(panels) {
                let weights = &packed[panel * k * PANEL..][..k * PANEL];
                let columns = (n - panel * PANEL).min(PANEL);
                let mut t = 0;
                while t < m {
                    let rows = (m - t).min(TILE_ROWS);
                    let tile = Tile {
                        x: &x[t * k..(t + rows) * k],
                        k,
                        weights,
                        bias: &bias[panel * PANEL..][..columns],
                        out: shared.at(t * n + panel * PANEL),
                        n,
                    };
                    // SAFETY: the CPU has AVX2 and FMA (asserted above);
                    // the tile's rows, panel and columns are inside the
                    // checked shapes; each task writes only its own
                    // panels' columns of `out`.
                    unsafe {
                        match rows {
                            6 => tile.run::<6>(),
                            5 => tile.run::<5>(),
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

/// Up to [`TILE_ROWS`] input rows against one panel.
struct Tile<'a> {
    /// `R × k` inputs.
    x: &'a [f32],
    k: usize,
    /// One panel: `k × PANEL`.
    weights: &'a [f32],
    /// This panel's real columns (fewer than `PANEL` in the last one).
    bias: &'a [f32],
    /// Where output row 0, column 0 of the tile goes; rows are `n` apart.
    out: *mut f32,
    n: usize,
}

impl Tile<'_> {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run<const R: usize>(&self) {
        debug_assert!(self.x.len() == R * self.k && self.weights.len() == self.k * PANEL);
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        let w = self.weights.as_ptr();
        let x = self.x.as_ptr();
        for i in 0..self.k {
            // Each step reads one cache line of the panel; fetch the line
            // PREFETCH_LINES ahead (past the end, the next panel's: a
            // prefetch never faults).
            _mm_prefetch::<_MM_HINT_T0>(w.wrapping_add((i + PREFETCH_LINES) * PANEL).cast());
            // SAFETY (whole loop): i < k, so the panel row i (PANEL floats)
            // and x[t][i] for t < R are inside the slices.
            let (w0, w1) = unsafe {
                (
                    _mm256_loadu_ps(w.add(i * PANEL)),
                    _mm256_loadu_ps(w.add(i * PANEL + 8)),
                )
            };
            for (t, acc) in acc.iter_mut().enumerate() {
                let xv = unsafe { _mm256_broadcast_ss(&*x.add(t * self.k + i)) };
                acc[0] = _mm256_fmadd_ps(xv, w0, acc[0]);
                acc[1] = _mm256_fmadd_ps(xv, w1, acc[1]);
            }
        }
        let mut row = [0.0f32; PANEL];
        for (t, acc) in acc.iter().enumerate() {
            // SAFETY: `row` holds PANEL floats.
            unsafe {
                _mm256_storeu_ps(row.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(row.as_mut_ptr().add(8), acc[1]);
            }
            for (c, (sum, b)) in row.iter().zip(self.bias).enumerate() {
                // SAFETY: row t < R of the tile, column c < columns of this
                // panel: inside `out` (see `dense`).
                unsafe { *self.out.add(t * self.n + c) = sum + b };
            }
        }
    }
}
