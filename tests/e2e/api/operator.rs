//! The routes the operator console stands on, on the real server: the
//! models in use, the files that failed to ingest (named as uploaded, gone
//! once read again), document filters, and evaluation as a background job
//! whose reports are kept — one run at a time, admins only.

use std::time::Duration;

use serde_json::{json, Value};

use super::documents::{delete, finished_job, upload};
use super::{config, fixture, parse, Server};

/// A SQuAD-format set of `n` paragraphs about numbered machines: each
/// question names its machine's code, which only its own paragraph holds.
pub(crate) fn small_squad_set(n: usize) -> String {
    const MACHINES: [&str; 6] = [
        "냉각수 펌프",
        "공기 압축기",
        "사출 성형기",
        "컨베이어 벨트",
        "열교환기",
        "집진기",
    ];
    const AREAS: [&str; 4] = ["가공", "조립", "도장", "포장"];
    let paragraphs: Vec<Value> = (0..n)
        .map(|i| {
            let machine = MACHINES[i % MACHINES.len()];
            let code = format!("EQ-{}", 4100 + i * 7);
            let weeks = 2 + i % 9;
            json!({
                "context": format!(
                    "{machine} {code} 은 {area} 구역에 설치되어 있다. {code} 의 정기 점검 주기는 {weeks}주이며, 점검 때 베어링 온도와 진동을 기록한다.",
                    area = AREAS[i % AREAS.len()],
                ),
                "qas": [{
                    "id": format!("q{i}"),
                    "question": format!("{code} 의 정기 점검 주기는 몇 주인가?"),
                    "answers": [{"text": format!("{weeks}주"), "answer_start": 0}],
                }],
            })
        })
        .collect();
    json!({"version": "test", "data": [{"title": "설비 점검", "paragraphs": paragraphs}]})
        .to_string()
}

/// POSTs a multipart evaluation form as `key`.
fn start_eval(server: &Server, key: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, String) {
    server.post_form("/v1/admin/eval", key, parts)
}

/// Evaluation run `id` once it stopped running (within `limit`).
fn finished_run(server: &Server, key: &str, id: &str, limit: Duration) -> Value {
    seogo_tests::poll_until(
        "the evaluation finishing",
        limit,
        Duration::from_millis(500),
        || {
            let (status, text) = server.get(&format!("/v1/admin/eval/{id}"), Some(key));
            assert_eq!(status, 200, "{text}");
            let run = parse(&text);
            (run["state"] != "running").then_some(run)
        },
    )
}

