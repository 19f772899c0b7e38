//! `seogo sync` on a `[[sources]]` folder: only what changed is embedded
//! again, vanished files are removed, and a source that errors or lists
//! nothing deletes nothing.

use std::path::Path;

use seogo_tests::{copy_dir, demo_corpus, run, seogo, stderr, stdout};

fn sync(data: &Path, config: &Path) -> serde_json::Value {
    let out = run(seogo(data)
        .arg("--config")
        .arg(config)
        .args(["sync", "manuals", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("sync --json")
}

fn count(report: &serde_json::Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {report}"))
}

/// Chunk count per document id, from `seogo status --json`'s manifest.
fn manifest(data: &Path) -> serde_json::Value {
    let path = data.join("collections/default/manifest.json");
    serde_json::from_slice(&std::fs::read(path).expect("manifest")).expect("json")
}

#[test]
fn resync_embeds_only_changes_and_never_mass_deletes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let share = tmp.path().join("share");
    copy_dir(&demo_corpus(), &share);
    std::fs::write(share.join("~$lock.md"), "# 잠금 파일\n\n임시").expect("write");
    let config = tmp.path().join("seogo.toml");
    std::fs::write(
        &config,
        format!(
            "[[sources]]\nname = \"manuals\"\npath = \"{}\"\nconnector = \"manufacturing\"\n\
             include = [\"**/*.md\"]\nexclude = [\"**/~$*\"]\n",
            share.display()
        ),
    )
    .expect("config");
    let data = tmp.path().join("data");

    let first = sync(&data, &config);
    let files = count(&first, "files");
    assert_eq!(files, 6, "{first}");
    assert_eq!(count(&first, "added"), files);
    let before = manifest(&data);

    // One file edited: only its chunks are embedded again.
    let edited = share.join("manufacturing-sop-pump.md");
    let mut text = std::fs::read_to_string(&edited).expect("read");
    text.push_str("\n\n## 부록\n\n점검표는 설비 P-101A 옆에 둔다.\n");
    std::fs::write(&edited, text).expect("edit");
    let second = sync(&data, &config);
    assert_eq!(count(&second, "updated"), 1, "{second}");
    assert_eq!(count(&second, "unchanged"), files - 1, "{second}");
    let after = manifest(&data);
    let id = std::fs::canonicalize(&edited)
        .expect("canon")
        .display()
        .to_string();
    let edited_chunks = after["docs"][&id]["chunks"].as_u64().expect("edited doc");
    assert_eq!(count(&second, "chunks_written"), edited_chunks, "{second}");
    assert_eq!(
        after["docs"].as_object().map(|d| d.len()),
        before["docs"].as_object().map(|d| d.len())
    );

    // One file deleted: its document and chunks are gone.
    let gone = share.join("notice-board.md");
    let gone_id = std::fs::canonicalize(&gone)
        .expect("canon")
        .display()
        .to_string();
    std::fs::remove_file(&gone).expect("delete");
    let third = sync(&data, &config);
    assert_eq!(count(&third, "removed"), 1, "{third}");
    assert!(manifest(&data)["docs"].get(&gone_id).is_none());
    let out = run(seogo(&data).args(["search", "게시판", "--mode", "bm25", "--json"]));
    assert!(!stdout(&out).contains("notice-board"), "{}", stdout(&out));

    // The source's ACL narrowed in seogo.toml: every file is re-read even
    // though none changed, and the public no longer sees its chunks.
    let files_now = count(&third, "files");
    let narrowed = std::fs::read_to_string(&config).expect("config").replace(
        "name = \"manuals\"\n",
        "name = \"manuals\"\nacl = [\"plant-staff\"]\n",
    );
    std::fs::write(&config, narrowed).expect("config");
    let fourth = sync(&data, &config);
    assert_eq!(count(&fourth, "updated"), files_now, "{fourth}");
    let out = run(seogo(&data).args(["search", "설비 P-101A", "--mode", "bm25", "--json"]));
    assert_eq!(
        stdout(&out).trim(),
        "[]",
        "public caller sees narrowed chunks"
    );
    let out = run(seogo(&data).args([
        "search",
        "설비 P-101A",
        "--mode",
        "bm25",
        "--json",
        "--as",
        "plant-staff",
    ]));
    assert!(stdout(&out).contains("P-101A"), "{}", stdout(&out));

    // The share is unmounted (gone), then comes back empty: both syncs
    // fail by name and delete nothing.
    let kept = manifest(&data);
    let moved = tmp.path().join("share-away");
    std::fs::rename(&share, &moved).expect("unmount");
    let out = run(seogo(&data)
        .arg("--config")
        .arg(&config)
        .args(["sync", "manuals"]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nothing was changed"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir(&share).expect("empty share");
    let out = run(seogo(&data)
        .arg("--config")
        .arg(&config)
        .args(["sync", "manuals"]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("lists no file"), "{}", stderr(&out));
    assert_eq!(manifest(&data), kept);

    // `seogo sources` shows the last sync and its error.
    let out = run(seogo(&data).arg("--config").arg(&config).arg("sources"));
    let listing = stdout(&out);
    assert!(
        listing.contains("manuals") && listing.contains("manufacturing"),
        "{listing}"
    );
    assert!(listing.contains("lists no file"), "{listing}");
}
