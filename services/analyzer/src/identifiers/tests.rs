use tantivy_tokenizer_api::{TokenStream, Tokenizer};

use super::*;
use IdentifierKind as K;

/// (kind, first term, all terms) of everything found.
fn found(text: &str) -> Vec<(IdentifierKind, String)> {
    IdentifierExtractor::all()
        .extract(text)
        .into_iter()
        .map(|id| (id.kind, id.terms.join(" ")))
        .collect()
}

fn one(kind: IdentifierKind, terms: &str) -> Vec<(IdentifierKind, String)> {
    vec![(kind, terms.to_owned())]
}

#[test]
fn kind_names_round_trip() {
    for kind in IdentifierKind::ALL {
        assert_eq!(kind.as_str().parse::<IdentifierKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    let err = "part".parse::<IdentifierKind>().expect_err("not a kind");
    assert!(
        err.contains("part_number") && err.contains("amount"),
        "{err}"
    );
}

#[test]
fn part_numbers() {
    let ids = IdentifierExtractor::all().extract("설비 pn-4471-a의 점검 주기");
    assert_eq!(ids.len(), 1);
    assert_eq!(
        (ids[0].kind, ids[0].start, ids[0].end),
        (K::PartNumber, 7, 16)
    );
    assert_eq!(ids[0].terms, ["pn-4471-a"]);
    assert_eq!(
        found("도면 dwg-1234-01 참조"),
        one(K::PartNumber, "dwg-1234-01")
    );
    assert_eq!(
        found("plc 6es7-214-1ag40 교체"),
        one(K::PartNumber, "6es7-214-1ag40")
    );
    assert_eq!(found("모델 ab12345는"), one(K::PartNumber, "ab12345"));
    assert_eq!(found("pn-4471-a.pdf"), one(K::PartNumber, "pn-4471-a"));
    for prose in [
        "covid-19 이후",
        "utf-8 인코딩",
        "mp3 파일",
        "v1.2.3 배포",
        "fy2024 실적",
        "2024q1 매출",
        "무게 12.5kg 길이 100mm",
        "see www.abc123.com or ab1234@mail.com",
        "100v/220v 겸용",
        "no.1234",
        "abc123.com",
        "https://news.com/newsview/22ikusgs13/g001",
        "면적 40m2(0.6x0.9)",
        "m.010-9688-0087",
        "(2018, p214)",
        "cagr23.5%",
    ] {
        assert_eq!(found(prose), vec![], "{prose}");
    }
}

#[test]
fn equipment_tags_after_a_label() {
    assert_eq!(found("설비 cmp-3 · 고장"), one(K::EquipmentTag, "cmp-3"));
    assert_eq!(
        found("설비번호: tk-01의 점검"),
        one(K::EquipmentTag, "tk-01")
    );
    assert_eq!(found("tag p-12a 교체"), one(K::EquipmentTag, "p-12a"));
    // Long enough for a part number: that kind, same term, no label needed.
    assert_eq!(found("설비 p-101a"), one(K::PartNumber, "p-101a"));
    for prose in ["cmp-3 점검", "설비 12대", "hashtag p-12", "설비 cmp-3x1"] {
        assert_eq!(found(prose), vec![], "{prose}");
    }
}

#[test]
fn alarm_codes_share_a_spelling_and_keep_digits() {
    assert_eq!(found("e-1023이 발생"), one(K::AlarmCode, "e1023"));
    assert_eq!(found("e1023 발생"), one(K::AlarmCode, "e1023"));
    assert_eq!(found("e-10234 발생"), one(K::AlarmCode, "e10234"));
    assert_eq!(
        found("alm-045, al-203, err-12"),
        vec![
            (K::AlarmCode, "al045".into()),
            (K::AlarmCode, "al203".into()),
            (K::AlarmCode, "e12".into()),
        ]
    );
    assert_eq!(found("인버터 f0012 경고"), one(K::AlarmCode, "f0012"));
    assert_eq!(found("알람 1023 발생 시"), one(K::AlarmCode, "al1023"));
    assert_eq!(found("에러 코드 404"), one(K::AlarmCode, "e404"));
    assert_eq!(found("오류 120건, 알람 300개"), vec![]);
    assert_eq!(found("e-10 f-35"), vec![]);
}

#[test]
fn standards_most_specific_first() {
    assert_eq!(
        found("iso 9001:2015 인증"),
        one(K::Standard, "iso9001:2015 iso9001")
    );
    assert_eq!(found("iso-9001"), one(K::Standard, "iso9001"));
    assert_eq!(
        found("iso/iec 27001을"),
        one(K::Standard, "iso/iec27001 iso27001 iec27001")
    );
    assert_eq!(
        found("ks c iec 61000-4-2 시험"),
        one(K::Standard, "ksciec61000-4-2 iec61000-4-2")
    );
    assert_eq!(
        found("ks b 0601, astm a36, iatf 16949"),
        vec![
            (K::Standard, "ksb0601".into()),
            (K::Standard, "astma36".into()),
            (K::Standard, "iatf16949".into()),
        ]
    );
    assert_eq!(
        found("ansi/isa-95"),
        one(K::Standard, "ansi/isa95 ansi95 isa95")
    );
    assert_eq!(found("en 10204 3.1 성적서"), one(K::Standard, "en10204"));
}

#[test]
fn statute_articles() {
    assert_eq!(
        found("제3조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다"),
        one(K::StatuteArticle, "제3조")
    );
    assert_eq!(
        found("제13조 및 제30조"),
        vec![
            (K::StatuteArticle, "제13조".into()),
            (K::StatuteArticle, "제30조".into()),
        ]
    );
    assert_eq!(
        found("제3조 제2항 제1호에 따라"),
        one(K::StatuteArticle, "제3조제2항제1호 제3조제2항 제3조")
    );
    assert_eq!(found("제3조의2에"), one(K::StatuteArticle, "제3조의2"));
    assert_eq!(
        found("제3조의2제1항"),
        one(K::StatuteArticle, "제3조의2제1항 제3조의2")
    );
    assert_eq!(found("제3조의 규정"), one(K::StatuteArticle, "제3조"));
    assert_eq!(
        found("시행령제5조제1항제2호가목"),
        one(
            K::StatuteArticle,
            "제5조제1항제2호가목 제5조제1항제2호 제5조제1항 제5조"
        )
    );
    assert_eq!(found("부칙 제2조는"), one(K::StatuteArticle, "부칙제2조"));
    assert_eq!(
        found("시행령 제9조\n제3항"),
        one(K::StatuteArticle, "제9조제3항 제9조")
    );
    assert_eq!(found("같은 조 제2항에"), one(K::StatuteArticle, "제2항"));
    assert_eq!(
        found("제2항 제3항"),
        vec![
            (K::StatuteArticle, "제2항".into()),
            (K::StatuteArticle, "제3항".into()),
        ]
    );
    for prose in ["제3 조치", "과제 3호", "고리 제1호기", "제2항공"] {
        assert_eq!(found(prose), vec![], "{prose}");
    }
}

#[test]
fn document_numbers() {
    assert_eq!(
        found("공고 제2024-123호에"),
        one(K::DocumentNumber, "2024-123호")
    );
    assert_eq!(found("2024-0123호"), one(K::DocumentNumber, "2024-0123호"));
    assert_eq!(found("법률 제17799호"), one(K::DocumentNumber, "17799호"));
    assert_eq!(found("법률 제5813호)"), one(K::DocumentNumber, "5813호"));
    assert_eq!(
        found("서면-2019-법인-1234 참조"),
        one(K::DocumentNumber, "서면-2019-법인-1234")
    );
    assert_eq!(
        found("사전-2020-법령해석소득-0123"),
        one(K::DocumentNumber, "사전-2020-법령해석소득-0123")
    );
    assert_eq!(
        found("조심 2020서1234"),
        one(K::DocumentNumber, "조심2020서1234")
    );
    assert_eq!(
        found("대법원 2023다12345 판결"),
        one(K::DocumentNumber, "2023다12345")
    );
    assert_eq!(found("2021헌마123"), one(K::DocumentNumber, "2021헌마123"));
    assert_eq!(found("기준 2021년 12월"), one(K::Date, "2021-12"));
}

#[test]
fn overlaps_keep_the_longest() {
    // A date inside a document number is part of the number.
    assert_eq!(
        found("제2024-03-15호"),
        one(K::DocumentNumber, "2024-03-15호")
    );
    assert_eq!(
        found("고시 2024-03-15호의"),
        one(K::DocumentNumber, "2024-03-15호")
    );
    assert_eq!(
        found("고시 2024-0315호"),
        one(K::DocumentNumber, "2024-0315호")
    );
    // e1023 is both an alarm code and a part-number shape.
    assert_eq!(found("e1023-a"), one(K::PartNumber, "e1023-a"));
    // An ISIN is also a part-number shape.
    assert_eq!(found("kr7005930003"), one(K::Isin, "kr7005930003"));
}

#[test]
fn isin_check_digit() {
    assert_eq!(
        found("삼성전자 kr7005930003의"),
        one(K::Isin, "kr7005930003")
    );
    assert_eq!(found("us0378331005"), one(K::Isin, "us0378331005"));
    let only_isin = IdentifierExtractor::new(&[K::Isin]);
    assert_eq!(only_isin.extract("kr7005930004"), vec![]);
    assert_eq!(only_isin.extract("zz7005930003"), vec![]);
}

#[test]
fn business_number_checksum() {
    assert_eq!(
        found("사업자등록번호 124-81-00998"),
        one(K::BusinessNumber, "124-81-00998")
    );
    assert_eq!(
        found("사업자등록번호: 1248100998"),
        one(K::BusinessNumber, "124-81-00998")
    );
    assert_eq!(found("124-81-00997"), vec![]);
    assert_eq!(found("000-00-00000"), vec![]);
    assert_eq!(found("전화 1248100998"), vec![]);
}

#[test]
fn dates() {
    for text in [
        "2024-03-05",
        "2024.3.5",
        "2024. 3. 5.",
        "2024/03/05",
        "2024년 3월 5일에",
    ] {
        assert_eq!(found(text), one(K::Date, "2024-03-05"), "{text}");
    }
    assert_eq!(found("2024년 3월분"), one(K::Date, "2024-03"));
    let ids = IdentifierExtractor::all().extract("2024. 3. 5. 시행");
    assert_eq!((ids[0].start, ids[0].end), (0, 11));
    let ids = IdentifierExtractor::all().extract("시행일은 2024-03-05.");
    assert_eq!(
        &"시행일은 2024-03-05."[ids[0].start..ids[0].end],
        "2024-03-05"
    );
    for text in [
        "2024년에",
        "2024-13-05",
        "2023-02-29",
        "2024.3.5.1",
        "2024-03/05",
        "2024 - 03 - 05",
    ] {
        assert_eq!(found(text), vec![], "{text}");
    }
    assert_eq!(found("2024-02-29"), one(K::Date, "2024-02-29"));
}

#[test]
fn amounts() {
    assert_eq!(
        found("삼성전자의 2024년 영업이익은 6조원이다"),
        one(K::Amount, "krw:6000000000000")
    );
    for (text, term) in [
        ("6조 원", "krw:6000000000000"),
        ("1,234,000원", "krw:1234000"),
        ("3.5억원", "krw:350000000"),
        ("3억 5천만 원", "krw:350000000"),
        ("500만원씩", "krw:5000000"),
        ("1조 2,345억원", "krw:1234500000000"),
        ("$1.2 million", "usd:1200000"),
        ("usd 1,200", "usd:1200"),
        ("1,200달러", "usd:1200"),
        ("₩5,000", "krw:5000"),
        ("krw 5000", "krw:5000"),
        ("$1조 3,000억 규모", "usd:1300000000000"),
        ("$1.25", "usd:1.25"),
        ("$5 more", "usd:5"),
        ("3천6백만원", "krw:36000000"),
        ("1억2천만원", "krw:120000000"),
        ("5천 300원", "krw:5300"),
        ("1,120,863천 원", "krw:1120863000"),
        ("$9,000억 규모", "usd:900000000000"),
    ] {
        assert_eq!(found(text), one(K::Amount, term), "{text}");
    }
    assert_eq!(found("3원칙"), vec![]);
    assert_eq!(found("3.5% 증가"), vec![]);
    assert_eq!(found("3조 2교대"), vec![]);
    // Units out of order are not summed; the well-formed tail still counts.
    assert_eq!(found("5천만 3억원"), one(K::Amount, "krw:300000000"));
    assert_eq!(found("3억 12000만원"), one(K::Amount, "krw:120000000"));
    assert_eq!(found("4원소"), vec![]);
    assert_eq!(found("746,500 - 0.95 원고 1"), vec![]);
    assert_eq!(found("82.700원을"), vec![]);
}

#[test]
fn only_configured_kinds() {
    let parts = IdentifierExtractor::new(&[K::PartNumber, K::PartNumber]);
    assert_eq!(parts.kinds(), [K::PartNumber]);
    let ids = parts.extract("e1023 발생, 제3조");
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].terms, ["e1023"]);
}

#[test]
fn tokenizer_positions_and_offsets() {
    let mut tokenizer = IdentifierTokenizer::default();
    // Offsets point into the original (full-width, upper-case) text.
    let text = "ＰＮ－４４７１－Ａ와 ISO 9001:2015, 제3조 제2항";
    let mut stream = tokenizer.token_stream(text);
    let mut tokens = Vec::new();
    while let Some(t) = stream.next() {
        let span = &text[t.offset_from..t.offset_to];
        tokens.push((t.position, t.text.clone(), span.to_owned()));
    }
    assert_eq!(
        tokens,
        [
            (0, "pn-4471-a".into(), "ＰＮ－４４７１－Ａ".into()),
            (1, "iso9001:2015".into(), "ISO 9001:2015".into()),
            (1, "iso9001".into(), "ISO 9001:2015".into()),
            (2, "제3조제2항".into(), "제3조 제2항".into()),
            (2, "제3조".into(), "제3조 제2항".into()),
        ]
    );
    assert!(tokenizer.token_stream("설비 점검 주기").next().is_none());
}
