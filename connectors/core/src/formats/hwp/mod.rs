//! HWP 5.0: an OLE compound file. `FileHeader` says whether the streams
//! are compressed and whether the document is password-, DRM- or
//! distribution-protected (those are refused by name: their text is
//! encrypted); `DocInfo` holds the paragraph shapes that mark outline
//! headings; `BodyText/Section0…N` hold the text as records (see
//! [`record`]); `\x05HwpSummaryInformation` holds the title.
//!
//! The records are read here rather than through the `hwp`/`hwpers` crates:
//! see docs/FORMATS.md for the comparison on the fixtures.

use std::io::{Cursor, Read};

use flate2::read::DeflateDecoder;

use crate::formats::Extracted;
use crate::limits::{Budget, Failure};

pub(crate) mod blocks;
mod body;
pub(crate) mod grid;
mod record;
mod summary;

use blocks::Role;

const SIGNATURE: &[u8] = b"HWP Document File";

/// FileHeader property bits that leave the body text unreadable, and what
/// to tell the user about each.
const PROTECTIONS: [(u32, &str); 5] = [
    (1 << 1, "password-protected (암호 설정 문서)"),
    (
        1 << 2,
        "distribution-protected (배포용 문서): its text is encrypted",
    ),
    (1 << 4, "DRM-protected"),
    (1 << 8, "certificate-encrypted (공인인증서 암호화)"),
    (1 << 10, "certificate-DRM-protected"),
];
const COMPRESSED: u32 = 1;

type Container<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| Failure::malformed(format!("broken OLE compound file: {e}")))?;
    let header = read_stream(&mut file, "/FileHeader", bytes.len())?
        .ok_or_else(|| Failure::malformed("no FileHeader stream"))?;
    let flags = check_header(&header)?;
    let compressed = flags & COMPRESSED != 0;
    let doc_info = match read_stream(&mut file, "/DocInfo", bytes.len())? {
        Some(raw) => unpack(raw, compressed, "DocInfo", budget)?,
        None => Vec::new(),
    };
    let roles = paragraph_roles(&doc_info, budget)?;

    let mut warnings = Vec::new();
    let mut blocks = Vec::new();
    let mut notes = Vec::new();
    for (number, path) in section_streams(&file)? {
        budget.check_page(number + 1)?;
        let what = format!("BodyText/Section{number}");
        let Some(raw) = read_stream(&mut file, &path, bytes.len())? else {
            continue;
        };
        let stream = unpack(raw, compressed, &what, budget)?;
        let records = record::read(&stream, budget)?;
        if records.truncated {
            warnings.push(format!(
                "{what} ends inside a record; text up to there is kept"
            ));
        }
        let mut section = body::Section {
            records: &records,
            roles: &roles,
            budget,
            number,
            blocks: Vec::new(),
            notes: Vec::new(),
        };
        section.read()?;
        blocks.append(&mut section.blocks);
        notes.append(&mut section.notes);
    }

    let outline = blocks::emit(blocks.into_iter().chain(notes));
    let mut extracted = Extracted::from_outline(outline);
    if let Some(raw) = read_stream(&mut file, "/\u{5}HwpSummaryInformation", bytes.len())? {
        if let Some(title) = summary::title(&raw) {
            extracted.title = Some(title);
        }
    }
    extracted.warnings = warnings;
    Ok(extracted)
}

/// The FileHeader's property flags, once the signature, version and
/// protections allow reading on.
fn check_header(header: &[u8]) -> Result<u32, Failure> {
    if !header.starts_with(SIGNATURE) {
        return Err(Failure::malformed(
            "FileHeader lacks the \"HWP Document File\" signature",
        ));
    }
    let version =
        record::u32_at(header, 32).ok_or_else(|| Failure::malformed("FileHeader is too short"))?;
    let flags =
        record::u32_at(header, 36).ok_or_else(|| Failure::malformed("FileHeader is too short"))?;
    let major = version >> 24;
    if major != 5 {
        return Err(Failure::Unsupported(format!(
            "HWP version {major}.{}.{}.{} (only 5.x is read)",
            (version >> 16) & 0xFF,
            (version >> 8) & 0xFF,
            version & 0xFF
        )));
    }
    let reasons: Vec<&str> = PROTECTIONS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, reason)| *reason)
        .collect();
    if !reasons.is_empty() {
        return Err(Failure::Encrypted(format!(
            "the document is {}",
            reasons.join(", ")
        )));
    }
    Ok(flags)
}

/// `BodyText/SectionN` streams in section order.
fn section_streams(file: &Container<'_>) -> Result<Vec<(usize, String)>, Failure> {
    let entries = file
        .read_storage("/BodyText")
        .map_err(|e| Failure::malformed(format!("no BodyText storage: {e}")))?;
    let mut sections: Vec<(usize, String)> = entries
        .filter(|e| e.is_stream())
        .filter_map(|e| {
            let number = e.name().strip_prefix("Section")?.parse().ok()?;
            Some((number, e.path().to_string_lossy().into_owned()))
        })
        .collect();
    sections.sort();
    Ok(sections)
}

/// A stream's raw bytes, `None` when there is no such stream. A stream
/// cannot be longer than the file that holds it, which bounds the read.
fn read_stream(
    file: &mut Container<'_>,
    path: &str,
    file_len: usize,
) -> Result<Option<Vec<u8>>, Failure> {
    if !file.is_stream(path) {
        return Ok(None);
    }
    let stream = file
        .open_stream(path)
        .map_err(|e| Failure::malformed(format!("{path}: {e}")))?;
    let mut out = Vec::new();
    stream
        .take(file_len as u64)
        .read_to_end(&mut out)
        .map_err(|e| Failure::malformed(format!("{path}: {e}")))?;
    Ok(Some(out))
}

/// A stream as records: raw-deflate compressed when the header says so,
/// inflated under the budget.
fn unpack(raw: Vec<u8>, compressed: bool, what: &str, budget: &Budget) -> Result<Vec<u8>, Failure> {
    if !compressed {
        return Ok(raw);
    }
    budget.inflate(DeflateDecoder::new(&raw[..]), raw.len() as u64, what)
}

/// Each paragraph shape's role, by id: PARA_SHAPE property bits 23–24 are
/// the heading type (1 outline, 2 numbering, 3 bullet), bits 25–27 the
/// level (0 = top).
fn paragraph_roles(doc_info: &[u8], budget: &Budget) -> Result<Vec<Role>, Failure> {
    let records = record::read(doc_info, budget)?;
    Ok(records
        .all
        .iter()
        .filter(|r| r.tag == record::PARA_SHAPE)
        .map(|r| {
            let properties = record::u32_at(r.data, 0).unwrap_or(0);
            let level = ((properties >> 25) & 0x7) as u8;
            match (properties >> 23) & 0x3 {
                1 => Role::Heading(level + 1),
                2 | 3 => Role::Item(usize::from(level)),
                _ => Role::Body,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests;
