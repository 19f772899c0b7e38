//! A Qdrant peer SIGKILLed under a steady search load, and restarted:
//! what callers see (errors, the longest gap between answers, latency
//! during the outage) and that every chunk is there exactly once after
//! the peer rejoins. The figures go to docs/SCALING.md.
//!
//! Needs a 3-peer cluster started by `../shared/tools/qdrant/run-cluster.sh`
//! (its folder in `SEOGO_TEST_QDRANT_DIR`: the test kills a peer by the
//! pid file and restarts it as the script does); ignored otherwise:
//!
//! ```sh
//! bash ../shared/tools/qdrant/run-cluster.sh start /tmp/qdrant-3 3
//! SEOGO_TEST_QDRANT_URL=http://127.0.0.1:6334 SEOGO_TEST_QDRANT_DIR=/tmp/qdrant-3 \
//!   SEOGO_TEST_QDRANT_SHARDS=3 SEOGO_TEST_QDRANT_REPLICAS=2 \
//!   cargo test -p seogo-tests --test e2e -- --ignored --nocapture cluster_failover
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use seogo_engine::retrieve::{Scope, SearchMode, SearchRequest};
use seogo_engine::{Engine, EngineConfig, VectorsConfig};
use seogo_tests::{models_dir, run, seogo, stderr};

use crate::cluster::{cluster_section, remote};

/// Searches each client sends per second.
const RATE_PER_CLIENT: f64 = 5.0;
const CLIENTS: usize = 4;

/// One search as a client saw it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Seconds since the load started, when it was sent.
    at: f64,
    ms: f64,
    ok: bool,
}

fn qdrant_dir() -> PathBuf {
    PathBuf::from(std::env::var("SEOGO_TEST_QDRANT_DIR").expect("SEOGO_TEST_QDRANT_DIR"))
}

/// The pid of peer `i` (line `i` of the script's pid file).
fn peer_pid(dir: &Path, i: usize) -> u32 {
    let pids = std::fs::read_to_string(dir.join("pids")).expect("pid file");
    pids.lines()
        .nth(i)
        .and_then(|l| l.trim().parse().ok())
        .expect("peer pid")
}

