//! The chat widget in real headless Chromium (Debian's `chromium`, driven by
//! playwright-core from `tests/widget`, both installed by scripts/test.sh)
//! against the real server, models and index: `tests/widget/widget.test.mjs`
//! does the clicking; this test starts the server, runs it, and checks what
//! the server recorded (the feedback thumb in the audit log).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::api::{config, fixture, Server};

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} missing: install Debian's chromium (scripts/test.sh does)",
        path.display()
    );
    path
}

/// Runs `script` from tests/widget under Node.js with `args`, driving
/// Debian's Chromium, then checks the step report it wrote to `out`: at
/// least `min_steps` steps, every one ok, and each of `shots` written.
pub(crate) fn run_browser_steps(
    script: &str,
    args: &[&OsStr],
    out: &Path,
    min_steps: usize,
    shots: &[&str],
) {
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("widget");
    assert!(
        scripts.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/widget` first (scripts/test.sh does)"
    );
    let run = Command::new("node")
        .arg(scripts.join(script))
        .args(args)
        .env("CHROMIUM", chromium())
        .current_dir(&scripts)
        .output()
        .expect("node (Node.js) runs");
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{script}: steps failed:\n{log}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("the step report"))
            .expect("report json");
    let steps = report["steps"].as_array().expect("steps");
    assert!(steps.len() >= min_steps, "steps missing:\n{log}");
    assert!(steps.iter().all(|s| s["ok"] == Value::Bool(true)), "{log}");
    for shot in shots {
        let size = std::fs::metadata(out.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(size > 10_000, "{shot}: {size} bytes");
    }
}

#[test]
fn the_widget_answers_with_sources_in_a_real_browser() {
    let f = fixture();
    let server = Server::start(&config("widget", "", ""));
    // A second server whose model always declines: its answers are the
    // extractive floor's, which the widget marks as extracts.
    let declining = crate::api::acl::stand_in_saying("NO_ANSWER", std::time::Duration::ZERO);
    let extracts = Server::start(&config(
        "widget-extracts",
        "",
        &crate::api::acl::stand_in_config(&declining),
    ));
    // Screenshots and the step report land here (docs/widget.png is one).
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("widget");
    run_browser_steps(
        "widget.test.mjs",
        &[
            server.base.as_ref(),
            f.public_key.as_ref(),
            out.as_ref(),
            extracts.base.as_ref(),
        ],
        &out,
        12,
        &[
            "widget-desktop.png",
            "widget-phone.png",
            "widget-source-card.png",
            "widget-extract.png",
        ],
    );

    // The thumb the browser clicked is in the audit log, with the caller,
    // the question and the chunks its answer cited.
    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit log");
    let key_id = f.public_key.split('_').nth(1).expect("key id");
    let feedback = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["route"] == "/v1/feedback")
        .unwrap_or_else(|| panic!("no feedback in the audit log:\n{audit}"));
    assert_eq!(feedback["who"], Value::String(format!("key:{key_id}")));
    assert_eq!(feedback["detail"]["feedback"], "up");
    assert!(
        feedback["question"]
            .as_str()
            .is_some_and(|q| q.contains("냉각수 펌프")),
        "{feedback}"
    );
    assert!(
        feedback["cited"].as_array().is_some_and(|c| !c.is_empty()),
        "{feedback}"
    );
}
