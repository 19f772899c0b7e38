//! The normalisation every analyzer shares, with a map back to the original
//! text so highlights land on what the user wrote.
//!
//! NFKC folds full-width forms (ＰＮ－４４７１ → pn-4471) and compatibility
//! characters (㎏ → kg, ① → 1); lowercase makes Latin case-insensitive.
//! Hangul syllables are unchanged; decomposed jamo sequences are composed.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Normalised text plus, for each of its bytes, where it came from.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// `origin[i]` is the byte offset in the original text of the segment
    /// that produced byte `i`; one extra entry maps the end. `None` when
    /// normalisation changed nothing (most text): offsets are the same.
    origin: Option<Vec<usize>>,
}

impl Normalized {
    pub fn new(original: &str) -> Self {
        // The common case costs one scan and a copy.
        if is_nfkc_quick(original.chars()) == IsNormalized::Yes
            && !original.chars().any(char::is_uppercase)
        {
            return Self {
                text: original.to_string(),
                origin: None,
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        let mut segment = String::new();
        let mut segment_start = 0;
        let mut flush = |segment: &mut String, start: usize, text: &mut String| {
            for c in segment.nfkc().flat_map(char::to_lowercase) {
                let before = text.len();
                text.push(c);
                origin.extend(std::iter::repeat_n(start, text.len() - before));
            }
            segment.clear();
        };
        for (offset, c) in original.char_indices() {
            if !segment.is_empty() && !continues_segment(c) {
                flush(&mut segment, segment_start, &mut text);
            }
            if segment.is_empty() {
                segment_start = offset;
            }
            segment.push(c);
        }
        flush(&mut segment, segment_start, &mut text);
        origin.push(original.len());
        Self {
            text,
            origin: Some(origin),
        }
    }

    /// The original byte span of the normalised span `start..end`.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let Some(origin) = &self.origin else {
            return (start, end);
        };
        let from = origin[start.min(origin.len() - 1)];
        // The end maps to the start of the next original segment.
        let to = if end >= self.text.len() {
            origin[origin.len() - 1]
        } else {
            origin[end]
        };
        (from, to.max(from))
    }
}

/// Normalises `text` (no offset map): for query terms and tests.
pub fn normalize(text: &str) -> String {
    Normalized::new(text).text
}

/// Characters that NFKC may fold into the preceding one: combining marks and
/// conjoining jamo vowels/finals.
fn continues_segment(c: char) -> bool {
    is_combining_mark(c) || matches!(c, '\u{1160}'..='\u{11FF}' | '\u{D7B0}'..='\u{D7FF}')
}

/// Script classes the analyzers cut text by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Hangul,
    /// Han and kana: treated like Hangul (bigrams).
    OtherCjk,
    Alnum,
    /// `-_./`: joins alphanumerics into one identifier (PN-4471-A, v1.2).
    Joiner,
    Other,
}

pub fn char_class(c: char) -> CharClass {
    match c {
        '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
            CharClass::Hangul
        }
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => {
            CharClass::OtherCjk
        }
        '-' | '_' | '.' | '/' => CharClass::Joiner,
        c if c.is_alphanumeric() => CharClass::Alnum,
        _ => CharClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_folds_and_offsets_map_back() {
        let original = "부품 ＰＮ－４４７１";
        let n = Normalized::new(original);
        assert_eq!(n.text, "부품 pn-4471");
        let start = n.text.find("pn").expect("folded");
        let (from, to) = n.original_span(start, n.text.len());
        assert_eq!(&original[from..to], "ＰＮ－４４７１");
        let (from, to) = n.original_span(0, "부품".len());
        assert_eq!(&original[from..to], "부품");
    }

    #[test]
    fn text_already_normal_maps_to_itself() {
        let n = Normalized::new("설비 pn-4471 점검");
        assert_eq!(n.text, "설비 pn-4471 점검");
        assert_eq!(n.original_span(7, 14), (7, 14));
    }

    #[test]
    fn compatibility_characters_and_jamo() {
        assert_eq!(normalize("10㎏ ① Ⅱ"), "10kg 1 ii");
        // 한 as three conjoining jamo composes to the syllable.
        assert_eq!(normalize("\u{1112}\u{1161}\u{11AB}국"), "한국");
    }
}
