//! `seogo eval calibrate`: the answer-coverage threshold
//! (`answer.min_coverage`) chosen by cross-validation from `eval answers`
//! reports, without generating again. Each outcome records the model's own
//! result, its answer's coverage of the question and the best window's
//! coverage, so any threshold's effect can be replayed: an answer below
//! it is declined, and the extractive floor then answers if the best
//! window clears the floor's threshold.
//!
//! The threshold maximises balanced accuracy (the mean of the answered
//! share of answerable questions and the declined share of unanswerable
//! ones) on the training folds of the pooled outcomes, and is scored on
//! the fold left out.

use serde::{Deserialize, Serialize};

use crate::answers::{AnswerEvalReport, AnswerOutcome, Rate};
use crate::retrieval::round4;
use crate::tune::fold_assignment;

/// Thresholds tried.
const STEPS: [f32; 13] = [
    0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8,
];

/// One fold: the threshold chosen on the others and how it does on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationFold {
    pub fold: usize,
    pub min_coverage: f32,
    pub refusal_answerable: Option<Rate>,
    pub refusal_unanswerable: Option<Rate>,
}

/// The report `seogo eval calibrate` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub outcomes: usize,
    pub floor: f32,
    /// The threshold chosen on all outcomes.
    pub min_coverage: f32,
    /// Refusal rates with it, and with none, on all outcomes.
    pub refusal_answerable: Option<Rate>,
    pub refusal_unanswerable: Option<Rate>,
    pub refusal_answerable_without: Option<Rate>,
    pub refusal_unanswerable_without: Option<Rate>,
    pub folds: Vec<CalibrationFold>,
}

/// Whether the question is answered with `min_coverage` and the floor at
/// `floor`.
fn answered(o: &AnswerOutcome, min_coverage: f32, floor: f32) -> bool {
    (!o.model_refused && o.coverage >= min_coverage) || o.extract_coverage >= floor
}

fn labelled(o: &AnswerOutcome) -> Option<bool> {
    match o.answerability.as_str() {
        "ANSWERABLE" | "PARTIAL" => Some(true),
        "UNANSWERABLE" => Some(false),
        _ => None,
    }
}

/// Refusal rates (answerable, unanswerable) over `outcomes`.
fn refusals(
    outcomes: &[&AnswerOutcome],
    min_coverage: f32,
    floor: f32,
) -> (Option<Rate>, Option<Rate>) {
    let rate = |answerable: bool| {
        let of_kind: Vec<&&AnswerOutcome> = outcomes
            .iter()
            .filter(|o| labelled(o) == Some(answerable))
            .collect();
        Rate::of(
            of_kind
                .iter()
                .filter(|o| !answered(o, min_coverage, floor))
                .count(),
            of_kind.len(),
        )
    };
    (rate(true), rate(false))
}

fn balanced_accuracy(outcomes: &[&AnswerOutcome], min_coverage: f32, floor: f32) -> f64 {
    let (answerable, unanswerable) = refusals(outcomes, min_coverage, floor);
    let answered = answerable.map_or(1.0, |r| 1.0 - r.value);
    let declined = unanswerable.map_or(1.0, |r| r.value);
    (answered + declined) / 2.0
}

fn choose(outcomes: &[&AnswerOutcome], floor: f32) -> f32 {
    STEPS
        .into_iter()
        .max_by(|&a, &b| {
            balanced_accuracy(outcomes, a, floor)
                .total_cmp(&balanced_accuracy(outcomes, b, floor))
                .then(b.total_cmp(&a))
        })
        .unwrap_or(0.0)
}

/// Cross-validates `answer.min_coverage` over the reports' outcomes, with
/// the extractive floor at `floor`.
pub fn calibrate(
    reports: &[AnswerEvalReport],
    floor: f32,
    folds: usize,
    seed: u64,
) -> CalibrationReport {
    let outcomes: Vec<&AnswerOutcome> = reports
        .iter()
        .flat_map(|r| &r.outcomes)
        .filter(|o| labelled(o).is_some())
        .collect();
    let fold_of = fold_assignment(outcomes.len(), folds, seed);
    let part = |f: usize, inside: bool| -> Vec<&AnswerOutcome> {
        outcomes
            .iter()
            .zip(&fold_of)
            .filter(|(_, &x)| (x == f) == inside)
            .map(|(o, _)| *o)
            .collect()
    };
    let folds = (0..folds)
        .map(|f| {
            let min_coverage = choose(&part(f, false), floor);
            let (refusal_answerable, refusal_unanswerable) =
                refusals(&part(f, true), min_coverage, floor);
            CalibrationFold {
                fold: f + 1,
                min_coverage,
                refusal_answerable,
                refusal_unanswerable,
            }
        })
        .collect();
    let min_coverage = choose(&outcomes, floor);
    let (refusal_answerable, refusal_unanswerable) = refusals(&outcomes, min_coverage, floor);
    let (refusal_answerable_without, refusal_unanswerable_without) =
        refusals(&outcomes, 0.0, floor);
    CalibrationReport {
        outcomes: outcomes.len(),
        floor: round4(floor as f64) as f32,
        min_coverage,
        refusal_answerable,
        refusal_unanswerable,
        refusal_answerable_without,
        refusal_unanswerable_without,
        folds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(
        answerability: &str,
        model_refused: bool,
        coverage: f32,
        extract: f32,
    ) -> AnswerOutcome {
        AnswerOutcome {
            id: String::new(),
            answerability: answerability.into(),
            refused: false,
            extractive: false,
            model_refused,
            retrieved_gold: true,
            cited: 0,
            cited_gold: 0,
            token_f1: None,
            coverage,
            extract_coverage: extract,
            prompt_tokens: None,
            sources_ms: None,
            ttft_ms: None,
            total_ms: 0.0,
        }
    }

    #[test]
    fn the_threshold_separates_answers_about_the_question_from_answers_about_something_else() {
        let outcomes = [
            outcome("ANSWERABLE", false, 0.8, 0.3),
            outcome("ANSWERABLE", false, 0.6, 0.2),
            outcome("PARTIAL", false, 0.5, 0.1),
            outcome("UNANSWERABLE", false, 0.3, 0.2),
            outcome("UNANSWERABLE", false, 0.2, 0.1),
            // A declined answer the floor takes up; an underspecified one
            // that counts for neither side.
            outcome("ANSWERABLE", true, 0.0, 0.9),
            outcome("UNDERSPECIFIED", false, 0.1, 0.1),
        ];
        let all: Vec<&AnswerOutcome> = outcomes.iter().collect();
        // Every answerable question answered, every unanswerable declined:
        // the first step above 0.3.
        assert_eq!(choose(&all, 0.7), 0.35);
        let (answerable, unanswerable) = refusals(&all, 0.35, 0.7);
        assert_eq!(answerable.map(|r| r.value), Some(0.0));
        assert_eq!(unanswerable.map(|r| r.value), Some(1.0));
        // Without the floor the declined answerable question stays declined.
        let (answerable, _) = refusals(&all, 0.35, 1.01);
        assert_eq!(answerable.map(|r| (r.value, r.n)), Some((0.25, 4)));
    }
}
