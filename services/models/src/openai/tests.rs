//! The client against a replay server scripted to be a well-behaved
//! streaming server, then a broken one: malformed events, a cut stream,
//! 500s, a stall. (The real server, llama.cpp's `llama-server`, is in the
//! end-to-end tests.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use seogo_tests::replay::{ReplayServer, Reply};

use super::*;
use seogo_types::Role;

fn sse(events: &[&str]) -> Reply {
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    Reply::ok(body).header("Content-Type", "text/event-stream")
}

fn piece(text: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
        .to_string()
}

const FINISH: &str = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
const USAGE: &str = r#"{"choices":[],"usage":{"prompt_tokens":31,"completion_tokens":3}}"#;

fn generator(server: &ReplayServer, tweak: impl FnOnce(&mut OpenAiConfig)) -> OpenAiGenerator {
    let mut config = OpenAiConfig {
        base_url: format!("{}/v1", server.base),
        model: "qwen2.5-1.5b".into(),
        api_key: Some("sk-local".into()),
        http: HttpSettings {
            retries: 2,
            backoff_ms: 5,
            timeout_secs: 5,
            ..OpenAiConfig::default().http
        },
        ..OpenAiConfig::default()
    };
    tweak(&mut config);
    OpenAiGenerator::new(&config).expect("generator")
}

fn question() -> Vec<ChatMessage> {
    vec![
        ChatMessage {
            role: Role::System,
            content: "출처만 근거로 답하세요.".into(),
        },
        ChatMessage {
            role: Role::User,
            content: "점검 주기는?".into(),
        },
    ]
}

fn params() -> GenerationParams {
    GenerationParams {
        max_tokens: 64,
        stop: vec!["\n\n질문:".into()],
        ..GenerationParams::default()
    }
}

#[test]
fn a_stream_is_passed_on_piece_by_piece() {
    let server = ReplayServer::start();
    let (a, b, c) = (
        piece("점검 주기는 "),
        piece("500시간"),
        piece("입니다 [1]."),
    );
    server.route(
        "/v1/chat/completions",
        &[],
        vec![sse(&[&a, &b, &c, FINISH, USAGE, "[DONE]"])],
    );
    let mut pieces = Vec::new();
    let generation = generator(&server, |_| {})
        .generate(&question(), &params(), &mut |p| pieces.push(p.to_string()))
        .expect("generation");
    assert_eq!(pieces, ["점검 주기는 ", "500시간", "입니다 [1]."]);
    assert_eq!(generation.text, "점검 주기는 500시간입니다 [1].");
    assert_eq!(generation.finish_reason, FinishReason::Stop);
    assert_eq!(
        (generation.prompt_tokens, generation.completion_tokens),
        (31, 3)
    );

    // What was asked: model, messages, streaming, sampling, stop, the key.
    let seen = server.seen();
    let request = &seen[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("authorization"), Some("Bearer sk-local"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json body");
    assert_eq!(body["model"], "qwen2.5-1.5b");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["stop"][0], "\n\n질문:");
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"][1]["content"], "점검 주기는?");
}

#[test]
fn a_length_finish_and_config_sampling_are_honoured() {
    let server = ReplayServer::start();
    let cut = r#"{"choices":[{"index":0,"delta":{"content":"…"},"finish_reason":"length"}]}"#;
    server.route("/v1/chat/completions", &[], vec![sse(&[cut, "[DONE]"])]);
    let generation = generator(&server, |c| {
        c.temperature = Some(0.7);
        c.top_p = Some(0.9);
        c.extra_body
            .insert("repetition_penalty".into(), serde_json::json!(1.05));
    })
    .generate(&question(), &params(), &mut |_| {})
    .expect("generation");
    assert_eq!(generation.finish_reason, FinishReason::Length);
    // No usage event: pieces stand in for completion tokens.
    assert_eq!(generation.completion_tokens, 1);
    let body: serde_json::Value =
        serde_json::from_slice(&server.seen()[0].body).expect("json body");
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["repetition_penalty"], 1.05);
}

#[test]
fn server_errors_are_retried_and_client_errors_are_not() {
    let server = ReplayServer::start();
    let ok = piece("네");
    server.route(
        "/v1/chat/completions",
        &[],
        vec![
            Reply::status(503),
            Reply::status(429).header("Retry-After", "0"),
            sse(&[&ok, FINISH, "[DONE]"]),
        ],
    );
    let generation = generator(&server, |_| {})
        .generate(&question(), &params(), &mut |_| {})
        .expect("third attempt");
    assert_eq!(generation.text, "네");
    assert_eq!(server.seen().len(), 3);

    let server = ReplayServer::start();
    server.route("/v1/chat/completions", &[], vec![Reply::status(401)]);
    let err = generator(&server, |_| {})
        .generate(&question(), &params(), &mut |_| {})
        .expect_err("401");
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert!(!err.to_string().contains("sk-local"), "{err}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn broken_streams_are_errors_not_answers() {
    let cases: [(&str, Reply); 4] = [
        ("malformed", sse(&[&piece("반"), "{not json", "[DONE]"])),
        ("ended before", sse(&[&piece("반쯤")])),
        (
            "server reported",
            sse(&[r#"{"error":{"message":"CUDA out of memory"}}"#]),
        ),
        ("HTTP 500", Reply::status(500)),
    ];
    for (expected, reply) in cases {
        let server = ReplayServer::start();
        server.route("/v1/chat/completions", &[], vec![reply]);
        let err = generator(&server, |_| {})
            .generate(&question(), &params(), &mut |_| {})
            .expect_err(expected);
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
}

#[test]
fn a_stalled_server_times_out() {
    let server = ReplayServer::start();
    server.route(
        "/v1/chat/completions",
        &[],
        vec![sse(&[FINISH, "[DONE]"]).after(Duration::from_secs(3))],
    );
    let err = generator(&server, |c| {
        c.http.timeout_secs = 1;
        c.http.retries = 0;
    })
    .generate(&question(), &params(), &mut |_| {})
    .expect_err("timeout");
    assert!(err.to_string().to_lowercase().contains("timeout"), "{err}");
}

#[test]
fn generations_in_flight_are_capped() {
    let server = ReplayServer::start();
    let ok = piece("네");
    server.route(
        "/v1/chat/completions",
        &[],
        vec![sse(&[&ok, FINISH, "[DONE]"]).after(Duration::from_millis(200))],
    );
    let generator = Arc::new(generator(&server, |c| c.max_concurrent = 2));
    let peak = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let generator = Arc::clone(&generator);
            let peak = Arc::clone(&peak);
            std::thread::spawn(move || {
                let _ = generator.generate(&question(), &params(), &mut |_| {
                    let now = *generator.in_flight.lock().expect("count");
                    peak.fetch_max(now, Ordering::SeqCst);
                });
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(server.seen().len(), 6);
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=2).contains(&peak), "peak {peak}");
}

#[test]
fn tokens_are_over_estimated_without_a_tokenizer() {
    let server = ReplayServer::start();
    let g = generator(&server, |_| {});
    assert_eq!(g.count_tokens("점검 주기").expect("count"), 4 + 1);
    assert_eq!(g.count_tokens("abcdef").expect("count"), 2);
    assert!(
        OpenAiGenerator::new(&OpenAiConfig::default()).is_err(),
        "no model name"
    );
}
