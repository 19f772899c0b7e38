//! Money amounts, Korean numerals included: 6조원, 3억 5천만 원, $1.2 million.
//! The term is `currency:value` in major units (`krw:350000000`), with
//! decimals only when the amount has them (`usd:1.25`).

use regex::{Captures, Regex};

use super::IdentifierKind as K;
use super::{char_after, compile, is_hangul, left_ok, right_ok, scan, Identifier, Retry, SP};

/// 1,234,000 or 1234, optionally with decimals (3.5억).
const NUM: &str = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.[0-9]{1,6})?";
/// Korean numeral units: 천만, 억, 5천 …
const KU: &str = "(?:[십백천]?[만억조]|[십백천])";
/// Values are kept in millionths so decimals stay exact.
const MICRO: u128 = 1_000_000;

#[derive(Debug)]
pub(super) struct Matchers {
    suffixed: Regex,
    prefixed: Regex,
    term: Regex,
}

impl Matchers {
    pub(super) fn new() -> Self {
        Self {
            // Number (Korean units allowed) then currency: 6조원, 3억 5천만 원,
            // 1,200달러, 1,200 usd. A currency is required: 3조 alone is
            // also "3 shifts", and a percentage is never an amount.
            suffixed: compile(&format!(
                r"(?P<body>{NUM}(?:{SP}{KU})?(?:{SP}{NUM}{SP}{KU}?){{0,4}}){SP}(?P<cur>원|달러|엔|위안|유로|파운드|usd|krw|eur|jpy|cny|gbp|dollars?|won)"
            )),
            // Currency then number: ₩5,000, usd 1,200, $1.2 million, $1조 3,000억.
            prefixed: compile(&format!(
                r"(?P<cur>us\$|\$|₩|€|£|¥|usd|krw|eur|jpy|cny|gbp){SP}(?P<body>{NUM}(?:{SP}{KU}(?:{SP}{NUM}{SP}{KU}?){{0,4}})?)(?P<c_scale>{SP}(?P<scale>million|billion|trillion|thousand|mn|bn|k|m))?"
            )),
            term: compile(&format!(
                r"(?P<num>{NUM}){SP}(?P<small>[십백천])?(?P<big>[만억조])?"
            )),
        }
    }

    pub(super) fn amounts(&self, text: &str, out: &mut Vec<Identifier>) {
        scan(&self.suffixed, text, K::Amount, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let body = c.name("body")?.as_str();
            let word = c.name("cur")?.as_str();
            let cur = currency(word)?;
            let value = self.value(body)?;
            let ok = left_ok(text, m.start())
                && right_ok(text, m.end())
                && won_plausible(cur, body)
                && (word != "원" || won_suffix_ok(small_plain(body), char_after(text, m.end())));
            ok.then(|| (m.start(), m.end(), vec![term(cur, value)]))
        });
        scan(&self.prefixed, text, K::Amount, Retry::NextChar, out, |c| {
            let m = c.get(0)?;
            let body = c.name("body")?;
            let cur = currency(c.name("cur")?.as_str())?;
            let value = self.value(body.as_str())?;
            // "$5 more" is $5, not $5 million: the scale word must end there.
            let scaled = scaled(c).filter(|&(end, _)| right_ok(text, end));
            let (end, value) = match scaled {
                Some((end, factor)) => (end, value.checked_mul(factor)?),
                None => (body.end(), value),
            };
            let ok = left_ok(text, m.start())
                && right_ok(text, end)
                && won_plausible(cur, body.as_str());
            ok.then(|| (m.start(), end, vec![term(cur, value)]))
        });
    }

    /// The value of a number with Korean units, in millionths. Thousands,
    /// hundreds and tens add up inside a myriad group (3천6백만 = 3600만);
    /// groups descend (3억 5천만, not 5천만 3억); every part must fit
    /// below the previous unit (3억 12000만 is not how anyone writes 4.2억);
    /// only the last part may lack a unit (1억 2345 원).
    fn value(&self, body: &str) -> Option<u128> {
        let parts: Vec<Captures<'_>> = self.term.captures_iter(body).collect();
        let mut covered = 0;
        let mut total: u128 = 0;
        let mut group: u128 = 0;
        // Exponents of the last myriad unit and of the last small unit in
        // the current group: each part must fit below them.
        let mut last_big: Option<u32> = None;
        let mut last_small: Option<u32> = None;
        for (i, part) in parts.iter().enumerate() {
            let whole = part.get(0)?;
            if !body.get(covered..whole.start())?.trim().is_empty() {
                return None;
            }
            covered = whole.end();
            let small = match part.name("small").map(|m| m.as_str()) {
                Some("십") => Some(1),
                Some("백") => Some(2),
                Some("천") => Some(3),
                _ => None,
            };
            let big = match part.name("big").map(|m| m.as_str()) {
                Some("만") => Some(4),
                Some("억") => Some(8),
                Some("조") => Some(12),
                _ => None,
            };
            if small.is_none() && big.is_none() && i + 1 != parts.len() {
                return None;
            }
            let coefficient =
                parse_micro(part.name("num")?.as_str())?.checked_mul(pow10(small.unwrap_or(0))?)?;
            if let Some(limit) = last_small {
                if coefficient >= pow10(limit)? * MICRO {
                    return None;
                }
            }
            group = group.checked_add(coefficient)?;
            last_small = small;
            let exponent = match big {
                Some(exponent) => exponent,
                None if i + 1 == parts.len() => 0,
                None => continue,
            };
            if let Some(previous) = last_big {
                if exponent >= previous || group >= pow10(previous - exponent)? * MICRO {
                    return None;
                }
            }
            total = total.checked_add(group.checked_mul(pow10(exponent)?)?)?;
            group = 0;
            last_big = Some(exponent);
            last_small = None;
        }
        (!parts.is_empty() && body.get(covered..)?.trim().is_empty()).then_some(total)
    }
}

