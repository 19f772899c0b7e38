//! `seogo reindex` against a serving server: the collection keeps answering
//! searches while it is re-embedded, a change to it is refused as busy
//! rather than queued behind the rebuild, and the swap brings dense search
//! back under the new embedder.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::documents::{delete, encode};
use super::{config, fixture, parse, RaiseOnDrop, Server};
use crate::ingest_cli::write_korquad_files;
use crate::reindex::renamed_embedder;
use seogo_tests::{copy_tree, run, seogo, stderr, stdout};

#[test]
fn a_served_reindex_keeps_search_answering_and_refuses_changes_until_the_swap() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let other = renamed_embedder(tmp.path());
    // More chunks than the demo corpus, so the rebuild lasts seconds.
    let extra = tmp.path().join("korquad");
    write_korquad_files(&extra, 40);
    let data = tempfile::tempdir().expect("tempdir");
    copy_tree(&f.dir.join("data"), data.path());
    let out = run(seogo(data.path()).arg("ingest").arg(&extra));
    assert!(out.status.success(), "{}", stderr(&out));
    // The searcher asks as fast as it can: no per-caller limit here.
    let cfg = config(
        "reindex",
        "requests_per_minute = 0",
        &format!("[models]\nembedder = \"{}\"\n", other.display()),
    );
    let server = Server::serve(data, &cfg);
    let (admin, public) = (f.admin_key.as_str(), f.public_key.as_str());
    let dense = json!({"query": "냉각수 펌프 점검 주기", "mode": "dense", "k": 5}).to_string();
    let (status, text) = server.post("/v1/search", Some(public), &dense);
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("embedder_mismatch"), "{text}");
    let (status, text) = server.get("/v1/collections/default/documents?limit=1", Some(admin));
    assert_eq!(status, 200, "{text}");
    let doc = parse(&text)["documents"][0]["id"]
        .as_str()
        .expect("a document")
        .to_string();
    let doc_path = format!("/v1/collections/default/documents/{}", encode(&doc));

    let stop = AtomicBool::new(false);
    let statuses = std::thread::scope(|scope| {
        let searcher = scope.spawn(|| {
            let bm25 = json!({"query": "냉각수 펌프 점검", "mode": "bm25", "k": 5}).to_string();
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                statuses.push(server.post("/v1/search", Some(public), &bm25));
            }
            statuses
        });
        let searching = RaiseOnDrop(&stop);
        let (status, text) = server.post(
            "/v1/admin/reindex",
            Some(admin),
            &json!({"collection": "default"}).to_string(),
        );
        assert_eq!(status, 202, "{text}");
        let job = parse(&text)["job_id"].as_str().expect("job_id").to_string();
        // Only a rebuild in progress answers `busy`; the job's state is
        // read only to explain a failure (read after the answer, it may
        // already be done).
        let (status, text) = delete(&server, admin, &doc_path);
        if status != 409 {
            let (_, state) = server.get(&format!("/v1/jobs/{job}"), Some(admin));
            panic!("a change during the rebuild: {status} {text}; the job: {state}");
        }
        assert!(text.contains("busy"), "{text}");
        let started = Instant::now();
        let report = loop {
            let (status, text) = server.get(&format!("/v1/jobs/{job}"), Some(admin));
            assert_eq!(status, 200, "{text}");
            let state = parse(&text);
            match state["state"].as_str() {
                Some("running") if started.elapsed() < Duration::from_secs(600) => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Some("done") => break state["report"].clone(),
                _ => panic!("the reindex job: {state}"),
            }
        };
        assert!(
            report["to"]
                .as_str()
                .is_some_and(|t| t.starts_with("e5-site-build")),
            "{report}"
        );
        drop(searching);
        searcher.join().expect("searcher")
    });
    assert!(statuses.len() >= 3, "{} searches", statuses.len());
    for (status, text) in &statuses {
        assert_eq!(*status, 200, "a search during the rebuild: {text}");
    }

    // Dense search is back under the new embedder, and changes go through.
    let (status, text) = server.post("/v1/search", Some(public), &dense);
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        parse(&text)["results"].as_array().map(Vec::len),
        Some(5),
        "{text}"
    );
    let (status, text) = delete(&server, admin, &doc_path);
    assert_eq!(status, 200, "{text}");

    // The CLI follows a served reindex to its end.
    let out = run(seogo(tmp.path())
        .args(["reindex", "--collection", "acl", "--json", "--server"])
        .arg(&server.base)
        .args(["--api-key", admin]));
    assert!(out.status.success(), "{}", stderr(&out));
    let report = parse(&stdout(&out));
    assert_eq!(report["collection"], "acl", "{report}");
    assert!(report["chunks"].as_u64().is_some_and(|n| n > 0), "{report}");
}
