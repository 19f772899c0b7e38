//! Typed identifiers cut into exact-match terms: the identifier lane of
//! lexical search.
//!
//! Analyzers mangle identifiers (PN-4471-A falls apart into `pn`, `4471`,
//! `a`; the bigrams of 제3조 also occur in 제13조), so they are extracted whole
//! into an exact-match field: at index time from chunk text, at query time
//! from the question. A query identifier is a hard requirement, so every
//! pattern prefers precision to recall: a false identifier in a query throws
//! good documents out.
//!
//! Terms are canonical (lowercase, no spaces) and most specific first: the
//! index stores all of them, a query needs the first. A query for 제3조 thus
//! finds 제3조제2항, one for 제3조제2항 does not find every 제3조.
//!
//! | kind | examples | terms |
//! |---|---|---|
//! | `part_number` | pn-4471-a, dwg-1234-01, 6es7-214-1ag40, ab12345, m8x1.25 | `pn-4471-a` (the whole code, never a prefix) |
//! | `equipment_tag` | 설비 cmp-3, 설비번호: tk-01, tag p-12a (short tags, only after a label; longer ones are part numbers) | `cmp-3` |
//! | `alarm_code` | e-1023, e1023, err-12, al-203, alm-045, f0012, 알람 1023, 에러 코드 404 | `e1023`, `e12`, `al203`, `al045`, `f0012`, `al1023`, `e404` |
//! | `standard` | iso 9001:2015, iso/iec 27001, ks c iec 61000-4-2, astm a36 | `iso9001:2015`, `iso9001`; `iso/iec27001`, `iso27001`, `iec27001`; `ksciec61000-4-2`, `iec61000-4-2`; `astma36` |
//! | `statute_article` | 제3조 제2항 제1호, 제3조의2, 제5조제1항제2호가목, 부칙 제2조, 제2항 | `제3조제2항제1호`, `제3조제2항`, `제3조`; `제3조의2`; …`제5조`; `부칙제2조`; `제2항` |
//! | `document_number` | 제2024-123호, 법률 제17799호, 서면-2019-법인-1234, 조심2020서1234, 2023다12345, 2021헌마123 | `2024-123호`, `17799호`, `서면-2019-법인-1234`, `조심2020서1234`, `2023다12345` |
//! | `isin` | kr7005930003 (known country, check digit) | `kr7005930003` |
//! | `business_number` | 124-81-00998; ten bare digits only after 사업자(등록)번호 (checksum) | `124-81-00998` |
//! | `date` | 2024-03-05, 2024.3.5, 2024. 3. 5., 2024/03/05, 2024년 3월 5일, 2024년 3월 | `2024-03-05`, `2024-03` |
//! | `amount` | 6조원, 3억 5천만 원, 1,234,000원, $1.2 million, usd 1,200, ₩5,000, $1조 3,000억 | `krw:6000000000000`, `krw:350000000`, `usd:1200000` |
//!
//! Deliberately not identifiers: a bare year (2024년), a month without a
//! year, a number without a currency (6조), percentages, versions (v1.2),
//! words with short numbers (covid-19, utf-8, mp3), measurements (12.5kg,
//! 40m2), fiscal periods (fy2024, 2024q1), phone numbers, URLs.
//!
//! Input is normalised text (NFKC, lowercase); the patterns are written for
//! it. Korean particles may be glued after an identifier (pn-4471-a의,
//! 제3조에, 6조원이다): boundaries are checked by hand, not with `\b`, which
//! sees no boundary between a Latin letter and Hangul.

mod amount;
mod codes;
mod korean;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use regex::{Captures, Regex};
use tantivy_tokenizer_api::{Token, Tokenizer};

use crate::normalize::Normalized;

/// What an identifier is; the operator picks the kinds per domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKind {
    PartNumber,
    AlarmCode,
    Standard,
    StatuteArticle,
    DocumentNumber,
    Isin,
    BusinessNumber,
    Date,
    Amount,
    EquipmentTag,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 10] = [
        Self::PartNumber,
        Self::AlarmCode,
        Self::Standard,
        Self::StatuteArticle,
        Self::DocumentNumber,
        Self::Isin,
        Self::BusinessNumber,
        Self::Date,
        Self::Amount,
        Self::EquipmentTag,
    ];

    /// The name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartNumber => "part_number",
            Self::AlarmCode => "alarm_code",
            Self::Standard => "standard",
            Self::StatuteArticle => "statute_article",
            Self::DocumentNumber => "document_number",
            Self::Isin => "isin",
            Self::BusinessNumber => "business_number",
            Self::Date => "date",
            Self::Amount => "amount",
            Self::EquipmentTag => "equipment_tag",
        }
    }

    /// Tie-break between overlapping matches of equal length: checksummed
    /// and keyword-anchored kinds are surer than the generic part-number
    /// shape (e1023 is an alarm code before it is a part number).
    fn rank(self) -> u8 {
        match self {
            Self::Isin => 0,
            Self::BusinessNumber => 1,
            Self::Standard => 2,
            Self::StatuteArticle => 3,
            Self::DocumentNumber => 4,
            Self::Date => 5,
            Self::Amount => 6,
            Self::AlarmCode => 7,
            Self::PartNumber => 8,
            Self::EquipmentTag => 9,
        }
    }
}

