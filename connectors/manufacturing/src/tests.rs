//! The connector on real files: AI4I 2020, the synthetic Korean work
//! orders, the demo SOPs and FAA handbook pages; and on hostile input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use seogo_analyzer::identifiers::IdentifierExtractor;
use seogo_analyzer::normalize::Normalized;
use seogo_docs::parse::{inspect_bytes, ParseOptions};
use seogo_docs::{Connector, DocError, Document, Refined, SourceFile};
use serde_json::json;

use super::ManufacturingConnector;

use seogo_tests::shared_data;

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn refine(options: serde_json::Value, path: &Path, bytes: &[u8]) -> Result<Refined, DocError> {
    let connector = ManufacturingConnector::from_options(&options).expect("options");
    let id = path.file_name().map_or("x".into(), |n| n.to_string_lossy());
    let parsed = inspect_bytes(path, &id, Arc::from(bytes), &ParseOptions::default())?;
    connector.refine(SourceFile {
        path,
        doc_id: &id,
        bytes,
        parsed,
    })
}

/// Exact-match terms the analyzer's identifier lane indexes for `text`.
fn terms(text: &str) -> Vec<String> {
    let norm = Normalized::new(text);
    IdentifierExtractor::all()
        .extract(&norm.text)
        .into_iter()
        .flat_map(|id| id.terms)
        .collect()
}

fn ai4i_mapping() -> serde_json::Value {
    json!({"equipment_id": "Product ID", "failure_mode": ["TWF", "HDF", "PWF", "OSF", "RNF"],
           "failure_flag": "Machine failure", "id": "UDI"})
}

fn work_order_mapping() -> serde_json::Value {
    json!({"id": "작업지시번호", "equipment_id": "설비번호", "failure_mode": "고장코드",
           "date": "날짜", "text": ["작업내용", "조치내용"]})
}

fn doc<'d>(docs: &'d [Document], id_suffix: &str) -> &'d Document {
    docs.iter()
        .find(|d| d.id.ends_with(id_suffix))
        .unwrap_or_else(|| panic!("no document {id_suffix}"))
}

#[test]
fn ai4i_failures_become_records_findable_by_product_and_code() {
    let path = shared_data().join("manufacturing/ai4i2020-predictive-maintenance/ai4i2020.csv");
    let bytes = read(&path);
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let flag = header
        .iter()
        .position(|h| *h == "Machine failure")
        .expect("flag");
    let failures = lines
        .filter(|l| l.split(',').nth(flag) == Some("1"))
        .count();
    assert_eq!(failures, 339);

    let refined = refine(json!({"records": ai4i_mapping()}), &path, &bytes).expect("refines");
    assert_eq!(refined.documents.len(), failures);
    // The first heat dissipation failure in the file: UDI 3237, M18096.
    let hdf = doc(&refined.documents, "#3237");
    assert_eq!(hdf.id, "ai4i2020.csv#3237");
    assert_eq!(hdf.title, "ai4i2020 · UDI 3237");
    let s = &hdf.sections[0];
    assert_eq!(
        s.text,
        "설비 M18096 · 고장 HDF (heat dissipation failure) · UDI 3237 · Type M · \
         Air temperature 300.8 K · Process temperature 309.4 K · Rotational speed 1342 rpm · \
         Torque 62.4 Nm · Tool wear 113 min"
    );
    assert_eq!(s.heading_path, ["설비 M18096"]);
    assert_eq!(s.locator.as_deref(), Some("row 3238"));
    assert_eq!(hdf.metadata["failure_mode"], "HDF");
    assert_eq!(hdf.metadata["equipment_id"], "M18096");
    assert_eq!(hdf.metadata["identifiers"], "M18096");
    assert!(terms(&s.text).contains(&"m18096".to_string()));
    // Failures with no mode flagged (9 in the file) still say so.
    let unnamed = refined
        .documents
        .iter()
        .filter(|d| d.sections[0].text.contains("고장 (유형 미기재)"))
        .count();
    assert_eq!(unnamed, 9);

    let all =
        json!({"records": {"id": "UDI", "failure_flag": "Machine failure", "include": "all"}});
    let every = refine(all, &path, &bytes).expect("all rows");
    assert_eq!(every.documents.len(), 10_000);
}

