//! Crash safety: the real binary killed at random points (SIGKILL) and at
//! named points inside a commit (`SEOGO_CRASH_AT`, an abort), through an
//! ingest, a re-sync with edits and additions, and a sweep of deleted
//! files. After every kill the collection is opened as the next start
//! would open it and checked against a clean reference run of the same
//! phase (every kill starts from the phase's first state, so the random
//! ones land anywhere in it and each crash point in its first commit): both indexes and the manifest hold the same chunks at the same
//! version, every document is at its version before or after the phase or
//! (if it was in flight) absent, a document the phase leaves alone is never
//! touched, and a deleted one never reappears. Each phase then runs to the
//! end and must equal the reference exactly.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use seogo_engine::{DocEntry, Engine, EngineConfig, EngineError, Inventory};
use seogo_tests::{copy_tree, models_dir, run, seogo, stderr};

use crate::ingest_cli::write_korquad_files;

/// Chunks per commit in these runs: many commits, so kills land between
/// and inside them as well as in parsing and embedding.
const COMMIT_CHUNKS: &str = "4";

/// The points inside `Collection::commit` a crash is aimed at.
pub(crate) const CRASH_POINTS: [&str; 4] = [
    "before-commit",
    "after-lexical-commit",
    "after-vector-flush",
    "after-manifest",
];

/// One document as the stores hold it: its manifest entry and the content
/// digests of its chunks in the lexical index (equal to the vector store's
/// when the inventory is consistent).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocState {
    entry: DocEntry,
    chunks: Vec<String>,
}

pub(crate) type State = BTreeMap<String, DocState>;

/// Opens the data directory as the next start would (repairing an
/// interrupted write), checks the stores agree, and returns every document.
pub(crate) fn open_state(data: &Path) -> State {
    let mut config = EngineConfig::default();
    config.data.dir = data.to_path_buf();
    config.models.dir = models_dir();
    let engine = Engine::new(config);
    match engine.collection("default", false) {
        Ok(_) => state_of(&engine),
        Err(EngineError::NoSuchCollection(_)) => State::new(),
        Err(e) => panic!("opening after a crash: {e}"),
    }
}

/// Every document of collection `default` in `engine`, its stores
/// checked to agree.
pub(crate) fn state_of(engine: &Engine) -> State {
    let collection = engine.collection("default", false).expect("open");
    // On a cluster other processes write: the manifest as it is now.
    collection
        .write()
        .expect("lock")
        .refresh()
        .expect("refresh");
    let col = collection.read().expect("lock");
    let inventory: Inventory = col.inventory().expect("inventory");
    assert!(
        inventory.is_consistent(),
        "stores disagree after a crash: {inventory:?}"
    );
    let mut chunks: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for stored in &inventory.lexical {
        let (doc, _) = stored.id.rsplit_once('#').expect("chunk id");
        chunks
            .entry(doc)
            .or_default()
            .push(format!("{}={}", stored.id, stored.digest));
    }
    col.manifest
        .docs
        .iter()
        .map(|(id, entry)| {
            let state = DocState {
                entry: entry.clone(),
                chunks: chunks.remove(id.as_str()).unwrap_or_default(),
            };
            (id.clone(), state)
        })
        .collect()
}

/// Every document of `now` is at its `before` or `after` version, and one
/// the phase does not change is there at that version.
pub(crate) fn assert_between(now: &State, before: &State, after: &State, what: &str) {
    for (id, state) in now {
        assert!(
            before.get(id) == Some(state) || after.get(id) == Some(state),
            "{what}: {id} is at a version neither before nor after the phase: {state:?}"
        );
    }
    for (id, state) in before {
        if after.get(id) == Some(state) {
            assert_eq!(
                now.get(id),
                Some(state),
                "{what}: {id}, untouched by the phase, changed"
            );
        }
    }
}

/// A small deterministic generator, seeded from the clock (printed, so a
/// failing run's kill times can be told apart).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn ingest(data: &Path, corpus: &Path) -> Command {
    let mut cmd = seogo(data);
    cmd.arg("ingest")
        .arg(corpus)
        .env("SEOGO__DATA__COMMIT_CHUNKS", COMMIT_CHUNKS)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Makes `to` a copy of `from` (absent when `from` is).
