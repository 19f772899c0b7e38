//! Helpers shared by Seogo's end-to-end tests: where the real models, the
//! shared data and the `seogo` binary are, and how to run it.
//!
//! Nothing here fakes a part: tests use the installed model pack, on-disk
//! indexes and the real binary. Missing prerequisites fail loudly with the
//! command that fixes them; they are never skipped.
#![allow(clippy::disallowed_methods)] // fixtures and scratch files, not kept state

pub mod replay;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// `../shared/data` beside the repository (or `SEOGO_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SEOGO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    assert!(
        dir.is_dir(),
        "shared data not found at {}; set SEOGO_SHARED_DATA",
        dir.display()
    );
    dir
}

/// The installed model pack (`SEOGO_MODELS_DIR`, else `./models`).
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("SEOGO_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("models"));
    assert!(
        dir.join("MANIFEST.json").exists(),
        "no model pack in {}: run `seogo models install` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// The demo corpus the README ingests.
pub fn demo_corpus() -> PathBuf {
    workspace_root().join("demo/corpus")
}

/// The `seogo` binary built beside this test binary (`cargo build --bin
/// seogo` must have run: scripts/test.sh does), or `SEOGO_BIN`.
pub fn seogo_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SEOGO_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/e2e-… → target/<profile>/seogo
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("seogo"))
        .expect("target directory");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --bin seogo` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// A `seogo` command on `data_dir` with the installed models.
pub fn seogo(data_dir: &Path) -> Command {
    let mut cmd = Command::new(seogo_bin());
    cmd.arg("--data-dir")
        .arg(data_dir)
        .arg("--models-dir")
        .arg(models_dir())
        .env_remove("SEOGO_CONFIG")
        .env("RUST_LOG", "warn");
    cmd
}

/// Runs a command and returns its output, with stderr echoed on failure to
/// spawn.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies the files of `from` (not recursive) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Copies the folder `from` with everything under it into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Calls `probe` every `every` until it returns a value, for at most
/// `limit`; `None` when the time runs out.
pub fn poll<T>(
    limit: std::time::Duration,
    every: std::time::Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// [`poll`] that fails the test, naming what never happened.
pub fn poll_until<T>(
    what: &str,
    limit: std::time::Duration,
    every: std::time::Duration,
    probe: impl FnMut() -> Option<T>,
) -> T {
    poll(limit, every, probe).unwrap_or_else(|| panic!("{what}: not within {limit:?}"))
}

/// Starts `seogo … serve --bind 127.0.0.1:0` from `cmd` (a [`seogo`]
/// command with its global flags) and returns the child and the address it
/// announced. Its stderr keeps being drained, so the server never blocks
/// on a full pipe.
pub fn spawn_serve(cmd: &mut Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn seogo serve");
    let pipe = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(pipe).lines();
    let mut addr = None;
    let mut said = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = Some(rest.trim().to_string());
            break;
        }
        said.push(line);
    }
    std::thread::spawn(move || for _ in lines {});
    let addr = addr.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("seogo serve announced no address:\n{}", said.join("\n"))
    });
    (child, addr)
}
