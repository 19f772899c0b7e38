//! `seogo bench --quick`: every figure of docs/BENCHMARKS.md at a small
//! scale in a few minutes — embedding throughput at 128 and 384 tokens,
//! an ingest with its time per stage, search latency and recall, local
//! generation — so a change's effect shows before the full runs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use seogo_docs::chunk::approx_tokens;
use serde::Serialize;

use super::embed::bench_embed_lines;
use super::generate::bench_generate;
use super::search::bench_search;
use crate::bench::embed::EmbedBench;
use crate::bench::generate::GenerateBench;
use crate::bench::round2;
use crate::bench::search::{SearchBench, SearchBenchOptions};
use crate::dataset::Dataset;
use seogo_engine::ingest::{IngestReport, IngestRequest};
use seogo_engine::tree_bytes;
use seogo_engine::{Engine, EngineError};

/// What the quick run reads.
#[derive(Debug, Clone)]
pub struct QuickBenchOptions {
    /// An evaluation set: passages to embed, sentences and queries.
    pub dataset: PathBuf,
    /// Files to ingest end to end.
    pub corpus: PathBuf,
}

/// One passage length's embedding throughput.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedFigure {
    /// Approximate tokens per passage.
    pub tokens: usize,
    #[serde(flatten)]
    pub bench: EmbedBench,
}

/// An ingest of the corpus into a fresh collection.
#[derive(Debug, Clone, Serialize)]
pub struct IngestFigures {
    pub files: usize,
    pub megabytes: f64,
    pub chunks: usize,
    pub seconds: f64,
    pub files_per_s: f64,
    pub mb_per_s: f64,
    pub chunks_per_s: f64,
    pub report: IngestReport,
}

/// Everything the quick run measured.
#[derive(Debug, Clone, Serialize)]
pub struct QuickBench {
    pub embed: Vec<EmbedFigure>,
    pub ingest: IngestFigures,
    pub search: SearchBench,
    pub generate: Option<GenerateBench>,
    /// Why generation was not measured (no local generator installed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_skipped: Option<String>,
    pub seconds: f64,
}

/// Passages of the corpus text cut to about `tokens` tokens each.
fn passages(dataset: &Dataset, tokens: usize, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    for section in dataset.corpus.iter().flat_map(|d| &d.sections) {
        let mut passage = String::new();
        for word in section.text.split_whitespace() {
            if !passage.is_empty() {
                passage.push(' ');
            }
            passage.push_str(word);
            if approx_tokens(&passage) >= tokens {
                out.push(std::mem::take(&mut passage));
                if out.len() == count {
                    return out;
                }
            }
        }
    }
    out
}

/// Runs the quick suite; the collections it makes are removed.
pub fn bench_quick(
    engine: &Engine,
    options: &QuickBenchOptions,
) -> Result<QuickBench, EngineError> {
    let started = Instant::now();
    let dataset = Dataset::load(&options.dataset, None, &engine.config().parse, None)?;
    let mut embed = Vec::new();
    for tokens in [128, 384] {
        let lines = passages(&dataset, tokens, 16);
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        embed.push(EmbedFigure {
            tokens,
            bench: bench_embed_lines(engine, &refs, 2)?,
        });
    }
    let ingest = bench_ingest(engine, &options.corpus)?;
    let search = bench_search(
        engine,
        &SearchBenchOptions {
            dataset: options.dataset.clone(),
            sizes: vec![2_000],
            sentences: 150,
            queries: 40,
            clients: vec![2],
            seconds: 3.0,
            beams: Vec::new(),
        },
    )?;
    let (generate, generate_skipped) = match engine.local_generator() {
        Ok(_) => (Some(bench_generate(engine, None, 1, 32)?), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(QuickBench {
        embed,
        ingest,
        search,
        generate,
        generate_skipped,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    })
}

fn bench_ingest(engine: &Engine, corpus: &Path) -> Result<IngestFigures, EngineError> {
    let name = "bench-ingest";
    engine.delete_collection(name)?;
    let started = Instant::now();
    let report = engine.ingest(
        &IngestRequest {
            paths: vec![corpus.to_path_buf()],
            collection: name.into(),
            ..IngestRequest::default()
        },
        &mut |_| {},
    )?;
    let seconds = started.elapsed().as_secs_f64();
    engine.delete_collection(name)?;
    let megabytes = tree_bytes(corpus) as f64 / 1e6;
    Ok(IngestFigures {
        files: report.files,
        megabytes: round2(megabytes),
        chunks: report.chunks_written,
        seconds: round2(seconds),
        files_per_s: round2(report.files as f64 / seconds),
        mb_per_s: (megabytes / seconds * 10_000.0).round() / 10_000.0,
        chunks_per_s: round2(report.chunks_written as f64 / seconds),
        report,
    })
}
