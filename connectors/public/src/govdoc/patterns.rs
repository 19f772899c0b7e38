//! The patterns a Korean government document states itself in, applied
//! to its units (see the module above). Each kind of document has its own
//! reader; the first whose marker is present wins.

use std::sync::LazyLock;

use regex::Regex;

use super::Stated;

/// Only the head and the tail of a long document are read: that is where
/// a document states its number, date, title and sender.
const HEAD_UNITS: usize = 60;
const TAIL_UNITS: usize = 30;

struct Patterns {
    /// `서울특별시 강남구 공고 제2023-745호`.
    notice: Regex,
    /// `2023년 3월 24일`, `2024. 1. 2.`, `2024.01.02`, `2024-01-02`.
    date: Regex,
    /// A unit that is a date and nothing else (a weekday, time allowed).
    date_only: Regex,
    /// `시행 총무과-1234 (2024. 1. 2.)`, `문서번호 : 정보공개과-567`.
    dispatch: Regex,
    /// `서울특별시 강남구청장`, `문화체육관광부장관`: the 발신명의.
    sender: Regex,
    /// `제 목 : …`, `[ 제    목 ]`.
    subject: Regex,
    /// `- 4·19민주묘지에 울려퍼지는 -`: a subtitle leading a title line.
    lead: Regex,
    /// `강 북 구 청 (문화관광체육과)`: the agency with its department.
    office: Regex,
    /// A 질의회신's `문서번호` label with its value in the same unit.
    ruling_no: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        notice: Regex::new(r"^(.{0,40}?)\s*공\s*고\s*제\s*(\d{2,4})\s*[-–]\s*(\d{1,6})\s*호").ok()?,
        date: Regex::new(
            r"(\d{4})\s*(?:년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일|[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})(?:\D|$))",
        )
        .ok()?,
        date_only: Regex::new(
            r"^\d{4}\s*(?:년\s*\d{1,2}\s*월\s*\d{1,2}\s*일|[.\-/]\s*\d{1,2}\s*[.\-/]\s*\d{1,2}\.?)\s*(?:\(\S\))?\s*(?:\d{1,2}:\d{2})?\.?$",
        )
        .ok()?,
        dispatch: Regex::new(
            r"(?:시\s*행|문\s*서\s*번\s*호)\s*[:：]?\s*([가-힣A-Za-z0-9ㆍ·]{2,30}\s?-\s?\d{1,7})",
        )
        .ok()?,
        sender: Regex::new(
            r"^([가-힣]{2,12}(?:\s[가-힣]{1,12}){0,3}?)\s?(구청장|시장|군수|도지사|교육감|장관|청장|처장|위원장|원장|이사장|본부장|총장)(?:\s*\(직인생략\))?$",
        )
        .ok()?,
        subject: Regex::new(r"^\[?\s*제\s*목\s*\]?\s*[:：]?\s*(.*)$").ok()?,
        lead: Regex::new(r"^-\s[^-]{1,60}\s-\s*").ok()?,
        office: Regex::new(r"^([가-힣][가-힣 ]{1,29}?)\s*\(([가-힣 ]{2,20})\)$").ok()?,
        ruling_no: Regex::new(r"^\[?\s*문\s*서\s*번\s*호\s*\]?\s*[:：]?\s*(.*)$").ok()?,
    })
});

pub(crate) fn read(units: &[String]) -> Stated {
    let Some(p) = PATTERNS.as_ref() else {
        return Stated::default();
    };
    let head = &units[..units.len().min(HEAD_UNITS)];
    let tail = &units[units.len().saturating_sub(TAIL_UNITS)..];
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    if is_ruling(head) {
        return ruling(p, head);
    }
    if head.iter().any(|u| press_marker(u).is_some()) {
        return press_release(p, head);
    }
    if let Some(stated) = notice(p, head, tail) {
        return stated;
    }
    if head.iter().any(|u| compact(u).contains("제안요청서")) {
        return proposal_request(p, head, tail);
    }
    official_letter(p, head, tail)
}

/// `20240102`, `2024-01-02`, `2024. 1. 2.`, `2024년 1월 2일` → `2024-01-02`;
/// none for anything else or an impossible month or day.
pub(crate) fn normalise_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(&raw[..4], &raw[4..6], &raw[6..]);
    }
    let p = PATTERNS.as_ref()?;
    let c = p.date.captures(raw)?;
    let (m, d) = match (c.get(2), c.get(3)) {
        (Some(m), Some(d)) => (m, d),
        _ => (c.get(4)?, c.get(5)?),
    };
    ymd(c.get(1)?.as_str(), m.as_str(), d.as_str())
}

