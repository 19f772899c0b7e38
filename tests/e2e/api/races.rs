//! Requests racing a collection's deletion. The API fuzzer found a 500
//! here: a listing that fetched the collection as it was being deleted
//! either reopened its half-removed directory or held the last handle, so
//! the vector store flushed into a folder that no longer existed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::documents::{delete, finished_job, upload};
use super::{config, fixture, RaiseOnDrop, Server};

#[test]
fn a_collection_deleted_while_it_is_read_answers_404_never_500() {
    let f = fixture();
    let server = Server::start(&config("races", "requests_per_minute = 0", ""));
    let stop = AtomicBool::new(false);
    let rounds = 6;
    let statuses: BTreeMap<(String, u16), usize> = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..3)
            .map(|reader| {
                let (server, stop, key) = (&server, &stop, &f.ingest_key);
                scope.spawn(move || {
                    let mut seen = BTreeMap::new();
                    let search = json!({"query": "RACEMARK 냉각수", "collection": "race"});
                    while !stop.load(Ordering::Relaxed) {
                        let (route, (status, body)) = match reader {
                            0 => (
                                "list",
                                server.get("/v1/collections/race/documents", Some(key)),
                            ),
                            1 => (
                                "search",
                                server.post("/v1/search", Some(key), &search.to_string()),
                            ),
                            _ => ("collections", server.get("/v1/collections", Some(key))),
                        };
                        assert!(status < 500, "{route}: {status} {body}");
                        *seen.entry((route.to_string(), status)).or_insert(0) += 1;
                    }
                    seen
                })
            })
            .collect();
        let reading = RaiseOnDrop(&stop);
        for round in 0..rounds {
            let (status, body) =
                server.post("/v1/collections", Some(&f.admin_key), r#"{"name":"race"}"#);
            assert_eq!(status, 201, "round {round}: {body}");
            let note =
                format!("# 냉각수 점검 {round}\n\n냉각수 펌프를 점검한다. RACEMARK {round}.\n");
            let (status, body) = upload(
                &server,
                &f.ingest_key,
                "race",
                &[
                    ("acl", None, b"g1"),
                    ("file", Some("note.md"), note.as_bytes()),
                ],
            );
            assert_eq!(status, 202, "round {round}: {body}");
            let job_id = serde_json::from_str::<serde_json::Value>(&body).expect("json")["job_id"]
                .as_str()
                .expect("job id")
                .to_string();
            let job = finished_job(&server, &f.ingest_key, &job_id);
            assert_eq!(job["state"], json!("done"), "round {round}: {job}");
            let (status, body) = delete(&server, &f.admin_key, "/v1/collections/race");
            assert_eq!(status, 200, "round {round}: {body}");
        }
        drop(reading);
        let mut all = BTreeMap::new();
        for reader in readers {
            for (key, n) in reader.join().expect("reader") {
                *all.entry(key).or_insert(0) += n;
            }
        }
        all
    });
    eprintln!("statuses while the collection came and went: {statuses:?}");
    // The readers saw the collection both present and absent.
    for route in ["list", "search"] {
        for status in [200, 404] {
            assert!(
                statuses.contains_key(&(route.to_string(), status)),
                "{route} never answered {status}: {statuses:?}"
            );
        }
    }
    let (status, body) = server.get("/v1/collections/default/documents", Some(&f.public_key));
    assert_eq!(status, 200, "the server serves on: {body}");
}
