//! The connector on real EDGAR filings (shared data, read only) and on
//! the synthetic DART fixture.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use seogo_docs::parse::{inspect_bytes, ParseOptions};
use seogo_docs::{Connector, Document, Fact, Refined, SourceFile};

use crate::FinanceConnector;

fn shared(rel: &str) -> PathBuf {
    seogo_tests::shared_data()
        .join("finance-sec-edgar")
        .join(rel)
}

fn refine_bytes(path: &Path, id: &str, bytes: Vec<u8>) -> Refined {
    let parsed = inspect_bytes(path, id, Arc::from(bytes.clone()), &ParseOptions::default())
        .expect("generic parse");
    let file = SourceFile {
        path,
        doc_id: id,
        bytes: &bytes,
        parsed,
    };
    FinanceConnector::default().refine(file).expect("refine")
}

fn refine(path: &Path, id: &str) -> Refined {
    refine_bytes(path, id, std::fs::read(path).expect("fixture"))
}

fn doc<'a>(r: &'a Refined, id: &str) -> &'a Document {
    r.documents.iter().find(|d| d.id == id).unwrap_or_else(|| {
        panic!(
            "no {id} in {:?}",
            r.documents.iter().map(|d| &d.id).collect::<Vec<_>>()
        )
    })
}

fn fact<'a>(r: &'a Refined, concept: &str, period: &str) -> &'a Fact {
    r.facts
        .iter()
        .find(|f| f.concept == concept && f.period == period)
        .unwrap_or_else(|| panic!("no {concept} for {period}"))
}

const NET_SALES: &str = "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax";
const FY2023: &str = "2022-09-25/2023-09-30";

#[test]
fn apple_10k_items_metadata_and_inline_facts() {
    let r = refine(&shared("html/Apple.10-K.html"), "aapl-10k.html");
    let risk = doc(&r, "aapl-10k.html#item-1a");
    let first = &risk.sections[0];
    assert_eq!(first.heading_path, ["Part I", "Item 1A. Risk Factors"]);
    assert!(
        first.text.starts_with(
            "The Company\u{2019}s business, reputation, results of operations, financial \
             condition and stock price can be affected by a number of factors, whether \
             currently known or unknown, including those described below."
        ),
        "{}",
        &first.text[..200.min(first.text.len())]
    );
    assert!(risk.sections.iter().any(|s| s
        .heading_path
        .get(2)
        .is_some_and(|h| h == "Macroeconomic and Industry Risks")));
    let mdna = doc(&r, "aapl-10k.html#item-7");
    assert!(mdna.title.contains("Item 7. Management"), "{}", mdna.title);
    assert!(
        mdna.sections.iter().any(|s| s.table.is_some()),
        "MD&A keeps its tables"
    );
    // The contents table lists every Item but starts none: each Item is one
    // document, and the cover keeps the contents table.
    let item_ids: Vec<&str> = r
        .documents
        .iter()
        .map(|d| d.id.as_str())
        .filter(|i| i.contains("#item-"))
        .collect();
    let mut unique = item_ids.clone();
    unique.dedup();
    assert_eq!(item_ids, unique);
    assert!(item_ids.len() >= 20, "{item_ids:?}");
    assert!(doc(&r, "aapl-10k.html#cover")
        .sections
        .iter()
        .any(|s| s.table.is_some()));
    // The file is Apple's FY2024 10-K (period ended 2024-09-28).
    let m = &risk.metadata;
    assert_eq!(m["company"], "Apple Inc.");
    assert_eq!(m["ticker"], "AAPL");
    assert_eq!(m["cik"], "0000320193");
    assert_eq!(m["form_type"], "10-K");
    assert_eq!(m["fiscal_period"], "FY2024");
    assert_eq!(m["period_end"], "2024-09-28");
    // FY2023 as the prior-year comparative, FY2024 as reported.
    let sales = fact(&r, NET_SALES, FY2023);
    assert_eq!(
        (sales.value.as_str(), sales.unit.as_str(), sales.scale),
        ("383285000000", "USD", 6)
    );
    assert_eq!(sales.entity, "Apple Inc.");
    // No label linkbase beside the page: the statement row's own words.
    assert_eq!(sales.label.as_deref(), Some("Total net sales"));
    assert_eq!(
        fact(&r, NET_SALES, "2023-10-01/2024-09-28").value,
        "391035000000"
    );
    let eps = fact(&r, "us-gaap:EarningsPerShareDiluted", FY2023);
    assert_eq!(
        (eps.value.as_str(), eps.unit.as_str()),
        ("6.13", "USD/shares")
    );
    assert!(r.facts.iter().any(|f| f
        .concept
        .starts_with(&format!("{NET_SALES}[srt:ProductOrServiceAxis="))));
    let facts_doc = doc(&r, "aapl-10k.html#facts");
    let text: String = facts_doc
        .sections
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains(&format!(
            "Total net sales ({NET_SALES}), FY2023 ({FY2023}): 383,285 million USD"
        )),
        "{}",
        &text[..500.min(text.len())]
    );
    assert!(
        !text.contains("Axis="),
        "facts document has no dimensional facts"
    );
}

