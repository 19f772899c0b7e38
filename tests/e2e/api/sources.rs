//! "Sync now" over the API: a source configured in `[[sources]]` synced
//! by an ingest key as a background job, its progress and report in the
//! job, a second start refused while the first runs, the last sync in
//! `GET /v1/sources`, the finished sync in the audit log; a query key is
//! refused and an unknown source is not found.

use super::documents::finished_job;
use super::{config, fixture, parse, Server};
use seogo_tests::{copy_dir, demo_corpus};

#[test]
fn an_ingest_key_syncs_a_source_now_and_watches_it_finish() {
    let f = fixture();
    let share = tempfile::tempdir().expect("tempdir");
    copy_dir(&demo_corpus(), share.path());
    let cfg = config(
        "sources-sync",
        "",
        &format!(
            "[[sources]]\nname = \"manuals\"\npath = \"{}\"\ncollection = \"synced\"\n",
            share.path().display()
        ),
    );
    let server = Server::start(&cfg);
    let ingest = f.ingest_key.as_str();

    let (status, text) = server.post("/v1/sources/manuals/sync", Some(&f.public_key), "");
    assert_eq!(status, 403, "a query key may not sync: {text}");
    let (status, text) = server.post("/v1/sources/nope/sync", Some(ingest), "");
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("no_such_source"), "{text}");

    let (status, text) = server.post("/v1/sources/manuals/sync", Some(ingest), "");
    assert_eq!(status, 202, "{text}");
    let job = parse(&text)["job_id"].as_str().expect("job id").to_string();
    // The demo corpus takes seconds to embed: a second start finds it running.
    let (status, text) = server.post("/v1/sources/manuals/sync", Some(ingest), "");
    assert_eq!(status, 409, "one sync per source at a time: {text}");
    assert!(text.contains("busy"), "{text}");

    let done = finished_job(&server, ingest, &job);
    assert_eq!(done["state"], "done", "{done}");
    let added = done["report"]["added"].as_u64().expect("added");
    assert!(added >= 3, "{done}");
    let progress = &done["progress"];
    assert_eq!(progress["files"].as_u64(), Some(added), "{done}");
    assert!(progress["chunks_indexed"].as_u64() > Some(0), "{done}");
    assert_eq!(
        progress["chunks_indexed"], progress["chunks_planned"],
        "{done}"
    );

    // Another caller cannot read the job; the source shows its last sync;
    // the synced collection answers.
    let (status, _) = server.get(&format!("/v1/jobs/{job}"), Some(&f.admin_key));
    assert_eq!(status, 404);
    let (status, text) = server.get("/v1/sources", Some(ingest));
    assert_eq!(status, 200, "{text}");
    let sources = parse(&text);
    assert_eq!(sources["sources"][0]["name"], "manuals", "{sources}");
    assert!(!sources["sources"][0]["state"].is_null(), "{sources}");
    let (status, text) = server.post(
        "/v1/search",
        Some(ingest),
        r#"{"query": "펌프 점검", "collection": "synced", "mode": "bm25", "k": 3}"#,
    );
    assert_eq!(status, 200, "{text}");
    assert!(
        !parse(&text)["results"]
            .as_array()
            .expect("results")
            .is_empty(),
        "{text}"
    );

    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit");
    assert!(
        audit
            .lines()
            .any(|l| l.contains("/v1/sources/{name}/sync") && l.contains(&job)),
        "the sync is in the audit log"
    );
}

#[test]
fn a_scheduled_source_is_synced_by_the_server_when_due() {
    let f = fixture();
    let share = tempfile::tempdir().expect("tempdir");
    copy_dir(&demo_corpus(), share.path());
    let cfg = config(
        "sources-schedule",
        "",
        &format!(
            "[[sources]]\nname = \"hourly\"\npath = \"{}\"\ncollection = \"scheduled\"\nevery_minutes = 60\n\n[[sources]]\nname = \"manual\"\npath = \"{}\"\ncollection = \"untouched\"\n",
            share.path().display(),
            share.path().display()
        ),
    );
    let server = Server::start(&cfg);
    let ingest = f.ingest_key.as_str();
    // Never synced, so due at once: the server syncs it without being asked.
    let sources = seogo_tests::poll_until(
        "the scheduled sync",
        std::time::Duration::from_secs(300),
        std::time::Duration::from_millis(500),
        || {
            let (status, text) = server.get("/v1/sources", Some(ingest));
            assert_eq!(status, 200, "{text}");
            let sources = parse(&text);
            (!sources["sources"][0]["state"].is_null()).then_some(sources)
        },
    );
    let hourly = &sources["sources"][0];
    assert_eq!(hourly["name"], "hourly", "{sources}");
    assert_eq!(hourly["every_minutes"], 60, "{sources}");
    let last = hourly["state"]["last_sync"].as_u64().expect("last sync");
    assert_eq!(hourly["next_sync"].as_u64(), Some(last + 3600), "{sources}");
    assert!(
        hourly["state"]["report"]["added"].as_u64() >= Some(3),
        "{sources}"
    );
    // A source without a schedule is left alone.
    let manual = &sources["sources"][1];
    assert!(manual["state"].is_null(), "{sources}");
    assert!(manual.get("next_sync").is_none(), "{sources}");

    let audit = seogo_tests::poll_until(
        "the scheduled sync in the audit log",
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(200),
        || {
            let audit =
                std::fs::read_to_string(server.data.join("audit/audit.log")).unwrap_or_default();
            audit.contains("/v1/sources/{name}/sync").then_some(audit)
        },
    );
    let line = audit
        .lines()
        .find(|l| l.contains("/v1/sources/{name}/sync"))
        .expect("sync line");
    assert!(line.contains("\"who\":\"scheduler\""), "{line}");
    assert!(line.contains("\"hourly\""), "{line}");
}
