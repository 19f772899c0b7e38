//! A model change: the collection refuses vectors of another embedder and
//! says how to rebuild; `seogo reindex` re-embeds it into a shadow copy
//! and swaps it in.

use std::path::Path;

use seogo_tests::{copy_dir, demo_corpus, models_dir, run, seogo, stderr, stdout};

/// An embedder folder with the installed model's files under another name:
/// the same weights, so the same vectors, but another fingerprint.
pub(crate) fn renamed_embedder(root: &Path) -> std::path::PathBuf {
    let dir = root.join("e5-site-build");
    std::fs::create_dir_all(&dir).expect("dir");
    let installed = models_dir().join("multilingual-e5-small");
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::os::unix::fs::symlink(installed.join(file), dir.join(file)).expect("link");
    }
    dir
}

pub(crate) fn top_ids(out: &std::process::Output) -> Vec<String> {
    assert!(out.status.success(), "{}", stderr(out));
    let results: serde_json::Value = serde_json::from_str(&stdout(out)).expect("json");
    chunk_ids(&results)
}

/// The chunk ids of a JSON array of search results, in order.
pub(crate) fn chunk_ids(results: &serde_json::Value) -> Vec<String> {
    results
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["chunk"]["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn another_embedder_is_refused_until_reindex_swaps_in_a_re_embedded_copy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let corpus = tmp.path().join("corpus");
    copy_dir(&demo_corpus(), &corpus);
    let out = run(seogo(&data).arg("ingest").arg(&corpus));
    assert!(out.status.success(), "{}", stderr(&out));
    let query = "냉각수 펌프 점검 주기";
    let dense = |embedder: Option<&Path>| {
        let mut cmd = seogo(&data);
        cmd.args(["search", query, "--mode", "dense", "-k", "5", "--json"]);
        if let Some(dir) = embedder {
            cmd.env("SEOGO__MODELS__EMBEDDER", dir);
        }
        run(&mut cmd)
    };
    let before = top_ids(&dense(None));
    assert_eq!(before.len(), 5);

    let other = renamed_embedder(tmp.path());
    // Dense search and ingest refuse to mix; the message says what to run.
    let refused = dense(Some(&other));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("seogo reindex --collection default"),
        "{}",
        stderr(&refused)
    );
    let extra = tmp.path().join("extra");
    std::fs::create_dir_all(&extra).expect("dir");
    std::fs::write(
        extra.join("note.md"),
        "# 공지\n\n냉각수 펌프는 매주 점검한다.\n",
    )
    .expect("note");
    let ingest = run(seogo(&data)
        .env("SEOGO__MODELS__EMBEDDER", &other)
        .arg("ingest")
        .arg(&extra));
    assert!(!ingest.status.success(), "{}", stdout(&ingest));
    // BM25 needs no vectors and keeps serving.
    let bm25 = run(seogo(&data)
        .env("SEOGO__MODELS__EMBEDDER", &other)
        .args(["search", query, "--mode", "bm25", "--json"]));
    assert!(!top_ids(&bm25).is_empty());

    let reindex = run(seogo(&data)
        .env("SEOGO__MODELS__EMBEDDER", &other)
        .args(["reindex", "--json"]));
    assert!(reindex.status.success(), "{}", stderr(&reindex));
    let report: serde_json::Value = serde_json::from_str(&stdout(&reindex)).expect("json");
    assert!(
        report["to"]
            .as_str()
            .is_some_and(|t| t.starts_with("e5-site-build")),
        "{report}"
    );
    assert!(
        report["from"]
            .as_str()
            .is_some_and(|t| t.starts_with("multilingual-e5-small")),
        "{report}"
    );
    assert!(report["chunks"].as_u64().is_some_and(|n| n > 0), "{report}");

    // The same weights give the same ranking under the new fingerprint;
    // the old embedder is now the one refused.
    assert_eq!(top_ids(&dense(Some(&other))), before);
    assert!(!dense(None).status.success());
    let check = run(seogo(&data)
        .env("SEOGO__MODELS__EMBEDDER", &other)
        .args(["status", "--check", "--json"]));
    assert!(check.status.success(), "{}", stderr(&check));
    let status: serde_json::Value = serde_json::from_str(&stdout(&check)).expect("json");
    assert_eq!(status[0]["consistent"], true, "{status}");
    assert_eq!(status[0]["vector_chunks"], report["chunks"], "{status}");
    let leftovers: Vec<String> = std::fs::read_dir(data.join("collections"))
        .expect("collections")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["default"], "shadow or retired copies left");
}
