//! The 200 National Tax Service rulings (HWP 5.0) through the public
//! connector: each ruling's title, as a query, finds its own file.

use std::path::Path;

use seogo_engine::connectors::connector;
use seogo_engine::ingest::IngestRequest;
use seogo_engine::retrieve::{Scope, SearchMode, SearchRequest};
use seogo_engine::{Engine, EngineConfig};
use seogo_tests::{models_dir, shared_data};

#[test]
fn nts_titles_find_their_ruling_in_the_top_three() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut config = EngineConfig::default();
    config.data.dir = tmp.path().to_path_buf();
    config.models.dir = models_dir();
    let engine = Engine::new(config);
    let dir = shared_data().join("ko-nts-tax-rulings-hwp");
    let public = connector("public", &serde_json::Value::Null).expect("public connector");
    let report = engine
        .ingest(
            &IngestRequest {
                paths: vec![dir.join("files")],
                domain: public.domain(),
                connector: Some(public),
                ..IngestRequest::default()
            },
            &mut |_| {},
        )
        .expect("ingest");
    assert_eq!(report.added, 200, "{:?}", report.failures);

    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).expect("manifest");
    let (mut total, mut found) = (0usize, 0usize);
    for line in manifest.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("json");
        let (file, title) = (
            entry["file"].as_str().expect("file"),
            entry["title"].as_str().expect("title"),
        );
        let hits = engine
            .search(&SearchRequest {
                query: title.into(),
                mode: SearchMode::Hybrid,
                k: 3,
                snippets: false,
                scope: Scope {
                    collection: "default".into(),
                    filters: Vec::new(),
                    principals: Vec::new(),
                },
            })
            .expect("search");
        total += 1;
        let hit = hits.iter().any(|h| {
            Path::new(&h.chunk.source)
                .file_name()
                .is_some_and(|n| n == file)
        });
        found += usize::from(hit);
    }
    let share = found as f64 / total as f64;
    println!("NTS title → own file in top 3: {found}/{total} = {share:.3}");
    assert!(share >= 0.9, "{found}/{total}");
}
