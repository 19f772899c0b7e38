//! `seogo bench ask`: what a person waits for, question by question, on a
//! collection — time to the sources, to the first token and to the whole
//! answer, and how it came out (answered, extract, declined).

use std::time::Instant;

use serde::Serialize;

use crate::retrieval::percentile;
use seogo_engine::answer::{AskEvent, AskRequest};
use seogo_engine::retrieve::Scope;
use seogo_engine::{Engine, EngineError};

/// One question's timings and outcome.
#[derive(Debug, Clone, Serialize)]
pub struct AskTiming {
    pub question: String,
    pub outcome: &'static str,
    pub sources_ms: f64,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
    pub prompt_tokens: Option<usize>,
    pub completion_tokens: Option<usize>,
}

/// Every question's timings, and their medians and 90th percentiles.
#[derive(Debug, Clone, Serialize)]
pub struct AskBench {
    pub model: String,
    pub questions: Vec<AskTiming>,
    pub sources_ms_p50: f64,
    pub ttft_ms_p50: Option<f64>,
    pub ttft_ms_p90: Option<f64>,
    pub total_ms_p50: f64,
    pub total_ms_p90: f64,
}

/// Asks each of `questions` in `collection`, one after another, after
/// one warm-up question (the models load and the prompt's fixed prefix
/// is cached, as on a serving appliance).
pub fn bench_ask(
    engine: &Engine,
    collection: &str,
    questions: &[String],
) -> Result<AskBench, EngineError> {
    let scope = Scope {
        collection: collection.to_string(),
        ..Scope::default()
    };
    let ask = |question: &str, on_event: &mut dyn FnMut(AskEvent<'_>)| {
        engine.ask(
            &AskRequest {
                question: question.to_string(),
                history: Vec::new(),
                scope: scope.clone(),
            },
            on_event,
        )
    };
    if let Some(first) = questions.first() {
        ask(first, &mut |_| {})?;
    }
    let mut timings = Vec::new();
    for question in questions {
        let started = Instant::now();
        let (mut sources, mut first) = (0.0, None);
        let answer = ask(question, &mut |e| {
            let at = started.elapsed().as_secs_f64() * 1000.0;
            match e {
                AskEvent::Sources(_) => sources = at,
                AskEvent::Text(_) => {
                    first.get_or_insert(at);
                }
            }
        })?;
        timings.push(AskTiming {
            question: question.clone(),
            outcome: match (answer.grounded, answer.extractive) {
                (true, false) => "answered",
                (true, true) => "extract",
                (false, _) => "declined",
            },
            sources_ms: sources.round(),
            ttft_ms: first.map(f64::round),
            total_ms: (started.elapsed().as_secs_f64() * 1000.0).round(),
            prompt_tokens: answer.usage.map(|u| u.prompt_tokens),
            completion_tokens: answer.usage.map(|u| u.completion_tokens),
        });
    }
    let sorted = |values: Vec<f64>| {
        let mut values = values;
        values.sort_by(f64::total_cmp);
        values
    };
    let sources = sorted(timings.iter().map(|t| t.sources_ms).collect());
    let ttft = sorted(timings.iter().filter_map(|t| t.ttft_ms).collect());
    let total = sorted(timings.iter().map(|t| t.total_ms).collect());
    let at = |v: &[f64], q| (!v.is_empty()).then(|| percentile(v, q).round());
    Ok(AskBench {
        model: engine.generator()?.model_id().to_string(),
        sources_ms_p50: at(&sources, 0.5).unwrap_or(0.0),
        ttft_ms_p50: at(&ttft, 0.5),
        ttft_ms_p90: at(&ttft, 0.9),
        total_ms_p50: at(&total, 0.5).unwrap_or(0.0),
        total_ms_p90: at(&total, 0.9).unwrap_or(0.0),
        questions: timings,
    })
}
