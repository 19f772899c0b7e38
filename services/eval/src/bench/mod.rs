//! The benchmarks behind `seogo bench`: speed lives here, never in tests.
//! This module itself is `seogo bench lexical`: what each analyzer costs —
//! indexing throughput (MB of source text per second, best of several fresh
//! builds), index size and BM25 query latency — on an evaluation set's
//! corpus and queries.

pub mod ask;
pub mod embed;
pub mod generate;
pub mod gpu;
pub mod parse;
pub mod quick;
pub mod search;

use std::path::Path;
use std::time::Instant;

use seogo_docs::{chunk_document, Chunk};
use seogo_index::{AnalyzerKind, LexicalIndex};
use serde::Serialize;

use crate::dataset::Dataset;
use crate::retrieval::percentile;
use seogo_durable::PathContext;
use seogo_engine::retrieve::Scope;
use seogo_engine::{tree_bytes, Engine, EngineError};

/// One analyzer's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LexicalBenchRow {
    pub analyzer: String,
    /// Best of the rounds: analysis + tantivy indexing + commit.
    pub index_seconds: f64,
    pub mb_per_s: f64,
    /// Index on disk over source text.
    pub size_ratio: f64,
    pub query_p50_ms: f64,
    pub query_p99_ms: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct LexicalBench {
    pub dataset: String,
    pub documents: usize,
    pub chunks: usize,
    pub megabytes: f64,
    pub queries: usize,
    pub rows: Vec<LexicalBenchRow>,
}

/// Rounded to two decimals, as every bench reports.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Builds a fresh lexical index of `dataset`'s corpus `rounds` times per
/// analyzer (under `DATA/bench/`, removed afterwards) and runs every
/// query once against the last build.
pub fn bench_lexical(
    engine: &Engine,
    dataset: &Path,
    analyzers: &[AnalyzerKind],
    rounds: usize,
) -> Result<LexicalBench, EngineError> {
    let name = dataset.display().to_string();
    let dataset = Dataset::load(dataset, None, &engine.config().parse, None)?;
    let chunker = engine.config().chunking.chunker();
    let docs: Vec<(&str, Vec<Chunk>)> = dataset
        .corpus
        .iter()
        .map(|d| (d.id.as_str(), chunk_document(d, &chunker)))
        .collect();
    let bytes = dataset.text_bytes();
    let megabytes = bytes as f64 / 1e6;
    let resources = engine.lexical_resources()?;
    let public = Scope::default().filter()?;
    let mut rows = Vec::new();
    for &kind in analyzers {
        let dir = engine.config().data.dir.join("bench").join(kind.as_str());
        let mut best = f64::MAX;
        let mut latencies = Vec::new();
        let mut size = 0;
        for round in 0..rounds.max(1) {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).at(&dir)?;
            }
            let started = Instant::now();
            let index = LexicalIndex::open(&dir, kind, resources.clone())?;
            for (id, chunks) in &docs {
                index.replace_document(id, chunks)?;
            }
            index.commit()?;
            best = best.min(started.elapsed().as_secs_f64());
            if round + 1 == rounds.max(1) {
                size = tree_bytes(&dir);
                for q in &dataset.queries {
                    let started = Instant::now();
                    index.search(&q.text, &public, 10)?;
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        std::fs::remove_dir_all(&dir).at(&dir)?;
        latencies.sort_by(f64::total_cmp);
        rows.push(LexicalBenchRow {
            analyzer: kind.to_string(),
            index_seconds: (best * 1000.0).round() / 1000.0,
            mb_per_s: round2(megabytes / best),
            size_ratio: round2(size as f64 / bytes.max(1) as f64),
            query_p50_ms: round2(percentile(&latencies, 0.5)),
            query_p99_ms: round2(percentile(&latencies, 0.99)),
        });
    }
    Ok(LexicalBench {
        dataset: name,
        documents: docs.len(),
        chunks: docs.iter().map(|(_, c)| c.len()).sum(),
        megabytes: round2(megabytes),
        queries: dataset.queries.len(),
        rows,
    })
}
