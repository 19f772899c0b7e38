//! The identifiers of a record or procedure, as written, for display in
//! `metadata["identifiers"]`: found by the analyzer's own extractor, so
//! what is shown is what the exact-match lane indexes.

use seogo_analyzer::identifiers::{IdentifierExtractor, IdentifierKind, IdentifierTokenizer};

/// Enough to show; a manual naming hundreds of parts is not summarised
/// by a list of hundreds.
const MAX_SHOWN: usize = 64;

/// Codes that name a thing (parts, drawings, equipment, alarms, standards, document
/// numbers); dates and amounts are metadata of their own or prose.
const KINDS: [IdentifierKind; 5] = [
    IdentifierKind::PartNumber,
    IdentifierKind::EquipmentTag,
    IdentifierKind::AlarmCode,
    IdentifierKind::Standard,
    IdentifierKind::DocumentNumber,
];

/// The distinct identifiers of `text` in order of appearance, spelled as
/// in the text (PN-4471-A, E-2051).
pub(crate) fn identifiers(text: &str) -> Vec<String> {
    let tokenizer = IdentifierTokenizer::new(IdentifierExtractor::new(&KINDS));
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for token in tokenizer.tokens(text) {
        if out.len() >= MAX_SHOWN {
            break;
        }
        let Some(written) = text.get(token.offset_from..token.offset_to) else {
            continue;
        };
        if seen.insert(written.to_lowercase()) {
            out.push(written.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_as_written_once_each() {
        let text =
            "설비 P-101A 베어링 PN-4471-B 교체, 알람 E-2051 (e-2051 재발), KS B 6301, 2024-03-05";
        assert_eq!(
            identifiers(text),
            ["P-101A", "PN-4471-B", "E-2051", "KS B 6301"]
        );
    }
}