#[test]
fn korean_work_orders_are_records_with_labelled_fields() {
    let path = repo_file("fixtures/work-orders-synthetic.csv");
    let bytes = read(&path);
    let refined = refine(json!({"records": work_order_mapping()}), &path, &bytes).expect("ok");
    let docs = &refined.documents;
    assert_eq!(docs.len(), 20);
    let wo1 = doc(docs, "#WO-2024-0001");
    let s = &wo1.sections[0];
    assert_eq!(
        s.text,
        "설비 P-101A · 고장 E-2051 · 작업지시번호 WO-2024-0001 · 일자 2024-01-08 · \
         부품번호 PN-4471-A · 작업자 김민수\n작업내용: 씰 드레인 누설 감지 (E-2051)\n\
         조치내용: 메커니컬 씰 교체, 누설 없음 확인"
    );
    assert_eq!(
        wo1.title,
        "work-orders-synthetic · 작업지시번호 WO-2024-0001"
    );
    assert_eq!(s.locator.as_deref(), Some("row 2"));
    let found = terms(&s.text);
    for term in ["p-101a", "e2051", "wo-2024-0001", "pn-4471-a", "2024-01-08"] {
        assert!(found.contains(&term.to_string()), "{term} in {found:?}");
    }
    assert_eq!(
        wo1.metadata["identifiers"],
        "P-101A, E-2051, WO-2024-0001, PN-4471-A"
    );
    assert_eq!(wo1.metadata["failure_mode"], "E-2051");
    assert_eq!(wo1.metadata["date"], "2024-01-08");
    // The seal (A) and the bearing (B) stay apart.
    let wo2 = doc(docs, "#WO-2024-0002");
    assert!(wo2.metadata["identifiers"].contains("PN-4471-B"));
    assert!(!wo2.sections[0].text.contains("PN-4471-A"));
    assert!(!wo1.sections[0].text.contains("PN-4471-B"));
    // A row without a failure code is still a work order.
    let wo3 = doc(docs, "#WO-2024-0003");
    assert!(!wo3.sections[0].text.contains("고장"));
    // CMP-3 is too short for a part number: an equipment tag after "설비".
    let cmp = doc(docs, "#WO-2024-0004");
    assert!(cmp.sections[0].text.starts_with("설비 CMP-3 · 고장 AL-103"));
    let found = terms(&cmp.sections[0].text);
    assert!(
        found.contains(&"cmp-3".into()) && found.contains(&"al103".into()),
        "{found:?}"
    );
    assert_eq!(
        cmp.metadata["identifiers"],
        "CMP-3, AL-103, WO-2024-0004, PN-7720-C"
    );
}

