//! `seogo bench gpu`: the embedder's passages/s and the generator's
//! tokens/s on random weights of the model pack's shapes (e5-small,
//! Qwen2.5-1.5B at Q4_K), on any device, and the CPU-against-device check
//! on a tiny model: what scripts/gpu-check.sh runs on a machine the model
//! pack never reaches. Speed depends on the shapes, not on the weights'
//! values, so these figures stand for the real models' on that card.

use std::time::Instant;

use seogo_engine::EngineError;
use seogo_models::{
    synthetic_word, BertEmbedder, BertShape, Device, EmbedPrecision, Embedder, GenerationParams,
    Generator, QwenGguf, QwenShape,
};
use seogo_types::{ChatMessage, Role};
use serde::Serialize;

use super::round2;

/// What to measure, and where.
#[derive(Debug, Clone)]
pub struct GpuBenchOptions {
    /// `cuda`, `cuda:N` or `cpu` (`models.device`'s values).
    pub device: String,
    pub passages: usize,
    /// Words per passage, each one token of the synthetic vocabulary.
    pub passage_tokens: usize,
    /// Texts per embedding call on an accelerator.
    pub batch: usize,
    pub prompt_tokens: usize,
    pub max_tokens: usize,
    pub rounds: usize,
    pub seed: u64,
    /// Also compare this device with the CPU on the tiny model.
    pub compare: bool,
    /// The tiny shapes instead of the model pack's: the whole path in
    /// seconds, for a test on a CPU.
    pub tiny: bool,
}

/// The embedder's figures.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedFigures {
    pub shape: String,
    pub passages: usize,
    pub tokens_per_passage: usize,
    /// Best of the rounds.
    pub passages_per_s: f64,
}

/// The generator's figures: the prompt uncached, then the same prompt
/// again (its keys and values reused) for the decode rate alone.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateFigures {
    pub shape: String,
    pub prompt_tokens: usize,
    pub prefill_tokens_per_s: f64,
    pub generated_tokens: usize,
    pub decode_tokens_per_s: f64,
}

/// The tiny model on the CPU and on the device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceComparison {
    /// The lowest cosine between a passage's two vectors.
    pub min_cosine: f32,
    pub cpu_text: String,
    pub device_text: String,
    /// Whether the greedy generations are the same.
    pub same_greedy_text: bool,
}