#[test]
fn apple_10q_part_one_item_two() {
    let r = refine(&shared("html/Apple.10-Q.html"), "aapl-10q.html");
    let mdna = doc(&r, "aapl-10q.html#part-1-item-2");
    assert_eq!(
        mdna.sections[0].heading_path[..2],
        [
            "Part I — FINANCIAL INFORMATION".to_string(),
            "Item 2. Management\u{2019}s Discussion and Analysis of Financial Condition and Results of Operations".to_string()
        ]
    );
    doc(&r, "aapl-10q.html#part-2-item-1a");
    assert_eq!(mdna.metadata["fiscal_period"], "2024Q3");
    assert_eq!(mdna.metadata["period_end"], "2024-06-29");
}

#[test]
fn apple_instance_facts_with_linkbase_labels() {
    let r = refine(
        &shared("xbrl/aapl-20230930/aapl-20230930_htm.xml"),
        "aapl-20230930_htm.xml",
    );
    let sales = fact(&r, NET_SALES, FY2023);
    assert_eq!(
        (sales.value.as_str(), sales.unit.as_str(), sales.scale),
        ("383285000000", "USD", 6)
    );
    assert_eq!(sales.label.as_deref(), Some("Net sales"));
    assert_eq!(sales.decimals.as_deref(), Some("-6"));
    let eps = fact(&r, "us-gaap:EarningsPerShareDiluted", FY2023);
    assert_eq!(
        (eps.value.as_str(), eps.unit.as_str()),
        ("6.13", "USD/shares")
    );
    // The instance's raw text is replaced by its facts document.
    assert_eq!(r.documents.len(), 1);
    let d = doc(&r, "aapl-20230930_htm.xml#facts");
    assert_eq!(d.metadata["fiscal_period"], "FY2023");
    assert_eq!(d.metadata["ticker"], "AAPL");
    assert!(d.sections.iter().any(|s| s.text.contains(&format!(
        "Net sales ({NET_SALES}), FY2023 ({FY2023}): 383,285 million USD"
    ))));
    // Fiscal years by the report's own calendar: FY2023 ends 2023-09-30,
    // the comparatives one and two years before; a balance at the year
    // end is that year's, a quarter has none.
    let fy = |period: &str| fact(&r, NET_SALES, period).fiscal_period.clone();
    assert_eq!(fy(FY2023).as_deref(), Some("FY2023"));
    assert_eq!(fy("2021-09-26/2022-09-24").as_deref(), Some("FY2022"));
    let assets = fact(&r, "us-gaap:Assets", "2022-09-24");
    assert_eq!(assets.fiscal_period.as_deref(), Some("FY2022"));
}

#[test]
fn waters_8k_instance_and_other_forms_keep_their_text() {
    let r = refine(&shared("xml/WatersCorp.8-K.xbrl.xml"), "wat.xml");
    assert!(r.facts.is_empty());
    let m = &r.documents[0].metadata;
    assert_eq!(
        (
            m["form_type"].as_str(),
            m["ticker"].as_str(),
            m["company"].as_str()
        ),
        ("8-K", "WAT", "WATERS CORP /DE/")
    );
    let r = refine(&shared("xml/form4.snow.xml"), "form4.xml");
    assert_eq!(r.documents[0].metadata["form_type"], "4");
    // A 10-K PDF (no XBRL): split by Item from its text, form from its cover.
    let r = refine(&shared("pdf/BOEING_2022_10K.pdf"), "ba.pdf");
    let risk = doc(&r, "ba.pdf#item-1a");
    assert_eq!(risk.metadata["form_type"], "10-K");
    assert_eq!(risk.sections[0].heading_path, ["Item 1A. Risk Factors"]);
    doc(&r, "ba.pdf#item-7");
    let r = refine(&shared("html/Nordstrom.8-K.html"), "jwn.html");
    assert!(!r.documents.is_empty());
}