#[test]
fn one_source_maps_both_tables_and_names_an_unknown_column() {
    let orders = repo_file("fixtures/work-orders-synthetic.csv");
    let ai4i = shared_data().join("manufacturing/ai4i2020-predictive-maintenance/ai4i2020.csv");
    let both = json!({"records": [ai4i_mapping(), work_order_mapping()]});
    let n = refine(both.clone(), &orders, &read(&orders)).expect("ok");
    assert_eq!(n.documents.len(), 20);
    let n = refine(both, &ai4i, &read(&ai4i)).expect("ok");
    assert_eq!(n.documents.len(), 339);

    let mut typo = ai4i_mapping();
    typo["date"] = json!("날짜");
    let err = refine(json!({"records": typo}), &ai4i, &read(&ai4i)).expect_err("no 날짜");
    let err = err.to_string();
    assert!(
        err.starts_with(&format!(
            "{}: line 1: column `날짜` (records.date",
            ai4i.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("its columns are: UDI, Product ID, Type"),
        "{err}"
    );
}

#[test]
fn sop_steps_keep_their_warnings() {
    let path = repo_file("../../demo/corpus/manufacturing-sop-pump.md");
    let one_each = json!({"steps": {"group_tokens": 0}});
    let refined = refine(one_each, &path, &read(&path)).expect("ok");
    let sop = &refined.documents[0];
    let step = |heading: &str, n: &str| {
        sop.sections
            .iter()
            .find(|s| {
                s.heading_path.iter().any(|h| h == heading)
                    && s.heading_path.last().map(String::as_str) == Some(n)
            })
            .unwrap_or_else(|| panic!("{heading} > {n}"))
    };
    let bearing = step("3.2 베어링 점검", "단계 4");
    assert_eq!(
        bearing.heading_path,
        [
            "원심식 냉각수 펌프 점검 표준작업절차서(SOP)",
            "3. 점검 절차",
            "3.2 베어링 점검",
            "단계 4"
        ]
    );
    assert_eq!(bearing.locator.as_deref(), Some("step 4"));
    assert!(bearing
        .text
        .starts_with("4. 그리스 보충 시기가 도래한 경우"));
    assert!(bearing
        .text
        .contains("> **경고**: 베어링 온도가 80 °C를 초과한"));
    assert!(step("3.2 베어링 점검", "단계 2")
        .text
        .contains("- 80 °C 초과: 위험"));
    // The table after step 3 of the vibration check is part of step 3.
    assert!(step("3.3 진동 측정", "단계 3")
        .text
        .contains("| 위험 | 4.5 mm/s 초과 |"));
    assert!(step("3.1.2 사전 준비", "단계 5")
        .text
        .contains("> **주의**: 3.2~3.4의"));
    // The lead-in before step 1 stays under the section's own heading.
    let intro = sop
        .sections
        .iter()
        .find(|s| s.text.starts_with("대상 베어링은"))
        .expect("intro");
    assert_eq!(
        intro.heading_path.last().map(String::as_str),
        Some("3.2 베어링 점검")
    );
    assert_eq!(sop.metadata["step_sections"], "24");
    let ids = &sop.metadata["identifiers"];
    for id in [
        "SOP-CW-017",
        "P-201A",
        "KS B 6301",
        "PN-4471-B",
        "E-1023",
        "ISO 9001",
    ] {
        assert!(ids.contains(id), "{id} in {ids}");
    }

    // Grouped (the default): the warning is in the same section as step 4.
    let grouped = refine(json!({}), &path, &read(&path)).expect("ok");
    let with_warning = grouped.documents[0]
        .sections
        .iter()
        .find(|s| s.text.contains("> **경고**: 베어링 온도가"))
        .expect("warning");
    assert!(with_warning.text.contains("4. 그리스 보충"));
    assert!(with_warning
        .heading_path
        .last()
        .is_some_and(|h| h.starts_with("단계 ")));

    let wi = repo_file("../../demo/corpus/manufacturing-work-instruction-en.md");
    let refined = refine(json!({"steps": {"group_tokens": 0}}), &wi, &read(&wi)).expect("ok");
    let last = refined.documents[0]
        .sections
        .iter()
        .find(|s| {
            s.heading_path
                .ends_with(&["5.2 Installation".into(), "Step 9".into()])
        })
        .expect("step 9");
    assert!(last
        .text
        .contains("Never run the pump with the setting clips"));
}

#[test]
fn faa_page_steps_keep_the_caution_inside() {
    let pages = shared_data().join("manufacturing/faa-amt-powerplant-handbook/pages.jsonl");
    let text = String::from_utf8(read(&pages)).expect("utf-8");
    let page = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["id"] == "09_amtp_ch7_p26_c420")
        .expect("page");
    let body = page["text"].as_str().expect("text");
    let path = Path::new("faa-ch7-p26.txt");
    let refined = refine(json!({"steps": {"group_tokens": 0}}), path, body.as_bytes()).expect("ok");
    let sections = &refined.documents[0].sections;
    let step3 = sections
        .iter()
        .find(|s| s.heading_path.last().map(String::as_str) == Some("Step 3"))
        .expect("step 3");
    assert!(step3.text.starts_with("3. Unscrew the four mounting bolts"));
    assert!(step3
        .text
        .contains("Caution: Remove the propeller from the mounting flange"));
    assert!(sections
        .iter()
        .any(|s| s.text.starts_with("4. Place the propeller on a cart")));
}

#[test]
fn hostile_tables_get_named_errors_or_the_generic_parse() {
    let mapping = json!({"records": {"id": "a", "equipment_id": "b"}});
    // Ragged rows: short rows lack cells, long rows' extra cells are numbered.
    let ragged = refine(
        mapping.clone(),
        Path::new("r.csv"),
        b"a,b,c\n1,P-1\n2,P-2,x,extra\n",
    )
    .expect("ragged");
    assert_eq!(ragged.documents.len(), 2);
    assert_eq!(ragged.documents[0].sections[0].text, "설비 P-1 · a 1");
    assert_eq!(
        ragged.documents[1].sections[0].text,
        "설비 P-2 · a 2 · c x · column 4 extra"
    );
    // Empty: the generic parser's named error.
    let err = refine(mapping.clone(), Path::new("e.csv"), b"").expect_err("empty");
    assert_eq!(err.to_string(), "e.csv: no text to index");
    // A header only: no table, so the generic parse.
    let only = refine(mapping.clone(), Path::new("h.csv"), b"a,b\n").expect("header");
    assert_eq!(only.documents[0].id, "h.csv");
    // 100,000 columns: one record, its fields capped.
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    let wide = format!("{}\n{}\n", header.join(","), row.join(","));
    let wide_map = json!({"records": {"id": "c0"}});
    let r = refine(wide_map, Path::new("w.csv"), wide.as_bytes()).expect("wide");
    assert_eq!(r.documents.len(), 1);
    assert!(r.documents[0].sections[0]
        .text
        .ends_with("c40 40 · (+99959 columns)"));
    // A table naming none of the mapped columns is left as parsed.
    let other = refine(mapping, Path::new("o.csv"), b"x,y\n1,2\n").expect("other");
    assert!(other.documents[0].sections[0].table.is_some());
    // Duplicate ids stay distinct documents.
    let dup = refine(
        json!({"records": {"id": "a"}}),
        Path::new("d.csv"),
        b"a,b\n1,x\n1,y\n",
    )
    .expect("dup");
    let ids: Vec<_> = dup.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d.csv#1", "d.csv#1-row3"]);
}
