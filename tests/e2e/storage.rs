//! A full disk and a read-only data directory: real ones, mounted in a
//! private mount namespace (`unshare --mount`, as root: a small ext4 image
//! on a loop device, a read-only bind mount) and used by the real binary.
//! Each must fail with an error naming the cause, and leave the collection
//! consistent with nothing indexed lost. (File permissions would not stop
//! root; a read-only mount does. A tmpfs would not do for the full disk:
//! Qdrant's memory-mapped files allocate tmpfs pages even to be read.)

use std::path::Path;
use std::process::Command;

use seogo_tests::{demo_corpus, models_dir, run, seogo, seogo_bin, stderr, stdout};

use crate::crash::open_state;
use crate::ingest_cli::write_korquad_files;

/// Runs `script` with `sh` in a new mount namespace (its mounts vanish with
/// it), with `SEOGO`, `MODELS`, and `vars` in its environment.
fn in_namespace(script: &str, vars: &[(&str, &Path)]) -> std::process::Output {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", script])
        .env("SEOGO", seogo_bin())
        .env("MODELS", models_dir())
        .env("RUST_LOG", "warn")
        .env_remove("SEOGO_CONFIG");
    for (name, value) in vars {
        cmd.env(name, value);
    }
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "the namespace script failed (needs root, unshare, loop devices, mkfs.ext4): {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_full_disk_fails_the_ingest_by_name_and_loses_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = tmp.path().join("korquad");
    write_korquad_files(&big, 60);
    let reference = tmp.path().join("reference");
    for corpus in [demo_corpus(), big.clone()] {
        let out = run(seogo(&reference).arg("ingest").arg(&corpus));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let data = tmp.path().join("data");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::create_dir_all(&out_dir).expect("mkdir");

    let image = tmp.path().join("disk.img");
    std::fs::File::create(&image)
        .and_then(|f| f.set_len(128 << 20))
        .expect("image");
    // The demo corpus fits. A filler then leaves 8 MB free, under the
    // configured margin: the ingest is refused before it writes. With no
    // margin and 256 KB free, the disk really fills during the ingest.
    // Then the disk is freed, the next start repairs, and the same ingest
    // runs again.
    let script = r#"
        set -u
        mkfs.ext4 -q -F -m 0 "$IMAGE" || exit 89
        mount -o loop "$IMAGE" "$DATA" || exit 90
        export SEOGO__DATA__MIN_FREE_MB=16
        s() { "$SEOGO" --data-dir "$DATA" --models-dir "$MODELS" "$@"; }
        fill() { rm -f "$DATA/filler"; dd if=/dev/zero of="$DATA/filler" bs=1M 2>/dev/null;
                 truncate -s -"$1" "$DATA/filler"; }
        s ingest "$SMALL" >/dev/null 2>"$OUT/small.err" || exit 91
        fill 8M || exit 92
        SEOGO__DATA__MIN_FREE_MB=32 s ingest "$BIG" >/dev/null 2>"$OUT/margin.err"
        echo $? >"$OUT/margin.rc"
        s search "펌프 정비" --mode bm25 --json >"$OUT/search.json" 2>"$OUT/search.err"
        echo $? >"$OUT/search.rc"
        fill 256K || exit 93
        SEOGO__DATA__MIN_FREE_MB=0 s ingest "$BIG" >/dev/null 2>"$OUT/full.err"
        echo $? >"$OUT/full.rc"
        rm "$DATA/filler"
        s status --check >"$OUT/check.out" 2>&1; echo $? >"$OUT/check.rc"
        s ingest "$BIG" >/dev/null 2>"$OUT/retry.err"; echo $? >"$OUT/retry.rc"
        cp -a "$DATA" "$OUT/data" || exit 94
    "#;
    let small = demo_corpus();
    in_namespace(
        script,
        &[
            ("IMAGE", &image),
            ("DATA", &data),
            ("OUT", &out_dir),
            ("SMALL", &small),
            ("BIG", &big),
        ],
    );
    let o = |name: &str| read(&out_dir.join(name));

    // Under the margin: refused up front, by name, and searches go on.
    assert_ne!(o("margin.rc").trim(), "0", "an ingest under the margin ran");
    let err = o("margin.err");
    assert!(
        err.contains("MB free, under data.min_free_mb = 32") && err.contains("nothing changed"),
        "the refusal does not say why: {err}"
    );
    assert_eq!(o("search.rc").trim(), "0", "{}", o("search.err"));
    let hits: serde_json::Value = serde_json::from_str(&o("search.json")).expect("json");
    assert!(!hits.as_array().expect("hits").is_empty(), "{hits}");
    // No margin: the disk fills mid-ingest. The ingest fails (an error, or
    // the kernel's SIGBUS for a memory-mapped write), never as a panic.
    let full = o("full.err");
    eprintln!(
        "ingest into a full disk: exit {}, {full}",
        o("full.rc").trim()
    );
    assert_ne!(
        o("full.rc").trim(),
        "0",
        "an ingest into a full disk succeeded"
    );
    assert!(!full.contains("panicked"), "{full}");
    // Once space is back, the collection checks consistent and the same
    // ingest completes: the result equals a run that never hit the limit.
    assert_eq!(o("check.rc").trim(), "0", "{}", o("check.out"));
    assert_eq!(o("retry.rc").trim(), "0", "{}", o("retry.err"));
    assert_eq!(open_state(&out_dir.join("data")), open_state(&reference));
}

#[test]
fn a_read_only_data_directory_fails_by_name_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let out = run(seogo(&data).arg("ingest").arg(demo_corpus()));
    assert!(out.status.success(), "{}", stderr(&out));
    let before = open_state(&data);
    let more = tmp.path().join("korquad");
    write_korquad_files(&more, 5);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");

    let script = r#"
        set -u
        mount --bind "$DATA" "$DATA" && mount -o remount,bind,ro "$DATA" || exit 90
        touch "$DATA/probe" 2>/dev/null && exit 91
        s() { "$SEOGO" --data-dir "$DATA" --models-dir "$MODELS" "$@"; }
        s ingest "$MORE" >/dev/null 2>"$OUT/ingest.err"; echo $? >"$OUT/ingest.rc"
        s search "펌프 정비" --mode bm25 --json >"$OUT/search.json" 2>"$OUT/search.err"
        echo $? >"$OUT/search.rc"
        s status --check >"$OUT/check.out" 2>&1; echo $? >"$OUT/check.rc"
    "#;
    in_namespace(
        script,
        &[("DATA", &data), ("OUT", &out_dir), ("MORE", &more)],
    );
    let o = |name: &str| read(&out_dir.join(name));

    assert_ne!(
        o("ingest.rc").trim(),
        "0",
        "an ingest into a read-only directory succeeded"
    );
    let err = o("ingest.err");
    assert!(
        err.contains("Read-only file system"),
        "the error does not name the cause: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // tantivy takes a lock file even to read, so a search on the
    // read-only copy fails as well: with the same reason and the path.
    for (rc, err) in [("search.rc", "search.err"), ("check.rc", "check.out")] {
        assert_ne!(o(rc).trim(), "0", "{}", o(err));
        let err = o(err);
        assert!(
            err.contains("lexical: Read-only file system") && !err.contains("panicked"),
            "{err}"
        );
    }
    assert_eq!(
        open_state(&data),
        before,
        "the read-only attempt changed the data"
    );
    let out = run(seogo(&data).args(["status", "--check"]));
    assert!(out.status.success(), "{}", stdout(&out));
}
