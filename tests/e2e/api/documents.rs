//! Collections and documents over the API: listing and reading go through
//! the caller's ACL, roles gate changes, uploads stream to disk under a size
//! limit and an ingest job reports per-file errors.

use std::time::Duration;

use serde_json::{json, Value};

use super::{config, fixture, parse, Server};

pub(super) fn upload(
    server: &Server,
    key: &str,
    collection: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (u16, String) {
    server.post_form(
        &format!("/v1/collections/{collection}/documents"),
        key,
        parts,
    )
}

pub(super) fn delete(server: &Server, key: &str, path: &str) -> (u16, String) {
    let mut response = Server::agent()
        .delete(&format!("{}{path}", server.base))
        .header("authorization", &format!("Bearer {key}"))
        .call()
        .expect("delete");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("body"))
}

pub(super) fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Job `job_id` once it stopped running (five minutes at most).
pub(super) fn finished_job(server: &Server, key: &str, job_id: &str) -> Value {
    let every = Duration::from_millis(200);
    seogo_tests::poll_until("the job finishing", Duration::from_secs(300), every, || {
        let (status, body) = server.get(&format!("/v1/jobs/{job_id}"), Some(key));
        assert_eq!(status, 200, "{body}");
        let job = parse(&body);
        (job["state"] != json!("running")).then_some(job)
    })
}