#[test]
fn the_overview_failures_and_filters_serve_the_console() {
    let f = fixture();
    let server = Server::start(&config("operator", "", ""));
    let admin = f.admin_key.as_str();

    // The models: the embedder with its weights' hash, the generator.
    let (status, text) = server.get("/v1/admin/status", Some(&f.public_key));
    assert_eq!(status, 403, "a query key does not see the models: {text}");
    let (status, text) = server.get("/v1/admin/status", Some(&f.ingest_key));
    assert_eq!(status, 200, "{text}");
    let status_body = parse(&text);
    let models = status_body["models"].as_array().expect("models");
    let embedder = models
        .iter()
        .find(|m| m["role"] == "embedder")
        .expect("embedder");
    let revision = embedder["revision"].as_str().expect("revision");
    assert!(
        revision.len() >= 16 && revision.bytes().all(|b| b.is_ascii_hexdigit()),
        "{status_body}"
    );
    assert_eq!(embedder["loaded"], true, "{status_body}");
    let generator = models
        .iter()
        .find(|m| m["role"] == "generator")
        .expect("generator");
    assert_eq!(generator["kind"], "local", "{status_body}");
    assert!(
        generator["name"]
            .as_str()
            .is_some_and(|n| n.ends_with(".gguf")),
        "{status_body}"
    );
    assert!(status_body["version"].is_string(), "{status_body}");

    // A served generator: asked for its model list, reachable or not.
    let replay = crate::api::acl::stand_in_generator(Duration::ZERO);
    replay.route(
        "/v1/models",
        &[],
        vec![seogo_tests::replay::Reply::ok(
            r#"{"object":"list","data":[]}"#.to_string(),
        )],
    );
    let served = Server::start(&config(
        "operator-served",
        "",
        &crate::api::acl::stand_in_config(&replay),
    ));
    let generator_of = |server: &Server| {
        let (status, text) = server.get("/v1/admin/status", Some(admin));
        assert_eq!(status, 200, "{text}");
        let body = parse(&text);
        body["models"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "generator").cloned())
            .unwrap_or_else(|| panic!("{body}"))
    };
    let up = generator_of(&served);
    assert_eq!(up["kind"], "openai", "{up}");
    assert_eq!(up["name"], "stand-in", "{up}");
    assert_eq!(up["reachable"], true, "{up}");
    // The model server answers errors now (as one restarting does).
    replay.route(
        "/v1/models",
        &[],
        vec![seogo_tests::replay::Reply::status(503)],
    );
    let down = generator_of(&served);
    assert_eq!(down["reachable"], false, "the endpoint is gone: {down}");
    assert!(
        down["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{down}"
    );

    // A broken upload is recorded, named as uploaded; reading it again
    // (fixed) takes it off the list.
    let (status, text) = server.post("/v1/collections", Some(admin), r#"{"name":"failing"}"#);
    assert_eq!(status, 201, "{text}");
    let (status, text) = upload(
        &server,
        admin,
        "failing",
        &[
            (
                "file",
                Some("broken.pdf"),
                b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",
            ),
            (
                "file",
                Some("notes.md"),
                "# 메모\n\n압축기 필터는 매주 청소한다.\n".as_bytes(),
            ),
        ],
    );
    assert_eq!(status, 202, "{text}");
    let job = finished_job(
        &server,
        admin,
        parse(&text)["job_id"].as_str().expect("job"),
    );
    assert_eq!(
        job["report"]["failures"].as_array().map(Vec::len),
        Some(1),
        "{job}"
    );
    let (status, text) = server.get("/v1/collections/failing/failures", Some(&f.public_key));
    assert_eq!(status, 403, "{text}");
    let (status, text) = server.get("/v1/collections/failing/failures", Some(admin));
    assert_eq!(status, 200, "{text}");
    let failures = parse(&text)["failures"]
        .as_array()
        .expect("failures")
        .clone();
    assert_eq!(failures.len(), 1, "{text}");
    assert_eq!(
        failures[0]["source"], "broken.pdf",
        "named as uploaded: {text}"
    );
    assert!(
        failures[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{text}"
    );
    assert!(
        !text.contains("uploads/"),
        "the server's own paths stay hidden: {text}"
    );
    assert!(failures[0]["at"].as_u64() > Some(1_700_000_000), "{text}");

    // Filters: by format and by ACL group (read as a member of hr; the
    // admin key holds no group).
    let (status, text) = upload(
        &server,
        admin,
        "failing",
        &[
            ("acl", None, b"hr"),
            (
                "file",
                Some("pay.txt"),
                "급여 지급일은 매월 25일이다.\n".as_bytes(),
            ),
        ],
    );
    assert_eq!(status, 202, "{text}");
    finished_job(
        &server,
        admin,
        parse(&text)["job_id"].as_str().expect("job"),
    );
    let titles = |query: &str| -> Vec<String> {
        let (status, text) = server.get(
            &format!("/v1/collections/failing/documents?{query}"),
            Some(&f.hr_key),
        );
        assert_eq!(status, 200, "{query}: {text}");
        parse(&text)["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .map(|d| {
                d["source"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(titles("format=md"), ["notes.md"]);
    assert_eq!(titles("format=TXT"), ["pay.txt"]);
    assert_eq!(titles("group=hr"), ["pay.txt"]);
    assert_eq!(titles("group=public"), ["notes.md"]);
    assert_eq!(titles("domain=general").len(), 2);
    assert_eq!(titles("group=hr&format=md"), Vec::<String>::new());
    assert!(titles("domain=finance").is_empty());
    let (status, text) = server.get("/v1/collections/failing/documents?domain=nope", Some(admin));
    assert_eq!(status, 400, "{text}");

    // The same name uploaded again, now readable: no longer failed.
    let pdf = std::fs::read(
        seogo_tests::shared_data()
            .join("office-fixtures/pdfplumber/la-precinct-bulletin-2014-p1.pdf"),
    )
    .expect("a real PDF");
    let (status, text) = upload(
        &server,
        admin,
        "failing",
        &[("file", Some("broken.pdf"), &pdf)],
    );
    assert_eq!(status, 202, "{text}");
    finished_job(
        &server,
        admin,
        parse(&text)["job_id"].as_str().expect("job"),
    );
    let (_, text) = server.get("/v1/collections/failing/failures", Some(admin));
    assert_eq!(parse(&text)["failures"], json!([]), "{text}");
}

#[test]
fn an_evaluation_runs_in_the_background_one_at_a_time_and_is_kept() {
    let f = fixture();
    let configured = tempfile::tempdir().expect("tempdir");
    std::fs::write(configured.path().join("set.json"), small_squad_set(8)).expect("write");
    let server = Server::start(&config(
        "operator-eval",
        &format!(
            "eval_sets = {{ plant = \"{}\" }}",
            configured.path().display()
        ),
        "",
    ));
    let admin = f.admin_key.as_str();
    let set = small_squad_set(60);

    let (status, text) = start_eval(&server, &f.ingest_key, &[("set", None, b"plant")]);
    assert_eq!(status, 403, "evaluation is an admin's: {text}");
    let (status, text) = start_eval(&server, admin, &[("kind", None, b"retrieval")]);
    assert_eq!(status, 400, "no set: {text}");
    let (status, text) = start_eval(&server, admin, &[("set", None, b"nope")]);
    assert_eq!(status, 404, "{text}");
    assert!(
        text.contains("plant"),
        "the configured sets are named: {text}"
    );
    let (status, text) = start_eval(&server, admin, &[("file", Some("run.sh"), b"echo")]);
    assert_eq!(status, 400, "{text}");

    let (status, text) = start_eval(
        &server,
        admin,
        &[
            ("kind", None, b"retrieval"),
            ("modes", None, b"bm25,dense,hybrid"),
            ("file", Some("eval-small.json"), set.as_bytes()),
        ],
    );
    assert_eq!(status, 202, "{text}");
    let id = parse(&text)["run_id"].as_str().expect("run id").to_string();
    // Sixty paragraphs take seconds to embed: a second run finds it going.
    let (status, text) = start_eval(&server, admin, &[("set", None, b"plant")]);
    assert_eq!(status, 409, "one evaluation at a time: {text}");
    assert!(text.contains("busy"), "{text}");
    let (status, text) = delete(&server, admin, &format!("/v1/admin/eval/{id}"));
    assert_eq!(status, 409, "the running one stays: {text}");

    let run = finished_run(&server, admin, &id, Duration::from_secs(600));
    assert_eq!(run["state"], "done", "{run}");
    assert_eq!(run["set"], "eval-small.json", "{run}");
    assert_eq!(run["report"]["dataset"], "eval-small.json", "{run}");
    assert_eq!(run["report"]["queries"], 60, "{run}");
    for mode in ["bm25", "dense", "hybrid"] {
        let ndcg = run["report"]["modes"][mode]["ndcg@10"]
            .as_f64()
            .expect("ndcg");
        assert!(
            ndcg > 0.5,
            "{mode}: each question names its machine's code: {run}"
        );
    }
    let progress = &run["progress"];
    assert!(progress["chunks_indexed"].as_u64() >= Some(60), "{run}");

    // The set's corpus is an evaluation collection: an admin's only.
    let (_, text) = server.get("/v1/collections", Some(admin));
    let evaluated = parse(&text)["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .find(|n| n.starts_with("eval-"))
        .unwrap_or_else(|| panic!("no evaluation collection: {text}"))
        .to_string();
    let (_, text) = server.get("/v1/collections", Some(&f.public_key));
    assert!(
        !text.contains(&evaluated),
        "a reader does not see it: {text}"
    );
    let (status, text) = server.post(
        "/v1/search",
        Some(&f.ingest_key),
        &json!({"query": "정기 점검 주기", "collection": evaluated, "mode": "bm25"}).to_string(),
    );
    assert_eq!(status, 403, "{text}");

    // Kept with the earlier runs; the configured sets are listed.
    let (status, text) = server.get("/v1/admin/eval", Some(admin));
    assert_eq!(status, 200, "{text}");
    let listing = parse(&text);
    assert_eq!(listing["sets"], json!([{"name": "plant"}]), "{listing}");
    assert!(
        listing["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{listing}"
    );
    let (status, _) = server.get("/v1/admin/eval", Some(&f.ingest_key));
    assert_eq!(status, 403);
    let (status, _) = server.get("/v1/admin/eval/eval_00", Some(admin));
    assert_eq!(status, 404);
    let (status, _) = server.get("/v1/admin/eval/..%2Fkeys", Some(admin));
    assert_eq!(status, 404);

    // Deleted by an admin (not an ingest key), with the set it uploaded.
    let set_dir = server.data.join("eval/sets").join(&id);
    assert!(
        set_dir.join("eval-small.json").exists(),
        "the uploaded set is kept"
    );
    let (status, _) = delete(&server, &f.ingest_key, &format!("/v1/admin/eval/{id}"));
    assert_eq!(status, 403);
    let (status, text) = delete(&server, admin, &format!("/v1/admin/eval/{id}"));
    assert_eq!(status, 200, "{text}");
    assert!(!set_dir.exists(), "the uploaded set goes with its run");
    let (status, _) = server.get(&format!("/v1/admin/eval/{id}"), Some(admin));
    assert_eq!(status, 404);
    let (status, _) = delete(&server, admin, &format!("/v1/admin/eval/{id}"));
    assert_eq!(status, 404);

    // The configured set runs by name, now that the slot is free.
    let (status, text) = start_eval(
        &server,
        admin,
        &[("set", None, b"plant"), ("modes", None, b"bm25")],
    );
    assert_eq!(status, 202, "{text}");
    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit log");
    assert!(
        audit
            .lines()
            .any(|l| l.contains(r#""route":"/v1/admin/eval""#) && l.contains(&id)),
        "the finished run is audited"
    );
}

#[test]
fn an_answer_evaluation_runs_a_seeded_sample_through_ask() {
    let f = fixture();
    let server = Server::start(&config("operator-answers", "", ""));
    let admin = f.admin_key.as_str();
    let set = small_squad_set(10);
    let (status, text) = start_eval(
        &server,
        admin,
        &[
            ("kind", None, b"answers"),
            ("limit", None, b"2"),
            ("file", Some("answers.json"), set.as_bytes()),
        ],
    );
    assert_eq!(status, 202, "{text}");
    let id = parse(&text)["run_id"].as_str().expect("run id").to_string();
    let run = finished_run(&server, admin, &id, Duration::from_secs(900));
    assert_eq!(run["state"], "done", "{run}");
    assert_eq!(run["kind"], "answers", "{run}");
    assert_eq!(run["limit"], 2, "{run}");
    let report = &run["report"];
    assert_eq!(report["questions"], 2, "the seeded sample: {run}");
    assert_eq!(report["answerable"], 2, "{run}");
    assert_eq!(report["refusal_rate_answerable"]["n"], 2, "{run}");
    assert_eq!(
        report["outcomes"].as_array().map(Vec::len),
        Some(2),
        "{run}"
    );
    // The retrieval half of the answer path finds each machine's paragraph.
    assert_eq!(report["retrieval_recall"]["value"], 1.0, "{run}");
}
