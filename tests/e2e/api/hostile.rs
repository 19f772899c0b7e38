//! Malformed requests get a clear 4xx with a stable code, and the server
//! keeps serving: broken and mistyped JSON, unknown fields, bytes that are
//! not UTF-8, bodies over the limit, clients that send a request a byte at
//! a time and never finish.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{config, fixture, Server};

/// Sends raw bytes as one request and returns (status, body).
fn raw(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    // The server may answer (413) and close before the whole body is sent.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn post(addr: &str, key: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let head = format!(
        "POST /v1/search HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    raw(addr, &head, body)
}

#[test]
fn bad_requests_get_clear_errors_and_the_server_keeps_serving() {
    let f = fixture();
    let server = Server::start(&config("hostile", "max_body_bytes = 65536", ""));
    let key = f.public_key.as_str();
    let json = "application/json";

    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "broken JSON",
            br#"{"query": "#.to_vec(),
            json,
            400,
            "bad_json",
        ),
        (
            "wrong type",
            br#"{"query": 5}"#.to_vec(),
            json,
            422,
            "invalid_json",
        ),
        (
            "unknown field",
            br#"{"query": "x", "top_k": 3}"#.to_vec(),
            json,
            422,
            "invalid_json",
        ),
        (
            "not UTF-8",
            b"{\"query\": \"\xff\xfe\xfd\"}".to_vec(),
            json,
            400,
            "bad_json",
        ),
        (
            "not JSON at all",
            b"query=x".to_vec(),
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            "k out of range",
            br#"{"query": "x", "k": 0}"#.to_vec(),
            json,
            400,
            "k_out_of_range",
        ),
        (
            "empty query",
            br#"{"query": "  "}"#.to_vec(),
            json,
            400,
            "empty_query",
        ),
        (
            "no such collection",
            br#"{"query": "x", "collection": "nope"}"#.to_vec(),
            json,
            404,
            "no_such_collection",
        ),
        (
            "bad collection name",
            br#"{"query": "x", "collection": "../../etc"}"#.to_vec(),
            json,
            400,
            "invalid_collection_name",
        ),
    ];
    // Every code served here must be one the OpenAPI document lists.
    let mut served = std::collections::BTreeSet::new();
    let mut code_of = |text: &str| -> String {
        let body: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        served.insert(code.clone());
        code
    };
    for (what, body, content_type, status, code) in cases {
        let (got, text) = post(&server.addr, key, content_type, &body);
        assert_eq!(got, status, "{what}: {text}");
        assert_eq!(code_of(&text), code, "{what}: {text}");
        assert!(
            !text.contains("/tmp/") && !text.contains("panicked"),
            "{what} leaks: {text}"
        );
    }

    // A body over max_body_bytes is refused before it is read.
    let huge = vec![b'a'; 4 << 20];
    let (status, text) = post(&server.addr, key, json, &huge);
    assert_eq!(status, 413, "{text}");
    assert_eq!(code_of(&text), "too_large", "{text}");

    let (status, text) = server.post(
        "/v1/chat/completions",
        Some(key),
        r#"{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}"#,
    );
    assert_eq!(status, 404, "{text}");
    assert_eq!(code_of(&text), "no_such_model", "{text}");
    let (status, text) = server.post(
        "/v1/chat/completions",
        Some(key),
        r#"{"model": "seogo", "messages": [{"role": "assistant", "content": "hi"}]}"#,
    );
    assert_eq!(status, 400, "{text}");
    code_of(&text);
    let (status, text) = server.post(
        "/v1/ask",
        Some(key),
        r#"{"question": "x", "history": [], "conversation_id": "c"}"#,
    );
    assert_eq!(status, 404, "an unknown conversation: {text}");
    code_of(&text);
    let (status, text) = server.get("/v1/nothing-here", Some(key));
    assert_eq!(status, 404, "{text}");
    assert_eq!(code_of(&text), "not_found", "{text}");
    let (status, text) = server.post("/v1/search", Some("sgo_not-a-key"), r#"{"query":"x"}"#);
    assert_eq!(status, 401, "{text}");
    assert_eq!(code_of(&text), "unauthorized", "{text}");

    // The OpenAPI document describes only what is served: every path and
    // method in it reaches a handler (an unauthenticated call gets 401 or
    // an answer, never the "no such endpoint" fallback or 405).
    let (status, text) = server.get("/v1/openapi.json", None);
    assert_eq!(status, 200, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("openapi json");
    assert_eq!(doc["openapi"], "3.1.0");
    let listed: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .expect("the error codes are listed")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(listed.len() >= 30, "{listed:?}");
    for code in &served {
        assert!(
            listed.contains(&code.as_str()),
            "`{code}` is served but not documented"
        );
    }
    let paths = doc["paths"].as_object().expect("paths");
    for wanted in [
        "/v1/search",
        "/v1/ask",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/collections/{name}/documents",
        "/v1/jobs/{id}",
        "/metrics",
        "/readyz",
    ] {
        assert!(paths.contains_key(wanted), "{wanted} is not documented");
    }
    for (path, methods) in paths {
        let concrete = path.replace("{name}", "default").replace("{id}", "x");
        for method in methods.as_object().expect("methods").keys() {
            let head = format!(
                "{} {concrete} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                method.to_uppercase()
            );
            let (status, text) = raw(&server.addr, &head, b"");
            assert!(
                status != 405 && !text.contains("no such endpoint"),
                "{method} {path} is documented but not served: {status} {text}"
            );
        }
    }

    // Slow-loris: connections that send half a request and stall do not
    // stop anyone else.
    let stalled: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).expect("connect");
            let _ = s.write_all(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n");
            s
        })
        .collect();
    for _ in 0..5 {
        let (status, text) = server.post(
            "/v1/search",
            Some(key),
            r#"{"query":"펌프","mode":"bm25","k":1}"#,
        );
        assert_eq!(status, 200, "{text}");
    }
    drop(stalled);
    let (status, _) = server.get("/healthz", None);
    assert_eq!(status, 200, "the server survived");
}
