//! `seogo bench search` and `seogo bench soak` at a toy size: the figures
//! are speed and stability (they live in docs/BENCHMARKS.md and
//! docs/RELIABILITY.md), but each run's shape, its recall and the soak's
//! error count are checked.

use seogo_tests::{demo_corpus, run, seogo, shared_data, stderr, stdout};

#[test]
fn search_bench_reports_every_mode_and_exact_recall_below_the_index_threshold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(seogo(tmp.path())
        .args(["bench", "search", "--json", "--dataset"])
        .arg(shared_data().join("korquad-v1-dev/KorQuAD_v1.0_dev.json"))
        .args(["--chunks", "400", "--sentences", "24", "--queries", "6"])
        .args(["--clients", "2", "--seconds", "0.5"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["sentences"], 24, "{report}");
    assert_eq!(report["queries"], 6, "{report}");
    let size = &report["sizes"][0];
    assert_eq!(size["chunks"], 400, "{report}");
    // 400 vectors stay far below the HNSW threshold: the store scans them
    // all, so the "index" must agree with exact search on every query.
    assert_eq!(size["recall_at_10"], 1.0, "{report}");
    assert_eq!(size["filtered_recall_at_10"], 1.0, "{report}");
    assert!(
        size["disk_mb"].as_f64().is_some_and(|mb| mb > 0.0),
        "{report}"
    );
    let modes: Vec<&str> = size["modes"]
        .as_array()
        .expect("modes")
        .iter()
        .map(|m| m["mode"].as_str().expect("mode"))
        .collect();
    assert_eq!(modes, ["bm25", "dense", "hybrid", "rerank"], "{report}");
    for mode in size["modes"].as_array().expect("modes") {
        assert!(mode["p50_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{mode}");
        assert!(
            mode["concurrent"][0]["qps"]
                .as_f64()
                .is_some_and(|q| q > 0.0),
            "{mode}"
        );
    }
    // The bench's collection is removed afterwards.
    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    assert_eq!(stdout(&status).trim(), "[]", "{}", stdout(&status));
}

#[test]
fn soak_serves_search_ask_and_writes_without_errors_and_charts_the_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("soak.svg");
    let out = run(seogo(tmp.path())
        .args(["bench", "soak", "--json", "--corpus"])
        .arg(demo_corpus())
        .args([
            "--minutes",
            "0.5",
            "--clients",
            "2",
            "--sample-seconds",
            "5",
        ])
        .arg("--chart")
        .arg(&chart));
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let requests = &report["requests"];
    for kind in ["search", "upload", "delete", "visibility"] {
        assert!(
            requests[kind]["ok"].as_u64().is_some_and(|n| n > 0),
            "no successful {kind}: {report}"
        );
        assert_eq!(requests[kind]["errors"], 0, "{report}");
    }
    // An uploaded document was found by its code and was gone after delete.
    assert!(
        report["write_cycles"].as_u64().is_some_and(|n| n >= 1),
        "{report}"
    );
    let samples = report["samples"].as_array().expect("samples");
    assert_eq!(samples.len(), 6, "{report}");
    for s in samples {
        assert!(s["rss_mb"].as_f64().is_some_and(|mb| mb > 50.0), "{s}");
        assert!(s["open_files"].as_u64().is_some_and(|n| n > 3), "{s}");
    }
    let svg = std::fs::read_to_string(&chart).expect("chart");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
    // The scratch data directory is gone.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with("soak-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
