//! What a file is, from its bytes: magic numbers, zip member names, the
//! compound-file directory, the XML root — never the extension alone (an
//! HWPX file named `.hwp` is still HWPX). The extension only breaks ties
//! between text formats (Markdown vs plain text, CSV vs text).

use std::path::Path;

use crate::delimited::{consistent_count, head_lines};

/// Every format Seogo recognises (all are read, but images, legacy Word
/// and encrypted Office files, which are refused by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Ods,
    /// OpenDocument text.
    Odt,
    Hwpx,
    /// HWP 5.0 (OLE compound file with a `FileHeader` stream).
    Hwp,
    /// Excel 97–2003 (compound file with a `Workbook` stream).
    Xls,
    /// Word 97–2003.
    Doc,
    /// A password-protected DOCX/XLSX/PPTX (a compound file holding an
    /// `EncryptedPackage` stream).
    EncryptedOffice,
    /// A zip archive that is no Office/HWPX document.
    Zip,
    Rtf,
    Image,
    Html,
    Xml,
    Json,
    Eml,
    Csv,
    Tsv,
    BeirCorpus,
    Markdown,
    Text,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Docx => "DOCX",
            Kind::Xlsx => "XLSX",
            Kind::Pptx => "PPTX",
            Kind::Ods => "ODS",
            Kind::Odt => "ODT",
            Kind::Hwpx => "HWPX",
            Kind::Hwp => "HWP 5.0",
            Kind::Xls => "XLS",
            Kind::Doc => "DOC",
            Kind::EncryptedOffice => "encrypted Office document",
            Kind::Zip => "zip archive",
            Kind::Rtf => "RTF",
            Kind::Image => "image",
            Kind::Html => "HTML",
            Kind::Xml => "XML",
            Kind::Json => "JSON",
            Kind::Eml => "e-mail (EML)",
            Kind::Csv => "CSV",
            Kind::Tsv => "TSV",
            Kind::BeirCorpus => "BEIR corpus (JSON Lines)",
            Kind::Markdown => "Markdown",
            Kind::Text => "plain text",
        }
    }
}

const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The kind of binary content, or `None` for text.
pub fn sniff_binary(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(zip_kind(bytes));
    }
    if bytes.starts_with(CFB_MAGIC) {
        // Directory entry names are UTF-16LE; their presence tells the
        // application without parsing the whole compound file.
        let has = |name: &str| {
            let wide: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            bytes.windows(wide.len()).any(|w| w == wide.as_slice())
        };
        return Some(if has("FileHeader") && has("BodyText") {
            Kind::Hwp
        } else if has("EncryptedPackage") {
            Kind::EncryptedOffice
        } else if has("WordDocument") {
            Kind::Doc
        } else if has("Workbook") || has("Book") {
            Kind::Xls
        } else {
            Kind::Zip
        });
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some(Kind::Rtf);
    }
    let image_magics: [&[u8]; 5] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"II*\x00",
        b"MM\x00*",
    ];
    if image_magics.iter().any(|m| bytes.starts_with(m)) {
        return Some(Kind::Image);
    }
    None
}

/// Office, ODF and HWPX documents are zips told apart by their members.
/// Names are read from local file headers, so a truncated archive still
/// says what it meant to be.
fn zip_kind(bytes: &[u8]) -> Kind {
    let mut names = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 30) {
        if !header.starts_with(b"PK\x03\x04") || names.len() >= 64 {
            break;
        }
        let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]) as usize;
        let u32_at = |i: usize| {
            u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]) as usize
        };
        let (name_len, extra_len, size) = (u16_at(26), u16_at(28), u32_at(18));
        let Some(name) = bytes.get(at + 30..at + 30 + name_len) else {
            break;
        };
        let data_start = at + 30 + name_len + extra_len;
        if name == b"mimetype" {
            let mime = bytes
                .get(data_start..data_start + size.min(64))
                .unwrap_or(&[]);
            if mime.starts_with(b"application/hwp+zip") {
                return Kind::Hwpx;
            }
            if mime.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
                return Kind::Ods;
            }
            if mime.starts_with(b"application/vnd.oasis.opendocument.text") {
                return Kind::Odt;
            }
            if mime.starts_with(b"application/epub+zip") {
                return Kind::Zip;
            }
        }
        names.push(String::from_utf8_lossy(name).into_owned());
        // Sizes may live in a data descriptor (flag bit 3): stop there.
        if u16_at(6) & 0x08 != 0 {
            break;
        }
        at = data_start + size;
    }
    // Local headers may stop early (data descriptors); the central
    // directory at the end names every member.
    let known = ["word/", "xl/", "ppt/", "Contents/"];
    if !names.iter().any(|n| known.iter().any(|k| n.starts_with(k))) {
        for marker in [
            "word/document.xml",
            "xl/workbook",
            "ppt/presentation.xml",
            "Contents/section",
        ] {
            if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                names.push(marker.to_string());
            }
        }
    }
    let has = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
    if has("word/") {
        Kind::Docx
    } else if has("xl/") {
        Kind::Xlsx
    } else if has("ppt/") {
        Kind::Pptx
    } else if has("Contents/section") || has("Contents/header.xml") {
        Kind::Hwpx
    } else {
        Kind::Zip
    }
}

