//! Retrieval: BM25, dense, or both fused; always inside the caller's ACL.

use std::str::FromStr;

use rayon::prelude::*;

use seogo_docs::{Chunk, PUBLIC_GROUP};
use seogo_index::{fuse, ContentTerms, FusionMethod, Hit, SearchFilter, Snippet};
use serde::{Deserialize, Serialize};

use crate::evidence::{QuestionTerms, ScoredChunk};
use crate::{Engine, EngineError};

/// Which engines answer a search.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    #[default]
    Hybrid,
    Bm25,
    Dense,
    /// Hybrid, then its top candidates re-ordered by the second-stage
    /// ranker: how well a chunk's best evidence window states the query
    /// (see `evidence`), blended with the fused score by
    /// `retrieval.rerank_weight`.
    Rerank,
}

impl SearchMode {
    pub const ALL: [SearchMode; 4] = [
        SearchMode::Bm25,
        SearchMode::Dense,
        SearchMode::Hybrid,
        SearchMode::Rerank,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Hybrid => "hybrid",
            SearchMode::Bm25 => "bm25",
            SearchMode::Dense => "dense",
            SearchMode::Rerank => "rerank",
        }
    }
}

impl FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mode `{s}` (hybrid, bm25, dense or rerank)"))
    }
}

/// Fused candidates the second-stage ranker re-orders.
pub const RERANK_DEPTH: usize = 30;

/// Where a search or a question runs and as whom: the collection, the
/// caller's groups and metadata constraints. Shared by every request kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default = "default_collection")]
    pub collection: String,
    /// `KEY=VALUE` metadata constraints (domain, doc_id, metadata keys).
    #[serde(default)]
    pub filters: Vec<String>,
    /// The caller's groups, besides the public group everyone has.
    #[serde(default)]
    pub principals: Vec<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            collection: default_collection(),
            filters: Vec::new(),
            principals: Vec::new(),
        }
    }
}

/// A search as the CLI and the API express it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchRequest {
    pub query: String,
    #[serde(default)]
    pub mode: SearchMode,
    #[serde(default = "default_k")]
    pub k: usize,
    /// Attach a highlighted snippet to each result (evaluation turns it off).
    #[serde(default = "default_snippets")]
    pub snippets: bool,
    #[serde(flatten)]
    pub scope: Scope,
}

fn default_k() -> usize {
    10
}

fn default_snippets() -> bool {
    true
}

/// Snippet length, in characters: two or three lines of a result list.
const SNIPPET_CHARS: usize = 200;

fn default_collection() -> String {
    crate::DEFAULT_COLLECTION.to_string()
}

/// One result, with where each engine ranked it.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub rank: usize,
    pub score: f32,
    pub bm25_rank: Option<usize>,
    pub dense_rank: Option<usize>,
    /// Where the query's terms are in the chunk, highlighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
    pub chunk: Chunk,
}

/// Longest query accepted, in bytes: a query is a question, not a document.
const MAX_QUERY_BYTES: usize = 8 * 1024;
const MAX_K: usize = 1000;

