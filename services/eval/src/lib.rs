//! Evaluation and benchmarks, over the engine's public API.
//!
//! `seogo eval` (retrieval: nDCG@10, recall, MRR per mode and domain;
//! answers: refusal, citation and overlap rates; `tune`: the ranker's and
//! the answer thresholds' settings chosen by cross-validation; `calibrate`)
//! and `seogo bench` (`bench/`: parsing, lexical, embedding, search at
//! scale, ask, generation, the quick run). They are kept out of the engine
//! so that what sites run does not carry them, and so that they can only
//! measure what a caller of the engine can do.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

pub mod answers;
pub mod bench;
pub mod calibrate;
mod dataset;
mod questions;
mod retrieval;
pub mod tune;

/// How evaluation collections' names begin (`eval-<hash>`): the server
/// shows them to admins only, as they hold whatever set was evaluated.
pub const EVAL_COLLECTION_PREFIX: &str = "eval-";

pub use retrieval::{eval_retrieval, EvalReport, EvalRequest, IndexingStats, Latency, ModeMetrics};