#[test]
fn dart_sections_metadata_and_won_facts() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/dart-synthetic-사업보고서.xml"
    ));
    let r = refine(path, "dart.xml");
    let finance = doc(&r, "dart.xml#section-3");
    let m = &finance.metadata;
    assert_eq!(m["company"], "삼성전자");
    assert_eq!(m["corp_code"], "00126380");
    assert_eq!(m["report_type"], "사업보고서");
    assert_eq!(m["fiscal_period"], "FY2023");
    assert_eq!(m["period"], "2023-01-01/2023-12-31");
    assert_eq!(m["filing_date"], "2024-03-12");
    let table = finance
        .sections
        .iter()
        .find(|s| s.table.is_some())
        .expect("table");
    assert_eq!(
        table.heading_path,
        ["III. 재무에 관한 사항", "1. 요약재무정보"]
    );
    assert_eq!(
        table.table.as_ref().and_then(|t| t.caption.as_deref()),
        Some("(단위 : 백만원)")
    );
    let nested = finance
        .sections
        .iter()
        .find(|s| s.heading_path.len() == 3)
        .expect("SECTION-3");
    assert_eq!(nested.heading_path[2], "2-1. 연결 재무상태표");
    assert!(doc(&r, "dart.xml#section-1").sections[0]
        .text
        .contains("1969년"));
    let sales = fact(&r, "ifrs-full:Revenue", "2023-01-01/2023-12-31");
    assert_eq!(
        (sales.value.as_str(), sales.unit.as_str(), sales.scale),
        ("258935494000000", "KRW", 6)
    );
    assert_eq!(sales.label.as_deref(), Some("매출액"));
    assert_eq!(sales.doc_id, "dart.xml#section-3");
    assert_eq!(sales.fiscal_period.as_deref(), Some("FY2023"));
    assert_eq!(
        fact(&r, "ifrs-full:Revenue", "2021-01-01/2021-12-31").value,
        "279604799000000"
    );
    assert_eq!(
        fact(&r, "dart:기타포괄손익", "2023-01-01/2023-12-31").value,
        "-1234567000000"
    );
    assert_eq!(
        fact(&r, "dart:기타포괄손익", "2022-01-01/2022-12-31").value,
        "-2345678000000"
    );
    // Balance lines and "as of" statements are instants at the period end.
    assert_eq!(
        fact(&r, "ifrs-full:Assets", "2023-12-31").value,
        "455905980000000"
    );
    let cash = fact(&r, "ifrs-full:CashAndCashEquivalents", "2022-12-31");
    assert_eq!((cash.value.as_str(), cash.scale), ("49680710000000", 3));
    // 억원 on a segment table without period columns: no facts from it.
    assert!(!r
        .facts
        .iter()
        .any(|f| f.label.as_deref() == Some("DX 부문")));
}

#[test]
fn hostile_inputs_fall_back_to_the_generic_parse() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("junk.html", b"<html><body><div>Item 1. <b>x</b><ix:nonFraction contextRef='c' unitRef='u' name='a:b' scale='99999999'>1,2,3</div>".to_vec()),
        ("cut.xml", {
            let full = std::fs::read(shared("xbrl/aapl-20230930/aapl-20230930_htm.xml")).expect("instance");
            full[..full.len() / 3].to_vec()
        }),
        ("dart.xml", "<DOCUMENT><DOCUMENT-NAME>사업보고서</DOCUMENT-NAME><BODY><TABLE><TR><TD>매출액".as_bytes().to_vec()),
        ("deep.html", {
            let open = "<b><ix:nonNumeric name='dei:X' contextRef='c'>".repeat(2_000);
            format!("<html><body><p>Item 1. A</p><p>Item 2. B</p>{open}text</body></html>").into_bytes()
        }),
        ("notes.md", "# Item 1. Business\n\nItem 7 of this.".as_bytes().to_vec()),
    ];
    let mut refined = Vec::new();
    for (name, bytes) in cases {
        let path = Path::new(name);
        // The connector only sees files the generic parser read.
        let Ok(parsed) = inspect_bytes(
            path,
            name,
            Arc::from(bytes.clone()),
            &ParseOptions::default(),
        ) else {
            continue;
        };
        let generic = parsed.documents.len();
        let file = SourceFile {
            path,
            doc_id: name,
            bytes: &bytes,
            parsed,
        };
        let r = FinanceConnector::default().refine(file).expect("refine");
        assert!(!r.documents.is_empty() || generic == 0, "{name}");
        refined.push(name);
    }
    assert_eq!(
        refined,
        ["junk.html", "cut.xml", "dart.xml", "deep.html", "notes.md"]
    );
    let cut = std::fs::read(shared("xbrl/aapl-20230930/aapl-20230930_htm.xml")).expect("instance");
    let cut = &cut[..cut.len() / 3];
    let r = refine_bytes(Path::new("cut.xml"), "cut.xml", cut.to_vec());
    // A truncated instance keeps the facts before the cut, and says so.
    assert!(!r.facts.is_empty());
    assert!(r
        .documents
        .iter()
        .all(|d| d.metadata.contains_key("xbrl_incomplete")));
}

#[test]
fn options_are_checked() {
    assert!(FinanceConnector::from_options(
        &serde_json::json!({"entity_names": {"0000320193": "Apple"}})
    )
    .is_ok());
    assert!(FinanceConnector::from_options(&serde_json::json!({"nope": 1})).is_err());
    assert!(FinanceConnector::from_options(&serde_json::Value::Null).is_ok());
}