/// The cluster script's first port (`QDRANT_BASE_PORT`, default 6333).
fn base_port() -> usize {
    std::env::var("QDRANT_BASE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(6333)
}

/// Starts peer `i` again as run-cluster.sh does (same ports, storage and
/// bootstrap), writing its new pid in its line of the pid file.
fn restart_peer(dir: &Path, i: usize) {
    let base = base_port() + 10 * i;
    let peer = dir.join(format!("peer{i}"));
    let log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join(format!("peer{i}.log")))
        .expect("log");
    let bin = std::env::var("QDRANT_BIN").unwrap_or_else(|_| {
        format!(
            "{}/.cache/qdrant/bin/qdrant",
            std::env::var("HOME").expect("HOME")
        )
    });
    let child = Command::new(bin)
        .current_dir(&peer)
        .args(["--uri", &format!("http://127.0.0.1:{}", base + 2)])
        .args([
            "--bootstrap",
            &format!("http://127.0.0.1:{}", base_port() + 2),
        ])
        .env("QDRANT__SERVICE__HOST", "127.0.0.1")
        .env("QDRANT__SERVICE__HTTP_PORT", base.to_string())
        .env("QDRANT__SERVICE__GRPC_PORT", (base + 1).to_string())
        .env("QDRANT__SERVICE__ENABLE_STATIC_CONTENT", "false")
        .env("QDRANT__STORAGE__STORAGE_PATH", peer.join("storage"))
        .env("QDRANT__STORAGE__SNAPSHOTS_PATH", peer.join("snapshots"))
        .env("QDRANT__TELEMETRY_DISABLED", "true")
        .env("QDRANT__CLUSTER__ENABLED", "true")
        .env("QDRANT__CLUSTER__P2P__PORT", (base + 2).to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("restart the peer");
    let pids = std::fs::read_to_string(dir.join("pids")).expect("pid file");
    let mut lines: Vec<String> = pids.lines().map(str::to_string).collect();
    lines[i] = child.id().to_string();
    std::fs::write(dir.join("pids"), lines.join("\n") + "\n").expect("pid file");
    // The child is the cluster script's to stop, like its other peers.
    std::mem::forget(child);
}

/// The replica states of collection `qdrant_name`'s shards, from peer 0's
/// REST API: `(peer, state)` for every replica.
fn replica_states(qdrant_name: &str) -> Vec<String> {
    let url = format!(
        "http://127.0.0.1:{}/collections/{qdrant_name}/cluster",
        base_port()
    );
    let Ok(mut response) = ureq::get(&url).call() else {
        return Vec::new();
    };
    let body: serde_json::Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or_default();
    let result = &body["result"];
    let mut states = Vec::new();
    for shard in result["local_shards"].as_array().into_iter().flatten() {
        states.push(format!("local:{}", shard["state"].as_str().unwrap_or("?")));
    }
    for shard in result["remote_shards"].as_array().into_iter().flatten() {
        states.push(format!(
            "{}:{}",
            shard["peer_id"],
            shard["state"].as_str().unwrap_or("?")
        ));
    }
    states
}

fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

#[test]
#[ignore = "needs a 3-peer Qdrant cluster: set SEOGO_TEST_QDRANT_URL and SEOGO_TEST_QDRANT_DIR"]
fn cluster_failover_a_peer_killed_under_load_stops_no_query_and_loses_no_chunk() {
    let dir = qdrant_dir();
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("korquad");
    crate::ingest_cli::write_korquad_files(&corpus, 66);
    // The last six are written during the outage.
    let more = tmp.path().join("more");
    std::fs::create_dir_all(&more).expect("mkdir");
    for i in 60..66 {
        let name = format!("p{i:04}.md");
        std::fs::rename(corpus.join(&name), more.join(&name)).expect("move");
    }
    let settings = remote("failover");
    let config_file = tmp.path().join("failover.toml");
    std::fs::write(&config_file, cluster_section(&settings)).expect("config");
    let out = run(seogo(tmp.path())
        .arg("--config")
        .arg(&config_file)
        .arg("ingest")
        .arg(&corpus));
    assert!(out.status.success(), "{}", stderr(&out));

    let mut config = EngineConfig::default();
    config.data.dir = tmp.path().to_path_buf();
    config.models.dir = models_dir();
    config.vectors = VectorsConfig::Qdrant(Box::new(settings.clone()));
    let engine = Arc::new(Engine::new(config));
    let before = crate::crash::state_of(&engine);
    let qdrant_name = format!("{}default", settings.collection_prefix);

    let queries: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .flatten()
        .take(40)
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("read");
            text.lines()
                .find(|l| l.starts_with("# "))
                .unwrap_or("점검")
                .trim_start_matches("# ")
                .to_string()
        })
        .collect();
    // Embedded once up front: the load measures the cluster, not the
    // embedder on two cores.
    for q in &queries {
        engine
            .search(&request(q, SearchMode::Dense))
            .expect("warm-up search");
    }

    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (engine, samples, stop, queries) = (
                engine.clone(),
                samples.clone(),
                stop.clone(),
                queries.clone(),
            );
            std::thread::spawn(move || {
                let period = Duration::from_secs_f64(1.0 / RATE_PER_CLIENT);
                let mut next = Instant::now();
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let mode = [SearchMode::Hybrid, SearchMode::Bm25, SearchMode::Dense][i % 3];
                    let sent = Instant::now();
                    let ok = engine
                        .search(&request(&queries[i % queries.len()], mode))
                        .is_ok();
                    let sample = Sample {
                        at: (sent - started).as_secs_f64(),
                        ms: sent.elapsed().as_secs_f64() * 1000.0,
                        ok,
                    };
                    samples.lock().expect("samples").push(sample);
                    i += CLIENTS;
                    next += period;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(10));
    let victim = peer_pid(&dir, 2);
    let killed_at = started.elapsed().as_secs_f64();
    assert!(Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .expect("kill")
        .success());
    // A write during the outage: it reaches the live replicas, Qdrant marks
    // the dead peer's replicas dead, and the peer must catch up on rejoining.
    std::thread::sleep(Duration::from_secs(3));
    let out = run(seogo(tmp.path())
        .arg("--config")
        .arg(&config_file)
        .arg("ingest")
        .arg(&more));
    assert!(
        out.status.success(),
        "a write during the outage: {}",
        stderr(&out)
    );
    let written = crate::crash::state_of(&engine);
    assert_eq!(
        written.len(),
        before.len() + 6,
        "the outage's write is not all there"
    );
    for (id, doc) in &before {
        assert_eq!(written.get(id), Some(doc), "{id} changed during the outage");
    }
    // When Qdrant marks the peer's replicas dead (first seen by polling).
    let mut dead_at = None;
    while started.elapsed().as_secs_f64() < killed_at + 60.0 {
        if replica_states(&qdrant_name)
            .iter()
            .any(|s| s.ends_with(":Dead"))
        {
            dead_at = Some(started.elapsed().as_secs_f64());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let outage = Duration::from_secs(30);
    if let Some(left) = outage.checked_sub(Duration::from_secs_f64(
        started.elapsed().as_secs_f64() - killed_at,
    )) {
        std::thread::sleep(left);
    }
    let restarted_at = started.elapsed().as_secs_f64();
    restart_peer(&dir, 2);
    let mut active_at = None;
    while started.elapsed().as_secs_f64() < restarted_at + 120.0 {
        let states = replica_states(&qdrant_name);
        if !states.is_empty() && states.iter().all(|s| s.ends_with(":Active")) {
            active_at = Some(started.elapsed().as_secs_f64());
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }

    let samples = samples.lock().expect("samples").clone();
    let errors = |from: f64, to: f64| {
        samples
            .iter()
            .filter(|s| s.at >= from && s.at < to && !s.ok)
            .count()
    };
    let mut ok_times: Vec<f64> = samples
        .iter()
        .filter(|s| s.ok)
        .map(|s| s.at + s.ms / 1000.0)
        .collect();
    ok_times.sort_by(f64::total_cmp);
    let longest_gap = ok_times
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    let mut during: Vec<f64> = samples
        .iter()
        .filter(|s| s.at >= killed_at && s.at < restarted_at)
        .map(|s| s.ms)
        .collect();
    let mut steady: Vec<f64> = samples
        .iter()
        .filter(|s| s.at < killed_at)
        .map(|s| s.ms)
        .collect();
    let end = started.elapsed().as_secs_f64();
    // Errors are counted from when Qdrant marked the peer dead, or, if it
    // never had to (reads fail over to the other replica at once), from
    // the kill itself.
    let bound = dead_at.unwrap_or(killed_at);
    eprintln!(
        "failover: {} searches by {CLIENTS} clients at {RATE_PER_CLIENT}/s each; peer killed at \
         {killed_at:.1} s, a write 3 s later, marked dead at {:.1} s, restarted at \
         {restarted_at:.1} s, all replicas active at {:.1} s",
        samples.len(),
        dead_at.unwrap_or(f64::NAN),
        active_at.unwrap_or(f64::NAN)
    );
    eprintln!(
        "failover: errors before the kill {}, kill → dead {}, dead → end {}; longest gap between \
         answers {:.0} ms; p50/p99 before {:.1}/{:.1} ms, during the outage {:.1}/{:.1} ms",
        errors(0.0, killed_at),
        errors(killed_at, bound),
        errors(bound, end),
        longest_gap * 1000.0,
        percentile(&mut steady, 0.5),
        percentile(&mut steady, 0.99),
        percentile(&mut during, 0.5),
        percentile(&mut during, 0.99)
    );
    assert_eq!(errors(0.0, killed_at), 0, "errors before the kill");
    assert_eq!(
        errors(bound, end),
        0,
        "errors once the peer was marked dead"
    );
    assert!(active_at.is_some(), "the peer never rejoined");
    // Every chunk exactly once, at the same content, with the outage's
    // write: the inventory check inside compares ids and digests across
    // the manifest and both vector kinds.
    assert_eq!(
        crate::crash::state_of(&engine),
        written,
        "chunks differ after the peer rejoined"
    );
}

fn request(query: &str, mode: SearchMode) -> SearchRequest {
    SearchRequest {
        query: query.to_string(),
        mode,
        k: 10,
        snippets: false,
        scope: Scope::default(),
    }
}
