//! The lexical index end to end on disk, with the real MeCab-ko dictionary
//! of the installed model pack: identifiers exact, phrases, prefixes,
//! synonyms, snippets, filters. (Here, not in seogo-index's unit tests, so
//! that `cargo test -p seogo-index` passes before `seogo models install`.)

use std::path::Path;
use std::sync::{Arc, OnceLock};

use seogo_analyzer::mecab::Dictionary;
use seogo_index::{AnalyzerKind, LexicalIndex, LexicalResources, SearchFilter, SynonymSource};
use seogo_tests::models_dir;
use seogo_types::{Chunk, Domain, PUBLIC_GROUP};

fn dictionary() -> Arc<Dictionary> {
    static DICT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    DICT.get_or_init(|| {
        let dir = models_dir().join("mecab-ko-dic");
        Arc::new(Dictionary::open(&dir).expect("open mecab-ko-dic"))
    })
    .clone()
}

fn chunk(doc_id: &str, text: &str, acl: &str) -> Chunk {
    Chunk {
        id: Chunk::make_id(doc_id, 0),
        doc_id: doc_id.to_string(),
        ordinal: 0,
        title: String::new(),
        source: doc_id.to_string(),
        heading_path: Vec::new(),
        page: None,
        locator: None,
        text: text.to_string(),
        header: String::new(),
        domain: Domain::General,
        acl: vec![acl.to_string()],
        metadata: Default::default(),
    }
}

/// An index of `docs` (id, text), all public, with `resources`.
fn index_with(
    dir: &Path,
    kind: AnalyzerKind,
    resources: LexicalResources,
    docs: &[(&str, &str)],
) -> LexicalIndex {
    let index = LexicalIndex::open(dir, kind, Arc::new(resources)).expect("open");
    for (id, text) in docs {
        index
            .replace_document(id, &[chunk(id, text, PUBLIC_GROUP)])
            .expect("add");
    }
    index.commit().expect("commit");
    index
}

fn combined(dir: &Path, docs: &[(&str, &str)]) -> LexicalIndex {
    let resources = LexicalResources {
        dictionary: Some(dictionary()),
        ..LexicalResources::default()
    };
    index_with(dir, AnalyzerKind::Combined, resources, docs)
}

fn public() -> SearchFilter {
    SearchFilter {
        principals: vec![PUBLIC_GROUP.to_string()],
        ..SearchFilter::default()
    }
}

fn ids(index: &LexicalIndex, query: &str) -> Vec<String> {
    index
        .search(query, &public(), 10)
        .expect("search")
        .into_iter()
        .map(|h| h.chunk.doc_id)
        .collect()
}

#[test]
fn a_part_number_matches_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = combined(
        dir.path(),
        &[
            (
                "b",
                "설비 PN-4471-B의 점검 주기는 3개월이다. PN-4471-B 점검 주기 점검 주기.",
            ),
            ("a", "설비 PN-4471-A의 점검 주기는 6개월이다."),
            ("family", "PN-4471 계열 설비의 공통 점검 사항"),
        ],
    );
    assert_eq!(ids(&index, "PN-4471-A 점검 주기"), vec!["a"]);
    assert_eq!(ids(&index, "ＰＮ－４４７１－Ａ"), vec!["a"]);
    // Without a code, all three are candidates.
    assert_eq!(ids(&index, "설비 점검 주기").len(), 3);
}

#[test]
fn a_tag_the_documents_header_names_admits_its_sections_but_a_stated_tag_ranks_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = combined(dir.path(), &[]);
    let header = "| 대상 설비 | 냉각수 순환 펌프 (설비번호 P-201A, P-201B) |";
    let mut vibration = chunk(
        "sop",
        "진동 판정 기준: 4.5 mm/s 초과는 위험으로 판정한다.",
        PUBLIC_GROUP,
    );
    vibration.header = header.into();
    let mut stated = chunk("log", "P-201A 진동 판정 기준 점검 기록", PUBLIC_GROUP);
    stated.id = Chunk::make_id("log", 0);
    let other = chunk("other", "P-301 진동 판정 기준", PUBLIC_GROUP);
    let mut in_metadata = chunk("wo", "진동 판정 기준 초과로 베어링 교체", PUBLIC_GROUP);
    in_metadata
        .metadata
        .insert("equipment".into(), "P-201A".into());
    // The header's alarm code is one fact of the document, not its subject.
    let mut alarm = chunk("alarm", "진동 판정 기준", PUBLIC_GROUP);
    alarm.header = "경보 E-1023 발생 시 조치".into();
    for c in [&vibration, &stated, &other, &in_metadata, &alarm] {
        index
            .replace_document(&c.doc_id, std::slice::from_ref(c))
            .expect("add");
    }
    index.commit().expect("commit");

    let found = ids(&index, "P-201A 펌프의 진동 판정 기준은?");
    assert_eq!(found.first().map(String::as_str), Some("log"), "{found:?}");
    assert!(
        found.contains(&"sop".to_string()) && found.contains(&"wo".to_string()),
        "{found:?}"
    );
    assert!(!found.contains(&"other".to_string()), "{found:?}");
    assert_eq!(ids(&index, "E-1023 진동 판정 기준"), Vec::<String>::new());

    // The dense side's post-filter accepts the same chunks.
    let required = index.required_identifiers("P-201A 진동", &public());
    assert_eq!(required, vec!["p-201a"]);
    assert!(index.has_identifiers(&vibration, &required));
    assert!(index.has_identifiers(&in_metadata, &required));
    assert!(!index.has_identifiers(&other, &required));
}

