//! `seogo eval answers`: answer quality on a BEIR-layout folder whose
//! queries carry what answering needs — `metadata.answerability` and
//! `metadata.conversation` (mtrag-un), reference answers in
//! `answers.jsonl` (`query_id`, `answer`) or `generation_tasks.jsonl`
//! (`task_id`, `targets`, `contexts`) — or a SQuAD-format file (KorQuAD:
//! every question answerable, its paragraph gold, its first answer span
//! the reference).
//!
//! Every question goes through [`Engine::ask`] as a user's would (with
//! the conversation before it as history). The figures, each rate with
//! its Wilson 95 % interval:
//! - refusal rate on UNANSWERABLE questions and on ANSWERABLE/PARTIAL
//!   ones, with and without the extractive floor (the model's own);
//! - retrieval recall: a gold passage among the sources the model was
//!   given;
//! - citation precision: cited passages that are gold passages (the
//!   judged or reference contexts), over all cited passages;
//! - gold-cited rate: answered questions citing a gold passage;
//! - token F1 and containment (share of the reference's terms in the
//!   answer) against the reference answer, on answered questions;
//! - time to the sources, to the first token, and in total.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::questions::{questions, sample};
use crate::retrieval::{eval_collection, eval_collection_name, percentile, round4};
use seogo_engine::answer::{terms, AskEvent, AskRequest};
use seogo_engine::ingest::Progress;
use seogo_engine::retrieve::Scope;
use seogo_engine::{Engine, EngineError};

/// Which set, and how much of it.
#[derive(Debug, Clone)]
pub struct AnswerEvalRequest {
    pub dataset: PathBuf,
    /// Evaluate a sample of this many questions (all when `None`).
    pub limit: Option<usize>,
    /// Seed of the sample.
    pub seed: u64,
}

/// One question's outcome (in the JSON report, for looking into failures).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerOutcome {
    pub id: String,
    pub answerability: String,
    pub refused: bool,
    /// Answered by the extractive floor.
    pub extractive: bool,
    /// The model's own outcome: it declined, or nothing it wrote held
    /// (whether or not the floor then answered).
    pub model_refused: bool,
    pub retrieved_gold: bool,
    pub cited: usize,
    pub cited_gold: usize,
    pub token_f1: Option<f64>,
    /// The answer's coverage of the question (see `Answer::coverage`).
    #[serde(default)]
    pub coverage: f32,
    /// The best evidence window's own coverage of the question (the
    /// extractive floor's measure).
    #[serde(default)]
    pub extract_coverage: f32,
    pub prompt_tokens: Option<usize>,
    pub sources_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
}

/// A proportion with its Wilson score 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Out of how many.
    pub n: usize,
}

impl Rate {
    /// `part` of `whole`; none of none is no rate.
    pub fn of(part: usize, whole: usize) -> Option<Rate> {
        if whole == 0 {
            return None;
        }
        let (n, p) = (whole as f64, part as f64 / whole as f64);
        let z = 1.959_964_f64;
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        Some(Rate {
            value: round4(p),
            low: round4((centre - half).max(0.0)),
            high: round4((centre + half).min(1.0)),
            n: whole,
        })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} [{:.3}, {:.3}] (n = {})",
            self.value, self.low, self.high, self.n
        )
    }
}

/// The report `seogo eval answers --json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerEvalReport {
    pub dataset: String,
    pub model: String,
    pub questions: usize,
    pub answerable: usize,
    pub unanswerable: usize,
    pub refusal_rate_unanswerable: Option<Rate>,
    pub refusal_rate_answerable: Option<Rate>,
    /// The same two before the extractive floor: the model's own.
    pub model_refusal_rate_unanswerable: Option<Rate>,
    pub model_refusal_rate_answerable: Option<Rate>,
    /// Answered questions answered by the floor.
    pub extractive_rate: Option<Rate>,
    pub retrieval_recall: Option<Rate>,
    pub citation_precision: Option<Rate>,
    pub gold_cited_rate: Option<Rate>,
    pub token_f1: Option<f64>,
    pub containment: Option<f64>,
    pub sources_ms_p50: Option<f64>,
    pub ttft_ms_p50: Option<f64>,
    pub total_ms_p50: f64,
    pub total_ms_p90: f64,
    pub outcomes: Vec<AnswerOutcome>,
}