/// The English scale word's end and factor, if there is one.
fn scaled(c: &Captures<'_>) -> Option<(usize, u128)> {
    let end = c.name("c_scale")?.end();
    let factor = match c.name("scale")?.as_str() {
        "thousand" | "k" => 1_000,
        "million" | "mn" | "m" => 1_000_000,
        "billion" | "bn" => 1_000_000_000,
        _ => 1_000_000_000_000,
    };
    Some((end, factor))
}

/// The won has no minor unit: 82.700원 is an OCR'd thousands separator,
/// '21.9원 a misread month. Decimals need a Korean unit (3.5억원).
fn won_plausible(currency: &str, body: &str) -> bool {
    currency != "krw" || !body.contains('.') || body.contains(['십', '백', '천', '만', '억', '조'])
}

/// One or two plain digits (3원칙, 4원소): then 원 may well start another
/// word, so only particles may follow.
fn small_plain(body: &str) -> bool {
    body.len() <= 2 && body.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the syllable after 원 leaves it a currency. After a small plain
/// number only particles and 원짜리, 원씩, 원대, 원권… may follow; after any
/// number a few words starting with 원 are refused (0.95 원고 in a table of
/// plaintiffs, 원심, 원칙).
fn won_suffix_ok(small_plain: bool, next: Option<char>) -> bool {
    const AFTER_WON: &str = "이을의은과와도만에으씩짜어대권가까정선및부로";
    const WON_WORDS: &str = "고심칙래소화문본형리론색";
    match next {
        Some(c) if is_hangul(c) => {
            !WON_WORDS.contains(c) && (!small_plain || AFTER_WON.contains(c))
        }
        _ => true,
    }
}

fn currency(word: &str) -> Option<&'static str> {
    Some(match word {
        "원" | "won" | "krw" | "₩" => "krw",
        "달러" | "dollar" | "dollars" | "usd" | "$" | "us$" => "usd",
        "엔" | "jpy" | "¥" => "jpy",
        "위안" | "cny" => "cny",
        "유로" | "eur" | "€" => "eur",
        "파운드" | "gbp" | "£" => "gbp",
        _ => return None,
    })
}

fn pow10(exponent: u32) -> Option<u128> {
    10u128.checked_pow(exponent)
}

/// "1,234.5" in millionths.
fn parse_micro(num: &str) -> Option<u128> {
    let digits: String = num.chars().filter(|&c| c != ',').collect();
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let int: u128 = int.parse().ok()?;
    let frac_micro: u128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").get(..6)?.parse().ok()?
    };
    int.checked_mul(MICRO)?.checked_add(frac_micro)
}

fn term(currency: &str, micro: u128) -> String {
    let (int, frac) = (micro / MICRO, micro % MICRO);
    if frac == 0 {
        format!("{currency}:{int}")
    } else {
        let frac = format!("{frac:06}");
        format!("{currency}:{int}.{}", frac.trim_end_matches('0'))
    }
}
