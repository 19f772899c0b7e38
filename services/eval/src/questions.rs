//! The questions of an answer evaluation: a BEIR-layout set's queries with
//! their conversation, answerability label, gold passages and reference
//! answer, or a SQuAD file's questions (all answerable, their paragraph
//! gold, their first answer span the reference); and a reproducible
//! sample of them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use seogo_types::{ChatMessage, Role};
use serde::Deserialize;

use crate::dataset::Dataset;
use seogo_durable::PathContext;
use seogo_engine::EngineError;

/// A question with what scoring it needs.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) history: Vec<ChatMessage>,
    /// `ANSWERABLE`, `UNANSWERABLE`, `PARTIAL`, `UNDERSPECIFIED`; a set
    /// without labels has only answerable questions.
    pub(crate) answerability: String,
    pub(crate) gold: HashSet<String>,
    pub(crate) reference: Option<String>,
}

impl Question {
    pub(crate) fn answerable(&self) -> bool {
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
    let text = std::fs::read_to_string(path).at(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                EngineError::BadInput(format!("{}: line {}: {e}", path.display(), i + 1))
            })
        })
        .collect()
}

/// Every question of a BEIR set, with history, labels, gold and reference.
fn beir_questions(
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

/// A reproducible sample of `limit` items (all, in order, without one).
pub(crate) fn sample<T>(items: Vec<T>, limit: Option<usize>, seed: u64) -> Vec<T> {
    let Some(limit) = limit else {
        return items;
    };
    let mut items = shuffle(items, seed);
    items.truncate(limit);
    items
}

/// `items` in a reproducible random order (Fisher–Yates driven by
/// SplitMix64).
pub(crate) fn shuffle<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
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
    items
}

/// Every question of the set at `dir` (loaded as `dataset`).
pub(crate) fn questions(dir: &Path, dataset: &Dataset) -> Result<Vec<Question>, EngineError> {
    if dir.join("queries.jsonl").exists() {
        let qrels: HashMap<String, HashSet<String>> = dataset
            .qrels
            .iter()
            .map(|(q, rel)| (q.clone(), rel.keys().cloned().collect()))
            .collect();
        return beir_questions(dir, &qrels);
    }
    Ok(dataset
        .queries
        .iter()
        .map(|q| Question {
            id: q.id.clone(),
            text: q.text.clone(),
            history: Vec::new(),
            answerability: "ANSWERABLE".into(),
            gold: q.relevant.keys().cloned().collect(),
            reference: q.answer.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_reproducible() {
        let a = sample((0..50).collect::<Vec<_>>(), Some(5), 7);
        assert_eq!(a, sample((0..50).collect::<Vec<_>>(), Some(5), 7));
        assert_ne!(a, sample((0..50).collect::<Vec<_>>(), Some(5), 8));
        assert_eq!(sample(vec![1, 2, 3], None, 1), vec![1, 2, 3]);
    }
}