#[test]
fn documents_are_listed_read_uploaded_and_deleted_through_the_acl() {
    let f = fixture();
    let server = Server::start(&config("documents", "max_upload_bytes = 100000", ""));

    // Listing and reading: the HR note exists only for the HR key.
    let (status, body) = server.get("/v1/collections/default/documents", Some(&f.public_key));
    assert_eq!(status, 200, "{body}");
    let public = parse(&body);
    assert!(!body.contains("secret.md"), "{body}");
    let (_, body) = server.get(
        "/v1/collections/default/documents?limit=100",
        Some(&f.hr_key),
    );
    let hr = parse(&body);
    assert_eq!(
        hr["total"].as_u64(),
        public["total"].as_u64().map(|n| n + 1),
        "{body}"
    );
    let secret_id = hr["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .find(|id| id.ends_with("secret.md"))
        .expect("the HR key lists the HR note")
        .to_string();
    let path = format!("/v1/collections/default/documents/{}", encode(&secret_id));
    let (status, body) = server.get(&path, Some(&f.public_key));
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("임원 보상"), "{body}");
    let (status, body) = server.get(&path, Some(&f.hr_key));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("임원 보상 한도"), "{body}");

    // The original file, through the same ACL: the HR key gets the bytes as
    // inert text under a sandboxing policy; the public key, "not found".
    let file = format!("{path}/file");
    let (status, body) = server.get(&file, Some(&f.public_key));
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("임원 보상"), "{body}");
    let mut response = Server::agent()
        .get(&format!("{}{file}", server.base))
        .header("authorization", &format!("Bearer {}", f.hr_key))
        .call()
        .expect("file");
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/plain; charset=utf-8");
    assert!(header("content-security-policy").starts_with("sandbox"));
    assert!(
        header("content-disposition").starts_with("inline; filename*=UTF-8''secret.md"),
        "{}",
        header("content-disposition")
    );
    let original = response.body_mut().read_to_string().expect("body");
    assert_eq!(
        original,
        std::fs::read_to_string(&secret_id).expect("the ingested file")
    );
    let (_, body) = server.get(
        "/v1/collections/default/documents?contains=SOP&limit=2",
        Some(&f.public_key),
    );
    let page = parse(&body);
    assert!(
        page["documents"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.len() <= 2),
        "{body}"
    );

    // Sources (none configured here) are for the ingest role.
    let (status, body) = server.get("/v1/sources", Some(&f.public_key));
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.get("/v1/sources", Some(&f.ingest_key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["sources"], json!([]));

    // Roles: only an admin creates collections, only ingest uploads.
    let (status, body) = server.post(
        "/v1/collections",
        Some(&f.public_key),
        r#"{"name":"uploads"}"#,
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("role_forbidden"), "{body}");
    let (status, body) = server.post(
        "/v1/collections",
        Some(&f.admin_key),
        r#"{"name":"uploads"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post(
        "/v1/collections",
        Some(&f.admin_key),
        r#"{"name":"uploads"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["created"], json!(false));
    let note: &[u8] =
        "# 보일러 B-9 정비 공지\n\nB-9 보일러 안전밸브는 목요일에 교체한다. 표식 UPLOADMARK.\n"
            .as_bytes();
    let (status, body) = upload(
        &server,
        &f.public_key,
        "uploads",
        &[("file", Some("note.md"), note)],
    );
    assert_eq!(status, 403, "{body}");

    // An upload: one good file for group g1, one broken PDF.
    let (status, body) = upload(
        &server,
        &f.ingest_key,
        "uploads",
        &[
            ("acl", None, b"g1"),
            ("file", Some("note.md"), note),
            (
                "file",
                Some("../../broken.pdf"),
                b"%PDF-1.7\n1 0 obj garbage",
            ),
        ],
    );
    assert_eq!(status, 202, "{body}");
    let job_id = parse(&body)["job_id"].as_str().expect("job id").to_string();
    let (status, body) = server.get(&format!("/v1/jobs/{job_id}"), Some(&f.public_key));
    assert_eq!(status, 404, "another caller's job: {body}");
    let job = finished_job(&server, &f.ingest_key, &job_id);
    assert_eq!(job["state"], json!("done"), "{job}");
    assert_eq!(job["report"]["added"], json!(1), "{job}");
    let failures = job["report"]["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{job}");
    assert_eq!(failures[0]["path"], json!("broken.pdf"), "{job}");
    let data_dir = server.data.display().to_string();
    assert!(
        !job.to_string().contains(&data_dir),
        "the job names the server's data directory: {job}"
    );

    let query = r#"{"query":"UPLOADMARK 보일러","collection":"uploads","mode":"bm25"}"#;
    let (_, body) = server.post("/v1/search", Some(&f.ingest_key), query);
    assert!(body.contains("UPLOADMARK"), "g1 reads the upload: {body}");
    let (_, body) = server.post("/v1/search", Some(&f.public_key), query);
    assert!(
        !body.contains("UPLOADMARK"),
        "the public key does not: {body}"
    );

    // Over the upload limit: refused, nothing kept.
    let big = vec![b'x'; 200_000];
    let (status, body) = upload(
        &server,
        &f.ingest_key,
        "uploads",
        &[("file", Some("big.txt"), &big)],
    );
    assert_eq!(status, 413, "{body}");

    // Deleting: the document, then the collection.
    let (_, body) = server.get("/v1/collections/uploads/documents", Some(&f.ingest_key));
    let id = parse(&body)["documents"][0]["id"]
        .as_str()
        .expect("uploaded doc")
        .to_string();
    let doc_path = format!("/v1/collections/uploads/documents/{}", encode(&id));
    let (status, body) = delete(&server, &f.public_key, &doc_path);
    assert_eq!(status, 403, "{body}");
    let (status, body) = delete(&server, &f.ingest_key, &doc_path);
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.get(&doc_path, Some(&f.ingest_key));
    assert_eq!(status, 404);
    let (status, body) = delete(&server, &f.admin_key, "/v1/collections/uploads");
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/v1/collections/uploads/documents", Some(&f.admin_key));
    assert_eq!(status, 404, "{body}");
}

/// A document's chunks as the indexes hold them (the console's chunk
/// view): the text BM25 analyses, the text the embedder read with its
/// passage prefix, and the identifiers found in the chunk and named by its
/// document for all its chunks.
#[test]
fn a_document_shows_each_chunk_as_indexed() {
    let f = fixture();
    let server = Server::start(&config("documents-indexed", "", ""));
    let (_, body) = server.get(
        "/v1/collections/default/documents?limit=100",
        Some(&f.public_key),
    );
    let sop = parse(&body)["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .find(|id| id.ends_with("manufacturing-sop-pump.md"))
        .expect("the pump SOP")
        .to_string();
    let path = format!("/v1/collections/default/documents/{}", encode(&sop));
    let (status, body) = server.get(&path, Some(&f.public_key));
    assert_eq!(status, 200, "{body}");
    let chunks = parse(&body)["chunks"].as_array().expect("chunks").clone();
    assert!(chunks.len() > 1, "{body}");
    for chunk in &chunks {
        let text = chunk["text"].as_str().expect("text");
        let bm25 = chunk["bm25_text"].as_str().expect("bm25_text");
        assert!(
            bm25.ends_with(text),
            "BM25 reads the title and headings, then the text"
        );
        assert_eq!(
            chunk["embedded_text"].as_str(),
            Some(format!("passage: {bm25}").as_str())
        );
        // The header names the equipment tags for every chunk.
        let from_document = chunk["identifiers"]["from_document"].to_string();
        assert!(from_document.contains("p-201a"), "{from_document}");
    }
    assert!(
        chunks
            .iter()
            .any(|c| c["identifiers"]["own"].to_string().contains("pn-4471-b")),
        "the bearing's part number is found in the chunk that states it: {body}"
    );
}
