//! The local generator on the real GGUF: prompts come from the model's own
//! chat template, and the KV cache of a prompt prefix shared with an earlier
//! request is reused — computing exactly what a fresh run computes.

use seogo_models::pack::install::GENERATOR_FILE;
use seogo_models::{Device, GenerationParams, Generator, QwenGguf};
use seogo_tests::models_dir;
use seogo_types::{ChatMessage, Role};

fn load() -> QwenGguf {
    QwenGguf::load(&models_dir().join(GENERATOR_FILE), &Device::Cpu).expect("load the GGUF")
}

fn turn(role: Role, content: &str) -> ChatMessage {
    ChatMessage {
        role,
        content: content.into(),
    }
}

#[test]
fn prompts_come_from_the_ggufs_chat_template() {
    let generator = load();
    // With no system turn, Qwen's own template supplies its default one: a
    // format written by hand would not know it.
    let prompt = generator
        .prompt(&[turn(Role::User, "안녕하세요")])
        .expect("render");
    assert_eq!(
        prompt,
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n안녕하세요<|im_end|>\n<|im_start|>assistant\n"
    );
}

const SYSTEM: &str = "You answer questions about industrial equipment. Use only the facts given in the question. Keep every answer to one short sentence and do not add anything that was not asked. When a question names a unit, answer in that unit.";

#[test]
fn a_shared_prompt_prefix_is_reused_and_computes_the_same_tokens() {
    let generator = load();
    let params = GenerationParams {
        max_tokens: 12,
        ..GenerationParams::default()
    };
    let ask = |question: &str| [turn(Role::System, SYSTEM), turn(Role::User, question)];
    let system_tokens = generator
        .count_tokens(
            &generator
                .prompt(&[turn(Role::System, SYSTEM)])
                .expect("render"),
        )
        .expect("count")
        - generator
            .count_tokens("<|im_start|>assistant\n")
            .expect("count");

    let first_question = "The pump P-101 runs at 2900 rpm. What speed does P-101 run at?";
    let fresh = generator
        .generate(&ask(first_question), &params, &mut |_| {})
        .expect("generate");
    assert_eq!(fresh.cached_prompt_tokens, 0, "nothing was cached yet");

    // Three other questions push the first one's entry out of the cache;
    // each reuses the system prompt, and only that.
    for question in [
        "Boiler B-7 has a test pressure of 0.95 MPa. What is its test pressure?",
        "The conveyor C-3 belt is 1.2 m wide. How wide is it?",
        "Valve V-12 closes in 4 seconds. How long does it take to close?",
    ] {
        let generation = generator
            .generate(&ask(question), &params, &mut |_| {})
            .expect("generate");
        assert!(
            generation.cached_prompt_tokens >= system_tokens
                && generation.cached_prompt_tokens < generation.prompt_tokens,
            "reused {} of {} prompt tokens (system prompt: {system_tokens})",
            generation.cached_prompt_tokens,
            generation.prompt_tokens
        );
    }

    let again = generator
        .generate(&ask(first_question), &params, &mut |_| {})
        .expect("generate");
    assert!(
        again.cached_prompt_tokens < again.prompt_tokens - 1,
        "only the shared prefix can have been reused: {} of {}",
        again.cached_prompt_tokens,
        again.prompt_tokens
    );
    assert_eq!(
        again.text, fresh.text,
        "a reused prefix must compute what a fresh run computes"
    );
    // The same prompt at once (a retry): all of it reused, the same answer.
    let retry = generator
        .generate(&ask(first_question), &params, &mut |_| {})
        .expect("generate");
    assert_eq!(retry.cached_prompt_tokens, retry.prompt_tokens);
    assert_eq!(retry.text, fresh.text, "a retry must get the same answer");

    // A follow-up turn that quotes the answer reuses the whole first turn.
    let follow_up = [
        turn(Role::System, SYSTEM),
        turn(Role::User, first_question),
        turn(Role::Assistant, &again.text),
        turn(Role::User, "And in revolutions per second?"),
    ];
    let next = generator
        .generate(&follow_up, &params, &mut |_| {})
        .expect("generate");
    assert!(
        next.cached_prompt_tokens >= again.prompt_tokens,
        "the follow-up reused {} tokens; the first turn's prompt alone is {}",
        next.cached_prompt_tokens,
        again.prompt_tokens
    );
}
