//! `seogo eval retrieval` through the real binary: the Korean dev set and
//! KorQuAD, with the targets of the Korean analyzer issue.

use seogo_tests::{run, seogo, shared_data, stderr, stdout};

fn eval(data: &std::path::Path, dataset: &str, args: &[&str]) -> serde_json::Value {
    let out = run(seogo(data)
        .args(["eval", "retrieval", "--json", "--dataset"])
        .arg(shared_data().join(dataset))
        .args(args));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("json report")
}

fn metric(report: &serde_json::Value, mode: &str, name: &str) -> f64 {
    report["modes"][mode][name]
        .as_f64()
        .unwrap_or_else(|| panic!("{mode}.{name} missing in {report}"))
}

#[test]
fn korean_dev_set_meets_the_targets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = eval(tmp.path(), "ko-autorag-retrieval", &[]);
    assert_eq!(report["queries"].as_u64(), Some(56));
    assert_eq!(report["analyzer"].as_str(), Some("combined"));
    let hybrid = |name: &str| metric(&report, "hybrid", name);
    assert!(hybrid("ndcg@10") >= 0.95, "{report}");
    assert!(hybrid("mrr@10") >= 0.90, "{report}");
    assert!(hybrid("recall@5") >= 0.96, "{report}");
    assert!(metric(&report, "bm25", "ndcg@10") >= 0.93, "{report}");
    assert!(metric(&report, "bm25", "mrr@10") >= 0.90, "{report}");
    assert!(
        hybrid("ndcg@10") >= metric(&report, "bm25", "ndcg@10"),
        "{report}"
    );
    assert!(
        hybrid("ndcg@10") >= metric(&report, "dense", "ndcg@10"),
        "{report}"
    );
    for domain in ["finance", "public", "law", "commerce"] {
        assert!(
            report["by_domain"][domain]["hybrid"]["ndcg@10"].is_number(),
            "{domain}: {report}"
        );
    }

    // A second run reuses the collection built for the same corpus,
    // analyzer and embedder: nothing is indexed again.
    let again = eval(tmp.path(), "ko-autorag-retrieval", &["--modes", "hybrid"]);
    assert!(again.get("indexing").is_none(), "{again}");
    assert_eq!(
        again["modes"]["hybrid"]["ndcg@10"],
        report["modes"]["hybrid"]["ndcg@10"]
    );
    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    let collections: serde_json::Value = serde_json::from_str(&stdout(&status)).expect("status");
    assert_eq!(
        collections.as_array().map(Vec::len),
        Some(1),
        "{collections}"
    );
}

/// BM25 alone, each analyzer: the chosen one (combined) beats the
/// baselines and meets the bars on both Korean sets.
#[test]
fn analyzers_compared_on_bm25() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ndcg = |dataset: &str, analyzer: &str| {
        let r = eval(
            tmp.path(),
            dataset,
            &["--modes", "bm25", "--analyzer", analyzer],
        );
        assert_eq!(r["analyzer"].as_str(), Some(analyzer));
        r
    };
    let whitespace = ndcg("ko-autorag-retrieval", "whitespace");
    let bigram = ndcg("ko-autorag-retrieval", "bigram");
    let combined = ndcg("ko-autorag-retrieval", "combined");
    let n = |r: &serde_json::Value| metric(r, "bm25", "ndcg@10");
    assert!(n(&bigram) > n(&whitespace), "{bigram} vs {whitespace}");
    assert!(n(&combined) > n(&bigram), "{combined} vs {bigram}");
    assert!(n(&combined) >= 0.93 && metric(&combined, "bm25", "mrr@10") >= 0.90);

    // KorQuAD: question → its paragraph among 964, converted in memory.
    let korquad = ndcg("korquad-v1-dev", "combined");
    assert_eq!(korquad["queries"].as_u64(), Some(5774));
    assert!(n(&korquad) >= 0.95, "{korquad}");
    assert!(metric(&korquad, "bm25", "recall@10") >= 0.99, "{korquad}");
    // No embedding happened: no collection was made.
    let status = run(seogo(tmp.path()).args(["status", "--json"]));
    assert_eq!(stdout(&status).trim(), "[]", "{}", stdout(&status));
}

/// The 200 National Tax Service rulings (HWP 5.0) read through the public
/// connector: each ruling's title, as a query, finds its own file in the
/// top 3 (BM25; `docs/BENCHMARKS.md` has the figure).
#[test]
fn nts_titles_find_their_ruling_in_the_top_three() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = eval(
        tmp.path(),
        "ko-nts-tax-rulings-hwp",
        &["--modes", "bm25", "--connector", "public"],
    );
    assert_eq!(report["queries"].as_u64(), Some(200));
    let top3 = metric(&report, "bm25", "recall@3");
    println!("NTS title -> own ruling in the top 3: {top3}");
    assert!(top3 >= 0.9, "{report}");
}
