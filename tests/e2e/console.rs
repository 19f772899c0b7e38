//! The operator console in real headless Chromium (playwright-core from
//! `tests/widget`, installed by scripts/test.sh) against the real server:
//! `tests/widget/console.test.mjs` signs in and walks every page; this
//! test prepares the server (a source to sync, a thumbs-down from the
//! widget's route, the files to upload) and checks what the server
//! recorded afterwards.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::api::operator::small_squad_set;
use crate::api::{config, fixture, Server};
use crate::widget::run_browser_steps;
use seogo_tests::{copy_dir, demo_corpus};

#[test]
fn an_operator_runs_the_appliance_from_the_console() {
    let f = fixture();
    let share = tempfile::tempdir().expect("tempdir");
    copy_dir(&demo_corpus(), share.path());
    let server = Server::start(&config(
        "console",
        "",
        &format!(
            "[[sources]]\nname = \"manuals\"\npath = \"{}\"\ncollection = \"synced\"\n",
            share.path().display()
        ),
    ));

    // A reader's thumbs-down, posted as the widget posts it.
    let feedback = json!({
        "rating": "down",
        "collection": "default",
        "question": "냉각수 펌프의 정기 점검 주기는 얼마인가요?",
        "answer": "점검 주기는 문서에 없습니다.",
        "cited": [],
        "comment": "매뉴얼에 주기가 있는데 찾지 못함",
    });
    let (status, text) = server.post("/v1/feedback", Some(&f.public_key), &feedback.to_string());
    assert_eq!(status, 201, "{text}");

    // The files the console uploads: two readable, one broken; the
    // evaluation set.
    let files = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, bytes: &[u8]| std::fs::write(files.path().join(name), bytes).expect("write");
    write(
        "good-1.md",
        "# 압축기 점검 절차\n\n공기 압축기 AC-220 의 흡입 필터는 매주 청소하고, 드레인 밸브는 매일 배출한다.\n".as_bytes(),
    );
    write(
        "good-2.txt",
        "컨베이어 CV-310 벨트 장력은 월 1회 측정하며 기준값은 12 kN 이다.\n".as_bytes(),
    );
    write("broken.pdf", b"%PDF-1.7 this file was cut off in transit");
    write("eval-small.json", small_squad_set(12).as_bytes());

    // Screenshots and the step report land here (docs/console-*.png are
    // copies of them).
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console");
    run_browser_steps(
        "console.test.mjs",
        &[
            server.base.as_ref(),
            f.admin_key.as_ref(),
            f.ingest_key.as_ref(),
            f.public_key.as_ref(),
            out.as_ref(),
            files.path().as_ref(),
        ],
        &out,
        14,
        &[
            "console-overview.png",
            "console-upload.png",
            "console-document.png",
            "console-search.png",
            "console-sources.png",
            "console-keys.png",
            "console-feedback.png",
            "console-audit.png",
            "console-eval.png",
            "console-ko.png",
            "console-tablet.png",
        ],
    );

    // What the server recorded of the walk: the key made and revoked, the
    // synced source, the evaluation kept, the test collection gone.
    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit log");
    let routes: Vec<Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    for route in [
        "/v1/admin/keys",
        "/v1/admin/keys/{id}",
        "/v1/sources/{name}/sync",
        "/v1/admin/eval",
        "/v1/admin/eval/{id}",
    ] {
        assert!(
            routes.iter().any(|l| l["route"] == route),
            "{route} is not in the audit log"
        );
    }
    let (status, text) = server.get("/v1/admin/eval", Some(&f.admin_key));
    assert_eq!(status, 200, "{text}");
    let runs: Value = serde_json::from_str(&text).expect("json");
    assert!(
        runs["runs"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["state"] == "done")),
        "{runs}"
    );
    let (status, text) = server.get("/v1/collections", Some(&f.admin_key));
    assert_eq!(status, 200, "{text}");
    assert!(
        !text.contains("\"console-test\""),
        "the test collection was deleted: {text}"
    );
}
