//! Latin/digit codes: part numbers, alarm codes, standards, ISINs, business
//! registration numbers.

use regex::{Captures, Regex};

use super::{char_after, compile, left_ok, right_ok, scan, Accepted, Identifier, Retry, SP};
use super::{is_hangul, IdentifierKind as K};

#[derive(Debug)]
pub(super) struct Matchers {
    part: Regex,
    part_excluded: Regex,
    alarm: Regex,
    alarm_spelled: Regex,
    standard: Regex,
    isin: Regex,
    business: Regex,
    business_labelled: Regex,
    tag_labelled: Regex,
}

impl Matchers {
    pub(super) fn new() -> Self {
        Self {
            // Alphanumeric groups joined by - or _; a dot only before a digit
            // (m8x1.25), so pn-4471-a.pdf and www.abc12.com stop at the dot.
            // Slashes are left out: they list alternatives (100v/220v).
            part: compile(r"[a-z0-9]+(?:[-_][a-z0-9]+|\.[0-9][a-z0-9]*)*"),
            // Shaped like part numbers but not codes: versions, fiscal
            // periods, pages (p214), areas and volumes (40m2, 7951.7km2),
            // dimensions (24x7, x1.00m).
            part_excluded: compile(
                r"^(?:v[0-9]+(?:\.[0-9]+)*|(?:fy|cy)?[0-9]{2,4}[-_]?[qh][1-4]|(?:fy|cy)[0-9]{2,4}|[qh][1-4][-_]?[0-9]{2,4}|pp?[0-9]{1,4}|[0-9][0-9.]*[a-z]{1,3}[23]|[0-9.]*x[0-9.]+[a-z]{0,2})$",
            ),
            // Vendor alarm prefixes glued or hyphenated to the number
            // (e-1023, e1023, err-12, al-203, alm-045, f0012).
            alarm: compile(r"(error|err|er|e|alarm|alm|al|fault|flt|f)[-_]?([0-9]{2,6})"),
            // The word spelled out, optionally with "code/코드" (alarm 1023,
            // 에러 코드 404, 알람 1023).
            alarm_spelled: compile(&format!(
                r"(alarm|error|fault|알람|경보|에러|오류|고장){SP}(code|no\.?|#|코드|번호)?{SP}:?{SP}([0-9]{{2,6}})"
            )),
            // Standards body (co-publishers with /), optional class letter
            // (ks c, jis b, astm a36), optional adopted standard (ks c iec …),
            // number with parts (61000-4-2), optional :year.
            standard: compile(&format!(
                r"(?P<org>(?:iso|iec|ieee|iatf|ks|jis|astm|din|en|ansi|ul|bs|nfpa|asme|sae|ipc|isa|kosha|ohsas|mil-std|itu-t)(?:/(?:iso|iec|ieee|isa|astm|en|din|asme|ansi|ks|jis|sae|ipc))*){SP}-?{SP}(?:(?P<cls>[a-z])[ \t-]?)?(?:(?P<inner>(?:iso|iec|en|ieee)(?:/(?:iso|iec|ieee))*)[ \t-]?)?(?P<num>[0-9]{{1,6}}(?:-[0-9]{{1,4}})*)(?::(?P<year>(?:19|20)[0-9]{{2}}))?"
            )),
            // Country code, 9 alphanumerics, check digit (verified below).
            isin: compile(r"[a-z]{2}[a-z0-9]{9}[0-9]"),
            // The printed form ddd-dd-ddddd (checksum verified below).
            business: compile(r"[0-9]{3}-[0-9]{2}-[0-9]{5}"),
            // Ten bare digits are too common (phone numbers, amounts): only
            // right after the label.
            business_labelled: compile(&format!(
                r"사업자{SP}(?:등록)?{SP}번호{SP}(?:[:은는]{SP})?([0-9]{{10}})"
            )),
            // Plant equipment tags too short for a part number (cmp-3,
            // tk-01, p-12a): only right after a label saying what they are,
            // since bare they look like prose (covid-19, utf-8).
            tag_labelled: compile(&format!(
                r"(?:설비|장비|기기|태그|tag|equipment|equip\.?){SP}(?:번호|no\.?|id|#)?{SP}:?{SP}([a-z]{{1,5}}-?[0-9]{{1,4}}[a-z]?)"
            )),
        }
    }

    pub(super) fn part_numbers(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(
            &self.part,
            text,
            K::PartNumber,
            Retry::AfterMatch,
            out,
            |c| {
                let m = c.get(0)?;
                let code = m.as_str();
                let shaped = is_part_number(code) && !self.part_excluded.is_match(code);
                let bounded = left_ok(text, m.start())
                    && (right_ok(text, m.end()) || file_extension_follows(text, m.end()))
                    // Not a mail address, not a percentage (cagr23.5%).
                    && !matches!(char_after(text, m.end()), Some('@' | '%'));
                let ok = shaped && bounded;
                ok.then(|| (m.start(), m.end(), vec![code.to_owned()]))
            },
        );
    }

