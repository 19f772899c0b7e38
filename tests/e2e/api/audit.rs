//! The audit log searched over the API (admin): a reader's thumbs-down is
//! found by route, masked as it was logged, filtered by caller and time;
//! bad times and limits are clear 400s; an ingest key is refused.

use super::{config, fixture, parse, Server};

#[test]
fn an_admin_finds_a_thumbs_down_in_the_audit_log() {
    let f = fixture();
    let server = Server::start(&config("audit-search", "", ""));
    let feedback = r#"{"rating": "down", "question": "펌프 점검 주기? 담당 900101-1234567", "answer": "모릅니다", "cited": ["manufacturing-sop-pump.md#0"]}"#;
    let (status, text) = server.post("/v1/feedback", Some(&f.public_key), feedback);
    assert!(status < 300, "{status} {text}");
    let (status, text) = server.post(
        "/v1/search",
        Some(&f.hr_key),
        r#"{"query": "임원 보상", "mode": "bm25", "k": 3}"#,
    );
    assert_eq!(status, 200, "{text}");

    let admin = Some(f.admin_key.as_str());
    let (status, text) = server.get("/v1/admin/audit?route=/v1/feedback", admin);
    assert_eq!(status, 200, "{text}");
    let lines = parse(&text)["lines"].as_array().expect("lines").clone();
    assert_eq!(lines.len(), 1, "{text}");
    let line = &lines[0];
    assert_eq!(line["route"], "/v1/feedback");
    assert!(text.contains("down"), "{text}");
    assert!(text.contains("manufacturing-sop-pump.md#0"), "{text}");
    assert!(
        !text.contains("1234567"),
        "the registration number stays masked: {text}"
    );

    // By caller, newest first; a window after the line finds nothing.
    let who = line["who"].as_str().expect("who");
    let (status, text) = server.get(&format!("/v1/admin/audit?who={who}"), admin);
    assert_eq!(status, 200, "{text}");
    assert!(
        parse(&text)["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["who"] == who),
        "{text}"
    );
    let (status, text) = server.get("/v1/admin/audit?since=2100-01-01T00:00:00Z", admin);
    assert_eq!(status, 200, "{text}");
    assert_eq!(parse(&text)["lines"], serde_json::json!([]));
    let (status, text) = server.get("/v1/admin/audit?q=%EC%9E%84%EC%9B%90&limit=5", admin);
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("/v1/search"),
        "the HR search, by its text: {text}"
    );

    // A route finds the routes under it: a key made and revoked is two
    // lines under /v1/admin/keys; a route cut mid-name finds neither.
    let (status, text) = server.post("/v1/admin/keys", admin, r#"{"name": "audit probe"}"#);
    assert_eq!(status, 201, "{text}");
    let id = parse(&text)["id"].as_str().expect("key id").to_string();
    let (status, text) =
        super::documents::delete(&server, &f.admin_key, &format!("/v1/admin/keys/{id}"));
    assert_eq!(status, 200, "{text}");
    let (status, text) = server.get("/v1/admin/audit?route=/v1/admin/keys", admin);
    assert_eq!(status, 200, "{text}");
    let routes: Vec<String> = parse(&text)["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["route"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(routes, ["/v1/admin/keys/{id}", "/v1/admin/keys"], "{text}");
    let (status, text) = server.get("/v1/admin/audit?route=/v1/admin/key", admin);
    assert_eq!(status, 200, "{text}");
    assert_eq!(parse(&text)["lines"], serde_json::json!([]), "{text}");

    for bad in ["since=yesterday", "limit=0", "limit=5000", "colour=red"] {
        let (status, text) = server.get(&format!("/v1/admin/audit?{bad}"), admin);
        assert_eq!(status, 400, "{bad}: {text}");
    }
    let (status, text) = server.get("/v1/admin/audit", Some(&f.ingest_key));
    assert_eq!(status, 403, "{text}");
}
