use super::rewrite::keeps_content_words;
use super::verify::*;
use super::*;
use seogo_docs::Domain;

/// The verifier with nothing retrieved beyond the sources.
fn verify(text: &str, sources: &[Chunk], question: &str) -> Checked {
    super::verify::verify(text, sources, &[], question)
}

fn chunk(id: &str, text: &str) -> Chunk {
    Chunk {
        id: id.into(),
        doc_id: id.into(),
        ordinal: 0,
        title: "T".into(),
        source: "s".into(),
        heading_path: vec!["3. 점검".into()],
        page: Some(2),
        locator: None,
        text: text.into(),
        header: String::new(),
        domain: Domain::General,
        acl: vec!["public".into()],
        metadata: Default::default(),
    }
}

#[test]
fn markers_are_parsed_and_removed() {
    assert_eq!(
        markers("점검 주기는 500시간이다 [1][2]."),
        (vec![1, 2], "점검 주기는 500시간이다.".into())
    );
    assert_eq!(markers("see [1, 3]"), (vec![1, 3], "see".into()));
    assert_eq!(markers("array [a]"), (vec![], "array [a]".into()));
}

#[test]
fn sentences_keep_their_markers() {
    let s = sentences("First fact. [1] Second fact [2].\nThird");
    assert_eq!(s, vec!["First fact. [1]", "Second fact [2].", "Third"]);
}

#[test]
fn unsupported_citations_are_dropped_and_unsupported_answers_declined() {
    let sources = vec![
        chunk(
            "a",
            "펌프의 정기 점검 주기는 누적 운전시간 500시간이다.\n진동 한계는 4.5 mm/s이다.",
        ),
        chunk("b", "구내식당은 11:40에 연다."),
    ];
    // Cites [2] for a fact that is in [1]: re-attributed to 1.
    let checked = verify("점검 주기는 500시간입니다 [2].", &sources, "");
    assert_eq!(checked.text(true), "점검 주기는 500시간입니다. [1]");
    assert_eq!(checked.citations.len(), 1);
    assert_eq!(checked.citations[0].doc_id, "a");
    assert_eq!(
        checked.citations[0].quote,
        "펌프의 정기 점검 주기는 누적 운전시간 500시간이다."
    );
    assert!(!verify("수소 사업 계획은 2030년까지 확대됩니다 [1].", &sources, "").any_supported());
}

#[test]
fn a_wrong_number_is_not_supported_and_is_flagged() {
    let sources = vec![chunk(
        "a",
        "펌프의 정기 점검 주기는 누적 운전시간 500시간이다. 정밀 점검은 6,000시간마다 한다.",
    )];
    // Same words, another figure: no source supports it.
    let checked = verify(
        "정기 점검 주기는 누적 운전시간 5000시간입니다 [1]. 정밀 점검은 6000시간마다 합니다 [1].",
        &sources,
        "",
    );
    assert_eq!(checked.sentences.len(), 2);
    assert!(!checked.sentences[0].supported, "{checked:?}");
    assert!(checked.sentences[1].supported, "6000 = 6,000: {checked:?}");
    assert!(checked.any_supported() && !checked.all_supported());
    assert_eq!(checked.text(true), "정밀 점검은 6000시간마다 합니다. [1]");
    assert_eq!(
        checked.text(false),
        "정기 점검 주기는 누적 운전시간 5000시간입니다. 정밀 점검은 6000시간마다 합니다. [1]"
    );
}

#[test]
fn words_restated_from_the_question_are_not_claims() {
    let mut sop = chunk("b", "정기 점검 | 누적 운전시간 500시간마다 | 설비보전팀");
    sop.title = "원심식 냉각수 펌프 점검 표준작업절차서".into();
    sop.heading_path = vec!["3. 점검 절차".into(), "3.1.1 점검 주기".into()];
    let sources = vec![
        chunk("a", "적용 사업장: 한빛정밀 주식회사 창원공장 유틸리티동"),
        sop,
    ];
    let question = "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 얼마인가요?";
    // Unmarked, naming its subject as the question did: supported by the
    // source of what it adds.
    let answer =
        "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 누적 운전시간 500시간마다입니다.";
    let checked = verify(answer, &sources, question);
    assert!(checked.all_supported(), "{checked:?}");
    assert_eq!(checked.citations[0].doc_id, "b");
    // As the model wrote it, question ending in a particle ("주기는?").
    assert!(verify(
        "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 누적 운전시간 500小时마다 [2]에 따릅니다.",
        &sources,
        "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는?"
    )
    .all_supported());
    // Without the question those words count, and no one source has them.
    assert!(!verify(answer, &sources, "").any_supported());
    // Restating the question adds nothing: not an answer.
    assert!(!verify(
        "냉각수 펌프의 정기 점검 주기는 얼마인가요 [2].",
        &sources,
        question
    )
    .any_supported());
    // A figure from the question must still be in the source.
    assert!(!verify(
        "한빛정밀 창원공장 펌프는 2019년에 누적 운전시간 500시간마다 점검했습니다 [2].",
        &sources,
        "한빛정밀 창원공장 펌프는 2019년에 몇 시간마다 점검했나요?"
    )
    .any_supported());
    // A subject no source speaks of is a claim, not a restatement: the
    // pump's interval cannot be pinned on it by repeating the question.
    let mars = "화성 탐사 기지의 산소 발생기 필터 정기 점검 주기는 얼마인가요?";
    assert!(!verify(
        "화성 탐사 기지의 산소 발생기 필터 정기 점검 주기는 누적 운전시간 500시간마다입니다 [2].",
        &sources,
        mars
    )
    .any_supported());
    // Even when what it adds outweighs the subject (as the model wrote it).
    let mut bearing = chunk(
        "c",
        "베어링 교체 | 누적 운전시간 6,000시간 또는 18개월 중 먼저 도래하는 시점 | 설비보전팀",
    );
    bearing.title = "원심식 냉각수 펌프 점검 표준작업절차서".into();
    assert!(!verify(
        "화성 탐사 기지의 산소 발생기 필터 교체 주기는 누적 운전 시간 6,000시간 또는 18개월 중 먼저 도래하는 시점입니다 [1].",
        &[bearing],
        "화성 탐사 기지의 산소 발생기 필터 교체 주기는 얼마인가요?"
    )
    .any_supported());
    // One word of the asker's own (a synonym) is not a subject.
    assert!(verify(
        "냉각수 펌프의 정기 점검 간격은 누적 운전시간 500시간마다입니다 [2].",
        &sources,
        "냉각수 펌프 정기 점검 간격은?"
    )
    .all_supported());
}

