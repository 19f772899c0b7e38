//! Seogo on a real Qdrant server or cluster, everything in Qdrant: the
//! retrieval suites through the cluster against the embedded store,
//! `seogo migrate` both ways, two stateless nodes on one cluster, writes
//! killed half-way, and the ACL property test.
//!
//! The server is built from source by `../shared/tools/qdrant/` (no
//! registry here carries one, and Docker's engine does not run), so these
//! tests are ignored unless asked for with a server; `scripts/test.sh`
//! starts one and runs them when the binary is already built:
//!
//! ```sh
//! bash ../shared/tools/qdrant/build.sh
//! bash ../shared/tools/qdrant/run-cluster.sh start /tmp/qdrant-3 3
//! SEOGO_TEST_QDRANT_URL=http://127.0.0.1:6334 SEOGO_TEST_QDRANT_SHARDS=3 \
//!   SEOGO_TEST_QDRANT_REPLICAS=2 \
//!   cargo test -p seogo-tests --test e2e -- --ignored cluster::
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use seogo_engine::{Engine, EngineConfig, EngineError};
use seogo_index::QdrantConfig;
use seogo_tests::{models_dir, run, seogo, shared_data, stderr, stdout};
use serde_json::Value;

use crate::api::Server;

/// The gRPC URL of one peer.
fn url() -> String {
    std::env::var("SEOGO_TEST_QDRANT_URL")
        .expect("SEOGO_TEST_QDRANT_URL, e.g. http://127.0.0.1:6334")
}

/// The cluster settings for collection prefix `name` of this test run's
/// own (so runs never meet on a shared server), with the shard and replica
/// counts the environment asks for.
pub(crate) fn remote(name: &str) -> QdrantConfig {
    let number = |var: &str| -> u32 {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
    };
    QdrantConfig {
        url: url(),
        collection_prefix: format!("t{}_{name}_", std::process::id()),
        shards: number("SEOGO_TEST_QDRANT_SHARDS"),
        replication_factor: number("SEOGO_TEST_QDRANT_REPLICAS"),
        ..QdrantConfig::default()
    }
}

/// `remote`'s `[vectors]` section.
pub(crate) fn cluster_section(remote: &QdrantConfig) -> String {
    format!(
        "[vectors]\nbackend = \"qdrant\"\nurl = \"{}\"\ncollection_prefix = \"{}\"\n\
         shards = {}\nreplication_factor = {}\n",
        remote.url, remote.collection_prefix, remote.shards, remote.replication_factor
    )
}

fn write_config(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, format!("{}{extra}", cluster_section(&remote(name)))).expect("config");
    path
}

fn eval(data: &Path, config: Option<&Path>, dataset: &Path) -> Value {
    let mut cmd = seogo(data);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = run(cmd
        .args(["eval", "retrieval", "--json", "--dataset"])
        .arg(dataset)
        .args(["--modes", "bm25,dense,hybrid"]));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("json report")
}

fn metric(report: &Value, mode: &str, name: &str) -> f64 {
    report["modes"][mode][name]
        .as_f64()
        .unwrap_or_else(|| panic!("{mode} {name} missing: {report}"))
}

