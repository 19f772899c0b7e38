//! The synthetic law.go.kr fixtures (`fixtures/`, see SOURCE.md) through
//! the connector, and hostile statute XML.

use std::path::Path;

use seogo_docs::parse::Parsed;
use seogo_docs::{Connector, DocError, Document, SourceFile};

use super::citation;
use crate::tests::{connector, refine_bytes};

fn fixture(name: &str) -> Vec<Document> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    refine_bytes(&connector(), &path, &bytes)
        .unwrap_or_else(|e| panic!("{e}"))
        .documents
}

fn by_citation<'a>(docs: &'a [Document], cite: &str) -> &'a Document {
    docs.iter()
        .find(|d| d.metadata.get("citation").map(String::as_str) == Some(cite))
        .unwrap_or_else(|| panic!("no {cite}"))
}

#[test]
fn citation_strings() {
    assert_eq!(
        citation("개인정보 보호법", "3", None, None, None),
        "「개인정보 보호법」 제3조"
    );
    assert_eq!(
        citation("개인정보 보호법", "3", Some(2), Some("1"), None),
        "「개인정보 보호법」 제3조제2항제1호"
    );
    assert_eq!(
        citation(
            "작업장 안전보건법",
            "3의2",
            Some(1),
            Some("1의2"),
            Some("가")
        ),
        "「작업장 안전보건법」 제3조의2제1항제1호의2가목"
    );
}

#[test]
fn articles_become_cited_documents() {
    let docs = fixture("statute-info-disclosure.xml");
    let parts: Vec<&str> = docs.iter().map(|d| d.metadata["part"].as_str()).collect();
    assert_eq!(parts.iter().filter(|p| **p == "조문").count(), 7);
    assert_eq!(parts.iter().filter(|p| **p == "부칙").count(), 1);
    assert_eq!(parts.iter().filter(|p| **p == "별표").count(), 1);

    let art3 = by_citation(&docs, "「공공기록 정보공개법」 제3조");
    assert_eq!(art3.title, "공공기록 정보공개법");
    assert!(art3.id.ends_with("#art-3"), "{}", art3.id);
    let section = &art3.sections[0];
    assert_eq!(
        section.heading_path,
        ["공공기록 정보공개법", "제1장 총칙", "제3조(공개의 원칙)"]
    );
    assert_eq!(
        section.locator.as_deref(),
        Some("「공공기록 정보공개법」 제3조")
    );
    // Numbers appear once even though the XML repeats them in the text.
    assert!(
        section.text.starts_with("제3조(공개의 원칙)\n① 공공기관이"),
        "{}",
        section.text
    );
    assert!(section.text.contains("\n② 제1항에도 불구하고"));
    assert!(section.text.contains("\n1. 다른 법률 또는"));
    assert!(!section.text.contains("① ①"));
    assert_eq!(
        art3.metadata["citations"],
        "「공공기록 정보공개법」 제3조제1항; 「공공기록 정보공개법」 제3조제2항; \
         「공공기록 정보공개법」 제3조제2항제1호; 「공공기록 정보공개법」 제3조제2항제2호"
    );
    assert_eq!(art3.metadata["references"], "제9조");

    let m = &art3.metadata;
    assert_eq!(m["law_name"], "공공기록 정보공개법");
    assert_eq!(m["law_id"], "999001");
    assert_eq!(m["promulgation_date"], "2024-01-02");
    assert_eq!(m["promulgation_no"], "19999");
    assert_eq!(m["effective_date"], "2024-07-03");
    assert_eq!(m["amendment"], "일부개정");

    let branch = by_citation(&docs, "「공공기록 정보공개법」 제3조의2");
    assert_eq!(
        branch.sections[0].heading_path[2],
        "제3조의2(공개 목록의 작성)"
    );
    assert!(branch.id.ends_with("#art-3-2"));
    assert_eq!(
        branch.metadata["references"],
        "「전자정부법」 제9조, 「전자정부법」 제10조제1항"
    );
    let art2 = by_citation(&docs, "「공공기록 정보공개법」 제2조");
    assert!(art2.sections[0].text.contains(
        "\n2. \"공공기관\"이란 다음 각 목의 기관을 말한다.\n가. 국가기관\n나. 지방자치단체"
    ));
    assert!(art2.metadata["citations"].contains("「공공기록 정보공개법」 제2조제2호가목"));
    assert_eq!(
        art2.metadata["references"],
        "「공공기관의 운영에 관한 법률」 제5조"
    );
    let art9 = by_citation(&docs, "「공공기록 정보공개법」 제9조");
    assert_eq!(art9.sections[0].heading_path[1], "제2장 공개 청구와 결정");
    assert_eq!(
        art9.metadata["references"],
        "제3조제2항, 「행정심판법」 제27조"
    );

    let addendum = docs
        .iter()
        .find(|d| d.metadata["part"] == "부칙")
        .expect("부칙");
    assert_eq!(
        addendum.sections[0].heading_path[1],
        "부칙 <제19999호, 2024. 1. 2.>"
    );
    assert!(addendum.sections[0]
        .text
        .contains("제1조(시행일) 이 법은 공포 후 6개월이"));
    assert_eq!(
        addendum.metadata["addendum_promulgation_date"],
        "2024-01-02"
    );
    let annex = docs
        .iter()
        .find(|d| d.metadata["part"] == "별표")
        .expect("별표");
    assert_eq!(
        annex.sections[0].heading_path[1],
        "[별표 1] 공개 청구 수수료(제5조 관련)"
    );
    assert_eq!(
        annex.metadata["citation"],
        "「공공기록 정보공개법」 [별표 1]"
    );
    assert!(annex.sections[0].text.contains("2. 사본(종이): 1장 250원"));
}

