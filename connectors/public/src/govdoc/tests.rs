//! Real government files from the shared data (values read from the
//! files themselves), the 200 국세청 질의회신 against their manifest, and
//! a synthetic 공문.

use std::collections::BTreeMap;

use seogo_docs::{Document, Section};

use super::{annotate, normalise_date};
use crate::tests::{refine_shared, shared_data};

fn gov(name: &str) -> Document {
    let refined = refine_shared(&format!("ko-hwpx-fixtures/gov/{name}"));
    refined.documents.into_iter().next().expect("a document")
}

#[test]
fn dates_normalise() {
    assert_eq!(
        normalise_date("2023년  3월  24일").as_deref(),
        Some("2023-03-24")
    );
    assert_eq!(
        normalise_date("2024. 1. 2.(화) 08:00").as_deref(),
        Some("2024-01-02")
    );
    assert_eq!(
        normalise_date("(1999.10.23)").as_deref(),
        Some("1999-10-23")
    );
    assert_eq!(normalise_date("20231231").as_deref(), Some("2023-12-31"));
    assert_eq!(normalise_date("2016. ○○. ○○"), None);
    assert_eq!(normalise_date("2023.13.40"), None);
}

#[test]
fn gangnam_notice() {
    let doc = gov("gangnam-gu_notice_2023-745_legislative-preannouncement.hwpx");
    let m = &doc.metadata;
    assert_eq!(m["doc_type"], "공고");
    assert_eq!(m["doc_number"], "서울특별시 강남구 공고 제2023-745호");
    assert_eq!(m["agency"], "서울특별시 강남구");
    assert_eq!(m["date"], "2023-03-24");
    assert_eq!(
        doc.title,
        "서울특별시 강남구 공무직 관리 규정 일부개정규칙안 입법예고"
    );
    assert_eq!(m["title"], doc.title);
}

#[test]
fn ulsan_notice_without_manifest() {
    let doc = gov("ulsan-namgu_notice_2021-174_no-manifest.hwpx");
    let m = &doc.metadata;
    assert_eq!(m["doc_number"], "울산광역시 남구 공고 제2021-174호");
    assert_eq!(m["agency"], "울산광역시 남구");
    assert_eq!(m["date"], "2021-02-05");
    assert_eq!(doc.title, "울산광역시 남구 구세 조례 일부개정조례안");
}

#[test]
fn mcst_press_release() {
    let doc = gov("mcst_press-release_2024-01-02.hwpx");
    let m = &doc.metadata;
    assert_eq!(m["doc_type"], "보도자료");
    assert_eq!(m["agency"], "문화체육관광부");
    assert_eq!(m["date"], "2024-01-02");
    assert_eq!(
        doc.title,
        "2024 파리 올림픽·패럴림픽 준비하는 우리 선수단 격려한다"
    );
    assert!(!m.contains_key("doc_number"));
}

#[test]
fn gangbuk_request_for_proposal() {
    let doc = gov("gangbuk-gu_rfp_autumn-music-festival_2023.hwpx");
    let m = &doc.metadata;
    assert_eq!(m["doc_type"], "제안요청서");
    assert_eq!(m["agency"], "강북구청");
    assert_eq!(m["date"], "2023-07-05");
    assert_eq!(
        doc.title,
        "『제2회 가을밤의 음악축제』 행사대행 용역 제안요청서"
    );
}

#[test]
fn undated_forms_get_nothing_invented() {
    let refined =
        refine_shared("ko-hwp-fixtures/gov/govt-award-recommendation-forms_attachment1.hwp");
    let m = &refined.documents[0].metadata;
    assert!(
        !m.contains_key("doc_number") && !m.contains_key("date"),
        "{m:?}"
    );
}

#[test]
fn official_letter_footer() {
    let mut doc = Document {
        id: "letter.hwp".into(),
        title: "letter".into(),
        source: "letter.hwp".into(),
        content_hash: String::new(),
        domain: seogo_docs::Domain::Public,
        acl: seogo_docs::Acl::public(),
        metadata: BTreeMap::new(),
        sections: vec![Section::new(
            Vec::new(),
            None,
            "행정안전부\n수신 수신자 참조\n제목 2024년 정보공개 운영 실태 점검 계획 알림\n\
             1. 관련: 정보공개정책과-812\n2. 붙임과 같이 점검 계획을 알려 드립니다.\n\
             행정안전부장관\n시행 정보공개정책과-1234 (2024. 3. 5.) 접수\n/ 부분공개(5)"
                .into(),
        )],
    };
    annotate(&mut doc);
    let m = &doc.metadata;
    assert_eq!(m["doc_type"], "공문");
    assert_eq!(m["doc_number"], "정보공개정책과-1234");
    assert_eq!(m["date"], "2024-03-05");
    assert_eq!(m["agency"], "행정안전부");
    assert_eq!(doc.title, "2024년 정보공개 운영 실태 점검 계획 알림");
}

/// Whitespace-free text, for comparing with the manifest (its fields were
/// cut by a simpler reader).
fn compact(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn nts_rulings_number_and_title() {
    let dir = "ko-nts-tax-rulings-hwp";
    let manifest =
        std::fs::read_to_string(shared_data().join(dir).join("manifest.jsonl")).expect("manifest");
    let (mut total, mut numbers, mut titles) = (0, 0, 0);
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("json");
        let file = row["file"].as_str().expect("file");
        let doc = &refine_shared(&format!("{dir}/files/{file}")).documents[0];
        total += 1;
        let m = &doc.metadata;
        // The manifest's doc_no sometimes carries the next field
        // (`… 세목 상증`): ours must be its start.
        let expected_no = compact(row["doc_no"].as_str().unwrap_or_default());
        if m.get("doc_number")
            .is_some_and(|n| !n.is_empty() && expected_no.starts_with(&compact(n)))
        {
            numbers += 1;
        } else {
            eprintln!("doc_no {file}: {:?} vs {expected_no}", m.get("doc_number"));
        }
        if compact(&doc.title) == compact(row["title"].as_str().unwrap_or_default()) {
            titles += 1;
        } else {
            eprintln!("title {file}: {:?} vs {}", doc.title, row["title"]);
        }
        assert_eq!(
            m.get("doc_type").map(String::as_str),
            Some("질의회신"),
            "{file}"
        );
    }
    eprintln!("NTS: {numbers}/{total} doc_no, {titles}/{total} titles");
    assert_eq!(total, 200);
    // Measured: 199/200 numbers (000000000000204886.hwp states none, its
    // manifest doc_no is empty too) and 200/200 titles.
    assert!(numbers >= 199, "{numbers}/200 doc numbers");
    assert_eq!(titles, 200, "{titles}/200 titles");
}