#[test]
fn an_article_is_not_its_neighbours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = combined(
        dir.path(),
        &[
            ("13", "제13조(적용 범위) 이 법은 공공기관에 적용한다."),
            ("30", "제30조(벌칙) 다음 각 호의 어느 하나에 해당하는 자는 벌금에 처한다."),
            ("3", "제3조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다. ② 공공기관이란 다음을 말한다."),
        ],
    );
    assert_eq!(ids(&index, "제3조에서 정의하는 용어"), vec!["3"]);
    // A paragraph written ② still finds its article.
    assert_eq!(ids(&index, "제3조 제2항 공공기관"), vec!["3"]);
    assert_eq!(ids(&index, "제13조 적용"), vec!["13"]);
}

#[test]
fn phrases_and_prefixes_constrain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = combined(
        dir.path(),
        &[
            ("together", "올해 영업이익이 크게 늘었다."),
            ("apart", "영업 부문의 순이익은 줄었다."),
            ("code", "부품 PN-4471-A 재고"),
            ("other", "부품 E-1023 알람"),
        ],
    );
    let mut both = ids(&index, "영업 이익");
    both.sort();
    assert_eq!(both, vec!["apart", "together"]);
    // Quoted: the words in order, with or without the space.
    assert_eq!(ids(&index, "\"영업 이익\""), vec!["together"]);
    assert_eq!(ids(&index, "PN-44* 부품"), vec!["code"]);
}

#[test]
fn synonyms_apply_and_reload_when_edited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("synonyms.txt");
    std::fs::write(&rules, "영업이익, operating profit\n").expect("write");
    let resources = LexicalResources {
        dictionary: Some(dictionary()),
        synonyms: vec![Arc::new(SynonymSource::open(&rules).expect("rules"))],
        ..LexicalResources::default()
    };
    let index = index_with(
        &dir.path().join("index"),
        AnalyzerKind::Combined,
        resources,
        &[
            ("en", "Operating profit rose 12% in the third quarter."),
            ("rev", "매출액은 전년과 같았다."),
        ],
    );
    assert_eq!(ids(&index, "영업이익 증가"), vec!["en"]);
    assert!(ids(&index, "매출").contains(&"rev".to_string()));
    assert!(!ids(&index, "revenue").contains(&"rev".to_string()));
    // The operator adds a rule; the next query uses it. (A later mtime:
    // some filesystems keep whole seconds.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&rules, "영업이익, operating profit\n매출액, revenue\n").expect("edit");
    assert_eq!(ids(&index, "revenue"), vec!["rev"]);
}

#[test]
fn snippets_mark_what_matched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "정기 점검 안내. 설비 PN-4471-A의 베어링은 6개월마다 점검한다. PN-4471-B와 혼동 주의. 기타 사항은 담당자에게 문의한다.";
    let index = combined(dir.path(), &[("a", text)]);
    let s = index.snippet("PN-4471-A 베어링 점검", text, 80);
    let marked = s.marked("[", "]");
    assert!(marked.contains("[PN-4471-A]"), "{marked}");
    assert!(marked.contains("[베어링]"), "{marked}");
    assert!(marked.contains("[점검]"), "{marked}");
    assert!(!marked.contains("[문의]"), "{marked}");
    assert!(marked.contains(" PN-4471-B와"), "{marked}");
}

#[test]
fn every_analyzer_builds_and_finds() {
    for kind in AnalyzerKind::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        let resources = LexicalResources {
            dictionary: kind.uses_morphemes().then(dictionary),
            ..LexicalResources::default()
        };
        let index = index_with(
            dir.path(),
            kind,
            resources,
            &[("a", "삼성전자 영업이익"), ("b", "현대자동차 매출")],
        );
        assert_eq!(ids(&index, "삼성전자 영업이익"), vec!["a"], "{kind}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let err = LexicalIndex::open(dir.path(), AnalyzerKind::Morph, Default::default())
        .expect_err("no dictionary");
    assert!(err.to_string().contains("seogo models install"), "{err}");
}

#[test]
fn snippets_mark_morphemes_the_bigrams_miss() {
    // "물" alone and the stem of "마셨다" in "마시면" share no bigram with
    // the query: only MeCab-ko's morphemes find them.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "작업 전에는 깨끗한 물 한 잔을 천천히 마시면 좋다. 작업 후에는 장비를 정리한다.";
    let index = combined(dir.path(), &[("a", text)]);
    let marked = index.snippet("물을 마셨다", text, 80).marked("[", "]");
    assert!(marked.contains("[물]"), "{marked}");
    assert!(marked.contains("[마시]면"), "{marked}");
    assert!(!marked.contains("[작업]"), "{marked}");
}
