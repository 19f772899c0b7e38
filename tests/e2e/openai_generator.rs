//! The production answer path — a model served behind an OpenAI-compatible
//! API — against a real server: llama.cpp's `llama-server` (built by
//! scripts/llama-server.sh, given as `SEOGO_LLAMA_SERVER`) serving the
//! same GGUF as the local generator. `seogo ask` with `[generator] kind =
//! "openai"` must give the same kind of answer the local path gives: cited,
//! grounded, and a refusal where the documents are silent.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use seogo_tests::{demo_corpus, models_dir, run, seogo, stderr, stdout};

/// A running `llama-server`, stopped when dropped.
pub(crate) struct LlamaServer {
    child: Child,
    pub(crate) base: String,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn llama_server_bin() -> PathBuf {
    let bin = std::env::var_os("SEOGO_LLAMA_SERVER")
        .map(PathBuf::from)
        .expect("SEOGO_LLAMA_SERVER is not set: build it with scripts/llama-server.sh (scripts/test.sh does)");
    assert!(bin.exists(), "{} does not exist", bin.display());
    bin
}

/// llama-server on a free port with the pack's GGUF; `extra` arguments
/// follow the defaults (a 4,096-token context).
pub(crate) fn start(log: &Path, extra: &[&str]) -> LlamaServer {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let gguf = models_dir().join("qwen2.5-coder-1.5b-instruct/model-q4_k_m.gguf");
    let child = Command::new(llama_server_bin())
        .arg("-m")
        .arg(&gguf)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["-c", "4096", "--alias", "qwen2.5-1.5b-local", "--no-webui"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log"))
        .spawn()
        .expect("start llama-server");
    let server = LlamaServer {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // /health answers 200 once the model is loaded.
    let ready = seogo_tests::poll(Duration::from_secs(180), Duration::from_millis(500), || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut stream| {
                use std::io::{Read, Write};
                stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok()?;
                let mut head = String::new();
                stream.read_to_string(&mut head).ok()?;
                head.starts_with("HTTP/1.1 200").then_some(())
            })
    });
    assert!(
        ready.is_some(),
        "llama-server did not become ready: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    server
}

#[test]
fn llama_server_answers_through_the_openai_compatible_path() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = start(&tmp.path().join("llama-server.log"), &[]);
    let data = tmp.path().join("data");
    let out = run(seogo(&data).arg("ingest").arg(demo_corpus()));
    assert!(out.status.success(), "{}", stderr(&out));
    let config = tmp.path().join("seogo.toml");
    std::fs::write(
        &config,
        format!(
            "[generator]\nkind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"qwen2.5-1.5b-local\"\n\
             context_length = 4096\n[generator.http]\ntimeout_secs = 300\n",
            server.base
        ),
    )
    .expect("config");
    let ask = |question: &str| -> serde_json::Value {
        let out = run(seogo(&data)
            .arg("--config")
            .arg(&config)
            .args(["ask", question, "--json"]));
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).expect("answer json")
    };

    let answer = ask("한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 얼마인가요?");
    assert_eq!(answer["model"], "qwen2.5-1.5b-local", "{answer}");
    assert_eq!(answer["grounded"], true, "{answer}");
    let text = answer["answer"].as_str().unwrap_or_default();
    assert!(text.contains("500"), "{answer}");
    let citations = answer["citations"].as_array().expect("citations");
    assert!(!citations.is_empty(), "{answer}");
    for c in citations {
        let file = c["doc_id"].as_str().unwrap_or_default();
        assert!(file.ends_with("manufacturing-sop-pump.md"), "{answer}");
        let source = std::fs::read_to_string(file).expect("cited file");
        let quote = c["quote"].as_str().unwrap_or_default();
        assert!(source.contains(quote), "quote not verbatim: {quote:?}");
        assert!(text.contains(&format!("[{}]", c["n"])), "{answer}");
    }

    let refusal = ask("What is the CEO's salary at Cedar Ridge Instruments?");
    assert_eq!(refusal["grounded"], false, "{refusal}");
    assert!(
        refusal["citations"].as_array().is_some_and(Vec::is_empty),
        "{refusal}"
    );
}
