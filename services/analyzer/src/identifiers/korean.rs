//! Korean references: statute articles, document and case numbers, dates.

use regex::{Captures, Regex};

use super::{char_after, Identifier, IdentifierKind as K, Retry, SP};
use super::{char_before, compile, is_hangul, left_ok, particle_ok, right_ok, scan};

#[derive(Debug)]
pub(super) struct Matchers {
    statute: Regex,
    numbered: Regex,
    ruling: Regex,
    tribunal: Regex,
    court: Regex,
    date: Regex,
    date_ko: Regex,
}

impl Matchers {
    pub(super) fn new() -> Self {
        Self {
            // 제N조(의M) / 제N항 / 제N호, then optional lower levels
            // (항, 호(의M), 가목); 제 may be dropped below the first level
            // (제3조 2항). Which level may follow which is checked below.
            statute: compile(&format!(
                r"(?:(?P<bu>부칙){SP})?제{SP}(?P<n>[0-9]{{1,4}}){SP}(?P<unit>조|항|호)(?:의(?P<ui>[0-9]{{1,3}}))?(?P<c_hang>{SP}제?{SP}(?P<hang>[0-9]{{1,3}}){SP}항)?(?P<c_ho>{SP}제?{SP}(?P<ho>[0-9]{{1,3}}){SP}호(?:의(?P<houi>[0-9]{{1,3}}))?)?(?P<c_mok>{SP}(?P<mok>[가나다라마바사아자차카타파하]){SP}목)?"
            )),
            // Numbered official documents and laws: 제2024-123호, 제2024-03-15호,
            // 2024-0123호, 법률 제17799호 (four digits and more: 제1호 is
            // a statute item).
            numbered: compile(&format!(
                r"(?P<je>제{SP})?(?P<a>[0-9]{{2,4}}(?:-[0-9]{{1,6}}){{1,2}}){SP}호|(?P<je2>제{SP})(?P<c>[0-9]{{4,7}}){SP}호"
            )),
            // Tax rulings: 서면-2019-법인-1234, 사전-2020-법령해석소득-0123,
            // 기준-2021-법무소득-0012 (hyphens required: 기준 2021년 12 is prose).
            ruling: compile(&format!(
                r"(서면|사전|기준|법규|질의|심사|감심){SP}-{SP}[0-9]{{4}}{SP}-{SP}(?:[가-힣]{{1,15}}{SP}-{SP})?[0-9]{{1,6}}"
            )),
            // Tax tribunal decisions: 조심2020서1234 (regional letter).
            tribunal: compile(&format!(
                r"(조심|국심){SP}[0-9]{{4}}{SP}[서중부광전인경구대]{SP}[0-9]{{1,6}}"
            )),
            // Court case numbers: year + case type + serial (2023다12345,
            // 2021헌마123), glued as courts write them.
            court: compile(
                r"(?P<y>[0-9]{4}|[0-9]{2})(?:가합|가단|가소|구합|구단|고합|고단|고정|카합|카단|헌가|헌나|헌마|헌바|헌라|재다|다|나|두|누|도|노|마|므|르|드|후|허|라|그|스|브)(?P<n>[0-9]{1,7})",
            ),
            // 2024-03-05, 2024.3.5, 2024/03/05, 2024. 3. 5. (one separator
            // throughout; spaces only with dots, checked below).
            date: compile(&format!(
                r"(?P<y>[0-9]{{4}})(?P<s1>[-./]){SP}(?P<m>[0-9]{{1,2}})(?P<s2>[-./]){SP}(?P<d>[0-9]{{1,2}})(?P<dot>\.)?"
            )),
            // 2024년 3월 5일, 2024년 3월 (a year alone is not a date).
            date_ko: compile(&format!(
                r"(?P<y>[0-9]{{4}}){SP}년{SP}(?P<m>[0-9]{{1,2}}){SP}월(?:{SP}(?P<d>[0-9]{{1,2}}){SP}일)?"
            )),
        }
    }

    pub(super) fn statutes(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(
            &self.statute,
            text,
            K::StatuteArticle,
            Retry::NextChar,
            out,
            |c| {
                let start = c.get(0)?.start();
                let (end, terms) = statute_terms(c)?;
                let ok = je_left_ok(text, start) && particle_ok(char_after(text, end));
                ok.then_some((start, end, terms))
            },
        );
    }

