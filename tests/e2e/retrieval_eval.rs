//! `seogo eval retrieval` on the Korean dev set: the targets the spine must
//! meet, measured through the real binary.

use seogo_tests::{run, seogo, shared_data, stderr, stdout};

#[test]
fn korean_dev_set_meets_the_spine_targets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dataset = shared_data().join("ko-autorag-retrieval");
    let out = run(seogo(tmp.path())
        .args(["eval", "retrieval", "--json", "--dataset"])
        .arg(&dataset));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json report");
    assert_eq!(report["queries"].as_u64(), Some(56));
    let metric = |mode: &str, name: &str| {
        report["modes"][mode][name]
            .as_f64()
            .unwrap_or_else(|| panic!("{mode}.{name} missing in {report}"))
    };
    let hybrid = |name: &str| metric("hybrid", name);
    assert!(hybrid("ndcg@10") >= 0.92, "{report}");
    assert!(hybrid("mrr@10") >= 0.88, "{report}");
    assert!(hybrid("recall@5") >= 0.96, "{report}");
    assert!(hybrid("ndcg@10") >= metric("bm25", "ndcg@10"), "{report}");
    assert!(hybrid("ndcg@10") >= metric("dense", "ndcg@10"), "{report}");
    for domain in ["finance", "public", "law", "commerce"] {
        assert!(
            report["by_domain"][domain]["hybrid"]["ndcg@10"].is_number(),
            "{domain}: {report}"
        );
    }

    // A second run reuses the index built for the same corpus and embedder.
    let out = run(seogo(tmp.path())
        .args([
            "eval",
            "retrieval",
            "--json",
            "--modes",
            "bm25",
            "--dataset",
        ])
        .arg(&dataset));
    assert!(out.status.success(), "{}", stderr(&out));
    let again: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        again["modes"]["bm25"]["ndcg@10"],
        report["modes"]["bm25"]["ndcg@10"]
    );
    assert!(again["modes"].get("hybrid").is_none());
    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    let collections: serde_json::Value = serde_json::from_str(&stdout(&status)).expect("status");
    assert_eq!(
        collections.as_array().map(Vec::len),
        Some(1),
        "{collections}"
    );
}
