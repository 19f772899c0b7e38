//! Retrieval evaluation on BEIR-layout folders (`corpus.jsonl`,
//! `queries.jsonl`, `qrels/*.tsv`) and SQuAD-format files (KorQuAD):
//! nDCG@10, recall@5/10/100, MRR@10 and latency per mode, overall and per
//! `metadata.domain`.
//!
//! The corpus is ingested through the normal path into a collection named by
//! a hash of the corpus, the chunking, the analyzer and the embedder, so a
//! second run reuses it and a changed corpus gets its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dataset::Dataset;
use seogo_docs::chunk_document;
use seogo_index::{AnalyzerKind, LexicalIndex};

use seogo_engine::ingest::Progress;
use seogo_engine::retrieve::{Scope, SearchMode, SearchRequest};
use seogo_engine::{Engine, EngineError};

/// Which dataset and modes to evaluate.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    pub dataset: PathBuf,
    pub modes: Vec<SearchMode>,
    /// `qrels/{split}.tsv`; `None` takes the only file there.
    pub split: Option<String>,
    /// The lexical analyzer to evaluate; `None` is the configured one.
    pub analyzer: Option<AnalyzerKind>,
    /// For a titled-files set (`manifest.jsonl` + `files/`): the connector
    /// its files are read through.
    pub connector: Option<std::sync::Arc<dyn seogo_docs::Connector>>,
}

/// How long building the evaluation index took (when this run built it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexingStats {
    pub chunks: usize,
    /// Source text indexed (the documents' sections).
    pub megabytes: f64,
    pub seconds: f64,
    /// Tokens per chunk in each BM25 view: what a cluster collection's
    /// sparse vectors normalise by (`seogo_index::AverageLengths`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_lengths: Option<seogo_index::AverageLengths>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
}

/// The metrics of one mode (over all queries, or one domain's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModeMetrics {
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    #[serde(rename = "recall@3")]
    pub recall_3: f64,
    #[serde(rename = "recall@5")]
    pub recall_5: f64,
    #[serde(rename = "recall@10")]
    pub recall_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    pub latency_ms: Latency,
}

/// The report `seogo eval retrieval --json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    pub dataset: String,
    pub analyzer: String,
    pub queries: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexing: Option<IndexingStats>,
    pub modes: BTreeMap<String, ModeMetrics>,
    pub by_domain: BTreeMap<String, BTreeMap<String, ModeMetrics>>,
}

/// Per-query scores, accumulated then averaged.
#[derive(Debug, Default, Clone)]
struct Accumulator {
    ndcg_10: Vec<f64>,
    recall_3: Vec<f64>,
    recall_5: Vec<f64>,
    recall_10: Vec<f64>,
    recall_100: Vec<f64>,
    mrr_10: Vec<f64>,
    latency_ms: Vec<f64>,
}

impl Accumulator {
    fn add(&mut self, ranking: &[String], relevant: &HashMap<String, f64>, latency_ms: f64) {
        let rel_count = relevant.values().filter(|&&g| g > 0.0).count().max(1) as f64;
        let recall = |k: usize| {
            ranking
                .iter()
                .take(k)
                .filter(|d| relevant.get(*d).is_some_and(|&g| g > 0.0))
                .count() as f64
                / rel_count
        };
        let mrr = ranking
            .iter()
            .take(10)
            .position(|d| relevant.get(d).is_some_and(|&g| g > 0.0))
            .map_or(0.0, |p| 1.0 / (p + 1) as f64);
        self.ndcg_10.push(ndcg_at_10(ranking, relevant));
        self.recall_3.push(recall(3));
        self.recall_5.push(recall(5));
        self.recall_10.push(recall(10));
        self.recall_100.push(recall(100));
        self.mrr_10.push(mrr);
        self.latency_ms.push(latency_ms);
    }

    fn metrics(&self) -> ModeMetrics {
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                round4(v.iter().sum::<f64>() / v.len() as f64)
            }
        };
        let mut lat = self.latency_ms.clone();
        lat.sort_by(f64::total_cmp);
        ModeMetrics {
            ndcg_10: mean(&self.ndcg_10),
            recall_3: mean(&self.recall_3),
            recall_5: mean(&self.recall_5),
            recall_10: mean(&self.recall_10),
            recall_100: mean(&self.recall_100),
            mrr_10: mean(&self.mrr_10),
            latency_ms: Latency {
                p50: round4(percentile(&lat, 0.50)),
                p99: round4(percentile(&lat, 0.99)),
            },
        }
    }
}

