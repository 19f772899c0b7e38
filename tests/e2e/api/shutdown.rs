//! SIGTERM drains: an answer streaming when the signal arrives is finished
//! and delivered, new connections are refused, and the process exits
//! cleanly.

use std::time::Duration;

use serde_json::json;

use super::acl::{stand_in_config, stand_in_generator};
use super::{config, fixture, Server};

#[test]
fn sigterm_finishes_streams_in_flight_then_exits() {
    let f = fixture();
    // The stand-in takes 4 s to answer: the signal lands mid-answer.
    let replay = stand_in_generator(Duration::from_secs(4));
    let mut server = Server::start(&config("shutdown", "", &stand_in_config(&replay)));
    let base = server.base.clone();
    let key = f.public_key.clone();
    let streaming = std::thread::spawn(move || {
        let mut response = Server::agent()
            .post(&format!("{base}/v1/ask"))
            .header("authorization", &format!("Bearer {key}"))
            .content_type("application/json")
            .send(&json!({"question": "냉각수 펌프 점검 주기", "stream": true}).to_string())
            .expect("ask");
        response.body_mut().read_to_string().expect("stream")
    });
    std::thread::sleep(Duration::from_millis(1500));
    server.terminate();
    let stream = streaming.join().expect("client thread");
    assert!(
        stream.contains("event: answer"),
        "the answer in flight was cut off: {stream}"
    );
    let status = server
        .exited_within(Duration::from_secs(30))
        .expect("the server exits after draining");
    assert!(status.success(), "{status:?}");
    assert!(
        std::net::TcpStream::connect(&server.addr).is_err(),
        "still accepting connections"
    );
}

#[test]
fn a_second_server_on_the_same_data_refuses_to_start() {
    let f = fixture();
    let server = Server::start(&config("second", "", ""));
    let out = seogo_tests::run(
        seogo_tests::seogo(&server.data)
            .arg("--config")
            .arg(config("second", "", ""))
            .args(["serve", "--bind", "127.0.0.1:0"]),
    );
    assert!(!out.status.success(), "a second server started");
    let err = seogo_tests::stderr(&out);
    assert!(err.contains("another `seogo serve`"), "{err}");
    // The first keeps serving.
    let (status, body) = server.post(
        "/v1/search",
        Some(&f.public_key),
        r#"{"query":"펌프","mode":"bm25","k":1}"#,
    );
    assert_eq!(status, 200, "{body}");
}