fn ymd(y: &str, m: &str, d: &str) -> Option<String> {
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// The first date stated anywhere in `units`.
fn first_date(units: &[String]) -> Option<String> {
    units.iter().find_map(|u| normalise_date(u))
}

/// `서울특별시 강남구청장` → `서울특별시 강남구`; `문화체육관광부장관` →
/// `문화체육관광부`. The last such line of `units` (the 발신명의 closes a
/// document).
fn sender_agency(p: &Patterns, units: &[String]) -> Option<String> {
    units.iter().rev().find_map(|u| {
        let c = p.sender.captures(u)?;
        let name = c.get(1)?.as_str().trim();
        let office = c.get(2)?.as_str();
        // 강남구청장 → 강남구; 서울특별시장 → 서울특별시.
        Some(match office {
            "구청장" | "청장" if name.ends_with('구') || name.ends_with('시') => {
                name.to_string()
            }
            "시장" | "도지사" | "군수" | "장관" | "처장" | "청장" => {
                let suffix = match office {
                    "시장" => "시",
                    "도지사" => "도",
                    "군수" => "군",
                    "청장" => "청",
                    "처장" => "처",
                    _ => "",
                };
                if name.ends_with(suffix) {
                    name.to_string()
                } else {
                    format!("{name}{suffix}")
                }
            }
            _ => format!("{name}{office}"),
        })
    })
}

/// A unit that reads like a title: not a sentence, date, label or number.
fn title_like(p: &Patterns, unit: &str) -> bool {
    let chars = unit.chars().count();
    (6..=120).contains(&chars)
        && !unit.ends_with("다.")
        && !p.date_only.is_match(unit)
        && !p.notice.is_match(unit)
        && !p.sender.is_match(unit)
        && !unit.starts_with(['-', '※', '○', '□', '■', '(', '[', '<', '*'])
        && !unit.starts_with(|c: char| c.is_ascii_digit() && !unit.starts_with("20"))
}

/// 공고 / 입법예고 / 입찰공고: `○○ 공고 제2023-745호`.
fn notice(p: &Patterns, head: &[String], tail: &[String]) -> Option<Stated> {
    let (at, caps) = head
        .iter()
        .enumerate()
        .find_map(|(i, u)| p.notice.captures(u).map(|c| (i, c)))?;
    let issuer = caps.get(1).map_or("", |m| m.as_str()).trim();
    let number = format!(
        "{}공고 제{}-{}호",
        if issuer.is_empty() {
            String::new()
        } else {
            format!("{issuer} ")
        },
        caps.get(2).map_or("", |m| m.as_str()),
        caps.get(3).map_or("", |m| m.as_str()),
    );
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    let doc_type = if head.iter().any(|u| compact(u).contains("입찰공고")) {
        "입찰공고"
    } else {
        "공고"
    };
    // The title is the first title-like unit after the number that is not
    // the notice's own kind (`입 법 예 고`).
    let title = head[at + 1..]
        .iter()
        .find(|u| {
            title_like(p, u) && !matches!(compact(u).as_str(), "입법예고" | "공고" | "입찰공고")
        })
        .cloned();
    let agency = (!issuer.is_empty())
        .then(|| issuer.to_string())
        .or_else(|| sender_agency(p, head))
        .or_else(|| sender_agency(p, tail));
    let date = head
        .iter()
        .find(|u| p.date_only.is_match(u))
        .and_then(|u| normalise_date(u));
    Some(Stated {
        doc_type: Some(doc_type),
        doc_number: Some(number),
        agency,
        date,
        title,
    })
}

/// 보도자료: the ministry above the word, 보도시점 (else 배포) as the date,
/// the headline as the title.
fn press_release(p: &Patterns, head: &[String]) -> Stated {
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    let (marker, kind, before) = head
        .iter()
        .enumerate()
        .find_map(|(i, u)| press_marker(u).map(|(kind, before)| (i, kind, before)))
        .unwrap_or((0, "보도자료", String::new()));
    let agency = Some(before).filter(|b| is_agency_name(b)).or_else(|| {
        head[..marker]
            .iter()
            .rev()
            .find(|u| is_agency_name(u))
            .cloned()
    });
    // The date follows its label, in the same unit or the next ones.
    let dated = |label: &str| {
        let at = head.iter().position(|u| compact(u).contains(label))?;
        normalise_date(&head[at]).or_else(|| {
            head[at + 1..]
                .iter()
                .take(2)
                .find_map(|u| normalise_date(u))
        })
    };
    let date = dated("보도시점")
        .or_else(|| dated("보도일시"))
        .or_else(|| dated("배포"));
    let labels = [
        "보도시점",
        "보도일시",
        "배포",
        "엠바고",
        "보도자료",
        "보도참고자료",
    ];
    let title = head[marker + 1..]
        .iter()
        .find(|u| {
            let c = compact(u);
            title_like(p, u)
                && !labels.iter().any(|l| c.starts_with(l))
                && normalise_date(u).is_none_or(|_| c.chars().count() > 20)
                && Some(*u) != agency.as_ref()
        })
        .cloned();
    Stated {
        doc_type: Some(kind),
        doc_number: None,
        agency,
        date,
        title,
    }
}

/// `보도자료` or `보도참고자료` alone or after the ministry's name
/// (`문화체육관광부 보도자료`): the kind and what precedes it.
fn press_marker(unit: &str) -> Option<(&'static str, String)> {
    ["보도참고자료", "보도자료"].into_iter().find_map(|kind| {
        let before = unit.strip_suffix(kind)?.trim();
        (before.is_empty() || is_agency_name(before)).then(|| (kind, before.to_string()))
    })
}

/// A unit that is only an agency's name: `문화체육관광부`, `서울특별시
/// 강남구`, `국세청`, `행정안전부 지방재정국`.
fn is_agency_name(unit: &str) -> bool {
    let chars = unit.chars().count();
    (2..=30).contains(&chars)
        && unit.chars().all(|c| ('가'..='힣').contains(&c) || c == ' ')
        && [
            "부",
            "처",
            "청",
            "원",
            "위원회",
            "시",
            "도",
            "군",
            "구",
            "공단",
            "공사",
        ]
        .iter()
        .any(|s| unit.ends_with(s))
}

/// The bracketed labels of a 국세청 질의회신 (`[ 문서번호 ]`, `[ 세 목 ]`,
/// `[ 제    목 ]`, `[ 요 지 ]`, `[ 회 신 ]`): two of them make one.
fn is_ruling(head: &[String]) -> bool {
    const LABELS: [&str; 6] = [
        "[문서번호]",
        "[세목]",
        "[제목]",
        "[요지]",
        "[회신]",
        "[관련법령]",
    ];
    let mut seen: Vec<String> = head
        .iter()
        .map(|u| u.split_whitespace().collect::<String>())
        .filter(|u| LABELS.contains(&u.as_str()))
        .collect();
    seen.sort();
    seen.dedup();
    seen.len() >= 2
}

/// 국세청 질의회신: labelled `[문서번호]`, `[제목]`; the value is in the
/// same unit or the next.
fn ruling(p: &Patterns, head: &[String]) -> Stated {
    let labelled = |re: &Regex| {
        let at = head.iter().position(|u| re.is_match(u))?;
        let same = re
            .captures(&head[at])
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().trim().to_string())
            .filter(|v| !v.is_empty());
        same.or_else(|| head.get(at + 1).cloned())
    };
    let doc_number = labelled(&p.ruling_no);
    let date = doc_number.as_deref().and_then(normalise_date);
    Stated {
        doc_type: Some("질의회신"),
        doc_number,
        agency: None,
        date,
        title: labelled(&p.subject),
    }
}