fn mirror(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("rm copy");
    }
    if from.exists() {
        copy_tree(from, to);
    }
}

/// One phase: a clean reference run from `reference`'s state, then
/// `random_kills` SIGKILLs on `crashed`, each from the phase's start state
/// so it lands anywhere in the phase, then one abort at each crash point
/// in the phase's first commit; every kill is followed by the invariants.
/// Last, a run resuming from the last crash must equal the reference.
/// Returns the kills landed.
fn phase(
    name: &str,
    corpus: &Path,
    reference: &Path,
    crashed: &Path,
    random_kills: usize,
    rng: &mut Rng,
) -> usize {
    let before = open_state(reference);
    assert_eq!(
        open_state(crashed),
        before,
        "{name}: runs diverged before the phase"
    );
    let snapshot = crashed.with_extension("snapshot");
    mirror(crashed, &snapshot);
    let started = Instant::now();
    let out = run(ingest(reference, corpus).stderr(Stdio::piped()));
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let took = started.elapsed();
    let after = open_state(reference);
    assert_ne!(before, after, "{name}: the phase changes nothing");

    let mut kills = 0;
    for i in 0..random_kills {
        mirror(&snapshot, crashed);
        let mut child = ingest(crashed, corpus).spawn().expect("spawn");
        let delay = Duration::from_millis(rng.below(took.as_millis() as u64));
        std::thread::sleep(delay);
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
        let what = format!("{name}, kill {i} after {delay:?}");
        assert_between(&open_state(crashed), &before, &after, &what);
    }
    // The data directory's own files, between writing and renaming them.
    let local = ["before-rename:journal", "before-rename:manifest"];
    for point in CRASH_POINTS.iter().chain(&local) {
        mirror(&snapshot, crashed);
        let status = ingest(crashed, corpus)
            .env("SEOGO_CRASH_AT", point)
            .status()
            .expect("run");
        let what = format!("{name}, crash at {point}");
        assert_eq!(
            status.signal(),
            Some(6),
            "{what}: the point was never reached (is the binary built with \
             `--features crash-points`? scripts/test.sh builds it so)"
        );
        kills += 1;
        assert_between(&open_state(crashed), &before, &after, &what);
    }

    eprintln!(
        "{name}: {kills} kills landed ({random_kills} random tries, {} crash points)",
        CRASH_POINTS.len() + local.len()
    );
    let out = run(ingest(crashed, corpus).stderr(Stdio::piped()));
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    assert_eq!(
        open_state(crashed),
        after,
        "{name}: the resumed run differs from the clean one"
    );
    kills
}

#[test]
fn kills_during_ingest_resync_and_delete_never_leave_a_half_written_document() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("korquad");
    let reference = tmp.path().join("reference");
    let crashed = tmp.path().join("crashed");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);

    write_korquad_files(&corpus, 30);
    let mut kills = phase("ingest", &corpus, &reference, &crashed, 12, &mut rng);

    // Re-sync: 10 files edited, 6 added.
    write_korquad_files(&corpus, 36);
    for i in (0..30).step_by(3).take(10) {
        let file = corpus.join(format!("p{i:04}.md"));
        let mut text = std::fs::read_to_string(&file).expect("read");
        text.push_str("\n## 개정\n\n이 문단은 개정판에서 보완되었다.\n");
        std::fs::write(&file, text).expect("edit");
    }
    kills += phase("re-sync", &corpus, &reference, &crashed, 10, &mut rng);

    // Delete: 15 files gone, swept by the next run.
    for i in (1..36).step_by(2).take(15) {
        std::fs::remove_file(corpus.join(format!("p{i:04}.md"))).expect("rm");
    }
    kills += phase("delete", &corpus, &reference, &crashed, 10, &mut rng);

    assert!(kills >= 30, "only {kills} kills landed");
    let out = run(seogo(&crashed).args(["status", "--check"]));
    assert!(out.status.success(), "{}", stderr(&out));
}
