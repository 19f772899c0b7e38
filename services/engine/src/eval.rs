//! Retrieval evaluation on BEIR-layout folders (`corpus.jsonl`,
//! `queries.jsonl`, `qrels/*.tsv`): nDCG@10, recall@5/10/100, MRR@10 and
//! latency per mode, overall and per `metadata.domain`.
//!
//! The corpus is ingested through the normal path into a collection named by
//! a hash of the corpus, the embedder and the chunking, so a second run
//! reuses it and a changed corpus gets its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::{IngestRequest, Progress};
use crate::retrieve::{Scope, SearchMode, SearchRequest};
use crate::{Engine, EngineError};

/// Which dataset and modes to evaluate.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    pub dataset: PathBuf,
    pub modes: Vec<SearchMode>,
    /// `qrels/{split}.tsv`; `None` takes the only file there.
    pub split: Option<String>,
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
    pub queries: usize,
    pub modes: BTreeMap<String, ModeMetrics>,
    pub by_domain: BTreeMap<String, BTreeMap<String, ModeMetrics>>,
}

#[derive(Deserialize)]
struct QueryRecord {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

fn id_string(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Per-query scores, accumulated then averaged.
#[derive(Debug, Default, Clone)]
struct Accumulator {
    ndcg_10: Vec<f64>,
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
        let mrr = ranking
            .iter()
            .take(10)
            .position(|d| relevant.get(d).is_some_and(|&g| g > 0.0))
            .map_or(0.0, |p| 1.0 / (p + 1) as f64);
        self.ndcg_10.push(if idcg > 0.0 { dcg / idcg } else { 0.0 });
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

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn read_to_string(path: &Path) -> Result<String, EngineError> {
    std::fs::read_to_string(path).map_err(|e| EngineError::io(path, e))
}

fn qrels_path(dataset: &Path, split: Option<&str>) -> Result<PathBuf, EngineError> {
    let dir = dataset.join("qrels");
    if let Some(split) = split {
        return Ok(dir.join(format!("{split}.tsv")));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| EngineError::io(&dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    match files.len() {
        1 => Ok(files.remove(0)),
        0 => Err(EngineError::BadRequest(format!(
            "{}: no qrels .tsv file",
            dir.display()
        ))),
        _ => Err(EngineError::BadRequest(format!(
            "{}: several qrels files; choose one with --split",
            dir.display()
        ))),
    }
}

/// query id → (doc id → grade).
fn read_qrels(path: &Path) -> Result<HashMap<String, HashMap<String, f64>>, EngineError> {
    let mut qrels: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for (i, line) in read_to_string(path)?.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || (i == 0 && cols[2].trim().parse::<f64>().is_err()) {
            continue;
        }
        let grade: f64 = cols[2].trim().parse().map_err(|_| {
            EngineError::BadRequest(format!("{}: line {}: bad score", path.display(), i + 1))
        })?;
        qrels
            .entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), grade);
    }
    Ok(qrels)
}

impl Engine {
    /// Evaluates retrieval on a BEIR folder.
    pub fn eval_retrieval(
        &self,
        req: &EvalRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<EvalReport, EngineError> {
        let corpus = req.dataset.join("corpus.jsonl");
        let corpus_bytes = std::fs::read(&corpus).map_err(|e| EngineError::io(&corpus, e))?;
        let qrels = read_qrels(&qrels_path(&req.dataset, req.split.as_deref())?)?;
        let queries_path = req.dataset.join("queries.jsonl");
        let mut queries = Vec::new();
        for (i, line) in read_to_string(&queries_path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let q: QueryRecord = serde_json::from_str(line).map_err(|e| {
                EngineError::BadRequest(format!("{}: line {}: {e}", queries_path.display(), i + 1))
            })?;
            let id = id_string(q.id);
            if let Some(relevant) = qrels.get(&id) {
                let domain = q
                    .metadata
                    .get("domain")
                    .and_then(|d| d.as_str())
                    .map(str::to_string);
                queries.push((q.text, domain, relevant));
            }
        }

        // A collection per (corpus, embedder, chunking).
        let embedder = self.embedder()?;
        let mut h = Sha256::new();
        h.update(&corpus_bytes);
        h.update(serde_json::to_vec(embedder.fingerprint()).unwrap_or_default());
        h.update(format!("{:?}", self.config().chunking));
        let collection = format!("eval-{}", &hex::encode(h.finalize())[..12]);
        let report = self.ingest(
            &IngestRequest {
                paths: vec![corpus],
                collection: collection.clone(),
                domain: seogo_docs::Domain::General,
                acl: Vec::new(),
                remove_missing: true,
            },
            progress,
        )?;
        if let Some(f) = report.failures.first() {
            return Err(EngineError::BadRequest(format!("{}: {}", f.path, f.error)));
        }

        let mut modes = BTreeMap::new();
        let mut by_domain: BTreeMap<String, BTreeMap<String, ModeMetrics>> = BTreeMap::new();
        for &mode in &req.modes {
            let mut all = Accumulator::default();
            let mut per_domain: BTreeMap<String, Accumulator> = BTreeMap::new();
            for (text, domain, relevant) in &queries {
                let search = SearchRequest {
                    query: text.clone(),
                    mode,
                    k: 100,
                    scope: Scope {
                        collection: collection.clone(),
                        ..Scope::default()
                    },
                };
                let started = Instant::now();
                let results = self.search(&search)?;
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                // Chunks → documents, best rank first.
                let mut seen = HashSet::new();
                let ranking: Vec<String> = results
                    .into_iter()
                    .map(|r| r.chunk.doc_id)
                    .filter(|d| seen.insert(d.clone()))
                    .collect();
                all.add(&ranking, relevant, ms);
                if let Some(d) = domain {
                    per_domain
                        .entry(d.clone())
                        .or_default()
                        .add(&ranking, relevant, ms);
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
            queries: queries.len(),
            modes,
            by_domain,
        })
    }
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