/// nDCG@10 of a ranking of document ids against graded judgments.
pub(crate) fn ndcg_at_10(ranking: &[String], relevant: &HashMap<String, f64>) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| relevant.get(d).copied().unwrap_or(0.0) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<f64> = relevant.values().copied().filter(|&g| g > 0.0).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| g / ((i + 2) as f64).log2())
        .sum();
    if idcg > 0.0 {
        dcg / idcg
    } else {
        0.0
    }
}

pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Evaluates retrieval on a BEIR folder or a SQuAD file. With only
/// `bm25` asked for, the corpus goes into a lexical index alone (no
/// embedding), built once per (corpus, chunking, analyzer) and reused.
pub fn eval_retrieval(
    engine: &Engine,
    req: &EvalRequest,
    progress: &mut dyn FnMut(Progress),
) -> Result<EvalReport, EngineError> {
    let dataset = Dataset::load(
        &req.dataset,
        req.split.as_deref(),
        &engine.config().parse,
        req.connector.as_deref(),
    )?;
    let analyzer = req.analyzer.unwrap_or(engine.config().lexical.analyzer);
    let needs_dense = req.modes.iter().any(|m| *m != SearchMode::Bm25);
    let name = eval_collection_name(
        engine,
        &dataset,
        analyzer,
        req.connector.as_deref(),
        needs_dense,
    )?;
    let megabytes = round4(dataset.text_bytes() as f64 / 1e6);
    let (lexical_only, indexing) = if needs_dense {
        let indexing = eval_collection(
            engine,
            &req.dataset,
            &name,
            analyzer,
            dataset.corpus,
            megabytes,
            progress,
        )?;
        (None, indexing)
    } else {
        let (index, indexing) =
            lexical_eval_index(engine, &name, analyzer, &dataset.corpus, megabytes)?;
        (Some(index), indexing)
    };
    let public = Scope::default().filter()?;

    let mut modes = BTreeMap::new();
    let mut by_domain: BTreeMap<String, BTreeMap<String, ModeMetrics>> = BTreeMap::new();
    for &mode in &req.modes {
        let mut all = Accumulator::default();
        let mut per_domain: BTreeMap<String, Accumulator> = BTreeMap::new();
        for q in &dataset.queries {
            let started = Instant::now();
            let doc_ids: Vec<String> = match &lexical_only {
                Some(index) => index
                    .search(&q.text, &public, 100)?
                    .into_iter()
                    .map(|h| h.chunk.doc_id)
                    .collect(),
                None => engine
                    .search(&SearchRequest {
                        query: q.text.clone(),
                        mode,
                        k: 100,
                        snippets: false,
                        scope: Scope {
                            collection: name.clone(),
                            ..Scope::default()
                        },
                    })?
                    .into_iter()
                    .map(|r| r.chunk.doc_id)
                    .collect(),
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            // Chunks → documents, best rank first.
            let mut seen = HashSet::new();
            let ranking: Vec<String> = doc_ids
                .into_iter()
                .filter(|d| seen.insert(d.clone()))
                .collect();
            all.add(&ranking, &q.relevant, ms);
            if let Some(d) = &q.domain {
                per_domain
                    .entry(d.clone())
                    .or_default()
                    .add(&ranking, &q.relevant, ms);
            }
        }
        modes.insert(mode.as_str().to_string(), all.metrics());
        for (d, acc) in per_domain {
            by_domain
                .entry(d)
                .or_default()
                .insert(mode.as_str().to_string(), acc.metrics());
        }
    }
    Ok(EvalReport {
        dataset: req.dataset.display().to_string(),
        analyzer: analyzer.to_string(),
        queries: dataset.queries.len(),
        indexing,
        modes,
        by_domain,
    })
}

/// The evaluation collection's name: a hash of the corpus, chunking,
/// analyzer, connector and (for dense modes) the embedder, so a second
/// run reuses it and a changed corpus gets its own.
pub(crate) fn eval_collection_name(
    engine: &Engine,
    dataset: &Dataset,
    analyzer: AnalyzerKind,
    connector: Option<&dyn seogo_docs::Connector>,
    dense: bool,
) -> Result<String, EngineError> {
    let mut h = Sha256::new();
    h.update(dataset.content_hash.as_bytes());
    h.update(format!("{:?}", engine.config().chunking));
    h.update(analyzer.as_str());
    if let Some(connector) = connector {
        h.update(connector.name());
    }
    if dense {
        h.update(serde_json::to_vec(engine.embedder()?.fingerprint()).unwrap_or_default());
    }
    Ok(format!(
        "{}{}",
        crate::EVAL_COLLECTION_PREFIX,
        &hex::encode(h.finalize())[..12]
    ))
}

/// Ingests an evaluation corpus into collection `name` (documents
/// already there at the same hash cost nothing); the indexing figures
/// when this run wrote chunks.
pub(crate) fn eval_collection(
    engine: &Engine,
    dataset: &std::path::Path,
    name: &str,
    analyzer: AnalyzerKind,
    corpus: Vec<seogo_docs::Document>,
    megabytes: f64,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<IndexingStats>, EngineError> {
    let started = Instant::now();
    engine.open_collection(name, Some(analyzer))?;
    let report = engine.ingest_documents(name, &dataset.display().to_string(), corpus, progress)?;
    if let Some(f) = report.failures.first() {
        return Err(EngineError::BadInput(format!("{}: {}", f.path, f.error)));
    }
    if report.chunks_written == 0 {
        return Ok(None);
    }
    let seconds = round4(started.elapsed().as_secs_f64());
    let average_lengths = engine.read_current(name, |col| Ok(col.lexical.average_lengths()?))?;
    Ok(Some(IndexingStats {
        chunks: report.chunks_written,
        megabytes,
        seconds,
        average_lengths,
    }))
}

/// The lexical-only evaluation index under `DATA/eval/NAME`, built
/// unless a complete one is there. `megabytes` is the corpus's text, for
/// the indexing figures.
fn lexical_eval_index(
    engine: &Engine,
    name: &str,
    analyzer: AnalyzerKind,
    corpus: &[seogo_docs::Document],
    megabytes: f64,
) -> Result<(LexicalIndex, Option<IndexingStats>), EngineError> {
    let dir = engine.config().data.dir.join("eval").join(name);
    let done = dir.join("complete");
    let index = LexicalIndex::open(&dir, analyzer, engine.lexical_resources()?)?;
    if done.exists() {
        return Ok((index, None));
    }
    let chunker = engine.config().chunking.chunker();
    let started = Instant::now();
    let mut chunks = 0;
    for doc in corpus {
        let doc_chunks = chunk_document(doc, &chunker);
        chunks += doc_chunks.len();
        index.replace_document(&doc.id, &doc_chunks)?;
    }
    index.commit()?;
    let seconds = round4(started.elapsed().as_secs_f64());
    seogo_durable::write(&done, b"", "eval-index")?;
    let average_lengths = index.average_lengths()?;
    Ok((
        index,
        Some(IndexingStats {
            chunks,
            megabytes,
            seconds,
            average_lengths,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        let relevant: HashMap<String, f64> = [("d3".to_string(), 1.0)].into();
        let ranking: Vec<String> = ["d1", "d2", "d3"].iter().map(|s| s.to_string()).collect();
        let mut acc = Accumulator::default();
        acc.add(&ranking, &relevant, 1.0);
        acc.add(&["d3".to_string()], &relevant, 3.0);
        let m = acc.metrics();
        // nDCG: (1/log2(4) + 1) / 2 = 0.75 ; MRR: (1/3 + 1) / 2.
        assert_eq!(m.ndcg_10, 0.75);
        assert_eq!(m.mrr_10, round4((1.0 / 3.0 + 1.0) / 2.0));
        assert_eq!(m.recall_5, 1.0);
        assert_eq!(m.latency_ms.p50, 1.0);
        assert_eq!(m.latency_ms.p99, 3.0);
    }
}