impl DeviceComparison {
    /// The check scripts/gpu-check.sh fails on.
    pub fn agrees(&self) -> bool {
        self.min_cosine >= 0.999 && self.same_greedy_text
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GpuBench {
    pub device: String,
    pub embed: EmbedFigures,
    pub generate: GenerateFigures,
    pub comparison: Option<DeviceComparison>,
}

/// Passages of `words` synthetic words each, different per index.
fn passages(count: usize, words: usize, vocab: usize, seed: u64) -> Vec<String> {
    (0..count)
        .map(|p| {
            (0..words)
                .map(|w| {
                    let mixed =
                        (seed ^ ((p * 7919 + w) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    synthetic_word(2 + (mixed >> 33) as usize % (vocab - 2))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn user(content: String) -> [ChatMessage; 1] {
    [ChatMessage {
        role: Role::User,
        content,
    }]
}

fn greedy(max_tokens: usize) -> GenerationParams {
    GenerationParams {
        max_tokens,
        ..GenerationParams::default()
    }
}

/// Runs the benchmark on `options.device`.
pub fn bench_gpu(options: &GpuBenchOptions) -> Result<GpuBench, EngineError> {
    let device = seogo_models::device(&options.device)?;
    let rounds = options.rounds.max(1);

    let shape = if options.tiny {
        BertShape::TINY
    } else {
        BertShape::E5_SMALL
    };
    let embedder = BertEmbedder::random(
        &shape,
        options.seed,
        options.batch,
        &device,
        EmbedPrecision::default(),
    )?;
    let texts = passages(
        options.passages,
        options.passage_tokens,
        shape.vocab_size,
        options.seed,
    );
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_passages(&refs[..refs.len().min(8)])?; // warm-up
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let started = Instant::now();
        embedder.embed_passages(&refs)?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    let embed = EmbedFigures {
        shape: format!("{shape:?}"),
        passages: options.passages,
        tokens_per_passage: options.passage_tokens,
        passages_per_s: round2(options.passages as f64 / best),
    };
    drop(embedder);

    let shape = if options.tiny {
        QwenShape::TINY
    } else {
        QwenShape::QWEN2_5_1_5B
    };
    let generator = QwenGguf::random(&shape, options.seed, &device)?;
    let mut prefill = f64::INFINITY;
    let mut decode = f64::INFINITY;
    let mut prompt_tokens = 0;
    let mut generated_tokens = 0;
    for round in 0..rounds {
        // A new prompt each round, so the first call pays the prefill.
        let messages = user(format!("{round} {}", "x".repeat(options.prompt_tokens)));
        let started = Instant::now();
        let first = generator.generate(&messages, &greedy(1), &mut |_| {})?;
        prefill = prefill.min(started.elapsed().as_secs_f64() / first.prompt_tokens as f64);
        prompt_tokens = first.prompt_tokens;
        let started = Instant::now();
        let whole = generator.generate(&messages, &greedy(options.max_tokens), &mut |_| {})?;
        let seconds = started.elapsed().as_secs_f64();
        if whole.completion_tokens > 0 {
            decode = decode.min(seconds / whole.completion_tokens as f64);
            generated_tokens = whole.completion_tokens;
        }
    }
    let generate = GenerateFigures {
        shape: format!("{shape:?}"),
        prompt_tokens,
        prefill_tokens_per_s: round2(1.0 / prefill),
        generated_tokens,
        decode_tokens_per_s: if decode.is_finite() {
            round2(1.0 / decode)
        } else {
            0.0
        },
    };
    drop(generator);

    let comparison = if options.compare {
        if device.is_cpu() {
            return Err(EngineError::BadInput(
                "--compare needs a GPU device (`--device cuda`): it compares one with the CPU"
                    .into(),
            ));
        }
        Some(compare_with_cpu(&device, options.seed)?)
    } else {
        None
    };
    Ok(GpuBench {
        device: options.device.clone(),
        embed,
        generate,
        comparison,
    })
}

/// The tiny embedder and generator, same seed, on the CPU and on `device`.
pub fn compare_with_cpu(device: &Device, seed: u64) -> Result<DeviceComparison, EngineError> {
    let shape = BertShape::TINY;
    let embed = |on: &Device| -> Result<Vec<Vec<f32>>, EngineError> {
        let model = BertEmbedder::random(&shape, seed, 4, on, EmbedPrecision::F32)?;
        let texts = passages(6, 40, shape.vocab_size, seed);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        Ok(model.embed_passages(&refs)?)
    };
    let (cpu, other) = (embed(&Device::Cpu)?, embed(device)?);
    let min_cosine = cpu
        .iter()
        .zip(&other)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>())
        .fold(f32::INFINITY, f32::min);
    let generate = |on: &Device| -> Result<String, EngineError> {
        let model = QwenGguf::random(&QwenShape::TINY, seed, on)?;
        let messages = user("the same question on two devices".into());
        Ok(model.generate(&messages, &greedy(24), &mut |_| {})?.text)
    };
    let (cpu_text, device_text) = (generate(&Device::Cpu)?, generate(device)?);
    Ok(DeviceComparison {
        min_cosine,
        same_greedy_text: cpu_text == device_text,
        cpu_text,
        device_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU against itself: the comparison's arithmetic, and the
    /// benchmark's whole path at a tiny size.
    #[test]
    fn the_cpu_agrees_with_itself() {
        let same = compare_with_cpu(&Device::Cpu, 3).expect("compare");
        assert!(same.agrees(), "{same:?}");
        assert!((same.min_cosine - 1.0).abs() < 1e-5, "{same:?}");
        assert!(!same.cpu_text.is_empty());
    }

    #[test]
    fn passages_have_the_asked_length_and_differ() {
        let texts = passages(3, 50, 1000, 1);
        assert!(texts.iter().all(|t| t.split(' ').count() == 50));
        assert_ne!(texts[0], texts[1]);
    }
}
