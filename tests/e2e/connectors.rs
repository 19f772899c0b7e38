//! The domain connectors through the real binary: exact identifiers from
//! work orders and manuals rank their own chunk first, and XBRL facts are
//! stored, listed and found by search.

use std::path::Path;

use seogo_tests::{copy_dir, demo_corpus, run, seogo, shared_data, stderr, stdout};

fn workspace_fixture(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Twenty identifiers from the work-order fixture and the demo manuals.
const IDENTIFIERS: [&str; 20] = [
    "WO-2024-0001",
    "WO-2024-0004",
    "WO-2024-0006",
    "WO-2024-0007",
    "PN-4471-A",
    "PN-4471-B",
    "PN-7720-C",
    "PN-2210-F",
    "PN-5531-S",
    "E-2051",
    "E-3104",
    "E-1031",
    "AL-103",
    "FIC-101",
    "P-101B",
    "SOP-CW-017",
    "KS B 6301",
    "E-1023",
    "ISO 9001",
    "P-201A",
];

#[test]
fn each_identifier_ranks_a_chunk_holding_exactly_it_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plant = tmp.path().join("plant");
    copy_dir(&demo_corpus(), &plant);
    std::fs::copy(
        workspace_fixture("connectors/manufacturing/fixtures/work-orders-synthetic.csv"),
        plant.join("work-orders.csv"),
    )
    .expect("fixture");
    let config = tmp.path().join("seogo.toml");
    std::fs::write(
        &config,
        format!(
            "[[sources]]\nname = \"plant\"\npath = \"{}\"\nconnector = \"manufacturing\"\n\
             [sources.options.records]\nid = \"작업지시번호\"\nequipment_id = \"설비번호\"\n\
             failure_mode = \"고장코드\"\ndate = \"날짜\"\ntext = [\"작업내용\", \"조치내용\"]\n",
            plant.display()
        ),
    )
    .expect("config");
    let data = tmp.path().join("data");
    let out = run(seogo(&data)
        .arg("--config")
        .arg(&config)
        .args(["sync", "plant"]));
    assert!(out.status.success(), "{}", stderr(&out));

    let mut misses = Vec::new();
    for id in IDENTIFIERS {
        let out = run(seogo(&data).args(["search", id, "-k", "3", "--json"]));
        assert!(out.status.success(), "{}", stderr(&out));
        let hits: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        let top = hits[0]["chunk"]["text"].as_str().unwrap_or_default();
        if !holds_exactly(top, id) {
            misses.push(format!(
                "{id}: {}",
                top.chars().take(120).collect::<String>()
            ));
        }
    }
    assert!(
        misses.is_empty(),
        "top hit without the identifier: {misses:#?}"
    );
}

/// `text` contains `id` not as part of a longer code (PN-4471-A in
/// "PN-4471-AB" does not count).
fn holds_exactly(text: &str, id: &str) -> bool {
    let code = |c: char| c.is_ascii_alphanumeric() || c == '-';
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(code) && !after.is_some_and(code)
    })
}

#[test]
fn xbrl_facts_are_stored_listed_and_searchable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let filing = tmp.path().join("aapl");
    std::fs::create_dir_all(&filing).expect("mkdir");
    let package = shared_data().join("finance-sec-edgar/xbrl/aapl-20230930");
    for name in ["aapl-20230930_htm.xml", "aapl-20230930_lab.xml"] {
        std::fs::copy(package.join(name), filing.join(name)).expect(name);
    }
    let data = tmp.path().join("data");
    let out = run(seogo(&data)
        .arg("ingest")
        .arg(filing.join("aapl-20230930_htm.xml"))
        .args(["--connector", "finance", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(report["facts"].as_u64().unwrap_or(0) > 100, "{report}");

    let out = run(seogo(&data).args([
        "facts",
        "--concept",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "--period",
        "2022-09-25/2023-09-30",
        "--json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let facts: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let total = facts
        .as_array()
        .expect("facts")
        .iter()
        .find(|f| !f["concept"].as_str().unwrap_or("[").contains('['))
        .expect("the undimensioned fact");
    assert_eq!(total["value"], "383285000000");
    assert_eq!(total["unit"], "USD");

    // The facts are also a document: search cites the number's source.
    let out = run(seogo(&data).args([
        "search",
        "Apple net sales 2023",
        "--mode",
        "bm25",
        "-k",
        "3",
    ]));
    let hits = stdout(&out);
    assert!(hits.contains("383,285"), "{hits}");

    // Questions name fiscal years, not dates: the fact carries its FY.
    let out = run(seogo(&data).args([
        "facts",
        "--concept",
        "net sales",
        "--period",
        "FY2023",
        "--json",
    ]));
    let facts: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let facts = facts.as_array().expect("facts");
    assert!(!facts.is_empty());
    assert!(
        facts.iter().all(|f| f["fiscal_period"] == "FY2023"),
        "{facts:?}"
    );

    // A numeric question is answered from the fact, and cites it.
    let out = run(seogo(&data).args([
        "ask",
        "What were Apple's net sales in fiscal year 2023?",
        "--json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        answer["answer"]
            .as_str()
            .unwrap_or_default()
            .contains("383,285"),
        "{answer}"
    );
    let citations = answer["citations"].as_array().expect("citations");
    assert!(
        citations.iter().any(|c| c["doc_id"]
            .as_str()
            .is_some_and(|id| id.ends_with("#facts"))
            && c["quote"].as_str().unwrap_or_default().contains("383,285")),
        "{answer}"
    );
}
