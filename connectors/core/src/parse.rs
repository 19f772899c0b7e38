//! Reading a source file into [`Document`]s, the format decided by content.
//!
//! This build reads Markdown, plain text, CSV/TSV and BEIR `corpus.jsonl`
//! (UTF-8, UTF-16 with a BOM, or CP949/EUC-KR); PDF, Office, HTML and HWP are
//! recognised ([`crate::detect`]) and refused by name until their parsers land
//! behind the same [`read_file`] entry point.

use std::collections::BTreeMap;
use std::path::Path;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::delimited::{parse_delimited, pick_delimiter};
use crate::detect::{sniff_binary, sniff_text, Kind};
use crate::types::{content_hash, Acl, Document, Domain, Section};
use crate::DocError;

/// What every document read from one ingest call shares.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub domain: Domain,
    pub acl: Acl,
    /// Larger files are refused before they are read into memory.
    pub max_file_bytes: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            domain: Domain::General,
            acl: Acl::public(),
            max_file_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Reads `path` (whose id is `doc_id`, normally its path under the ingested
/// root) into documents: one for Markdown and text, one per line for a BEIR
/// corpus.
pub fn read_file(
    path: &Path,
    doc_id: &str,
    opts: &ParseOptions,
) -> Result<Vec<Document>, DocError> {
    inspect_file(path, doc_id, opts).map(|p| p.documents)
}

/// [`read_file`] on bytes already in memory (uploads, tests).
pub fn parse_bytes(
    path: &Path,
    doc_id: &str,
    bytes: &[u8],
    opts: &ParseOptions,
) -> Result<Vec<Document>, DocError> {
    inspect_bytes(path, doc_id, bytes, opts).map(|p| p.documents)
}

/// What was made of one file: its detected format and text encoding, and
/// the documents (`seogo parse` shows this).
#[derive(Debug, Clone, Serialize)]
pub struct Parsed {
    pub format: &'static str,
    pub encoding: &'static str,
    pub documents: Vec<Document>,
}

/// Reads `path` and reports what it is as well as its documents.
pub fn inspect_file(path: &Path, doc_id: &str, opts: &ParseOptions) -> Result<Parsed, DocError> {
    let meta = std::fs::metadata(path).map_err(|e| DocError::io(path, e))?;
    if meta.len() > opts.max_file_bytes {
        return Err(DocError::TooLarge {
            path: path.into(),
            size: meta.len(),
            limit: opts.max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DocError::io(path, e))?;
    inspect_bytes(path, doc_id, &bytes, opts)
}

fn inspect_bytes(
    path: &Path,
    doc_id: &str,
    bytes: &[u8],
    opts: &ParseOptions,
) -> Result<Parsed, DocError> {
    let unsupported = |reason: String| DocError::Unsupported {
        path: path.into(),
        reason,
    };
    if let Some(kind) = sniff_binary(bytes) {
        return Err(unsupported(match kind {
            Kind::Image => "an image has no text to index (OCR is not part of Seogo yet)".into(),
            kind => format!("{} is not read by this build yet", kind.name()),
        }));
    }
    let (text, encoding) = decode(path, bytes)?;
    if text.trim().is_empty() {
        return Err(DocError::Empty { path: path.into() });
    }
    if text.contains('\0') {
        return Err(unsupported(
            "binary content (NUL bytes) of no format Seogo recognises".into(),
        ));
    }
    let base = Document {
        id: doc_id.to_string(),
        title: file_stem(path),
        source: path.display().to_string(),
        content_hash: content_hash(bytes),
        domain: opts.domain,
        acl: opts.acl.clone(),
        metadata: BTreeMap::new(),
        sections: Vec::new(),
    };
    let kind = sniff_text(path, &text);
    let table = |delimiter| {
        parse_delimited(&text, delimiter, base.clone()).map_err(|reason| DocError::BadRecord {
            path: path.into(),
            line: 0,
            reason,
        })
    };
    let documents = match kind {
        Kind::BeirCorpus => parse_beir(path, &text, &base)?,
        Kind::Markdown => vec![parse_markdown(&text, base)],
        Kind::Text => vec![parse_text(&text, base)],
        Kind::Csv => vec![table(pick_delimiter(&text, b','))?],
        Kind::Tsv => vec![table(b'\t')?],
        other => {
            return Err(unsupported(format!(
                "{} is not read by this build yet",
                other.name()
            )))
        }
    };
    Ok(Parsed {
        format: kind.name(),
        encoding,
        documents,
    })
}

/// Text from bytes: a BOM decides (UTF-8, UTF-16); else UTF-8 if valid;
/// else CP949/EUC-KR, which older Korean files use, if that decodes
/// cleanly; else the UTF-8 error.
fn decode<'b>(path: &Path, bytes: &'b [u8]) -> Result<(Cow<'b, str>, &'static str), DocError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !had_errors {
            return Ok((text, encoding.name()));
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Cow::Borrowed(text), "UTF-8")),
        Err(e) => {
            let (text, had_errors) = encoding_rs::EUC_KR.decode_without_bom_handling(bytes);
            if had_errors {
                Err(DocError::InvalidUtf8 {
                    path: path.into(),
                    offset: e.valid_up_to(),
                })
            } else {
                Ok((text, "CP949"))
            }
        }
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `Some((level, heading))` for an ATX heading line (`## 3.2 점검`).
pub(crate) fn heading_level(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let heading = rest.trim().trim_end_matches('#').trim();
    Some((level, heading))
}

/// Splits Markdown at ATX headings (outside fenced code) into sections whose
/// heading path is the stack of enclosing headings.
fn parse_markdown(text: &str, mut doc: Document) -> Document {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut body = String::new();
    let mut in_fence = false;
    let mut title: Option<String> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~");
        if fence {
            in_fence = !in_fence;
        }
        let heading = if in_fence || fence {
            None
        } else {
            heading_level(line)
        };
        match heading {
            Some((level, heading)) if !heading.is_empty() => {
                push_section(&mut doc.sections, &stack, &mut body);
                if level == 1 && title.is_none() {
                    title = Some(heading.to_string());
                }
                stack.retain(|(l, _)| *l < level);
                stack.push((level, heading.to_string()));
            }
            _ => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    push_section(&mut doc.sections, &stack, &mut body);
    if let Some(title) = title {
        doc.title = title;
    }
    doc
}

fn push_section(sections: &mut Vec<Section>, stack: &[(usize, String)], body: &mut String) {
    let text = body.trim();
    if !text.is_empty() {
        sections.push(Section {
            heading_path: stack.iter().map(|(_, h)| h.clone()).collect(),
            page: None,
            text: text.to_string(),
        });
    }
    body.clear();
}

fn parse_text(text: &str, mut doc: Document) -> Document {
    doc.sections.push(Section {
        heading_path: Vec::new(),
        page: None,
        text: text.trim().to_string(),
    });
    doc
}

#[derive(Deserialize)]
struct BeirRecord {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    text: String,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

/// One document per JSONL line. `metadata.domain` picks the domain (used by
/// per-domain evaluation) and `metadata.page` the page.
fn parse_beir(path: &Path, text: &str, base: &Document) -> Result<Vec<Document>, DocError> {
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| DocError::BadRecord {
            path: path.into(),
            line: i + 1,
            reason,
        };
        let rec: BeirRecord = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let id = match rec.id {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            other => return Err(bad(format!("`_id` must be a string, got {other}"))),
        };
        let mut metadata = BTreeMap::new();
        for (k, v) in rec.metadata {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            metadata.insert(k, v);
        }
        let domain = metadata
            .get("domain")
            .and_then(|d| d.parse().ok())
            .unwrap_or(base.domain);
        let page = metadata.get("page").and_then(|p| p.parse().ok());
        if rec.text.trim().is_empty() && rec.title.trim().is_empty() {
            continue;
        }
        docs.push(Document {
            id,
            title: rec.title,
            source: base.source.clone(),
            content_hash: content_hash(line.as_bytes()),
            domain,
            acl: base.acl.clone(),
            metadata,
            sections: vec![Section {
                heading_path: Vec::new(),
                page,
                text: rec.text,
            }],
        });
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Vec<Document>, DocError> {
        parse_bytes(
            Path::new(name),
            name,
            text.as_bytes(),
            &ParseOptions::default(),
        )
    }

    #[test]
    fn markdown_sections_keep_heading_path() {
        let md = "# 펌프 점검 SOP\n개요 문단\n## 3. 점검 절차\n### 3.2 베어링 점검\n온도 80 °C 이하\n```\n# not a heading\n```\n## 4. 기록\n기록한다\n";
        let docs = parse("sop.md", md).expect("parses");
        let doc = &docs[0];
        assert_eq!(doc.title, "펌프 점검 SOP");
        let paths: Vec<_> = doc
            .sections
            .iter()
            .map(|s| s.heading_path.join(" > "))
            .collect();
        assert_eq!(
            paths,
            vec![
                "펌프 점검 SOP",
                "펌프 점검 SOP > 3. 점검 절차 > 3.2 베어링 점검",
                "펌프 점검 SOP > 4. 기록"
            ]
        );
        assert!(doc.sections[1].text.contains("# not a heading"));
    }

    #[test]
    fn beir_lines_become_documents() {
        let jsonl = "{\"_id\":\"d1\",\"title\":\"T\",\"text\":\"본문\",\"metadata\":{\"domain\":\"finance\",\"page\":3}}\n{\"_id\":2,\"text\":\"two\"}\n";
        let docs = parse("corpus.jsonl", jsonl).expect("parses");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].domain, Domain::Finance);
        assert_eq!(docs[0].sections[0].page, Some(3));
        assert_eq!(docs[1].id, "2");
    }

    #[test]
    fn hostile_text_gets_named_errors() {
        let err = parse("empty.md", "  \n").expect_err("empty");
        assert!(err.to_string().starts_with("empty.md: empty file"));
        let err = parse_bytes(
            Path::new("bad.txt"),
            "bad.txt",
            b"ok\xff\xfe",
            &ParseOptions::default(),
        )
        .expect_err("bad utf8");
        assert_eq!(err.to_string(), "bad.txt: invalid UTF-8 at byte 2");
        let err =
            parse("c.jsonl", "{\"_id\":\"a\",\"text\":\"x\"}\n{oops\n").expect_err("bad line");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    fn inspect(name: &str, bytes: &[u8]) -> Result<Parsed, DocError> {
        inspect_bytes(Path::new(name), name, bytes, &ParseOptions::default())
    }

    #[test]
    fn cp949_and_utf16_text_is_decoded() {
        let (cp949, _, _) = encoding_rs::EUC_KR.encode("냉각수 펌프 점검 주기는 500시간이다.");
        let p = inspect("old.txt", &cp949).expect("cp949");
        assert_eq!(p.encoding, "CP949");
        assert!(p.documents[0].sections[0].text.contains("펌프 점검"));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("설비 점검".encode_utf16().flat_map(u16::to_le_bytes));
        let p = inspect("wide.txt", &utf16).expect("utf16");
        assert_eq!(p.encoding, "UTF-16LE");
        assert_eq!(p.documents[0].sections[0].text, "설비 점검");
    }

    #[test]
    fn csv_becomes_table_sections_with_the_header_each_time() {
        let mut csv = String::from("품번,품명,\"재고, 개\"\n");
        for i in 0..45 {
            csv.push_str(&format!("PN-{i},\"씰, 메커니컬\",{i}\n"));
        }
        let p = inspect("stock.csv", csv.as_bytes()).expect("csv");
        assert_eq!(p.format, "CSV");
        let doc = &p.documents[0];
        assert_eq!(doc.sections.len(), 2);
        assert_eq!(doc.sections[1].heading_path, ["stock", "rows 41–45"]);
        for s in &doc.sections {
            assert!(s
                .text
                .starts_with("| 품번 | 품명 | 재고, 개 |\n| --- | --- | --- |"));
        }
        assert!(doc.sections[0].text.contains("| PN-0 | 씰, 메커니컬 | 0 |"));
    }

    /// Real files: `../shared/data/office-fixtures` (SEOGO_SHARED_DATA).
    fn fixture(name: &str) -> Parsed {
        let dir = std::env::var_os("SEOGO_SHARED_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
        let path = dir.join("office-fixtures/unstructured").join(name);
        inspect_file(&path, name, &ParseOptions::default()).expect(name)
    }

    #[test]
    fn csv_fixtures_keep_their_cells() {
        let semicolon = fixture("semicolon-delimited.csv");
        assert!(semicolon.documents[0].sections[0]
            .text
            .contains("| sed, do | eiusmod | tempor incididunt |"));
        let escaped = fixture("csv-with-escaped-commas.csv");
        assert!(escaped.documents[0].sections[0]
            .text
            .contains("| A | A | A | A,A | A |"));
        let tsv = fixture("stanley-cups.tsv");
        assert_eq!(tsv.format, "TSV");
        assert!(tsv.documents[0].sections[0]
            .text
            .contains("| Blues | STL | 1 |"));
    }

    #[test]
    fn recognised_but_unread_formats_are_named() {
        for (name, bytes, said) in [
            ("a.hwp", &b"%PDF-1.4\n1 0 obj"[..], "PDF is not read"),
            ("scan.pdf", b"\x89PNG\r\n\x1a\n\0\0", "image has no text"),
            (
                "page.txt",
                b"<!DOCTYPE html><html><body>x</body></html>",
                "HTML is not read",
            ),
            ("x.bin", b"abc\0def", "NUL bytes"),
        ] {
            let err = inspect(name, bytes).expect_err(name).to_string();
            assert!(err.starts_with(name) && err.contains(said), "{err}");
        }
    }
}