    pub(super) fn alarm_codes(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(&self.alarm, text, K::AlarmCode, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let prefix = c.get(1)?.as_str();
            let digits = c.get(2)?.as_str();
            // A lone letter needs three digits: e-10, f-35 are not codes.
            let ok = left_ok(text, m.start())
                && right_ok(text, m.end())
                && (prefix.len() > 1 || digits.len() >= 3);
            ok.then(|| (m.start(), m.end(), vec![alarm_term(prefix, digits)]))
        });
        scan(
            &self.alarm_spelled,
            text,
            K::AlarmCode,
            Retry::NextChar,
            out,
            |c| {
                let m = c.get(0)?;
                let word = c.get(1)?.as_str();
                let digits = c.get(3)?.as_str();
                // Without "code" the number must look like one, and must not be
                // a count (오류 12건, 알람 100개).
                let ok = (word.is_ascii() || !char_before_is_hangul(text, m.start()))
                    && left_ok(text, m.start())
                    && right_ok(text, m.end())
                    && (c.get(2).is_some() || digits.len() >= 3)
                    && !counted(text, m.end());
                ok.then(|| (m.start(), m.end(), vec![alarm_term(word, digits)]))
            },
        );
    }

    pub(super) fn standards(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(
            &self.standard,
            text,
            K::Standard,
            Retry::NextChar,
            out,
            |c| {
                let m = c.get(0)?;
                let ok = left_ok(text, m.start()) && right_ok(text, m.end());
                let terms = standard_terms(c)?;
                ok.then(|| (m.start(), m.end(), terms))
            },
        );
    }

    pub(super) fn isins(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(&self.isin, text, K::Isin, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let code = m.as_str();
            let ok = left_ok(text, m.start())
                && right_ok(text, m.end())
                && ISIN_COUNTRIES.contains(&code.get(..2)?)
                && isin_check(code);
            ok.then(|| (m.start(), m.end(), vec![code.to_owned()]))
        });
    }

    pub(super) fn business_numbers(&self, text: &str, out: &mut Vec<Identifier>) {
        let accept = |m: regex::Match<'_>| -> Accepted {
            let digits: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).collect();
            let ok = left_ok(text, m.start()) && right_ok(text, m.end()) && business_check(&digits);
            let d = String::from_utf8_lossy(&digits).into_owned();
            let term = format!("{}-{}-{}", d.get(..3)?, d.get(3..5)?, d.get(5..)?);
            ok.then(|| (m.start(), m.end(), vec![term]))
        };
        scan(
            &self.business,
            text,
            K::BusinessNumber,
            Retry::NextChar,
            out,
            |c| accept(c.get(0)?),
        );
        scan(
            &self.business_labelled,
            text,
            K::BusinessNumber,
            Retry::NextChar,
            out,
            |c| accept(c.get(1)?),
        );
    }
}

impl Matchers {
    /// Labelled short tags; a tag shaped like a part number is left to
    /// that kind (same term, and it needs no label).
    pub(super) fn equipment_tags(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(
            &self.tag_labelled,
            text,
            K::EquipmentTag,
            Retry::NextChar,
            out,
            |c| {
                let label = c.get(0)?;
                let tag = c.get(1)?;
                let ok = left_ok(text, label.start())
                    && right_ok(text, tag.end())
                    && !is_part_number(tag.as_str());
                ok.then(|| (tag.start(), tag.end(), vec![tag.as_str().to_owned()]))
            },
        );
    }
}

/// A code with a letter and at least three digits where a letter is
/// followed by a digit (pn-4471, 6es7, ab12345): a unit after a number
/// (12.5kg, 100mm) or a word with a short number (covid-19, utf-8, mp3,
/// win10) is not a part number. A dot only joins digits (m8x1.25): after a
/// letter it is an abbreviation (no.1234, m.010-1234-5678, oecd.2008).
fn is_part_number(code: &str) -> bool {
    let alnum: Vec<u8> = code.bytes().filter(u8::is_ascii_alphanumeric).collect();
    let digits = alnum.iter().filter(|b| b.is_ascii_digit()).count();
    let letter_dot = code
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1] == b'.');
    !letter_dot
        && (4..=40).contains(&code.len())
        && digits >= 3
        && alnum
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_digit())
}

/// A drawing or document file named after the part (pn-4471-a.pdf): the
/// code is the name. Other dotted tails (abc123.com) are not codes.
fn file_extension_follows(text: &str, end: usize) -> bool {
    const EXTENSIONS: &[&str] = &[
        "pdf", "dwg", "dxf", "step", "stp", "igs", "iges", "stl", "xlsx", "xls", "docx", "doc",
        "hwp", "hwpx", "pptx", "ppt", "txt", "csv", "zip", "png", "jpg",
    ];
    let Some(rest) = text.get(end..).and_then(|r| r.strip_prefix('.')) else {
        return false;
    };
    let ext_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    rest.get(..ext_len)
        .is_some_and(|ext| EXTENSIONS.contains(&ext))
        && right_ok(text, end + 1 + ext_len)
}

