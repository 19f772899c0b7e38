//! `seogo eval answers`: answer quality on a BEIR-layout folder whose
//! queries carry what answering needs — `metadata.answerability` and
//! `metadata.conversation` (mtrag-un), reference answers in
//! `answers.jsonl` (`query_id`, `answer`) or `generation_tasks.jsonl`
//! (`task_id`, `targets`, `contexts`).
//!
//! Every question goes through [`Engine::ask`] as a user's would (with
//! the conversation before it as history). The figures:
//! - refusal rate on UNANSWERABLE questions and on ANSWERABLE/PARTIAL ones;
//! - retrieval recall: a gold passage among the candidates retrieved for
//!   the (standalone) question;
//! - citation precision: cited passages that are gold passages (the
//!   judged or reference contexts), over all cited passages;
//! - gold-cited rate: answered questions citing a gold passage;
//! - token F1 and containment (share of the reference's terms in the
//!   answer) against the reference answer, on answered questions;
//! - time to first token and total time.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::{percentile, round4};
use crate::answer::{terms, AskRequest};
use crate::ingest::Progress;
use crate::retrieve::{Scope, SearchMode, SearchRequest};
use crate::{Engine, EngineError};
use seogo_models::{ChatMessage, Role};

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
    pub retrieved_gold: bool,
    pub cited: usize,
    pub cited_gold: usize,
    pub token_f1: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
}

/// The report `seogo eval answers --json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerEvalReport {
    pub dataset: String,
    pub model: String,
    pub questions: usize,
    pub answerable: usize,
    pub unanswerable: usize,
    pub refusal_rate_unanswerable: Option<f64>,
    pub refusal_rate_answerable: Option<f64>,
    pub retrieval_recall: Option<f64>,
    pub citation_precision: Option<f64>,
    pub gold_cited_rate: Option<f64>,
    pub token_f1: Option<f64>,
    pub containment: Option<f64>,
    pub ttft_ms_p50: Option<f64>,
    pub total_ms_p50: f64,
    pub total_ms_p90: f64,
    pub outcomes: Vec<AnswerOutcome>,
}

/// A question with what scoring it needs.
#[derive(Debug, Clone)]
struct Question {
    id: String,
    text: String,
    history: Vec<ChatMessage>,
    /// `ANSWERABLE`, `UNANSWERABLE`, `PARTIAL`, `UNDERSPECIFIED`; a set
    /// without labels has only answerable questions.
    answerability: String,
    gold: HashSet<String>,
    reference: Option<String>,
}

impl Question {
    fn answerable(&self) -> bool {
        matches!(self.answerability.as_str(), "ANSWERABLE" | "PARTIAL")
    }
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
    #[serde(default)]
    metadata: QueryMetadata,
}

#[derive(Default, Deserialize)]
struct QueryMetadata {
    #[serde(default)]
    answerability: Vec<String>,
    #[serde(default)]
    conversation: Vec<Turn>,
}

#[derive(Deserialize)]
struct Turn {
    speaker: String,
    text: String,
}

#[derive(Deserialize)]
struct ReferenceAnswer {
    query_id: String,
    answer: String,
}

#[derive(Deserialize)]
struct GenerationTask {
    task_id: String,
    #[serde(default)]
    targets: Vec<Turn>,
    #[serde(default)]
    contexts: Vec<Context>,
}

#[derive(Deserialize)]
struct Context {
    document_id: String,
}

fn jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|e| EngineError::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                EngineError::BadRequest(format!("{}: line {}: {e}", path.display(), i + 1))
            })
        })
        .collect()
}

/// Every question of the set, with history, labels, gold and reference.
fn questions(
    dir: &Path,
    qrels: &HashMap<String, HashSet<String>>,
) -> Result<Vec<Question>, EngineError> {
    let mut references: HashMap<String, String> = HashMap::new();
    let mut contexts: HashMap<String, HashSet<String>> = HashMap::new();
    if dir.join("answers.jsonl").exists() {
        for a in jsonl::<ReferenceAnswer>(&dir.join("answers.jsonl"))? {
            references.insert(a.query_id, a.answer);
        }
    }
    if dir.join("generation_tasks.jsonl").exists() {
        for t in jsonl::<GenerationTask>(&dir.join("generation_tasks.jsonl"))? {
            if let Some(target) = t.targets.first() {
                references.insert(t.task_id.clone(), target.text.clone());
            }
            contexts.insert(
                t.task_id,
                t.contexts.into_iter().map(|c| c.document_id).collect(),
            );
        }
    }
    let lines: Vec<QueryLine> = jsonl(&dir.join("queries.jsonl"))?;
    Ok(lines
        .into_iter()
        .map(|q| {
            let mut conversation = q.metadata.conversation;
            // The conversation ends with the question itself.
            if conversation
                .last()
                .is_some_and(|t| t.speaker == "user" && t.text.trim() == q.text.trim())
            {
                conversation.pop();
            }
            let history = conversation
                .into_iter()
                .map(|t| ChatMessage {
                    role: if t.speaker == "user" {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    content: t.text,
                })
                .collect();
            let mut gold = qrels.get(&q.id).cloned().unwrap_or_default();
            gold.extend(contexts.get(&q.id).cloned().unwrap_or_default());
            Question {
                answerability: q
                    .metadata
                    .answerability
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "ANSWERABLE".into()),
                reference: references.get(&q.id).cloned(),
                id: q.id,
                text: q.text,
                history,
                gold,
            }
        })
        .collect())
}

