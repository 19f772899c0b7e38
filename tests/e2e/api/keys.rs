//! API keys over the API, as the operator console uses them: `whoami`
//! tells a client its role; an admin makes a key (its secret shown once),
//! lists keys (never a hash or secret), revokes one and the revoked key is
//! refused on its next request; a key never holds groups its maker does
//! not; an ingest key cannot manage keys; each change is audited.

use super::documents::delete;
use super::{config, fixture, parse, Server};

#[test]
fn an_admin_makes_lists_and_revokes_keys_and_no_key_outgrows_its_maker() {
    let f = fixture();
    let server = Server::start(&config("keys-api", "", ""));
    let admin = f.admin_key.as_str();

    let (status, text) = server.get("/v1/whoami", Some(&f.ingest_key));
    assert_eq!(status, 200, "{text}");
    let me = parse(&text);
    assert_eq!(me["role"], "ingest", "{me}");
    assert_eq!(me["groups"], serde_json::json!(["g1"]), "{me}");
    let (status, text) = server.get("/v1/whoami", Some(&f.public_key));
    assert_eq!(status, 200, "{text}");
    assert_eq!(parse(&text)["role"], "query");

    // Only an admin manages keys.
    let (status, text) = server.get("/v1/admin/keys", Some(&f.ingest_key));
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("role_forbidden"), "{text}");
    let (status, _) = server.post("/v1/admin/keys", Some(&f.ingest_key), r#"{"name": "x"}"#);
    assert_eq!(status, 403);

    let (status, text) = server.post(
        "/v1/admin/keys",
        Some(admin),
        r#"{"name": "console test", "role": "query", "collections": ["default"]}"#,
    );
    assert_eq!(status, 201, "{text}");
    let made = parse(&text);
    let secret = made["key"].as_str().expect("the secret, once").to_string();
    let id = made["id"].as_str().expect("id").to_string();
    assert!(secret.starts_with(&format!("sgo_{id}_")), "{made}");

    // The new key works at once; the listing shows it without any secret.
    let search = r#"{"query": "펌프 점검", "mode": "bm25", "k": 3}"#;
    let (status, text) = server.post("/v1/search", Some(&secret), search);
    assert_eq!(status, 200, "{text}");
    let (status, text) = server.get("/v1/admin/keys", Some(admin));
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(&id) && text.contains("console test"),
        "{text}"
    );
    assert!(!text.contains(&secret) && !text.contains("hash"), "{text}");

    // No group the admin does not hold; a bad role is a clear 400.
    let (status, text) = server.post(
        "/v1/admin/keys",
        Some(admin),
        r#"{"name": "escalation", "groups": ["hr"]}"#,
    );
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("hr"), "{text}");
    let (status, text) = server.post(
        "/v1/admin/keys",
        Some(admin),
        r#"{"name": "x", "role": "root"}"#,
    );
    assert_eq!(status, 400, "{text}");

    let (status, text) = delete(&server, admin, &format!("/v1/admin/keys/{id}"));
    assert_eq!(status, 200, "{text}");
    let (status, text) = server.post("/v1/search", Some(&secret), search);
    assert_eq!(status, 401, "the revoked key is refused: {text}");
    let (status, text) = delete(&server, admin, &format!("/v1/admin/keys/{id}"));
    assert_eq!(status, 404, "{text}");

    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit");
    assert!(
        audit.contains(&format!("\"created\":\"{id}\"")),
        "creation audited"
    );
    assert!(
        audit.contains(&format!("\"revoked\":\"{id}\"")),
        "revocation audited"
    );
    assert!(!audit.contains(&secret), "the secret is never logged");
}