    pub(super) fn documents(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(
            &self.numbered,
            text,
            K::DocumentNumber,
            Retry::NextChar,
            out,
            |c| {
                let m = c.get(0)?;
                let number = c.name("a").or_else(|| c.name("c"))?;
                let term = format!("{}호", number.as_str());
                let starts_je = c.name("je").is_some() || c.name("je2").is_some();
                let ok = if starts_je {
                    je_left_ok(text, m.start())
                } else {
                    left_ok(text, m.start())
                } && particle_ok(char_after(text, m.end()));
                ok.then(|| (m.start(), m.end(), vec![term]))
            },
        );
        for re in [&self.ruling, &self.tribunal] {
            scan(re, text, K::DocumentNumber, Retry::NextChar, out, |c| {
                let m = c.get(0)?;
                let ok = !char_before(text, m.start()).is_some_and(is_hangul)
                    && left_ok(text, m.start())
                    && right_ok(text, m.end());
                let term: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
                ok.then(|| (m.start(), m.end(), vec![term]))
            });
        }
        scan(
            &self.court,
            text,
            K::DocumentNumber,
            Retry::NextChar,
            out,
            |c| {
                let m = c.get(0)?;
                let year = c.name("y")?.as_str();
                let serial = c.name("n")?.as_str();
                // Four-digit years from the courts' founding on; two-digit years
                // (old cases) only with a longer serial.
                let plausible = match year.len() {
                    4 => year
                        .parse::<u32>()
                        .is_ok_and(|y| (1948..=2099).contains(&y)),
                    _ => serial.len() >= 3,
                };
                let ok = plausible && left_ok(text, m.start()) && right_ok(text, m.end());
                ok.then(|| (m.start(), m.end(), vec![m.as_str().to_owned()]))
            },
        );
    }

    pub(super) fn dates(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(&self.date, text, K::Date, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let sep = c.name("s1")?.as_str();
            let day = c.name("d")?;
            // The final dot belongs to the date only in dotted style
            // (2024. 3. 5.); elsewhere it ends the sentence.
            let end = match c.name("dot") {
                Some(dot) if sep == "." => dot.end(),
                _ => day.end(),
            };
            let spaced = m.as_str().contains(char::is_whitespace);
            let ok = sep == c.name("s2")?.as_str()
                && (sep == "." || !spaced)
                && left_ok(text, m.start())
                && right_ok(text, end);
            let term = date_term(
                c.name("y")?.as_str(),
                c.name("m")?.as_str(),
                Some(day.as_str()),
            )?;
            ok.then(|| (m.start(), end, vec![term]))
        });
        scan(&self.date_ko, text, K::Date, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let term = date_term(
                c.name("y")?.as_str(),
                c.name("m")?.as_str(),
                c.name("d").map(|d| d.as_str()),
            )?;
            let ok = left_ok(text, m.start()) && right_ok(text, m.end());
            ok.then(|| (m.start(), m.end(), vec![term]))
        });
    }
}

/// `제` glued to a preceding syllable is fine (시행령제3조), but with a space
/// after it, it ends another word: 체제 3조원, 과제 3호.
fn je_left_ok(text: &str, start: usize) -> bool {
    let glued_word = char_before(text, start).is_some_and(is_hangul);
    let spaced = text
        .get(start..)
        .and_then(|s| s.strip_prefix('제'))
        .is_some_and(|s| s.starts_with(char::is_whitespace));
    left_ok(text, start) && !(glued_word && spaced)
}

/// The span end and the hierarchical terms, most specific first. Levels
/// must descend (조 > 항 > 호 > 목); the match is cut at the first level
/// out of order (제2항 제3항 keeps 제2항).
fn statute_terms(c: &Captures<'_>) -> Option<(usize, Vec<String>)> {
    let unit = c.name("unit")?;
    let sub = c.name("ui");
    // Articles run into the thousands; a four-digit 항/호 is a law or
    // document number (법률 제5813호).
    let long = c.name("n")?.as_str().len() > 3;
    let malformed = match unit.as_str() {
        "조" => false,
        "항" => long || sub.is_some(),
        _ => long,
    };
    if malformed {
        return None;
    }
    let mut end = sub.map_or(unit.end(), |s| s.end());
    let mut level = match unit.as_str() {
        "조" => 0,
        "항" => 1,
        _ => 2,
    };
    let mut head = format!("제{}{}", c.name("n")?.as_str(), unit.as_str());
    if let Some(s) = sub {
        head.push_str(&format!("의{}", s.as_str()));
    }
    if c.name("bu").is_some() {
        head.insert_str(0, "부칙");
    }
    let mut parts = vec![head];
    if let (Some(whole), Some(n), true) = (c.name("c_hang"), c.name("hang"), level < 1) {
        parts.push(format!("제{}항", n.as_str()));
        end = whole.end();
        level = 1;
    }
    if let (Some(whole), Some(n)) = (c.name("c_ho"), c.name("ho")) {
        if level < 2 && end == whole.start() {
            let ui = c
                .name("houi")
                .map_or(String::new(), |s| format!("의{}", s.as_str()));
            parts.push(format!("제{}호{ui}", n.as_str()));
            end = whole.end();
            level = 2;
        }
    }
    if let (Some(whole), Some(m)) = (c.name("c_mok"), c.name("mok")) {
        if level == 2 && end == whole.start() {
            parts.push(format!("{}목", m.as_str()));
            end = whole.end();
        }
    }
    let terms = (1..=parts.len())
        .rev()
        .map(|n| parts[..n].concat())
        .collect();
    Some((end, terms))
}

/// `yyyy-mm-dd` or `yyyy-mm`, for real calendar dates of 1900–2099.
fn date_term(year: &str, month: &str, day: Option<&str>) -> Option<String> {
    let y: u32 = year.parse().ok()?;
    let m: u32 = month.parse().ok()?;
    if !(1900..=2099).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let Some(day) = day else {
        return Some(format!("{y:04}-{m:02}"));
    };
    let d: u32 = day.parse().ok()?;
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days)
        .contains(&d)
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}