/// A reproducible sample: a Fisher–Yates shuffle driven by SplitMix64.
fn sample<T>(mut items: Vec<T>, limit: Option<usize>, seed: u64) -> Vec<T> {
    let Some(limit) = limit else {
        return items;
    };
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items.truncate(limit);
    items
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

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

impl Engine {
    pub fn eval_answers(
        &self,
        req: &AnswerEvalRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<AnswerEvalReport, EngineError> {
        let dataset = Dataset::load(&req.dataset, None, &self.config().parse, None)?;
        let qrels: HashMap<String, HashSet<String>> = dataset
            .qrels
            .iter()
            .map(|(q, rel)| (q.clone(), rel.keys().cloned().collect()))
            .collect();
        let questions = sample(questions(&req.dataset, &qrels)?, req.limit, req.seed);
        let analyzer = self.config().lexical.analyzer;
        let collection = self.eval_collection_name(&dataset, analyzer, None, true)?;
        let megabytes = round4(dataset.text_bytes() as f64 / 1e6);
        self.eval_collection(
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
        let model = self.generator()?.model_id().to_string();
        let mut outcomes = Vec::new();
        let (mut f1s, mut containments, mut ttfts, mut totals) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for q in &questions {
            let started = Instant::now();
            let mut first = None;
            let answer = self.ask(
                &AskRequest {
                    question: q.text.clone(),
                    history: q.history.clone(),
                    scope: scope.clone(),
                },
                &mut |_| {
                    first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                },
            )?;
            let total = started.elapsed().as_secs_f64() * 1000.0;
            let retrieved = self.search(&SearchRequest {
                query: answer
                    .standalone_question
                    .clone()
                    .unwrap_or_else(|| q.text.clone()),
                mode: SearchMode::Hybrid,
                k: 8,
                snippets: false,
                scope: scope.clone(),
            })?;
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
            if let Some(t) = first {
                ttfts.push(t);
            }
            totals.push(total);
            outcomes.push(AnswerOutcome {
                id: q.id.clone(),
                answerability: q.answerability.clone(),
                refused: !answer.grounded,
                retrieved_gold: retrieved.iter().any(|r| q.gold.contains(&r.chunk.doc_id)),
                cited: cited.len(),
                cited_gold,
                token_f1,
                ttft_ms: first.map(f64::round),
                total_ms: total.round(),
            });
        }
        let unanswerable_outcomes: Vec<&AnswerOutcome> = outcomes
            .iter()
            .filter(|o| o.answerability == "UNANSWERABLE")
            .collect();
        let answerable: Vec<&AnswerOutcome> = outcomes
            .iter()
            .filter(|o| matches!(o.answerability.as_str(), "ANSWERABLE" | "PARTIAL"))
            .collect();
        let unanswerable = unanswerable_outcomes.len();
        let with_gold: Vec<&AnswerOutcome> = outcomes
            .iter()
            .zip(&questions)
            .filter(|(_, q)| !q.gold.is_empty())
            .map(|(o, _)| o)
            .collect();
        let answered_with_gold: Vec<&&AnswerOutcome> =
            with_gold.iter().filter(|o| !o.refused).collect();
        for v in [&mut ttfts, &mut totals] {
            v.sort_by(f64::total_cmp);
        }
        Ok(AnswerEvalReport {
            dataset: req.dataset.display().to_string(),
            model,
            questions: outcomes.len(),
            answerable: answerable.len(),
            unanswerable,
            refusal_rate_unanswerable: ratio(
                unanswerable_outcomes.iter().filter(|o| o.refused).count(),
                unanswerable,
            ),
            refusal_rate_answerable: ratio(
                answerable.iter().filter(|o| o.refused).count(),
                answerable.len(),
            ),
            retrieval_recall: ratio(
                with_gold.iter().filter(|o| o.retrieved_gold).count(),
                with_gold.len(),
            ),
            citation_precision: ratio(
                answered_with_gold.iter().map(|o| o.cited_gold).sum(),
                answered_with_gold.iter().map(|o| o.cited).sum(),
            ),
            gold_cited_rate: ratio(
                answered_with_gold
                    .iter()
                    .filter(|o| o.cited_gold > 0)
                    .count(),
                answered_with_gold.len(),
            ),
            token_f1: mean(&f1s),
            containment: mean(&containments),
            ttft_ms_p50: (!ttfts.is_empty()).then(|| percentile(&ttfts, 0.5).round()),
            total_ms_p50: percentile(&totals, 0.5).round(),
            total_ms_p90: percentile(&totals, 0.9).round(),
            outcomes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_reproducible_and_overlap_is_symmetric_in_f1() {
        let a = sample((0..50).collect::<Vec<_>>(), Some(5), 7);
        assert_eq!(a, sample((0..50).collect::<Vec<_>>(), Some(5), 7));
        assert_ne!(a, sample((0..50).collect::<Vec<_>>(), Some(5), 8));
        assert_eq!(sample(vec![1, 2, 3], None, 1), vec![1, 2, 3]);
        let (f1, contained) = overlap("정기 점검 주기는 500시간이다", "정기 점검 주기는 500시간");
        assert!(f1 > 0.5 && contained > 0.99, "{f1} {contained}");
        assert_eq!(overlap("", "x"), (0.0, 0.0));
    }
}
