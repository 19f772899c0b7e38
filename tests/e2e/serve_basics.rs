//! `seogo serve` over real HTTP: health, search, and errors as JSON.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;

use seogo_tests::{demo_corpus, run, seogo, stderr};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends one HTTP/1.1 request and returns (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn serve_answers_search_and_rejects_bad_requests_as_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(seogo(tmp.path()).arg("ingest").arg(demo_corpus()));
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = tmp.path().join("secret.md");
    std::fs::write(
        &secret,
        "# 인사 기밀\n\n임원 보상 한도는 기밀 등급 A로 관리한다.\n",
    )
    .expect("write");
    let out = run(seogo(tmp.path())
        .arg("ingest")
        .arg(&secret)
        .args(["--acl", "hr"]));
    assert!(out.status.success(), "{}", stderr(&out));

    let (child, addr) = seogo_tests::spawn_serve(&mut seogo(tmp.path()));
    let server = Server(child);

    let (status, body) = http(&addr, "GET", "/healthz", "");
    assert_eq!(status, 200, "{body}");

    let (status, body) = http(
        &addr,
        "POST",
        "/v1/search",
        r#"{"query":"알람 코드 E-1023","mode":"hybrid","k":3}"#,
    );
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert!(
        results[0]["chunk"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("E-1023"),
        "{body}"
    );

    let (status, body) = http(&addr, "POST", "/v1/search", r#"{"query": "#);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"bad_json\""), "{body}");

    let (status, body) = http(&addr, "POST", "/v1/search", r#"{"query":"x","k":0}"#);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"k_out_of_range\""), "{body}");

    let (status, body) = http(
        &addr,
        "POST",
        "/v1/search",
        r#"{"query":"x","collection":"nope"}"#,
    );
    assert_eq!(status, 404, "{body}");

    // Groups cannot be claimed in the body: the field does not exist.
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/search",
        r#"{"query":"임원 보상 한도 기밀","principals":["hr"],"mode":"bm25"}"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("unknown field"), "{body}");
    // Without credentials the anonymous caller sees public documents only.
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/search",
        r#"{"query":"임원 보상 한도 기밀","mode":"bm25"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("secret.md"),
        "restricted document served: {body}"
    );
    drop(server);
}
