use std::path::PathBuf;

use crate::parse::Parsed;
use crate::test_support::{all_text, parsed, shared_data};

fn data_dir() -> PathBuf {
    shared_data()
}

fn parse(relative: &str) -> Parsed {
    parsed(relative)
}

#[test]
fn simple_table_repeats_merged_cells() {
    let parsed = parse("ko-hwpx-fixtures/structure/reader_writer__SimpleTable.hwpx");
    let section = &parsed.documents[0].sections[0];
    let table = section.table.as_ref().expect("a table");
    // "1" spans two rows and two columns; the first row is numbers, so no header.
    assert_eq!(table.header_rows, 0);
    assert_eq!(
        table.rows,
        [["1", "1", "2"], ["1", "1", "3"], ["5", "4", "4"]]
    );
    assert_eq!(section.locator.as_deref(), Some("section 0 · paragraph 0"));
}

#[test]
fn headers_are_skipped_and_text_boxes_kept() {
    let path = data_dir().join("ko-hwpx-fixtures/structure/reader_writer__HeaderFooter.hwpx");
    let bytes = std::fs::read(path).expect("fixture");
    let budget = crate::limits::Budget::new(&crate::limits::Limits::default());
    let extracted = super::extract(&bytes, &budget).expect("hwpx");
    // The file holds only a header (머리말 테스트) and a footer (꼬리말).
    assert!(extracted.sections.is_empty(), "{:?}", extracted.sections);
    let boxes = all_text(&parse(
        "ko-hwpx-fixtures/structure/tool__textextractor__RectInPara.hwpx",
    ));
    assert!(boxes.contains("사각 시각한 사각형입니다.") && boxes.contains("오각형이 아니에요"));
}

#[test]
fn gov_documents_read_with_tables_and_korean_text() {
    let press = parse("ko-hwpx-fixtures/gov/mcst_press-release_2024-01-02.hwpx");
    assert_eq!(press.format, "HWPX");
    let text = all_text(&press);
    assert!(text.contains("장미란 제2차관은 1월 2일(화)"), "{text}");
    assert!(text.contains("| 담당 부서 | 체육국 | 책임자 | 과장 | 정태경 |"));
    let named_hwp =
        parse("ko-hwp-fixtures/gov/wildlife-mgmt-system-upgrade_2023_rfp__really-hwpx-zip.hwp");
    assert_eq!(named_hwp.format, "HWPX");
    assert!(all_text(&named_hwp).contains("제안요청서"));
    let no_manifest = parse("ko-hwpx-fixtures/gov/ulsan-namgu_notice_2021-174_no-manifest.hwpx");
    assert!(all_text(&no_manifest).contains("입법예고"));
}

#[test]
fn outline_paragraphs_become_heading_paths() {
    let parsed = parse("ko-hwpx-fixtures/structure/tool__textextractor__ParaHead.hwpx");
    let paths: Vec<&Vec<String>> = parsed.documents[0]
        .sections
        .iter()
        .map(|s| &s.heading_path)
        .collect();
    assert!(paths.iter().any(|p| **p == ["개요1"]), "{paths:?}");
    assert!(
        paths.iter().any(|p| **p == ["개요2", "개요2-1"]),
        "{paths:?}"
    );
}
