//! The remote vector backend against a real Qdrant server: the retrieval
//! suite on the embedded store, `seogo migrate` of its vectors to the
//! server, the same suite with `[vectors] backend = "qdrant"`, and back.
//!
//! The server is built from source by `../shared/tools/qdrant/` (no
//! registry here carries one, and Docker's engine does not run), so this
//! test is ignored unless asked for with a server:
//!
//! ```sh
//! bash ../shared/tools/qdrant/build.sh
//! bash ../shared/tools/qdrant/run-cluster.sh start /tmp/qdrant-single 1
//! SEOGO_TEST_QDRANT_URL=http://127.0.0.1:6334 \
//!   cargo test -p seogo-tests --test e2e -- --ignored qdrant_remote
//! ```

use seogo_tests::{run, seogo, shared_data, stderr, stdout};

fn eval(data: &std::path::Path, config: Option<&std::path::Path>) -> serde_json::Value {
    let mut cmd = seogo(data);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = run(cmd
        .args(["eval", "retrieval", "--json", "--dataset"])
        .arg(shared_data().join("ko-autorag-retrieval"))
        .args(["--modes", "dense,hybrid"]));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("json report")
}

fn recall(report: &serde_json::Value, mode: &str) -> f64 {
    report["modes"][mode]["recall@10"]
        .as_f64()
        .unwrap_or_else(|| panic!("{mode} recall@10 missing: {report}"))
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn the_remote_backend_matches_the_embedded_one_on_the_retrieval_suite() {
    let url = std::env::var("SEOGO_TEST_QDRANT_URL")
        .expect("SEOGO_TEST_QDRANT_URL, e.g. http://127.0.0.1:6334");
    let tmp = tempfile::tempdir().expect("tempdir");
    let embedded = eval(tmp.path(), None);

    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    let collections: serde_json::Value = serde_json::from_str(&stdout(&status)).expect("status");
    let collection = collections[0]["name"]
        .as_str()
        .expect("the eval collection")
        .to_string();
    // A prefix of its own, so runs never meet on a shared server.
    let prefix = format!("seogo_test_{}_", std::process::id());
    let config = tmp.path().join("remote.toml");
    std::fs::write(
        &config,
        format!(
            "[vectors]\nbackend = \"qdrant\"\nurl = \"{url}\"\ncollection_prefix = \"{prefix}\"\n"
        ),
    )
    .expect("config");
    let migrated = run(seogo(tmp.path()).arg("--config").arg(&config).args([
        "migrate",
        "--json",
        "--collection",
        &collection,
        "--to",
        &url,
    ]));
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let report: serde_json::Value = serde_json::from_str(&stdout(&migrated)).expect("report");
    assert_eq!(report["copied"], report["source_points"], "{report}");
    assert_eq!(report["target_points"], report["source_points"], "{report}");

    let remote = eval(tmp.path(), Some(&config));
    assert!(remote.get("indexing").is_none(), "re-indexed: {remote}");
    for mode in ["dense", "hybrid"] {
        let (a, b) = (recall(&embedded, mode), recall(&remote, mode));
        assert!((a - b).abs() <= 0.01, "{mode}: embedded {a}, Qdrant {b}");
    }

    // And back, into a fresh embedded store.
    std::fs::remove_dir_all(
        tmp.path()
            .join("collections")
            .join(&collection)
            .join("vectors"),
    )
    .expect("drop the embedded vectors");
    let back = run(seogo(tmp.path()).arg("--config").arg(&config).args([
        "migrate",
        "--json",
        "--collection",
        &collection,
        "--from",
        &url,
    ]));
    assert!(back.status.success(), "{}", stderr(&back));
    let again = eval(tmp.path(), None);
    assert_eq!(
        again["modes"]["dense"]["recall@10"],
        embedded["modes"]["dense"]["recall@10"]
    );
}
