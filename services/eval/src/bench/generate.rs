//! `seogo bench generate`: prefill and decode speed of the local candle
//! generator and, when given, a served model behind an OpenAI-compatible
//! API (llama.cpp's `llama-server` on the same GGUF and cores, or vLLM on
//! the GPU node) — the same answer-shaped prompt, greedy, in one run.
//! Prefill speed is the prompt tokens computed (not reused from a prefix
//! cache) over the time to the first streamed token; decode speed is the remaining tokens over the rest of the time.

use std::sync::Arc;
use std::time::Instant;

use seogo_models::{GenerationParams, Generator, OpenAiConfig, OpenAiGenerator};
use seogo_types::{ChatMessage, Role};
use serde::Serialize;

use crate::retrieval::percentile;
use seogo_engine::{Engine, EngineError};

/// One generator's figures (medians over the rounds).
#[derive(Debug, Clone, Serialize)]
pub struct GenerateBenchRow {
    pub generator: String,
    pub model: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub ttft_ms: f64,
    pub prefill_tokens_per_s: f64,
    pub decode_tokens_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GenerateBench {
    pub rounds: usize,
    pub max_tokens: usize,
    pub threads: usize,
    pub rows: Vec<GenerateBenchRow>,
}

/// A served model to compare with the local one.
#[derive(Debug, Clone)]
pub struct ServedModel {
    pub base_url: String,
    pub model: String,
}

/// An answer-shaped prompt: instructions, a long Korean source, a question
/// asking for a long answer (so decoding runs for `max_tokens`). `run`
/// leads the prompt, so no server can answer a round from a prompt cache
/// (llama-server and vLLM both reuse a cached prefix).
fn prompt(run: usize) -> Vec<ChatMessage> {
    let source = include_str!("../../../../demo/corpus/manufacturing-sop-pump.md");
    vec![
        ChatMessage {
            role: Role::System,
            content: format!("Run {run}. You answer using only the given source."),
        },
        ChatMessage {
            role: Role::User,
            content: format!(
                "Source:\n{source}\n\n질문: 이 절차서의 점검 절차 전체를 단계별로 자세히 설명하세요."
            ),
        },
    ]
}

pub fn bench_generate(
    engine: &Engine,
    served: Option<&ServedModel>,
    rounds: usize,
    max_tokens: usize,
) -> Result<GenerateBench, EngineError> {
    let mut generators: Vec<(String, Arc<dyn Generator>)> =
        vec![("local (candle)".into(), engine.local_generator()?)];
    if let Some(served) = served {
        let config = OpenAiConfig {
            base_url: served.base_url.clone(),
            model: served.model.clone(),
            context_length: 32_768,
            ..OpenAiConfig::default()
        };
        generators.push((
            "openai-compatible".into(),
            Arc::new(OpenAiGenerator::new(&config)?),
        ));
    }
    let params = GenerationParams {
        max_tokens,
        ..GenerationParams::default()
    };
    let mut rows = Vec::new();
    for (name, generator) in generators {
        // One warm-up, to page the weights in. Any forward pass touches
        // them all, so it is a short prompt and one token: a full-size
        // warm-up was a third of `seogo bench --quick`'s time.
        let warm_up = [ChatMessage {
            role: Role::User,
            content: "안녕하세요".into(),
        }];
        let one_token = GenerationParams {
            max_tokens: 1,
            ..params.clone()
        };
        generator.generate(&warm_up, &one_token, &mut |_| {})?;
        let (mut ttft, mut prefill, mut decode) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = None;
        for round in 1..=rounds.max(1) {
            let started = Instant::now();
            let mut first = None;
            let generation = generator.generate(&prompt(round), &params, &mut |_| {
                first.get_or_insert_with(|| started.elapsed());
            })?;
            let total = started.elapsed().as_secs_f64();
            let first = first.map_or(total, |d| d.as_secs_f64());
            ttft.push(first * 1000.0);
            let computed = generation.prompt_tokens - generation.cached_prompt_tokens;
            prefill.push(computed as f64 / first.max(1e-9));
            let rest = generation.completion_tokens.saturating_sub(1) as f64;
            decode.push(rest / (total - first).max(1e-9));
            last = Some(generation);
        }
        let last = last.expect("at least one round");
        for v in [&mut ttft, &mut prefill, &mut decode] {
            v.sort_by(f64::total_cmp);
        }
        rows.push(GenerateBenchRow {
            generator: name,
            model: generator.model_id().to_string(),
            prompt_tokens: last.prompt_tokens,
            completion_tokens: last.completion_tokens,
            ttft_ms: percentile(&ttft, 0.5).round(),
            prefill_tokens_per_s: (percentile(&prefill, 0.5) * 10.0).round() / 10.0,
            decode_tokens_per_s: (percentile(&decode, 0.5) * 10.0).round() / 10.0,
        });
    }
    Ok(GenerateBench {
        rounds: rounds.max(1),
        max_tokens,
        threads: engine.config().models.threads,
        rows,
    })
}