#[test]
fn numbers_only_in_number_elements_render_the_same() {
    let docs = fixture("statute-workplace-safety.xml");
    assert_eq!(
        docs.len(),
        9,
        "{:?}",
        docs.iter().map(|d| &d.id).collect::<Vec<_>>()
    );
    let art1 = by_citation(&docs, "「작업장 안전보건법」 제1조");
    assert!(art1.sections[0].text.starts_with("제1조(목적) 이 법은"));
    assert!(art1.sections[0].text.contains("안전 & 보건"));
    let art2 = by_citation(&docs, "「작업장 안전보건법」 제2조");
    assert_eq!(
        art2.sections[0].text,
        "제2조(사업주의 의무)\n① 사업주는 다음 각 호의 조치를 하여야 한다.\n1. 위험성평가의 실시\n\
         가. 유해ㆍ위험 요인의 파악\n나. 위험성의 결정 및 감소대책의 수립\n\
         1의2. 위험성평가 결과의 기록 및 보존\n2. 안전보건교육의 실시\n\
         ② 제1항제1호에 따른 위험성평가의 방법은 고용노동부령으로 정한다."
    );
    assert!(art2.metadata["citations"].contains("「작업장 안전보건법」 제2조제1항제1호의2"));
    assert!(art2.metadata["citations"].contains("「작업장 안전보건법」 제2조제1항제1호나목"));
    let art3_2 = by_citation(&docs, "「작업장 안전보건법」 제3조의2");
    assert_eq!(
        art3_2.sections[0].heading_path,
        [
            "작업장 안전보건법",
            "제2장 안전보건관리체제",
            "제1절 안전보건관리책임자",
            "제3조의2(관리감독자)"
        ]
    );
    assert_eq!(art3_2.metadata["references"], "제3조제1항");
    let art4 = by_citation(&docs, "「작업장 안전보건법」 제4조");
    assert_eq!(
        art4.sections[0].heading_path[1..3],
        [
            "제2장 안전보건관리체제".to_string(),
            "제2절 안전보건위원회".to_string()
        ]
    );
    assert_eq!(
        art4.metadata["references"],
        "「근로기준법」 제93조, 「근로기준법」 제94조제1항"
    );
    assert_eq!(art4.metadata["amendment"], "제정");
    assert_eq!(art4.metadata["effective_date"], "2024-01-01");
    let addenda: Vec<_> = docs
        .iter()
        .filter(|d| d.metadata["part"] == "부칙")
        .collect();
    assert_eq!(addenda.len(), 2);
    assert_eq!(
        addenda[0].sections[0].heading_path[1],
        "부칙 <제18888호, 2023. 12. 12.>"
    );
    let form = by_citation(&docs, "「작업장 안전보건법」 [별지 제2호서식]");
    assert!(form.sections[0].text.contains("위험성평가 기록부"));
}

#[test]
fn detected_by_root_element_not_extension() {
    let xml = "<?xml version='1.0'?>\n<법령><기본정보><법령명_한글>시험법</법령명_한글></기본정보>\
               <조문><조문단위><조문번호>1</조문번호><조문여부>조문</조문여부>\
               <조문내용>제1조(목적) 시험한다.</조문내용></조문단위></조문></법령>";
    let docs = refine_bytes(&connector(), Path::new("law.txt"), xml.as_bytes())
        .expect("statute")
        .documents;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].metadata["citation"], "「시험법」 제1조");
    let other = "<?xml version='1.0'?><law><조문>제1조</조문></law>";
    let docs = refine_bytes(&connector(), Path::new("law.xml"), other.as_bytes())
        .expect("generic")
        .documents;
    assert!(!docs[0].metadata.contains_key("citation"));
}

/// A [`SourceFile`] as if the generic parse had failed or found nothing:
/// the connector must not rely on it having refused the file.
fn refine_raw(bytes: &[u8]) -> Result<usize, DocError> {
    let parsed = Parsed {
        format: "XML",
        encoding: "UTF-8",
        documents: Vec::new(),
        warnings: Vec::new(),
    };
    let file = SourceFile {
        path: Path::new("hostile.xml"),
        doc_id: "hostile.xml",
        bytes,
        parsed,
    };
    connector().refine(file).map(|r| r.documents.len())
}

#[test]
fn hostile_statutes_get_named_errors() {
    let bomb = "<?xml version='1.0'?><!DOCTYPE 법령 [<!ENTITY a 'aaaaaaaaaa'>\
                <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'>]>\
                <법령><기본정보><법령명_한글>&c;</법령명_한글></기본정보></법령>";
    let err = refine_raw(bomb.as_bytes()).expect_err("bomb");
    assert!(
        matches!(err, DocError::LimitExceeded { .. }) && err.to_string().contains("<!ENTITY"),
        "{err}"
    );
    let whole = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/statute-info-disclosure.xml"),
    )
    .expect("fixture");
    // Cut anywhere: a named error or documents, never a panic.
    for cut in (0..whole.len()).step_by(97) {
        match refine_raw(&whole[..cut]) {
            Ok(_) => {}
            Err(e) => assert!(e.to_string().starts_with("hostile.xml"), "{e}"),
        }
    }
    let truncated = &whole[..whole.len() / 2];
    let cut = truncated
        .iter()
        .rposition(|&b| b == b'>')
        .map_or(truncated, |i| &truncated[..=i]);
    let err = refine_raw(cut).expect_err("truncated");
    assert!(err.to_string().contains("damaged statute XML"), "{err}");
    let err = refine_raw("<법령><기본정보></기본정보></법령>".as_bytes()).expect_err("no name");
    assert!(err.to_string().contains("법령명_한글"), "{err}");
    let deep = format!("<법령>{}", "<a>".repeat(10_000));
    assert!(refine_raw(deep.as_bytes()).is_err());
}
