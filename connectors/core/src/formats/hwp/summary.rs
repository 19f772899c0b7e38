//! The title from `\x05HwpSummaryInformation`, an OLE property set
//! (MS-OLEPS): a header, the offset of the first property section, then
//! (id, offset) pairs and typed values. Only the title (id 2) is read.

use super::record::u32_at;

const PID_TITLE: u32 = 2;
const VT_LPSTR: u32 = 0x1E;
const VT_LPWSTR: u32 = 0x1F;
/// A title longer than this is not a title.
const MAX_TITLE_CHARS: usize = 1024;

/// The document title, when the property set has a non-empty one.
pub(crate) fn title(set: &[u8]) -> Option<String> {
    // Header: byte order, version, system id, CLSID (28 bytes), section
    // count; then the first section's FMTID (16 bytes) and offset.
    let section = usize::try_from(u32_at(set, 44)?).ok()?;
    let count = usize::try_from(u32_at(set, section.checked_add(4)?)?).ok()?;
    for n in 0..count.min(256) {
        let entry = section.checked_add(8)?.checked_add(n.checked_mul(8)?)?;
        if u32_at(set, entry)? != PID_TITLE {
            continue;
        }
        let value = section.checked_add(usize::try_from(u32_at(set, entry + 4)?).ok()?)?;
        let kind = u32_at(set, value)?;
        let len = usize::try_from(u32_at(set, value + 4)?)
            .ok()?
            .min(MAX_TITLE_CHARS);
        let start = value + 8;
        let text = match kind {
            VT_LPWSTR => {
                let bytes = set.get(start..start + 2 * len)?;
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            VT_LPSTR => {
                let bytes = set.get(start..start + len)?;
                encoding_rs::EUC_KR
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned()
            }
            _ => return None,
        };
        let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        return (!text.is_empty()).then(|| text.to_string());
    }
    None
}