/// Token F1 and containment (reference terms found) of `answer`.
pub(crate) fn overlap(answer: &str, reference: &str) -> (f64, f64) {
    let (a, r) = (terms(answer), terms(reference));
    if a.is_empty() || r.is_empty() {
        return (0.0, 0.0);
    }
    let common = a.intersection(&r).count() as f64;
    let (precision, recall) = (common / a.len() as f64, common / r.len() as f64);
    let f1 = if common == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (f1, recall)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| round4(values.iter().sum::<f64>() / values.len() as f64))
}

/// The document id of a chunk id (`{doc_id}#{ordinal}`).
fn doc_of(chunk_id: &str) -> &str {
    chunk_id.rsplit_once('#').map_or(chunk_id, |(doc, _)| doc)
}

/// The count of `outcomes` for which `test` holds, as a rate.
fn rate_of(outcomes: &[&AnswerOutcome], test: impl Fn(&AnswerOutcome) -> bool) -> Option<Rate> {
    Rate::of(outcomes.iter().filter(|o| test(o)).count(), outcomes.len())
}

pub fn eval_answers(
    engine: &Engine,
    req: &AnswerEvalRequest,
    progress: &mut dyn FnMut(Progress),
) -> Result<AnswerEvalReport, EngineError> {
    let dataset = Dataset::load(&req.dataset, None, &engine.config().parse, None)?;
    let questions = sample(questions(&req.dataset, &dataset)?, req.limit, req.seed);
    let analyzer = engine.config().lexical.analyzer;
    let collection = eval_collection_name(engine, &dataset, analyzer, None, true)?;
    let megabytes = round4(dataset.text_bytes() as f64 / 1e6);
    eval_collection(
        engine,
        &req.dataset,
        &collection,
        analyzer,
        dataset.corpus,
        megabytes,
        progress,
    )?;
    let scope = Scope {
        collection,
        ..Scope::default()
    };
    let model = engine.generator()?.model_id().to_string();
    let mut outcomes = Vec::new();
    let (mut f1s, mut containments) = (Vec::new(), Vec::new());
    for (i, q) in questions.iter().enumerate() {
        let started = Instant::now();
        let (mut sources, mut first) = (None, None);
        let answer = engine.ask(
            &AskRequest {
                question: q.text.clone(),
                history: q.history.clone(),
                scope: scope.clone(),
            },
            &mut |e| {
                let at = started.elapsed().as_secs_f64() * 1000.0;
                match e {
                    AskEvent::Sources(_) => sources = Some(at),
                    AskEvent::Text(_) => {
                        first.get_or_insert(at);
                    }
                }
            },
        )?;
        let total = started.elapsed().as_secs_f64() * 1000.0;
        // The best window's own coverage, whether or not the floor
        // was needed: what `eval calibrate` replays the floor with.
        let asked = answer.standalone_question.as_deref().unwrap_or(&q.text);
        let (evidence, _) = engine.evidence(asked, &scope, usize::MAX, &mut |_| Ok(0))?;
        let cited: HashSet<&str> = answer.citations.iter().map(|c| c.doc_id.as_str()).collect();
        let cited_gold = cited.iter().filter(|d| q.gold.contains(**d)).count();
        let token_f1 = match (&q.reference, answer.grounded && q.answerable()) {
            (Some(reference), true) => {
                let (f1, contained) = overlap(&answer.answer, reference);
                f1s.push(f1);
                containments.push(contained);
                Some(round4(f1))
            }
            _ => None,
        };
        let outcome = AnswerOutcome {
            id: q.id.clone(),
            answerability: q.answerability.clone(),
            refused: !answer.grounded,
            extractive: answer.extractive,
            model_refused: !answer.grounded || answer.extractive,
            retrieved_gold: answer.retrieved.iter().any(|c| q.gold.contains(doc_of(c))),
            cited: cited.len(),
            cited_gold,
            token_f1,
            coverage: answer.coverage,
            extract_coverage: evidence.best.map_or(0.0, |b| b.coverage),
            prompt_tokens: answer.usage.map(|u| u.prompt_tokens),
            sources_ms: sources.map(f64::round),
            ttft_ms: first.map(f64::round),
            total_ms: total.round(),
        };
        tracing::info!(
            question = i + 1,
            of = questions.len(),
            id = %q.id,
            refused = outcome.refused,
            extractive = outcome.extractive,
            seconds = total / 1000.0,
            "answered"
        );
        outcomes.push(outcome);
    }
    let of_kind = |answerable: bool| -> Vec<&AnswerOutcome> {
        outcomes
            .iter()
            .zip(&questions)
            .filter(|(o, q)| q.answerable() == answerable && o.answerability != "UNDERSPECIFIED")
            .map(|(o, _)| o)
            .collect()
    };
    let (answerable, unanswerable) = (of_kind(true), of_kind(false));
    let with_gold: Vec<&AnswerOutcome> = outcomes
        .iter()
        .zip(&questions)
        .filter(|(_, q)| !q.gold.is_empty())
        .map(|(o, _)| o)
        .collect();
    let answered_with_gold: Vec<&AnswerOutcome> =
        with_gold.iter().copied().filter(|o| !o.refused).collect();
    let answered: Vec<&AnswerOutcome> = outcomes.iter().filter(|o| !o.refused).collect();
    let sorted = |values: Vec<f64>| {
        let mut values = values;
        values.sort_by(f64::total_cmp);
        values
    };
    let sources_ms = sorted(outcomes.iter().filter_map(|o| o.sources_ms).collect());
    let ttfts = sorted(outcomes.iter().filter_map(|o| o.ttft_ms).collect());
    let totals = sorted(outcomes.iter().map(|o| o.total_ms).collect());
    let p50 = |v: &[f64]| (!v.is_empty()).then(|| percentile(v, 0.5).round());
    Ok(AnswerEvalReport {
        dataset: req.dataset.display().to_string(),
        model,
        questions: outcomes.len(),
        answerable: answerable.len(),
        unanswerable: unanswerable.len(),
        refusal_rate_unanswerable: rate_of(&unanswerable, |o| o.refused),
        refusal_rate_answerable: rate_of(&answerable, |o| o.refused),
        model_refusal_rate_unanswerable: rate_of(&unanswerable, |o| o.model_refused),
        model_refusal_rate_answerable: rate_of(&answerable, |o| o.model_refused),
        extractive_rate: rate_of(&answered, |o| o.extractive),
        retrieval_recall: rate_of(&with_gold, |o| o.retrieved_gold),
        citation_precision: Rate::of(
            answered_with_gold.iter().map(|o| o.cited_gold).sum(),
            answered_with_gold.iter().map(|o| o.cited).sum(),
        ),
        gold_cited_rate: rate_of(&answered_with_gold, |o| o.cited_gold > 0),
        token_f1: mean(&f1s),
        containment: mean(&containments),
        sources_ms_p50: p50(&sources_ms),
        ttft_ms_p50: p50(&ttfts),
        total_ms_p50: percentile(&totals, 0.5).round(),
        total_ms_p90: percentile(&totals, 0.9).round(),
        outcomes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_symmetric_in_f1_and_rates_carry_wilson_intervals() {
        let (f1, contained) = overlap("정기 점검 주기는 500시간이다", "정기 점검 주기는 500시간");
        assert!(f1 > 0.5 && contained > 0.99, "{f1} {contained}");
        assert_eq!(overlap("", "x"), (0.0, 0.0));
        // 20 of 100: Wilson's interval is [0.133, 0.289].
        let r = Rate::of(20, 100).expect("rate");
        assert_eq!((r.value, r.low, r.high, r.n), (0.2, 0.1334, 0.2888, 100));
        // All or nothing still has an interval on the inside.
        let all = Rate::of(12, 12).expect("rate");
        assert!(
            all.value == 1.0 && all.high == 1.0 && all.low < 0.8,
            "{all:?}"
        );
        assert_eq!(Rate::of(0, 0), None);
        assert_eq!(doc_of("a/b.md#3"), "a/b.md");
    }
}
