//! A crash between writing a file and renaming it over the old one leaves
//! the old file whole, for each kind of file Seogo keeps: the binary dies
//! (`SEOGO_CRASH_AT=before-rename:<kind>`, an abort, as a power cut) after
//! the new file is written and fsynced, before the rename. The manifest
//! and journal are checked inside the crash test (tests/e2e/crash.rs).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use seogo_tests::{copy_dir, demo_corpus, run, seogo, stderr};

/// Runs `cmd` with a crash at `point` and checks it died there.
fn crash_at(cmd: &mut std::process::Command, point: &str) {
    let status = cmd.env("SEOGO_CRASH_AT", point).status().expect("run");
    assert_eq!(
        status.signal(),
        Some(6),
        "{point} was never reached (is the binary built with `--features crash-points`? \
         scripts/test.sh builds it so)"
    );
}

fn create_key(data: &Path, name: &str) -> std::process::Command {
    let mut cmd = seogo(data);
    cmd.args(["keys", "create", "--name", name, "--json"]);
    cmd
}

#[test]
fn a_crash_before_the_rename_keeps_the_previous_keys_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let out = run(&mut create_key(&data, "first"));
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = data.join("api-keys.json");
    let before = std::fs::read(&keys).expect("keys file");

    crash_at(&mut create_key(&data, "second"), "before-rename:keys");
    assert_eq!(std::fs::read(&keys).expect("keys file"), before);
    let temporaries = || {
        std::fs::read_dir(&data)
            .expect("data dir")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".api-keys.json.tmp-")
            })
            .count()
    };
    assert_eq!(
        temporaries(),
        1,
        "the crash left its written temporary file"
    );
    // The next write goes through, removes the dead process's temporary
    // file, and the store still reads.
    let out = run(&mut create_key(&data, "third"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(temporaries(), 0, "the stale temporary file was swept");
    let listed = run(seogo(&data).args(["keys", "list", "--json"]));
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("first") && text.contains("third") && !text.contains("second"),
        "{text}"
    );
}

#[test]
fn a_crash_before_the_rename_keeps_the_previous_sync_state() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let share = tmp.path().join("share");
    copy_dir(&demo_corpus(), &share);
    let config = tmp.path().join("seogo.toml");
    std::fs::write(
        &config,
        format!(
            "[[sources]]\nname = \"manuals\"\npath = \"{}\"\ninclude = [\"**/*.md\"]\n",
            share.display()
        ),
    )
    .expect("config");
    let data = tmp.path().join("data");
    let sync = |data: &Path| {
        let mut cmd = seogo(data);
        cmd.arg("--config").arg(&config).args(["sync", "manuals"]);
        cmd
    };
    let out = run(&mut sync(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let state = std::fs::read_dir(data.join("sources"))
        .expect("sync state folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a sync state file");
    let before = std::fs::read(&state).expect("state");

    std::fs::write(
        share.join("new.md"),
        "# 새 문서\n\n점검 주기는 3개월이다.\n",
    )
    .expect("write");
    crash_at(&mut sync(&data), "before-rename:sync-state");
    assert_eq!(std::fs::read(&state).expect("state"), before);
    let again = run(&mut sync(&data));
    assert!(again.status.success(), "{}", stderr(&again));
    assert_ne!(std::fs::read(&state).expect("state"), before);
}
