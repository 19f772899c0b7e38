//! Ingest through the real binary: idempotence, edits, deletes, hostile
//! files (kills mid-ingest are in `crash`).

use std::path::Path;

use seogo_engine::{Engine, EngineConfig, Inventory};
use seogo_tests::{copy_dir, demo_corpus, models_dir, run, seogo, shared_data, stderr, stdout};

/// The inventory of `data_dir`'s default collection, read in-process.
fn inventory(data_dir: &Path) -> Inventory {
    let mut config = EngineConfig::default();
    config.data.dir = data_dir.to_path_buf();
    config.models.dir = models_dir();
    let engine = Engine::new(config);
    let collection = engine.collection("default", false).expect("collection");
    let inventory = collection
        .read()
        .expect("lock")
        .inventory()
        .expect("inventory");
    inventory
}

fn ingest_json(data_dir: &Path, path: &Path) -> serde_json::Value {
    let out = run(seogo(data_dir).arg("ingest").arg(path).arg("--json"));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("ingest --json")
}

#[test]
fn reingest_edit_and_delete_keep_both_indexes_exact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("corpus");
    copy_dir(&demo_corpus(), &corpus);
    let data = tmp.path().join("data");

    let first = ingest_json(&data, &corpus);
    assert_eq!(
        first["failures"].as_array().map(Vec::len),
        Some(0),
        "{first}"
    );
    let files = first["files"].as_u64().expect("files");
    assert_eq!(first["added"].as_u64(), Some(files));
    let before = inventory(&data);
    assert!(before.is_consistent(), "{before:?}");
    assert!(!before.manifest.is_empty());

    // Same folder again: nothing to do, same chunks.
    let again = ingest_json(&data, &corpus);
    assert_eq!(again["unchanged"].as_u64(), Some(files), "{again}");
    assert_eq!(again["chunks_written"].as_u64(), Some(0), "{again}");
    assert_eq!(inventory(&data), before);

    // Edit one file: only its chunks are replaced.
    let edited = corpus.join("notice-board.md");
    let edited_id = std::fs::canonicalize(&edited)
        .expect("canon")
        .to_string_lossy()
        .into_owned();
    std::fs::write(
        &edited,
        "# 공지\n\n4월부터 구내식당 석식은 18:00에 시작합니다.\n",
    )
    .expect("edit");
    let update = ingest_json(&data, &corpus);
    assert_eq!(update["updated"].as_u64(), Some(1), "{update}");
    assert_eq!(update["unchanged"].as_u64(), Some(files - 1), "{update}");
    let after_edit = inventory(&data);
    assert!(after_edit.is_consistent(), "{after_edit:?}");
    let others = |inv: &Inventory| -> Vec<String> {
        inv.manifest
            .iter()
            .filter(|id| !id.starts_with(&format!("{edited_id}#")))
            .cloned()
            .collect()
    };
    assert_eq!(others(&after_edit), others(&before));
    assert_eq!(
        after_edit
            .manifest
            .iter()
            .filter(|id| id.starts_with(&format!("{edited_id}#")))
            .count(),
        1
    );
    let out = run(seogo(&data).args(["search", "석식 18:00", "--mode", "bm25", "--json"]));
    let hits: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        hits[0]["chunk"]["doc_id"].as_str(),
        Some(edited_id.as_str())
    );
    // The snippet marks what matched, in characters of its own text.
    let snippet = &hits[0]["snippet"];
    let chars: Vec<char> = snippet["text"].as_str().expect("snippet").chars().collect();
    let marked: Vec<String> = snippet["highlights"]
        .as_array()
        .expect("highlights")
        .iter()
        .map(|h| {
            let (a, b) = (h[0].as_u64().expect("start"), h[1].as_u64().expect("end"));
            chars[a as usize..b as usize].iter().collect()
        })
        .collect();
    assert!(marked.iter().any(|m| m.contains("석식")), "{snippet}");

    // Delete it: re-syncing the folder removes it from both indexes.
    std::fs::remove_file(&edited).expect("rm");
    let sync = ingest_json(&data, &corpus);
    assert_eq!(sync["removed"].as_u64(), Some(1), "{sync}");
    let after_delete = inventory(&data);
    assert!(after_delete.is_consistent(), "{after_delete:?}");
    assert_eq!(after_delete.manifest, others(&before));
    for mode in ["bm25", "dense", "hybrid"] {
        let out = run(seogo(&data).args(["search", "석식 18:00", "--mode", mode, "--json"]));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            !stdout(&out).contains(&edited_id),
            "{mode}: deleted doc still served"
        );
    }

    // `seogo delete` by path removes a document too.
    let sop = corpus.join("manufacturing-sop-pump.md");
    let out = run(seogo(&data).arg("delete").arg(&sop));
    assert!(out.status.success(), "{}", stderr(&out));
    let after = inventory(&data);
    assert!(after.is_consistent());
    assert!(after.manifest.len() < after_delete.manifest.len());
}

#[test]
fn hostile_files_fail_alone_with_a_named_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("mixed");
    std::fs::create_dir_all(&corpus).expect("mkdir");
    std::fs::write(
        corpus.join("good.md"),
        "# 정상 문서\n\n압축기 점검은 매주 월요일에 한다.\n",
    )
    .expect("w");
    std::fs::write(corpus.join("empty.txt"), "").expect("w");
    std::fs::write(corpus.join("latin1.txt"), b"caf\xe9 au lait\n").expect("w");
    std::fs::write(
        corpus.join("binary.md"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    )
    .expect("w");
    let missing = tmp.path().join("does-not-exist");
    let data = tmp.path().join("data");

    let out = run(seogo(&data).arg("ingest").arg(&corpus).arg(&missing));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let failures: Vec<&str> = err.lines().filter(|l| l.contains("failed:")).collect();
    assert_eq!(failures.len(), 4, "{err}");
    for (name, reason) in [
        ("empty.txt", "no text to index"),
        ("latin1.txt", "invalid UTF-8"),
        ("binary.md", "image has no text"),
        ("does-not-exist", "cannot read"),
    ] {
        assert!(
            failures
                .iter()
                .any(|l| l.contains(name) && l.contains(reason)),
            "no line names {name} with {reason:?}: {err}"
        );
    }
    assert!(stdout(&out).contains("1 added"), "{}", stdout(&out));
    let out = run(seogo(&data).args(["search", "압축기 점검", "--mode", "bm25"]));
    assert!(stdout(&out).contains("good"), "{}", stdout(&out));
}

/// Writes the first `n` KorQuAD paragraphs (real Korean text) as files
/// `p0000.md`, `p0001.md`, ….
pub(crate) fn write_korquad_files(dir: &Path, n: usize) {
    let path = shared_data().join("korquad-v1-dev/KorQuAD_v1.0_dev.json");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("korquad")).expect("json");
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut written = 0;
    for article in json["data"].as_array().expect("data") {
        let title = article["title"].as_str().unwrap_or("문서");
        for para in article["paragraphs"].as_array().expect("paragraphs") {
            if written == n {
                return;
            }
            let text = para["context"].as_str().expect("context");
            std::fs::write(
                dir.join(format!("p{written:04}.md")),
                format!("# {title}\n\n{text}\n"),
            )
            .expect("write");
            written += 1;
        }
    }
}