fn migrate(data: &Path, config: &Path, collection: &str, direction: &str) -> Value {
    let out = run(seogo(data).arg("--config").arg(config).args([
        "migrate",
        "--json",
        "--collection",
        collection,
        direction,
        &url(),
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("report")
}

fn only_collection(data: &Path) -> String {
    let status = run(seogo(data).args(["status", "--json"]));
    let collections: Value = serde_json::from_str(&stdout(&status)).expect("status");
    collections[0]["name"]
        .as_str()
        .expect("the eval collection")
        .to_string()
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn the_cluster_ranks_as_the_embedded_store_does_and_migrates_both_ways() {
    for (name, dataset) in [
        ("ko", shared_data().join("ko-autorag-retrieval")),
        (
            "korquad",
            shared_data().join("korquad-v1-dev/KorQuAD_v1.0_dev.json"),
        ),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let embedded = eval(tmp.path(), None, &dataset);
        let collection = only_collection(tmp.path());
        // One shard: Qdrant's IDF is per shard, and on corpora of a
        // thousand chunks three shards' IDF differ from the whole's (the
        // 3-shard figures are in docs/SCALING.md).
        let mut settings = remote(name);
        settings.shards = 1;
        let config = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&config, cluster_section(&settings)).expect("config");
        let there = migrate(tmp.path(), &config, &collection, "--to");
        assert_eq!(there["copied"], there["source_points"], "{there}");
        assert_eq!(there["target_points"], there["source_points"], "{there}");

        let remote = eval(tmp.path(), Some(&config), &dataset);
        assert!(remote.get("indexing").is_none(), "re-indexed: {remote}");
        for mode in ["bm25", "dense", "hybrid"] {
            let (e_ndcg, c_ndcg) = (
                metric(&embedded, mode, "ndcg@10"),
                metric(&remote, mode, "ndcg@10"),
            );
            let (e_recall, c_recall) = (
                metric(&embedded, mode, "recall@10"),
                metric(&remote, mode, "recall@10"),
            );
            eprintln!(
                "{name} {mode}: nDCG@10 embedded {e_ndcg} cluster {c_ndcg}; \
                 recall@10 embedded {e_recall} cluster {c_recall}"
            );
            assert!(
                c_ndcg >= e_ndcg - 0.005,
                "{name} {mode}: nDCG@10 embedded {e_ndcg}, cluster {c_ndcg}"
            );
            assert!(
                c_recall >= e_recall - 0.01,
                "{name} {mode}: recall@10 embedded {e_recall}, cluster {c_recall}"
            );
        }

        // And back, into a fresh data directory: the same collection.
        let back = tempfile::tempdir().expect("tempdir");
        let report = migrate(back.path(), &config, &collection, "--from");
        assert_eq!(report["copied"], there["copied"], "{report}");
        assert_eq!(report["documents"], there["documents"], "{report}");
        let again = eval(back.path(), None, &dataset);
        assert!(again.get("indexing").is_none(), "re-indexed: {again}");
        // The same scores; ties may fall in another order (the index is
        // built in the copy's order).
        let (a, b) = (
            metric(&again, "bm25", "ndcg@10"),
            metric(&embedded, "bm25", "ndcg@10"),
        );
        assert!(
            (a - b).abs() <= 0.005,
            "BM25 after the round trip: {a} vs {b}"
        );
        let (a, b) = (
            metric(&again, "dense", "recall@10"),
            metric(&embedded, "dense", "recall@10"),
        );
        assert!(
            (a - b).abs() <= 0.01,
            "dense after the round trip: {a} vs {b}"
        );
    }
}

fn search(server: &Server, query: &str) -> Vec<String> {
    let body = serde_json::json!({"query": query, "collection": "docs", "mode": "hybrid", "k": 5});
    let (status, text) = server.post("/v1/search", None, &body.to_string());
    assert_eq!(status, 200, "{text}");
    let results: Value = serde_json::from_str(&text).expect("json");
    crate::reindex::chunk_ids(&results["results"])
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn two_stateless_nodes_serve_one_cluster() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The nodes share their API keys (one file), nothing else.
    let keys = tmp.path().join("api-keys.json");
    let config = write_config(
        tmp.path(),
        "nodes",
        &format!(
            "[server]\nkeys_file = \"{}\"\nanonymous = true\n",
            keys.display()
        ),
    );
    let created = run(seogo(tmp.path())
        .arg("--config")
        .arg(&config)
        .args(["keys", "create", "--name", "uploader", "--role", "ingest"]));
    assert!(created.status.success(), "{}", stderr(&created));
    let key = stdout(&created).trim().to_string();
    let node_a = Server::serve(tempfile::tempdir().expect("tempdir"), &config);
    let node_b = Server::serve(tempfile::tempdir().expect("tempdir"), &config);

    let file = tmp.path().join("pump.md");
    std::fs::write(
        &file,
        "# 냉각수 펌프 P-201A 점검 기준\n\n## 진동\n\nP-201A 펌프의 진동 판정 기준은 4.5 mm/s 이하이다. 초과하면 베어링을 교체한다.\n",
    )
    .expect("write");
    let (status, text) = node_a.post_form(
        "/v1/collections/docs/documents",
        &key,
        &[(
            "file",
            Some("pump.md"),
            &std::fs::read(&file).expect("read"),
        )],
    );
    assert_eq!(status, 202, "{text}");
    let job: Value = serde_json::from_str(&text).expect("job");
    let job_id = job["job_id"].as_str().expect("job id");
    let every = Duration::from_millis(200);
    let job = seogo_tests::poll_until("the upload job", Duration::from_secs(300), every, || {
        let (status, text) = node_a.get(&format!("/v1/jobs/{job_id}"), Some(&key));
        assert_eq!(status, 200, "{text}");
        let job: Value = serde_json::from_str(&text).expect("job");
        (job["state"] != "running").then_some(job)
    });
    assert_eq!(job["state"], "done", "{job}");

    // Node B never saw the upload: it reads the cluster.
    let query = "P-201A 진동 판정 기준";
    let from_a = search(&node_a, query);
    let from_b = search(&node_b, query);
    assert!(!from_a.is_empty(), "node A finds nothing");
    assert_eq!(from_a, from_b, "the two nodes answer differently");
    let (status, listing) = node_b.get("/v1/collections/docs/documents", None);
    assert_eq!(status, 200, "{listing}");
    assert!(
        listing.contains("P-201A"),
        "node B does not list it: {listing}"
    );

    // Node B replaced by a fresh one with an empty data directory.
    drop(node_b);
    let node_c = Server::serve(tempfile::tempdir().expect("tempdir"), &config);
    assert_eq!(
        search(&node_c, query),
        from_a,
        "a fresh node answers differently"
    );
    // Nothing of the collection on a node's disk.
    for node in [&node_a, &node_c] {
        assert!(
            !node.data.join("collections").join("docs").exists(),
            "collection files on a node: {}",
            node.data.display()
        );
    }
}

/// Every document of the cluster collection `default` under prefix
/// `name`, as the next node to start would find it (repairing an
/// abandoned write), with the stores checked to agree.
fn cluster_state(data: &Path, name: &str) -> crate::crash::State {
    let mut engine_config = EngineConfig::default();
    engine_config.data.dir = data.to_path_buf();
    engine_config.models.dir = models_dir();
    engine_config.vectors = seogo_engine::VectorsConfig::Qdrant(Box::new(remote(name)));
    let engine = Engine::new(engine_config);
    match engine.collection("default", false) {
        Ok(_) => crate::crash::state_of(&engine),
        Err(EngineError::NoSuchCollection(_)) => crate::crash::State::new(),
        Err(e) => panic!("opening after a crash: {e}"),
    }
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn writes_killed_half_way_on_the_cluster_leave_no_orphans() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("korquad");
    crate::ingest_cli::write_korquad_files(&corpus, 24);
    let reference = write_config(tmp.path(), "reference", "[data]\ncommit_chunks = 4\n");
    let crashed = write_config(tmp.path(), "crashed", "[data]\ncommit_chunks = 4\n");
    let data = tmp.path().join("node");
    let ingest = |config: &Path| {
        let mut cmd = seogo(&data);
        cmd.arg("--config")
            .arg(config)
            .arg("ingest")
            .arg(&corpus)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let started = std::time::Instant::now();
    let out = run(ingest(&reference).stderr(Stdio::piped()));
    assert!(out.status.success(), "{}", stderr(&out));
    let took = started.elapsed();
    let after = cluster_state(&data, "reference");
    let before = crate::crash::State::new();

    // Every kill starts from an empty collection, so it lands anywhere in
    // the ingest; the last one's state is then resumed.
    let empty = || {
        seogo_index::ClusterStore::delete(&remote("crashed"), "default").expect("empty it");
    };
    let mut kills = 0;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..8 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_millis(rng % took.as_millis().max(1) as u64);
        empty();
        let mut child = ingest(&crashed).spawn().expect("spawn");
        std::thread::sleep(delay);
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
        let now = cluster_state(&data, "crashed");
        crate::crash::assert_between(&now, &before, &after, &format!("kill {i} after {delay:?}"));
    }
    for point in crate::crash::CRASH_POINTS {
        empty();
        let status = ingest(&crashed)
            .env("SEOGO_CRASH_AT", point)
            .status()
            .expect("run");
        use std::os::unix::process::ExitStatusExt;
        if status.signal() == Some(6) {
            kills += 1;
        }
        let now = cluster_state(&data, "crashed");
        crate::crash::assert_between(&now, &before, &after, &format!("crash at {point}"));
    }
    eprintln!("{kills} kills landed on the cluster");
    // The embedded store's last crash point (after the manifest file) has
    // no counterpart on a cluster: the records are the manifest.
    assert!(kills >= 8, "only {kills} kills landed");
    // Resumed from a kill half-way.
    empty();
    let mut child = ingest(&crashed).spawn().expect("spawn");
    std::thread::sleep(took / 2);
    let _ = child.kill();
    child.wait().expect("reap");
    let out = run(ingest(&crashed).stderr(Stdio::piped()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        cluster_state(&data, "crashed"),
        after,
        "the resumed run differs from the clean one"
    );
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn a_node_with_another_embedder_is_refused_by_the_cluster_collection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write_config(tmp.path(), "fingerprint", "");
    let writer = tmp.path().join("writer");
    let out = run(seogo(&writer)
        .arg("--config")
        .arg(&config)
        .arg("ingest")
        .arg(seogo_tests::demo_corpus()));
    assert!(out.status.success(), "{}", stderr(&out));
    // Another node, empty data directory, another embedder.
    let other = crate::reindex::renamed_embedder(tmp.path());
    let node = tmp.path().join("node");
    let with_other = |args: &[&str]| {
        run(seogo(&node)
            .env("SEOGO__MODELS__EMBEDDER", &other)
            .arg("--config")
            .arg(&config)
            .args(args))
    };
    let dense = with_other(&["search", "냉각수 펌프 점검 주기", "--mode", "dense"]);
    assert!(!dense.status.success(), "{}", stdout(&dense));
    assert!(
        stderr(&dense).contains("every node of a cluster needs the collection's embedder"),
        "{}",
        stderr(&dense)
    );
    let note = tmp.path().join("note.md");
    std::fs::write(&note, "# 공지\n\n냉각수 펌프는 매주 점검한다.\n").expect("note");
    let ingest = with_other(&["ingest", note.to_str().expect("path")]);
    assert!(!ingest.status.success(), "{}", stdout(&ingest));
    // BM25 needs no vectors and keeps serving from the cluster.
    let bm25 = with_other(&["search", "냉각수 펌프 점검 주기", "--mode", "bm25"]);
    assert!(bm25.status.success(), "{}", stderr(&bm25));
    assert!(
        stdout(&bm25).contains("manufacturing-sop-pump.md"),
        "{}",
        stdout(&bm25)
    );
}

#[test]
#[ignore = "needs a Qdrant server: set SEOGO_TEST_QDRANT_URL and run with --ignored"]
fn phrases_prefixes_and_codes_select_the_same_chunks_as_the_local_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write_config(tmp.path(), "syntax", "");
    let local = tmp.path().join("local");
    let node = tmp.path().join("node");
    for (data, config) in [(&local, None), (&node, Some(&config))] {
        let mut cmd = seogo(data);
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        let out = run(cmd.arg("ingest").arg(seogo_tests::demo_corpus()));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let ids = |data: &Path, config: Option<&Path>, query: &str| {
        let mut cmd = seogo(data);
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        let out = run(cmd.args(["search", query, "--mode", "bm25", "-k", "20", "--json"]));
        let mut ids = crate::reindex::top_ids(&out);
        ids.sort();
        ids
    };
    // The chunks a filter lets through, whatever their scores.
    for query in [
        "PN-44*",
        "베어링 SOP-CW*",
        "\"진동 판정\" 기준",
        "PN-4471-B 교체",
    ] {
        let here = ids(&local, None, query);
        assert!(!here.is_empty(), "{query}: nothing locally");
        assert_eq!(ids(&node, Some(&config), query), here, "{query}");
    }
    assert!(ids(&node, Some(&config), "ZQ-99*").is_empty());
}