#[test]
fn numbers_ignore_markers_and_separators() {
    assert_eq!(numbers("6,000시간 또는 4.5 mm/s [2]."), vec!["6000", "4.5"]);
    assert_eq!(numbers("제3조 [1][12]"), vec!["3"]);
    assert!(numbers("no digits [3]").is_empty());
    assert_eq!(numbers("2024.03.12 시행"), vec!["2024", "3", "12"]);
    assert_eq!(numbers("0.95 MPa, 007"), vec!["0.95", "7"]);
}

#[test]
fn a_rewrite_must_keep_what_the_follow_up_names() {
    let follow_up = "그럼 정밀 점검은요?";
    assert!(keeps_content_words(
        follow_up,
        "한빛정밀 냉각수 펌프의 정밀 점검 주기는 얼마인가요?"
    ));
    // The previous question handed back: "정밀" only inside 한빛정밀.
    assert!(!keeps_content_words(
        follow_up,
        "한빛정밀 냉각수 펌프의 정기 점검 주기는 얼마인가요?"
    ));
    assert!(keeps_content_words(
        "그럼 2022년은?",
        "삼성전자의 2022년 매출액은?"
    ));
    assert!(!keeps_content_words(
        "그럼 2022년은?",
        "삼성전자의 2023년 매출액은?"
    ));
    assert!(keeps_content_words(
        "And in Q3?",
        "What were net sales in Q3 2024?"
    ));
}

#[test]
fn an_answer_must_take_up_the_question_it_answers() {
    let mut sop = chunk("b", "정기 점검 | 누적 운전시간 500시간마다 | 설비보전팀");
    sop.title = "원심식 냉각수 펌프 점검 표준작업절차서".into();
    sop.heading_path = vec!["3.1.1 점검 주기".into()];
    let pump = "냉각수 펌프의 정기 점검 주기는 누적 운전시간 500시간마다입니다 [1].";
    assert!(addresses(
        "냉각수 펌프의 정기 점검 주기는 얼마인가요?",
        pump,
        &[&sop]
    ));
    assert!(addresses("점검 간격은?", "500시간마다입니다 [1].", &[&sop]));
    // The previous turn's answer, repeated for another question.
    assert!(!addresses(
        "화성 탐사 기지의 산소 발생기 필터 교체 주기는 얼마인가요?",
        pump,
        &[&sop]
    ));
    assert!(addresses(
        "What does error code E-2051 mean?",
        "Error code E-2051 means low coolant flow [1].",
        &[&chunk("c", "알람 E-2051: 냉각수 유량 부족")]
    ));
}

#[test]
fn a_short_answer_in_the_polite_register_is_supported() {
    let sources = vec![chunk("p", "임원 성과급 상한은 연봉의 40%이다.")];
    let checked = verify(
        "임원 성과급 상한은 연봉의 40%입니다. [1]",
        &sources,
        "임원 성과급 상한은 연봉의 몇 %인가요?",
    );
    assert!(checked.all_supported(), "{checked:?}");
    // The figure is still checked.
    assert!(!verify(
        "임원 성과급 상한은 연봉의 50%입니다. [1]",
        &sources,
        "임원 성과급 상한은?"
    )
    .any_supported());
}

#[test]
fn a_figure_from_another_row_of_the_table_is_not_supported() {
    let sop = chunk(
        "b",
        "| 점검 구분 | 주기 | 담당 |\n| --- | --- | --- |\n| 정기 점검 | 누적 운전시간 500시간마다 | 설비보전팀 |\n| 정밀 점검(분해) | 누적 운전시간 6,000시간 또는 18개월 중 먼저 도래하는 시점 | 설비보전팀 |",
    );
    let question = "냉각수 펌프의 정기 점검 주기는 얼마인가요?";
    // The 정밀 row's figures pinned on 정기 점검: the words all match.
    let wrong = verify(
        "정기 점검 주기는 누적 운전시간 6,000 시간 또는 18개월 중 먼저 도래하는 시점입니다 [1].",
        std::slice::from_ref(&sop),
        question,
    );
    assert!(!wrong.any_supported(), "{wrong:?}");
    let right = verify(
        "정기 점검 주기는 누적 운전시간 500시간마다입니다 [1].",
        std::slice::from_ref(&sop),
        question,
    );
    assert!(right.all_supported(), "{right:?}");
    // Naming no row, or the row the figure is in, is fine.
    assert!(figures_from_the_named_row(
        "분해 점검은 6,000시간마다입니다.",
        &["6000".into()],
        &sop.text
    ));
    assert!(figures_from_the_named_row(
        "정밀 점검은 6,000시간마다입니다.",
        &["6000".into()],
        &sop.text
    ));
}