impl Scope {
    /// The ACL and metadata filter this scope runs under.
    pub fn filter(&self) -> Result<SearchFilter, EngineError> {
        let mut principals: Vec<String> = self
            .principals
            .iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        principals.push(PUBLIC_GROUP.to_string());
        principals.sort();
        principals.dedup();
        let equals = self
            .filters
            .iter()
            .map(|f| {
                f.split_once('=')
                    .filter(|(k, _)| !k.trim().is_empty())
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| EngineError::InvalidFilter(f.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(SearchFilter {
            principals,
            equals,
            identifiers: Vec::new(),
        })
    }
}

impl SearchRequest {
    fn validate(&self) -> Result<(), EngineError> {
        if self.query.trim().is_empty() {
            return Err(EngineError::EmptyQuery);
        }
        if self.query.len() > MAX_QUERY_BYTES {
            return Err(EngineError::QueryTooLong {
                bytes: self.query.len(),
                limit: MAX_QUERY_BYTES,
            });
        }
        if self.k == 0 || self.k > MAX_K {
            return Err(EngineError::KOutOfRange { max: MAX_K });
        }
        Ok(())
    }
}

impl Engine {
    /// Runs a search in its collection.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<SearchResult>, EngineError> {
        req.validate()?;
        let filter = req.scope.filter()?;
        let cfg = &self.config().retrieval;
        self.read_current(&req.scope.collection, |col| {
            // Identifiers the query requires (PN-4471-A, 제3조) bind the dense
            // side too: a near code must not come back by embedding similarity.
            let required = col.lexical.required_identifiers(&req.query, &filter);
            // A cluster filters by them inside Qdrant; the check below is
            // the embedded store's filter.
            let dense_filter = SearchFilter {
                identifiers: required.clone(),
                ..filter.clone()
            };
            let dense = |k: usize| -> Result<Vec<Hit>, EngineError> {
                col.check_embedder(self.embedder()?.fingerprint())?;
                let vector = self.query_vector(&req.query)?;
                let mut hits = col.vectors.search(&vector, &dense_filter, k)?;
                hits.retain(|h| col.lexical.has_identifiers(&h.chunk, &required));
                Ok(hits)
            };
            // Both lists at once (BM25 finishes while the query is
            // embedded), fused here.
            let fuse_two_lists = |depth: usize| -> Result<Vec<SearchResult>, EngineError> {
                let (lexical, dense) = std::thread::scope(|scope| {
                    let dense = scope.spawn(|| dense(cfg.dense_k.max(depth)));
                    let lexical = col
                        .lexical
                        .search(&req.query, &filter, cfg.lexical_k.max(depth));
                    (lexical, dense.join())
                });
                let dense = dense.map_err(|_| {
                    seogo_index::IndexError::Vector("the dense search failed (a panic)".into())
                })??;
                let lists = [(cfg.lexical_weight, lexical?), (cfg.dense_weight, dense)];
                Ok(fuse(&lists, cfg.fusion, depth)
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| SearchResult {
                        rank: i + 1,
                        score: f.score,
                        bm25_rank: f.ranks[0],
                        dense_rank: f.ranks[1],
                        snippet: None,
                        chunk: f.hit.chunk,
                    })
                    .collect())
            };
            let mut results = match req.mode {
                SearchMode::Bm25 => ranked(col.lexical.search(&req.query, &filter, req.k)?, true),
                SearchMode::Dense => ranked(dense(req.k)?, false),
                SearchMode::Hybrid | SearchMode::Rerank => {
                    let depth = match req.mode {
                        SearchMode::Rerank => req.k.max(RERANK_DEPTH),
                        _ => req.k,
                    };
                    let fused = match (cfg.fusion, col.lexical.fuses_on_cluster()) {
                        (FusionMethod::Rrf { k: rrf_k }, true) => {
                            // One Query API call; Qdrant's fusion keeps no
                            // per-list ranks.
                            col.check_embedder(self.embedder()?.fingerprint())?;
                            let vector = self.query_vector(&req.query)?;
                            let hits = col
                                .lexical
                                .search_fused_on_cluster(
                                    &req.query,
                                    &vector,
                                    &dense_filter,
                                    (cfg.lexical_k.max(depth), cfg.dense_k.max(depth)),
                                    (cfg.lexical_weight, cfg.dense_weight),
                                    rrf_k.round() as u32 + 1,
                                    depth,
                                )?
                                .unwrap_or_default();
                            ranked(hits, false)
                                .into_iter()
                                .map(|r| SearchResult {
                                    dense_rank: None,
                                    ..r
                                })
                                .collect()
                        }
                        _ => fuse_two_lists(depth)?,
                    };
                    if req.mode == SearchMode::Rerank {
                        let question = QuestionTerms::of(&col.lexical, &req.query);
                        rerank(
                            fused,
                            &question,
                            &|t| col.lexical.content_terms(t),
                            cfg.rerank_weight,
                            req.k,
                        )
                    } else {
                        fused
                    }
                }
            };
            if req.snippets {
                // Each snippet runs the analyzers over its result's text
                // (0.2-0.5 ms apiece): spread over the cores.
                let terms = col.lexical.snippet_terms(&req.query);
                results.par_iter_mut().for_each(|r| {
                    r.snippet = Some(
                        col.lexical
                            .snippet_for(&terms, &r.chunk.text, SNIPPET_CHARS),
                    );
                });
            }
            Ok(results)
        })
    }
}

/// The second-stage ranker: each candidate's score becomes `weight` ×
/// its best evidence window's score + (1 − `weight`) × its fused score
/// relative to the best one; the first `k` of the new order, re-numbered.
pub(crate) fn rerank(
    mut candidates: Vec<SearchResult>,
    question: &QuestionTerms,
    analyze: &(dyn Fn(&str) -> ContentTerms + Sync),
    weight: f32,
    k: usize,
) -> Vec<SearchResult> {
    let top = candidates.first().map_or(0.0, |r| r.score);
    candidates.par_iter_mut().for_each(|r| {
        let window = ScoredChunk::new(r.chunk.clone(), question, analyze).best();
        r.score = rerank_score(weight, window, r.score, top);
    });
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.rank.cmp(&b.rank)));
    candidates.truncate(k);
    for (i, r) in candidates.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    candidates
}

/// The second-stage ranker's score of a candidate whose best evidence
/// window scored `window` (0–1) and whose fused score is `fused`, the best
/// candidate's being `top`.
pub fn rerank_score(weight: f32, window: f32, fused: f32, top: f32) -> f32 {
    let relative = if top > 0.0 { fused / top } else { 0.0 };
    weight * window + (1.0 - weight) * relative
}

fn ranked(hits: Vec<Hit>, lexical: bool) -> Vec<SearchResult> {
    hits.into_iter()
        .enumerate()
        .map(|(i, h)| SearchResult {
            rank: i + 1,
            score: h.score,
            bm25_rank: lexical.then_some(i + 1),
            dense_rank: (!lexical).then_some(i + 1),
            snippet: None,
            chunk: h.chunk,
        })
        .collect()
}