impl FromStr for IdentifierKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown identifier kind `{s}`; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One identifier found in normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: IdentifierKind,
    /// Byte span in the (normalised) input.
    pub start: usize,
    pub end: usize,
    /// Exact-match terms, canonical form, most specific first.
    pub terms: Vec<String>,
}

/// Finds identifiers of the configured kinds. Regexes are compiled once per
/// process, so building and cloning an extractor is cheap.
#[derive(Debug, Clone)]
pub struct IdentifierExtractor {
    kinds: Arc<[IdentifierKind]>,
    matchers: &'static Matchers,
}

impl IdentifierExtractor {
    pub fn new(kinds: &[IdentifierKind]) -> Self {
        let mut kinds = kinds.to_vec();
        kinds.sort();
        kinds.dedup();
        Self {
            kinds: kinds.into(),
            matchers: matchers(),
        }
    }

    pub fn all() -> Self {
        Self::new(&IdentifierKind::ALL)
    }

    pub fn kinds(&self) -> &[IdentifierKind] {
        &self.kinds
    }

    /// Non-overlapping identifiers in order of position; where matches
    /// overlap the longest wins (a date inside a document number is part of
    /// the number), then the surer kind.
    pub fn extract(&self, normalized: &str) -> Vec<Identifier> {
        let mut found = Vec::new();
        for &kind in self.kinds.iter() {
            let m = self.matchers;
            match kind {
                IdentifierKind::PartNumber => m.codes.part_numbers(normalized, &mut found),
                IdentifierKind::AlarmCode => m.codes.alarm_codes(normalized, &mut found),
                IdentifierKind::Standard => m.codes.standards(normalized, &mut found),
                IdentifierKind::Isin => m.codes.isins(normalized, &mut found),
                IdentifierKind::BusinessNumber => m.codes.business_numbers(normalized, &mut found),
                IdentifierKind::StatuteArticle => m.korean.statutes(normalized, &mut found),
                IdentifierKind::DocumentNumber => m.korean.documents(normalized, &mut found),
                IdentifierKind::Date => m.korean.dates(normalized, &mut found),
                IdentifierKind::Amount => m.amount.amounts(normalized, &mut found),
                IdentifierKind::EquipmentTag => m.codes.equipment_tags(normalized, &mut found),
            }
        }
        resolve_overlaps(normalized, found)
    }
}

impl Default for IdentifierExtractor {
    fn default() -> Self {
        Self::all()
    }
}

/// Keeps the longest of overlapping identifiers (in characters, so Hangul
/// does not weigh triple), then the surer kind, then the earlier one.
fn resolve_overlaps(text: &str, mut found: Vec<Identifier>) -> Vec<Identifier> {
    let chars = |id: &Identifier| text.get(id.start..id.end).map_or(0, |s| s.chars().count());
    found.sort_by(|a, b| {
        chars(b)
            .cmp(&chars(a))
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(a.start.cmp(&b.start))
    });
    // Kept spans by start; they never overlap, so the one starting last
    // before a candidate's end is the only one that can overlap it.
    let mut spans = std::collections::BTreeMap::new();
    let mut kept: Vec<Identifier> = Vec::with_capacity(found.len());
    for id in found {
        let clashes = spans
            .range(..id.end)
            .next_back()
            .is_some_and(|(_, &end)| end > id.start);
        if !clashes {
            spans.insert(id.start, id.end);
            kept.push(id);
        }
    }
    kept.sort_by_key(|id| id.start);
    kept
}

/// All compiled patterns, shared by every extractor.
#[derive(Debug)]
struct Matchers {
    codes: codes::Matchers,
    korean: korean::Matchers,
    amount: amount::Matchers,
}

fn matchers() -> &'static Matchers {
    static MATCHERS: OnceLock<Matchers> = OnceLock::new();
    MATCHERS.get_or_init(|| Matchers {
        codes: codes::Matchers::new(),
        korean: korean::Matchers::new(),
        amount: amount::Matchers::new(),
    })
}

/// Compiles a pattern written in this module; a failure is a bug caught by
/// the tests, not an input error.
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("identifier pattern {pattern:?}: {e}"))
}

/// Optional single space, tab or line break between parts of an identifier
/// (PDF text breaks lines inside references: 제9조\n제3항).
const SP: &str = "(?:[ \\t]|\\r?\\n)?";

/// Where to look again after `accept` rejected a match.
#[derive(Clone, Copy)]
enum Retry {
    /// One character further: a shorter match may start inside.
    NextChar,
    /// After the match: nothing inside it can pass (it is one maximal
    /// alphanumeric run), and retrying char by char would be quadratic on
    /// long runs (hex, base64).
    AfterMatch,
}

/// A validated match: span and terms.
type Accepted = Option<(usize, usize, Vec<String>)>;

