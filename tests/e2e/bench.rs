//! `seogo bench search` at a toy size: the figures are speed (they live in
//! docs/BENCHMARKS.md), but the run's shape and its recall are checked.

use seogo_tests::{run, seogo, shared_data, stderr, stdout};

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
    assert_eq!(modes, ["bm25", "dense", "hybrid"], "{report}");
    for mode in size["modes"].as_array().expect("modes") {
        assert!(mode["p50_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{mode}");
        assert!(
            mode["concurrent_qps"].as_f64().is_some_and(|q| q > 0.0),
            "{mode}"
        );
    }
    // The bench's collection is removed afterwards.
    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    assert_eq!(stdout(&status).trim(), "[]", "{}", stdout(&status));
}
