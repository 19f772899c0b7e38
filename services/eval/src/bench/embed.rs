//! `seogo bench embed`: passages per second through the configured
//! embedder, on passages given one per line (scripts/bench-embed.sh cuts
//! them to a token length with the peer's own tokenizer, so both engines
//! see the same inputs). Speed lives here, never in tests.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use seogo_durable::PathContext;
use seogo_engine::{Engine, EngineError};

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedBench {
    pub passages: usize,
    /// Mean passage length in characters.
    pub mean_chars: f64,
    pub threads: usize,
    /// Best round's wall time for all passages.
    pub seconds: f64,
    pub passages_per_s: f64,
    pub rounds: usize,
    /// The first passage's embedding, so a script can check that a peer
    /// on the same weights computes the same vector.
    #[serde(skip)]
    pub first_vector: Vec<f32>,
}

/// Embeds every line of `passages` `rounds` times (after one warm-up
/// pass on the first 8); the best round counts.
pub fn bench_embed(
    engine: &Engine,
    passages: &Path,
    rounds: usize,
) -> Result<EmbedBench, EngineError> {
    let text = std::fs::read_to_string(passages).at(passages)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(EngineError::BadInput(format!(
            "{}: no passages (one per line)",
            passages.display()
        )));
    }
    bench_embed_lines(engine, &lines, rounds)
}

/// [`bench_embed`](Self::bench_embed) on passages in memory.
pub fn bench_embed_lines(
    engine: &Engine,
    lines: &[&str],
    rounds: usize,
) -> Result<EmbedBench, EngineError> {
    if lines.is_empty() {
        return Err(EngineError::BadInput("no passages to embed".into()));
    }
    let embedder = engine.embedder()?;
    embedder.embed_passages(&lines[..lines.len().min(8)])?;
    let mut best = f64::INFINITY;
    let mut first_vector = Vec::new();
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        let vectors = embedder.embed_passages(lines)?;
        best = best.min(start.elapsed().as_secs_f64());
        if vectors.len() != lines.len() {
            return Err(EngineError::Corrupt(format!(
                "{} vectors for {} passages",
                vectors.len(),
                lines.len()
            )));
        }
        first_vector.clone_from(&vectors[0]);
    }
    let chars: usize = lines.iter().map(|l| l.chars().count()).sum();
    Ok(EmbedBench {
        passages: lines.len(),
        mean_chars: chars as f64 / lines.len() as f64,
        threads: std::env::var("CANDLE_NUM_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            }),
        seconds: best,
        passages_per_s: lines.len() as f64 / best,
        rounds: rounds.max(1),
        first_vector,
    })
}