/// Runs `re` over `text`, keeping the matches `accept` validates.
fn scan(
    re: &Regex,
    text: &str,
    kind: IdentifierKind,
    retry: Retry,
    out: &mut Vec<Identifier>,
    mut accept: impl FnMut(&Captures<'_>) -> Accepted,
) {
    let mut at = 0;
    while at < text.len() {
        let Some(caps) = re.captures_at(text, at) else {
            break;
        };
        let Some(whole) = caps.get(0) else { break };
        let next = next_boundary(text, whole.start());
        match accept(&caps) {
            Some((start, end, terms)) if start < end && !terms.is_empty() => {
                out.push(Identifier {
                    kind,
                    start,
                    end,
                    terms,
                });
                at = end.max(next);
            }
            _ => {
                at = match retry {
                    Retry::NextChar => next,
                    Retry::AfterMatch => whole.end().max(next),
                }
            }
        }
    }
}

/// The byte index of the character after the one at `i`.
fn next_boundary(text: &str, i: usize) -> usize {
    i + text
        .get(i..)
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8)
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i).and_then(|s| s.chars().next_back())
}

fn char_after(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// Characters that glue alphanumeric runs into one larger token (URLs, mail
/// addresses, file names, decimals): an identifier does not start or end
/// inside such a token.
const JOINERS: &[char] = &[
    '-', '_', '.', '@', ':', ',', '#', '&', '=', '+', '%', '~', '\\',
];

/// Nothing Latin or numeric glued on the left (x-pn-4471, 12e-1023,
/// mail.abc1234), not inside a URL. Hangul is fine: 설비pn-4471-a.
fn left_ok(text: &str, start: usize) -> bool {
    if in_url(text, start) {
        return false;
    }
    match char_before(text, start) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() => false,
        Some(c) if JOINERS.contains(&c) => {
            !char_before(text, start - c.len_utf8()).is_some_and(|p| p.is_ascii_alphanumeric())
        }
        Some(_) => true,
    }
}

/// Whether `start` lies inside a URL (…/newsview/22ikusgs13/g001).
fn in_url(text: &str, start: usize) -> bool {
    const MARKERS: &[&str] = &["://", "www.", ".com/", ".kr/", ".net/", ".org/", ".io/"];
    // A bounded look-back: scanning to the last space on every candidate
    // would be quadratic in a long run without spaces (base64, tables).
    let mut from = start.saturating_sub(256);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text.get(from..start).unwrap_or("");
    let token = before
        .rfind(char::is_whitespace)
        .map_or(before, |i| before.get(i..).unwrap_or(""));
    token.contains('/') && MARKERS.iter().any(|m| token.contains(m))
}

/// Nothing Latin or numeric glued on the right. Hangul is fine, so a
/// particle may follow (pn-4471-a의). Identifiers ending in Hangul
/// (제3조, 6조원) only refuse a digit.
fn right_ok(text: &str, end: usize) -> bool {
    let Some(next) = char_after(text, end) else {
        return true;
    };
    if !char_before(text, end).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return !next.is_ascii_digit();
    }
    let after = || char_after(text, end + next.len_utf8());
    match next {
        c if c.is_ascii_alphanumeric() => false,
        '-' | '_' | '.' | '@' | ':' => !after().is_some_and(|a| a.is_ascii_alphanumeric()),
        ',' => !after().is_some_and(|a| a.is_ascii_digit()),
        _ => true,
    }
}

/// Syllables that may follow a Korean-ending identifier without making it
/// part of another word: particles (에, 는, 의…) and the words legal text
/// glues on (제3조단서, 제3조각호, 제3조위반). Anything else (제3조원,
/// 제1호기, 제2항공) means the match was part of a different word.
fn particle_ok(next: Option<char>) -> bool {
    const PARTICLES: &str =
        "의에는은가이와과를을도로으부까및만중내단본각제전후또나라서씩마처보상하\
                             랑같위규소해관참준개신삭";
    match next {
        None => true,
        Some(c) if c.is_ascii_digit() => false,
        Some(c) if is_hangul(c) => PARTICLES.contains(c),
        Some(_) => true,
    }
}

fn is_hangul(c: char) -> bool {
    ('가'..='힣').contains(&c)
}

/// The exact-field tokenizer: every identifier's terms, all at the
/// identifier's position, offsets spanning it in the original text.
#[derive(Debug, Clone, Default)]
pub struct IdentifierTokenizer(pub IdentifierExtractor);

impl IdentifierTokenizer {
    pub fn new(extractor: IdentifierExtractor) -> Self {
        Self(extractor)
    }

    /// The tokens for `text` (handy outside tantivy).
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        // The normalisation every analyzer shares (NFKC, lowercase), with
        // offsets mapped back so highlights land on what the user wrote.
        let norm = Normalized::new(text);
        let mut tokens = Vec::new();
        for (position, id) in self.0.extract(&norm.text).into_iter().enumerate() {
            let (offset_from, offset_to) = norm.original_span(id.start, id.end);
            for term in id.terms {
                tokens.push(Token {
                    offset_from,
                    offset_to,
                    position,
                    text: term,
                    position_length: 1,
                });
            }
        }
        tokens
    }
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = crate::VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        crate::VecTokenStream::new(self.tokens(text))
    }
}