/// The kind of decoded text.
pub fn sniff_text(path: &Path, text: &str) -> Kind {
    let start = text.trim_start();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('{') {
        if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(first) {
            if obj.contains_key("_id") && obj.contains_key("text") {
                return Kind::BeirCorpus;
            }
        }
    }
    let head: String = start
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Kind::Html;
    }
    if head.starts_with("<?xml") || (head.starts_with('<') && head.contains("</")) {
        let html = ["<html", "<head", "<body", "<!doctype html"];
        return if html.iter().any(|tag| head.contains(tag)) {
            Kind::Html
        } else {
            Kind::Xml
        };
    }
    if (start.starts_with('{') || start.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        return Kind::Json;
    }
    // JSON Lines that are not a BEIR corpus: JSON records, one per line.
    let lines = head_lines(text);
    if lines.len() > 1
        && lines
            .iter()
            .all(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).is_ok())
    {
        return Kind::Json;
    }
    if is_email(text) {
        return Kind::Eml;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => return Kind::Csv,
        Some("tsv" | "tab") => return Kind::Tsv,
        Some("md" | "markdown") => return Kind::Markdown,
        Some("txt") => return Kind::Text,
        _ => {}
    }
    if let Some(kind) = delimited_kind(text) {
        return kind;
    }
    if text
        .lines()
        .any(|l| crate::formats::text::heading_level(l).is_some())
    {
        Kind::Markdown
    } else {
        Kind::Text
    }
}

/// RFC 5322 headers up to the first blank line, with a From and a Subject
/// or Message-ID among them.
fn is_email(text: &str) -> bool {
    let mut names = Vec::new();
    // An mbox export starts with its "From sender date" separator line.
    let skip = usize::from(text.starts_with("From "));
    for line in text.lines().skip(skip).take(64) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        match line.split_once(':') {
            Some((name, _)) if !name.is_empty() && !name.contains(' ') => {
                names.push(name.to_ascii_lowercase());
            }
            _ => return false,
        }
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    has("from") && (has("subject") || has("message-id"))
}

/// A file whose first lines all split into the same number (≥ 2) of
/// tab- or comma-separated fields.
fn delimited_kind(text: &str) -> Option<Kind> {
    let lines = head_lines(text);
    if lines.len() < 2 {
        return None;
    }
    [(b'\t', Kind::Tsv), (b',', Kind::Csv)]
        .into_iter()
        .find(|&(d, _)| consistent_count(&lines, d).is_some())
        .map(|(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_kinds_from_magic_and_members() {
        assert_eq!(sniff_binary(b"%PDF-1.7\n..."), Some(Kind::Pdf));
        assert_eq!(sniff_binary(b"\x89PNG\r\n\x1a\n\0\0"), Some(Kind::Image));
        assert_eq!(sniff_binary(b"{\\rtf1\\ansi"), Some(Kind::Rtf));
        assert_eq!(sniff_binary("그냥 글".as_bytes()), None);
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend([0u8; 22]);
        zip.extend(17u16.to_le_bytes());
        zip.extend(0u16.to_le_bytes());
        zip.extend(b"word/document.xml");
        assert_eq!(sniff_binary(&zip), Some(Kind::Docx));
    }

    #[test]
    fn text_kinds_from_content() {
        let p = Path::new("x");
        assert_eq!(sniff_text(p, "<!DOCTYPE html><html></html>"), Kind::Html);
        assert_eq!(sniff_text(p, "<?xml version=\"1.0\"?><a>b</a>"), Kind::Xml);
        assert_eq!(sniff_text(p, "{\"a\": [1, 2]}"), Kind::Json);
        assert_eq!(
            sniff_text(
                p,
                "{\"a\": 1, \"b\": \"x,y\"}\n{\"a\": 2, \"b\": \"z,w\"}\n"
            ),
            Kind::Json
        );
        assert_eq!(
            sniff_text(p, "From: a@b.kr\nSubject: 점검\n\n본문"),
            Kind::Eml
        );
        assert_eq!(sniff_text(p, "품번\t수량\nPN-1\t3\nPN-2\t5\n"), Kind::Tsv);
        assert_eq!(sniff_text(p, "a,b\n1,2\n"), Kind::Csv);
        assert_eq!(sniff_text(p, "# 제목\n\n본문"), Kind::Markdown);
        assert_eq!(sniff_text(p, "그냥 글, 쉼표 하나\n다음 줄\n"), Kind::Text);
    }
}