/// 제안요청서 (RFP): the project name as the title, the ordering agency.
fn proposal_request(p: &Patterns, head: &[String], tail: &[String]) -> Stated {
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    // The first unit naming the document, without a `- 부제 -` lead.
    let title = head
        .iter()
        .find(|u| compact(u).contains("제안요청서") && compact(u) != "제안요청서")
        .map(|u| p.lead.replace(u, "").trim().to_string())
        .or_else(|| head.iter().find(|u| title_like(p, u)).cloned());
    let office = head.iter().find_map(|u| {
        let c = p.office.captures(u)?;
        let name = c.get(1)?.as_str().trim();
        // `강 북 구 청` is letter-spaced for layout: read as one word.
        let name = if name.split(' ').all(|w| w.chars().count() == 1) {
            compact(name)
        } else {
            name.to_string()
        };
        is_agency_name(&name).then_some(name)
    });
    Stated {
        doc_type: Some("제안요청서"),
        doc_number: None,
        agency: office
            .or_else(|| sender_agency(p, head))
            .or_else(|| sender_agency(p, tail))
            .or_else(|| head.iter().find(|u| is_agency_name(u)).cloned()),
        date: first_date(head),
        title,
    }
}

/// 공문: `시행 총무과-1234 (2024. 1. 2.)`, `제목 …`, the 발신명의; only
/// when at least the number or the subject is there.
fn official_letter(p: &Patterns, head: &[String], tail: &[String]) -> Stated {
    let all = || head.iter().chain(tail.iter());
    let dispatch = all().find_map(|u| {
        let c = p.dispatch.captures(u)?;
        let number = c.get(1)?.as_str().split_whitespace().collect::<String>();
        Some((number, normalise_date(&u[c.get(0)?.end()..])))
    });
    let title = head
        .iter()
        .find_map(|u| {
            p.subject
                .captures(u)?
                .get(1)
                .map(|m| m.as_str().trim().to_string())
        })
        .filter(|t| !t.is_empty());
    if dispatch.is_none() && title.is_none() {
        return Stated::default();
    }
    let (doc_number, date) = dispatch.map_or((None, None), |(n, d)| (Some(n), d));
    Stated {
        doc_type: Some("공문"),
        doc_number,
        agency: sender_agency(p, tail).or_else(|| sender_agency(p, head)),
        date,
        title,
    }
}