/// Prefix families, so the spellings of one code meet: e-1023 = e1023 =
/// error 1023 = 에러 1023 → `e1023`; al/alm/alarm/알람/경보 → `al`;
/// f/flt/fault/고장 → `f`. Digits stay as written (e-1023 ≠ e-10234).
fn alarm_term(prefix: &str, digits: &str) -> String {
    let family = match prefix {
        "al" | "alm" | "alarm" | "알람" | "경보" => "al",
        "f" | "flt" | "fault" | "고장" => "f",
        _ => "e",
    };
    format!("{family}{digits}")
}

fn char_before_is_hangul(text: &str, i: usize) -> bool {
    super::char_before(text, i).is_some_and(is_hangul)
}

/// A counter or unit after the number (skipping spaces): 12건, 100 개, 3%.
fn counted(text: &str, end: usize) -> bool {
    const COUNTERS: &str = "건개회번차명년월일시분초세원곳대종배천만억조줄행쪽장%";
    let rest = text.get(end..).unwrap_or("");
    rest.trim_start()
        .chars()
        .next()
        .is_some_and(|c| COUNTERS.contains(c))
}

/// Canonical standard terms: the full designation (bodies, class, adopted
/// standard, number), then the adopted standard alone (ks c iec 61000-4-2
/// is iec 61000-4-2), then each co-publisher alone (iso/iec 27001 is
/// iso 27001); each with the year first when there is one.
fn standard_terms(c: &Captures<'_>) -> Option<Vec<String>> {
    let org = c.name("org")?.as_str();
    let cls = c.name("cls").map_or("", |m| m.as_str());
    let inner = c.name("inner").map_or("", |m| m.as_str());
    let num = c.name("num")?.as_str();
    let first_group = num.split('-').next().unwrap_or("");
    // Words that are also English (en, ul, bs…) need a longer number;
    // class letters only exist for some bodies.
    let short_org = matches!(org, "en" | "ul" | "bs" | "sae");
    let classed = matches!(org, "ks" | "jis" | "astm" | "ipc" | "sae" | "mil-std");
    if first_group.len() < 2
        || (short_org && first_group.len() < 3)
        || (!cls.is_empty() && !classed)
    {
        return None;
    }
    let mut bases = vec![format!("{org}{cls}{inner}{num}")];
    let publishers: Vec<&str> = if inner.is_empty() {
        org.split('/').collect()
    } else {
        bases.push(format!("{inner}{num}"));
        inner.split('/').collect()
    };
    if publishers.len() > 1 {
        bases.extend(publishers.iter().map(|p| format!("{p}{num}")));
    }
    let mut terms = Vec::new();
    if let Some(year) = c.name("year") {
        terms.extend(bases.iter().map(|b| format!("{b}:{}", year.as_str())));
    }
    terms.extend(bases);
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    Some(terms)
}

/// Country prefixes of ISINs met in Korean finance; a fixed list keeps 12
/// letters-and-digits words from passing on the 1-in-10 check digit alone.
const ISIN_COUNTRIES: &[&str] = &[
    "kr", "us", "jp", "cn", "hk", "tw", "sg", "gb", "de", "fr", "nl", "ch", "lu", "ie", "it", "es",
    "se", "be", "at", "dk", "fi", "no", "ca", "au", "nz", "in", "id", "my", "th", "ph", "vn", "br",
    "mx", "ky", "bm", "vg", "je", "gg", "xs", "eu",
];

/// ISIN check digit: letters become two digits (a = 10 … z = 35), then Luhn.
fn isin_check(code: &str) -> bool {
    let mut digits = Vec::with_capacity(24);
    for b in code.bytes() {
        match b {
            b'0'..=b'9' => digits.push(u32::from(b - b'0')),
            b'a'..=b'z' => {
                let v = u32::from(b - b'a') + 10;
                digits.extend([v / 10, v % 10]);
            }
            _ => return false,
        }
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// 사업자등록번호 check digit: weights 1,3,7,1,3,7,1,3,5, plus the ninth
/// digit × 5 / 10. Office code 000 does not exist (and 000-00-00000 passes
/// the arithmetic).
fn business_check(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 9] = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let d: Vec<u32> = digits.iter().map(|b| u32::from(b - b'0')).collect();
    if d.len() != 10 || d[..3] == [0, 0, 0] {
        return false;
    }
    let sum: u32 = d.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum::<u32>() + d[8] * 5 / 10;
    (10 - sum % 10) % 10 == d[9]
}
