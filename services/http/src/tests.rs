//! Against a scripted server on loopback: each connection gets the next
//! canned response, and the server notes when each request arrived.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// Requests seen: (request line, arrival).
type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

/// Serves `responses` in order, one per connection, then stops.
fn scripted(responses: Vec<String>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for response in responses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            log.lock()
                .expect("log")
                .push((request_line.trim().to_string(), Instant::now()));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            stream.write_all(response.as_bytes()).expect("write");
        }
    });
    (base, seen)
}

fn reply(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

fn quick() -> HttpSettings {
    HttpSettings {
        requests_per_second: 0.0,
        retries: 3,
        backoff_ms: 1,
        max_backoff_ms: 5_000,
        timeout_secs: 5,
        ..HttpSettings::default()
    }
}

#[test]
fn server_errors_are_retried_until_an_answer() {
    let (base, seen) = scripted(vec![
        reply("503 Service Unavailable", "", "busy"),
        reply("502 Bad Gateway", "", ""),
        reply("200 OK", "", "{\"ok\":true}"),
    ]);
    let client = HttpClient::new(&quick()).expect("client");
    let body = client
        .get(
            &format!("{base}/api/list.json"),
            &[("crtfc_key", "SECRET"), ("q", "법령")],
            1024,
        )
        .expect("third attempt answers");
    assert_eq!(body, b"{\"ok\":true}");
    let seen = seen.lock().expect("seen");
    assert_eq!(seen.len(), 3);
    // The query is encoded onto the URL, Korean included.
    assert!(
        seen[0]
            .0
            .starts_with("GET /api/list.json?crtfc_key=SECRET&q=%EB%B2%95%EB%A0%B9 "),
        "{}",
        seen[0].0
    );
}

#[test]
fn client_errors_are_not_retried_and_name_the_url_without_its_key() {
    let (base, seen) = scripted(vec![reply("404 Not Found", "", "no such\nfiling")]);
    let client = HttpClient::new(&quick()).expect("client");
    let err = client
        .get(
            &format!("{base}/Archives/x.htm"),
            &[("crtfc_key", "SECRET")],
            1024,
        )
        .expect_err("404");
    let message = err.to_string();
    assert!(
        matches!(err, HttpError::Status { status: 404, .. }),
        "{message}"
    );
    assert!(
        message.contains("/Archives/x.htm: HTTP 404: no such filing"),
        "{message}"
    );
    assert!(!message.contains("SECRET"), "{message}");
    assert_eq!(seen.lock().expect("seen").len(), 1);
}

#[test]
fn retries_are_bounded_and_the_last_error_is_reported() {
    let (base, seen) = scripted(vec![reply("500 Internal Server Error", "", "down"); 3]);
    let settings = HttpSettings {
        retries: 2,
        ..quick()
    };
    let err = HttpClient::new(&settings)
        .expect("client")
        .get(&format!("{base}/x"), &[], 1024)
        .expect_err("always 500");
    assert!(
        matches!(err, HttpError::Status { status: 500, .. }),
        "{err}"
    );
    assert_eq!(seen.lock().expect("seen").len(), 3, "first try + 2 retries");
}

#[test]
fn retry_after_is_honoured_over_a_shorter_backoff() {
    let (base, seen) = scripted(vec![
        reply("429 Too Many Requests", "Retry-After: 1\r\n", ""),
        reply("200 OK", "", "ok"),
    ]);
    HttpClient::new(&quick())
        .expect("client")
        .get(&format!("{base}/x"), &[], 1024)
        .expect("second attempt");
    let seen = seen.lock().expect("seen");
    let gap = seen[1].1 - seen[0].1;
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
}

#[test]
fn requests_are_spaced_by_the_rate_limit() {
    let (base, seen) = scripted(vec![reply("200 OK", "", "ok"); 4]);
    let settings = HttpSettings {
        requests_per_second: 10.0,
        ..quick()
    };
    let client = HttpClient::new(&settings).expect("client");
    for _ in 0..4 {
        client.get(&format!("{base}/x"), &[], 1024).expect("ok");
    }
    let seen = seen.lock().expect("seen");
    for pair in seen.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(gap >= Duration::from_millis(90), "gap {gap:?} under 100 ms");
    }
}

#[test]
fn oversized_bodies_and_dead_servers_are_errors() {
    let (base, _) = scripted(vec![reply("200 OK", "", &"x".repeat(5000))]);
    let client = HttpClient::new(&quick()).expect("client");
    let err = client
        .get(&format!("{base}/big"), &[], 1000)
        .expect_err("too big");
    assert!(
        matches!(err, HttpError::TooLarge { limit: 1000, .. }),
        "{err}"
    );

    // Nothing listens on a port just released.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let err = client
        .get(&format!("http://127.0.0.1:{port}/x"), &[], 1000)
        .expect_err("refused");
    assert!(matches!(err, HttpError::Transport { .. }), "{err}");
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "not a certificate").expect("write");
    let settings = HttpSettings {
        ca_file: Some(path),
        ..quick()
    };
    let err = HttpClient::new(&settings).expect_err("no certs");
    assert!(err.to_string().contains("no certificate"), "{err}");
}
