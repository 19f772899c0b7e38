//! The ACL property test: documents with random group sets, callers (API
//! keys and OIDC tokens) with random groups, hundreds of requests through
//! every endpoint that returns document text — search in each mode, ask as
//! JSON and as a stream, chat completions plain and streamed, follow-ups in
//! a conversation. A document's marker word in any response to a caller
//! outside its groups is a leak; the test counts them and wants zero.
//!
//! The generator here is a local stand-in that always writes the same
//! sentence (cited [1]): what a caller may see is decided by retrieval, the
//! verifier's quotes and the closest passages, which are all real; the
//! real model's path is exercised in `endpoints`.

use seogo_tests::replay::{ReplayServer, Reply};
use serde_json::{json, Value};

use super::{config, fixture, Lcg, Server, GROUPS};

fn readable(doc_groups: &[String], caller: &[String]) -> bool {
    doc_groups.is_empty() || doc_groups.iter().any(|g| caller.contains(g))
}

/// A stand-in OpenAI-compatible generator that writes one cited sentence
/// after `delay`.
pub(crate) fn stand_in_generator(delay: std::time::Duration) -> ReplayServer {
    stand_in_saying("설비 점검 기록 공통 본문입니다 [1].", delay)
}

/// A stand-in OpenAI-compatible generator that writes `text` after `delay`.
pub(crate) fn stand_in_saying(text: &str, delay: std::time::Duration) -> ReplayServer {
    let replay = ReplayServer::start();
    let event = |v: Value| format!("data: {v}\n\n");
    let body = [
        event(json!({"choices": [{"delta": {"content": text}, "finish_reason": null}]})),
        event(json!({"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 100, "completion_tokens": 10}})),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    replay.route(
        "/v1/chat/completions",
        &[],
        vec![Reply::ok(body)
            .header("content-type", "text/event-stream")
            .after(delay)],
    );
    replay
}

/// The `[generator]` section pointing at the stand-in.
pub(crate) fn stand_in_config(replay: &ReplayServer) -> String {
    format!(
        "[generator]\nkind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"stand-in\"\ncontext_length = 8192\n",
        replay.base
    )
}

#[test]
fn no_caller_ever_sees_a_chunk_outside_its_groups() {
    let replay = stand_in_generator(std::time::Duration::ZERO);
    let generator = stand_in_config(&replay);
    let server = Server::start(&config(
        "acl",
        "requests_per_minute = 0\nmax_concurrent_generations = 4",
        &generator,
    ));
    check_every_endpoint(&server);
}

/// The same with the collections on a Qdrant cluster: ACL filters run
/// inside Qdrant (both vector kinds, the document records).
#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn no_caller_ever_sees_a_chunk_outside_its_groups_on_a_cluster() {
    let replay = stand_in_generator(std::time::Duration::ZERO);
    let remote = crate::cluster::remote("acl");
    let extra = format!(
        "{}\n{}",
        stand_in_config(&replay),
        crate::cluster::cluster_section(&remote)
    );
    let config = config(
        "acl-cluster",
        "requests_per_minute = 0\nmax_concurrent_generations = 4",
        &extra,
    );
    let copy = tempfile::tempdir().expect("tempdir");
    seogo_tests::copy_tree(&fixture().dir.join("data"), copy.path());
    for collection in ["default", "acl"] {
        let out = seogo_tests::run(
            seogo_tests::seogo(copy.path())
                .arg("--config")
                .arg(&config)
                .args(["migrate", "--collection", collection, "--to", &remote.url]),
        );
        assert!(out.status.success(), "{}", seogo_tests::stderr(&out));
    }
    // The node keeps no collection: only the cluster can answer.
    std::fs::remove_dir_all(copy.path().join("collections")).expect("rm collections");
    let server = Server::serve(copy, &config);
    check_every_endpoint(&server);
}

/// Hundreds of requests by callers with random groups through every
/// endpoint that returns document text; zero leaks, counted.
fn check_every_endpoint(server: &Server) {
    let f = fixture();
    // Callers: the random-group keys and OIDC tokens with random groups.
    let mut rng = Lcg(11);
    let mut callers: Vec<(String, Vec<String>)> = f.callers.clone();
    for _ in 0..3 {
        let groups = rng.subset(&GROUPS);
        let names: Vec<&str> = groups.iter().map(String::as_str).collect();
        callers.push((f.oidc.token(&names, |_| {}), groups));
    }
    let mut queries: Vec<String> = vec![
        "설비 점검 기록 공통 본문".into(),
        "냉각수 펌프 베어링 온도 진동 점검".into(),
    ];
    // Every document's own marker: the most direct way to ask for it.
    queries.extend(
        f.acl_docs
            .iter()
            .map(|d| format!("고유 표식 {} 는 무엇인가", d.marker)),
    );

    let (mut requests, mut leaks, mut seen, mut withheld) = (0, 0, 0, 0);
    let mut check = |body: &str, caller: &[String], what: &str| {
        for doc in &f.acl_docs {
            if body.contains(&doc.marker) {
                if readable(&doc.groups, caller) {
                    seen += 1;
                } else {
                    leaks += 1;
                    eprintln!(
                        "LEAK {} (groups {:?}) to {caller:?} via {what}",
                        doc.marker, doc.groups
                    );
                }
            } else if !readable(&doc.groups, caller) {
                withheld += 1;
            }
        }
    };
    for (key, groups) in &callers {
        for (qi, query) in queries.iter().enumerate() {
            // Every caller runs every query through one endpoint in turn,
            // and the cheap searches through all modes.
            for mode in ["bm25", "dense", "hybrid"] {
                let body = json!({"query": query, "collection": "acl", "mode": mode, "k": 20});
                let (status, text) = server.post("/v1/search", Some(key), &body.to_string());
                assert_eq!(status, 200, "{text}");
                check(&text, groups, mode);
                requests += 1;
            }
            let (status, text) = match qi % 4 {
                0 => server.post(
                    "/v1/ask",
                    Some(key),
                    &json!({"question": query, "collection": "acl"}).to_string(),
                ),
                1 => server.post(
                    "/v1/ask",
                    Some(key),
                    &json!({"question": query, "collection": "acl", "stream": true}).to_string(),
                ),
                2 => server.post(
                    "/v1/chat/completions",
                    Some(key),
                    &json!({"model": "seogo/acl", "messages": [{"role": "user", "content": query}]}).to_string(),
                ),
                _ => server.post(
                    "/v1/chat/completions",
                    Some(key),
                    &json!({"model": "seogo/acl", "stream": true, "messages": [
                        {"role": "user", "content": "설비 점검 기록이 있나요?"},
                        {"role": "assistant", "content": "네, 있습니다."},
                        {"role": "user", "content": query}]}).to_string(),
                ),
            };
            assert_eq!(status, 200, "{text}");
            // The caller's own question may come back (as the standalone
            // question of a follow-up): that is not document text.
            check(&text.replace(query.as_str(), ""), groups, "answer");
            requests += 1;
        }
    }
    // Documents: the listing and each document by id. The title carries
    // the marker too, so a listed title is checked like any text.
    for (key, groups) in &callers {
        let (status, text) = server.get("/v1/collections/acl/documents?limit=100", Some(key));
        assert_eq!(status, 200, "{text}");
        check(&text, groups, "listing");
        requests += 1;
        for doc in &f.acl_docs {
            let path = format!(
                "/v1/collections/acl/documents/{}",
                super::documents::encode(&doc.id)
            );
            let (status, text) = server.get(&path, Some(key));
            let expected = if readable(&doc.groups, groups) {
                200
            } else {
                404
            };
            assert_eq!(status, expected, "{} for {groups:?}: {text}", doc.marker);
            check(&text, groups, "document");
            requests += 1;
        }
    }
    eprintln!(
        "{requests} requests, {seen} readable markers returned, {withheld} withheld, {leaks} leaks"
    );
    assert_eq!(leaks, 0, "chunks returned to callers outside their groups");
    assert!(requests >= 300, "{requests} requests");
    assert!(
        seen > 0 && withheld > 0,
        "the test must have had something to leak"
    );

    // A conversation belongs to the caller that started it.
    let (owner, _) = &callers[0];
    let (intruder, _) = &callers[1];
    let (status, text) = server.post(
        "/v1/ask",
        Some(owner),
        &json!({"question": "설비 점검 기록 공통 본문", "collection": "acl"}).to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let id = serde_json::from_str::<Value>(&text).expect("json")["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_string();
    let follow_up =
        json!({"question": "그럼 진동은요?", "collection": "acl", "conversation_id": id})
            .to_string();
    let (status, text) = server.post("/v1/ask", Some(intruder), &follow_up);
    assert_eq!(status, 404, "another caller's conversation: {text}");
    let (status, text) = server.post("/v1/ask", Some(owner), &follow_up);
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("json");
    assert!(
        answer["standalone_question"].is_string(),
        "the follow-up was not read with its conversation: {text}"
    );
    assert_eq!(answer["conversation_id"], json!(id));
}
