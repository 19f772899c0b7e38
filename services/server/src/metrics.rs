//! `GET /metrics` in Prometheus' text format: requests and latency per
//! route, authentication failures, generated tokens and answers, ingest
//! counters, and
//! index sizes read at scrape time. Hand-written: a few counters do not
//! need a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, seconds: search is milliseconds, answers are
/// seconds to minutes on a CPU.
const BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0];

#[derive(Debug, Default)]
struct RouteStats {
    /// By status code.
    requests: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    seconds_sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    auth_failures: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    answers: AtomicU64,
    refusals: AtomicU64,
    documents_ingested: AtomicU64,
    ingest_failures: AtomicU64,
    feedback_up: AtomicU64,
    feedback_down: AtomicU64,
}

/// One collection's size, for the gauges.
pub struct IndexSize {
    pub collection: String,
    pub documents: u64,
    pub chunks: u64,
}

impl Metrics {
    pub(crate) fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes
            .entry((method.to_string(), route.to_string()))
            .or_default();
        *stats.requests.entry(status).or_default() += 1;
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(stats.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        stats.seconds_sum += seconds;
        stats.count += 1;
    }

    pub(crate) fn auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn answer(&self, prompt_tokens: usize, completion_tokens: usize, refused: bool) {
        self.prompt_tokens
            .fetch_add(prompt_tokens as u64, Ordering::Relaxed);
        self.completion_tokens
            .fetch_add(completion_tokens as u64, Ordering::Relaxed);
        self.answers.fetch_add(1, Ordering::Relaxed);
        if refused {
            self.refusals.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn feedback(&self, helpful: bool) {
        let counter = if helpful {
            &self.feedback_up
        } else {
            &self.feedback_down
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn ingested(&self, documents: usize, failures: usize) {
        self.documents_ingested
            .fetch_add(documents as u64, Ordering::Relaxed);
        self.ingest_failures
            .fetch_add(failures as u64, Ordering::Relaxed);
    }

    /// The exposition text.
    pub(crate) fn render(&self, sizes: &[IndexSize]) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        };
        counter(
            &mut out,
            "seogo_auth_failures_total",
            "Requests refused for missing or invalid credentials.",
            &self.auth_failures,
        );
        counter(
            &mut out,
            "seogo_prompt_tokens_total",
            "Prompt tokens sent to the generator.",
            &self.prompt_tokens,
        );
        counter(
            &mut out,
            "seogo_completion_tokens_total",
            "Tokens the generator produced.",
            &self.completion_tokens,
        );
        counter(
            &mut out,
            "seogo_answers_total",
            "Answers given (refusals included).",
            &self.answers,
        );
        counter(
            &mut out,
            "seogo_refusals_total",
            "Answers that said the documents do not answer the question.",
            &self.refusals,
        );
        counter(
            &mut out,
            "seogo_feedback_helpful_total",
            "Answers readers marked helpful.",
            &self.feedback_up,
        );
        counter(
            &mut out,
            "seogo_feedback_unhelpful_total",
            "Answers readers marked not helpful.",
            &self.feedback_down,
        );
        counter(
            &mut out,
            "seogo_documents_ingested_total",
            "Documents added or updated through uploads.",
            &self.documents_ingested,
        );
        counter(
            &mut out,
            "seogo_ingest_failures_total",
            "Uploaded files that could not be indexed.",
            &self.ingest_failures,
        );
        if let Ok(routes) = self.routes.lock() {
            out.push_str("# HELP seogo_http_requests_total Requests by route and status.\n# TYPE seogo_http_requests_total counter\n");
            for ((method, route), stats) in routes.iter() {
                for (status, n) in &stats.requests {
                    let _ = writeln!(
                        out,
                        "seogo_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                    );
                }
            }
            out.push_str("# HELP seogo_http_request_seconds Request latency by route.\n# TYPE seogo_http_request_seconds histogram\n");
            for ((method, route), stats) in routes.iter() {
                let labels = format!("method=\"{method}\",route=\"{route}\"");
                for (bound, n) in BUCKETS.iter().zip(stats.buckets) {
                    let _ = writeln!(
                        out,
                        "seogo_http_request_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "seogo_http_request_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    stats.count
                );
                let _ = writeln!(
                    out,
                    "seogo_http_request_seconds_sum{{{labels}}} {}",
                    stats.seconds_sum
                );
                let _ = writeln!(
                    out,
                    "seogo_http_request_seconds_count{{{labels}}} {}",
                    stats.count
                );
            }
        }
        out.push_str("# HELP seogo_index_documents Documents per collection.\n# TYPE seogo_index_documents gauge\n");
        for s in sizes {
            let _ = writeln!(
                out,
                "seogo_index_documents{{collection=\"{}\"}} {}",
                s.collection, s.documents
            );
        }
        out.push_str(
            "# HELP seogo_index_chunks Chunks per collection.\n# TYPE seogo_index_chunks gauge\n",
        );
        for s in sizes {
            let _ = writeln!(
                out,
                "seogo_index_chunks{{collection=\"{}\"}} {}",
                s.collection, s.chunks
            );
        }
        out
    }
}
