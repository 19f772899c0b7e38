//! `seogo backup` from a serving server and `seogo restore` into a fresh
//! data directory: the restored copy answers 100 searches exactly as the
//! original did, and the keys, ACLs and collections come back with it.

use serde_json::json;

use super::{config, fixture, Lcg, Server};
use seogo_tests::{run, seogo, stderr, stdout};

/// 100 searches over the demo and ACL collections, as several callers.
fn searches() -> Vec<(String, serde_json::Value)> {
    let f = fixture();
    let words = [
        "냉각수",
        "펌프",
        "점검",
        "주기",
        "베어링",
        "온도",
        "진동",
        "경보",
        "E-2051",
        "PN-4471-A",
        "정기",
        "설비",
        "교체",
        "기록",
        "압력",
        "누수",
        "안전",
        "작업",
        "보고",
        "기밀",
    ];
    let keys = [&f.public_key, &f.hr_key, &f.admin_key, &f.callers[0].0];
    let mut rng = Lcg(11);
    (0..100)
        .map(|i| {
            let query: Vec<&str> = (0..2)
                .map(|_| words[rng.next() as usize % words.len()])
                .collect();
            let collection = if i % 3 == 0 { "acl" } else { "default" };
            let mode = ["bm25", "hybrid"][i % 2];
            let body =
                json!({"query": query.join(" "), "collection": collection, "mode": mode, "k": 5});
            (keys[i % keys.len()].clone(), body)
        })
        .collect()
}

/// Each search's (chunk id, score) list.
fn answers(
    server: &Server,
    searches: &[(String, serde_json::Value)],
) -> Vec<Vec<(String, String)>> {
    searches
        .iter()
        .map(|(key, body)| {
            let (status, text) = server.post("/v1/search", Some(key), &body.to_string());
            assert_eq!(status, 200, "{body}: {text}");
            let value: serde_json::Value = serde_json::from_str(&text).expect("json");
            value["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| {
                    (
                        r["chunk"]["id"].as_str().expect("id").to_string(),
                        format!("{:.5}", r["score"].as_f64().expect("score")),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_backup_taken_while_serving_restores_to_the_same_answers() {
    let f = fixture();
    let cfg = config("backup", "", "");
    let server = Server::start(&cfg);
    let searches = searches();
    let before = answers(&server, &searches);
    assert!(
        before.iter().filter(|r| !r.is_empty()).count() > 50,
        "too few hits to compare"
    );

    let out_dir = tempfile::tempdir().expect("tempdir");
    let archive = out_dir.path().join("seogo.tar");
    // A search caller keeps using the server while the backup is taken.
    let done = std::sync::atomic::AtomicBool::new(false);
    let (backup, served) = std::thread::scope(|scope| {
        let searcher = scope.spawn(|| {
            let mut served = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let body = json!({"query": "냉각수 펌프", "mode": "bm25"});
                let (status, text) =
                    server.post("/v1/search", Some(&f.public_key), &body.to_string());
                assert_eq!(status, 200, "{text}");
                served += 1;
                // Under the per-key rate limit (600 a minute).
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
            served
        });
        let backup = run(seogo(out_dir.path())
            .args([
                "backup",
                "--json",
                "--server",
                &server.base,
                "--api-key",
                &f.admin_key,
            ])
            .arg(&archive));
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        (backup, searcher.join().expect("searcher"))
    });
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(served > 0);
    // Only an admin may take one.
    let refused = run(seogo(out_dir.path())
        .args([
            "backup",
            "--server",
            &server.base,
            "--api-key",
            &f.public_key,
        ])
        .arg(out_dir.path().join("no.tar")));
    assert!(!refused.status.success());
    // The server's code and message reach the operator, each once.
    let said = stderr(&refused);
    assert!(
        said.contains("403 role_forbidden") && said.matches("admin role").count() == 1,
        "{said}"
    );
    assert!(!out_dir.path().join("no.tar").exists());
    drop(server);

    let restored = tempfile::tempdir().expect("tempdir");
    let data = restored.path().join("data");
    let out = run(seogo(&data).args(["restore", "--json"]).arg(&archive));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["collections"], json!(["acl", "default"]), "{report}");
    // A second restore over a data directory in use is refused.
    let again = run(seogo(&data).arg("restore").arg(&archive));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let check = run(seogo(&data).args(["status", "--check", "--json"]));
    assert!(check.status.success(), "{}", stderr(&check));
    let status: serde_json::Value = serde_json::from_str(&stdout(&check)).expect("json");
    assert!(
        status
            .as_array()
            .expect("rows")
            .iter()
            .all(|c| c["consistent"] == true),
        "{status}"
    );

    // The restored directory, keys included, answers as the original did.
    let holder = tempfile::tempdir_in(restored.path()).expect("tempdir");
    std::fs::remove_dir(holder.path()).expect("rm");
    std::fs::rename(&data, holder.path()).expect("move");
    let server = Server::serve(holder, &cfg);
    assert_eq!(answers(&server, &searches), before);
}
