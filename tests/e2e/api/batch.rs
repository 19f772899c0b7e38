//! Batch QA as an API job: upload a table, follow its progress, fetch the
//! answered table; it runs as its caller (never citing what the caller may
//! not read) and only its caller sees it.

use std::time::Duration;

use serde_json::Value;

use super::{config, fixture, Server};

#[test]
fn a_batch_job_answers_a_table_as_its_caller() {
    let f = fixture();
    let server = Server::start(&config("batch", "", ""));
    let table = "no,question\n1,한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 얼마인가요?\n2,\n3,임원 보상 한도는 어떤 등급으로 관리하나요?\n";
    let (status, text) = server.post_form(
        "/v1/batch",
        &f.public_key,
        &[
            ("file", Some("질문.csv"), table.as_bytes()),
            ("format", None, b"jsonl"),
        ],
    );
    assert_eq!(status, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).expect("json")["batch_id"]
        .as_str()
        .expect("batch id")
        .to_string();

    // Another caller cannot see it.
    let (status, body) = server.get(&format!("/v1/batch/{id}"), Some(&f.hr_key));
    assert_eq!(status, 404, "{body}");

    let every = Duration::from_millis(500);
    let job = seogo_tests::poll_until(
        "the batch finishing",
        Duration::from_secs(900),
        every,
        || {
            let (status, body) = server.get(&format!("/v1/batch/{id}"), Some(&f.public_key));
            assert_eq!(status, 200, "{body}");
            let job: Value = serde_json::from_str(&body).expect("json");
            if job["state"] == "done" {
                return Some(job);
            }
            assert!(
                ["queued", "running"].contains(&job["state"].as_str().unwrap_or_default()),
                "{job}"
            );
            None
        },
    );
    assert_eq!(job["rows"], 3, "{job}");
    assert_eq!(job["done"], 3, "{job}");
    assert_eq!(job["failed"], 1, "the empty question: {job}");

    let (status, body) = server.get(&format!("/v1/batch/{id}/result"), Some(&f.public_key));
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 3, "{body}");
    assert_eq!(rows[0]["no"], "1");
    assert_eq!(rows[0]["grounded"], true, "{}", rows[0]);
    assert!(
        rows[0]["answer"]
            .as_str()
            .is_some_and(|a| a.contains("500")),
        "{}",
        rows[0]
    );
    assert!(
        rows[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("empty")),
        "{}",
        rows[1]
    );
    // The HR note stays out of the public caller's answers.
    assert!(
        !body.contains("secret.md") && !body.contains("기밀 등급 A"),
        "{body}"
    );
    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit");
    assert!(audit.contains("/v1/batch"), "the batch is in the audit log");
}
