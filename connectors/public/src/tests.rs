//! What the crate's tests share: the connector with default options, and
//! files (fixtures or the shared data) through the generic parse and
//! [`Connector::refine`].

use std::path::Path;
use std::sync::Arc;

use seogo_docs::parse::{inspect_bytes, ParseOptions};
use seogo_docs::{Acl, Connector, DocError, Refined, SourceFile};

use crate::PublicConnector;

pub(crate) use seogo_tests::shared_data;

pub(crate) fn connector() -> PublicConnector {
    PublicConnector::from_options(&serde_json::Value::Null).expect("default options")
}

/// `bytes` (named `path`) through the generic parse and `connector`.
pub(crate) fn refine_bytes(
    connector: &PublicConnector,
    path: &Path,
    bytes: &[u8],
) -> Result<Refined, DocError> {
    refine_with(connector, path, bytes, &ParseOptions::default())
}

pub(crate) fn refine_with(
    connector: &PublicConnector,
    path: &Path,
    bytes: &[u8],
    opts: &ParseOptions,
) -> Result<Refined, DocError> {
    let id = path.display().to_string();
    let parsed = inspect_bytes(path, &id, Arc::from(bytes), opts)?;
    connector.refine(SourceFile {
        path,
        doc_id: &id,
        bytes,
        parsed,
    })
}

/// A file under the shared data through the connector.
pub(crate) fn refine_shared(relative: &str) -> Refined {
    let path = shared_data().join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    refine_bytes(&connector(), &path, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn letter(text: &str) -> Vec<u8> {
    format!("행정안전부\n수신 수신자 참조\n제목 점검 계획 알림\n{text}\n시행 정보공개정책과-1234 (2024. 3. 5.)\n")
        .into_bytes()
}

#[test]
fn stated_grade_replaces_the_acl_unmarked_keeps_it() {
    let options = serde_json::json!({
        "classification": {"공개": ["public"], "부분공개": ["staff"], "비공개": ["restricted", "security"]},
        "classification_label": "공개여부"
    });
    let connector = PublicConnector::from_options(&options).expect("options");
    let ingest = ParseOptions {
        acl: Acl::from_groups(&["hr".into()]),
        ..ParseOptions::default()
    };
    let run = |name: &str, text: &str| {
        refine_with(&connector, Path::new(name), &letter(text), &ingest)
            .expect("refines")
            .documents
    };
    let docs = run("a.txt", "공개여부: 부분공개");
    assert_eq!(docs[0].acl.groups, ["staff"]);
    assert_eq!(docs[0].metadata["classification"], "부분공개");
    let docs = run("b.txt", "본 문서는 비공개(제9조제1항제5호) 대상임");
    assert_eq!(docs[0].acl.groups, ["restricted", "security"]);
    // Both stated: the more restrictive wins.
    let docs = run("c.txt", "공개 여부 : 공개\n/ 비공개(5)");
    assert_eq!(docs[0].metadata["classification"], "비공개");
    let docs = run("d.txt", "정보공개 청구 절차를 안내합니다");
    assert_eq!(docs[0].acl.groups, ["hr"]);
    assert!(!docs[0].metadata.contains_key("classification"));

    // A configured label; a grade left out of the map keeps the ACL.
    let custom = PublicConnector::from_options(&serde_json::json!({
        "classification": {"비공개": "secret"}, "classification_label": "보안등급"
    }))
    .expect("options");
    let docs = refine_with(
        &custom,
        Path::new("e.txt"),
        &letter("보안등급: 비공개"),
        &ingest,
    )
    .expect("refines")
    .documents;
    assert_eq!(docs[0].acl.groups, ["secret"]);
    let docs = refine_with(
        &custom,
        Path::new("f.txt"),
        &letter("보안 등급 : 공개"),
        &ingest,
    )
    .expect("refines")
    .documents;
    assert_eq!(docs[0].acl.groups, ["hr"]);
    assert_eq!(docs[0].metadata["classification"], "공개");
}

#[test]
fn options_are_checked() {
    for bad in [
        serde_json::json!({"classificaton": {}}),
        serde_json::json!({"classification": {"대외비": ["x"]}}),
        serde_json::json!({"classification": {"비공개": [1]}}),
        serde_json::json!({"classification_label": ""}),
        serde_json::json!(3),
    ] {
        let err = PublicConnector::from_options(&bad).expect_err("refused");
        assert!(
            err.to_string().starts_with("public connector options"),
            "{err}"
        );
    }
    assert!(PublicConnector::from_options(&serde_json::json!({})).is_ok());
}

#[test]
fn cp949_public_data_csv() {
    let csv = "대여소명,주소,거치대수,데이터기준일자,제공기관코드,제공기관명\n\
               망원역 1번출구,서울특별시 마포구 월드컵로 72,10,2023-12-31,3000000,서울특별시\n\
               합정역 5번출구,서울특별시 마포구 양화로 59,8,2023-12-31,3000000,서울특별시\n";
    let (bytes, _, bad) = encoding_rs::EUC_KR.encode(csv);
    assert!(!bad);
    let refined = refine_bytes(
        &connector(),
        Path::new("서울특별시_공공자전거대여소_20231231.csv"),
        &bytes,
    )
    .expect("csv");
    let doc = &refined.documents[0];
    assert!(doc.sections[0]
        .text
        .contains("| 망원역 1번출구 | 서울특별시 마포구 월드컵로 72 | 10 |"));
    assert_eq!(doc.metadata["agency"], "서울특별시");
    assert_eq!(doc.metadata["date"], "2023-12-31");
    assert_eq!(doc.metadata["doc_type"], "공공데이터");
    // Without the columns, the date in the file name.
    let (bytes, _, _) = encoding_rs::EUC_KR.encode("구분,건수\n민원,12\n정보공개,3\n");
    let doc = &refine_bytes(&connector(), Path::new("민원현황_20240131.csv"), &bytes)
        .expect("csv")
        .documents[0];
    assert_eq!(doc.metadata["date"], "2024-01-31");
    assert!(!doc.metadata.contains_key("agency"));
}
