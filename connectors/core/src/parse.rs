//! Reading a source file into [`Document`]s, the format decided by content
//! ([`crate::detect`]) and each format read by its parser in
//! [`crate::formats`], under the file's [`Limits`]. A file is parsed on a
//! thread of its own: a parser that panics or outruns the time limit costs
//! that file, never the batch.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::delimited::pick_delimiter;
use crate::detect::{sniff_binary, sniff_text, Kind};
use crate::formats::{self, Extracted};
use crate::limits::{Budget, Failure, Limits};
use crate::DocError;
use seogo_types::{content_hash, Acl, Document, Domain, Section};

/// What every document read from one ingest call shares.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    pub domain: Domain,
    pub acl: Acl,
    pub limits: Limits,
}

/// Reads `path` (whose id is `doc_id`, normally its path under the ingested
/// root) into documents: one per file, one per line for a BEIR corpus, and
/// one per e-mail attachment or archive member.
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
    inspect_bytes(path, doc_id, Arc::from(bytes), opts).map(|p| p.documents)
}

/// What was made of one file: its detected format and text encoding, the
/// documents, and what the operator should know (`seogo parse` shows this).
#[derive(Debug, Clone, Serialize)]
pub struct Parsed {
    pub format: &'static str,
    pub encoding: &'static str,
    pub documents: Vec<Document>,
    pub warnings: Vec<String>,
}

/// Reads `path` and reports what it is as well as its documents.
pub fn inspect_file(path: &Path, doc_id: &str, opts: &ParseOptions) -> Result<Parsed, DocError> {
    let bytes = read_source(path, &opts.limits)?;
    inspect_bytes(path, doc_id, bytes, opts)
}

/// The bytes of `path`, refused unread when larger than the limit; shared,
/// so a domain connector can read them after the parser.
pub fn read_source(path: &Path, limits: &Limits) -> Result<Arc<[u8]>, DocError> {
    let meta = std::fs::metadata(path).map_err(|e| DocError::io(path, e))?;
    if meta.len() > limits.max_file_bytes {
        return Err(DocError::TooLarge {
            path: path.into(),
            size: meta.len(),
            limit: limits.max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DocError::io(path, e))?;
    Ok(Arc::from(bytes))
}

/// [`inspect_file`] on bytes already read (shared, so a domain connector
/// can read them too). Parses on a thread of its own and waits at most the
/// time limit (and a grace second: parsers check the deadline themselves,
/// this catches one stuck inside a library). A stuck thread is abandoned,
/// not joined.
pub fn inspect_bytes(
    path: &Path,
    doc_id: &str,
    bytes: Arc<[u8]>,
    opts: &ParseOptions,
) -> Result<Parsed, DocError> {
    if bytes.len() as u64 > opts.limits.max_file_bytes {
        return Err(DocError::TooLarge {
            path: path.into(),
            size: bytes.len() as u64,
            limit: opts.limits.max_file_bytes,
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let (owned_path, owned_id, owned_opts) = (path.to_path_buf(), doc_id.to_string(), opts.clone());
    let spawned = std::thread::Builder::new()
        .name("seogo-parse".into())
        .stack_size(32 * 1024 * 1024)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| {
                inspect_nested(&owned_path, &owned_id, &bytes, &owned_opts, 0)
            });
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(DocError::io(path, e));
    }
    let seconds = opts.limits.max_seconds;
    match rx.recv_timeout(Duration::from_secs(seconds.saturating_add(1))) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(DocError::Malformed {
            path: path.into(),
            format: "file",
            reason: format!(
                "the parser failed ({})",
                crate::limits::panic_reason(&*panic)
            ),
        }),
        Err(_) => Err(DocError::Timeout {
            path: path.into(),
            seconds,
        }),
    }
}

/// One file, or an attachment `depth` containers down.
pub(crate) fn inspect_nested(
    path: &Path,
    doc_id: &str,
    bytes: &[u8],
    opts: &ParseOptions,
    depth: u32,
) -> Result<Parsed, DocError> {
    let budget = Budget::new(&opts.limits);
    let (kind, text, encoding) = match sniff_binary(bytes) {
        Some(kind) => (kind, Cow::Borrowed(""), "binary"),
        None => {
            let (text, encoding) = decode(path, bytes)?;
            if text.trim().is_empty() {
                return Err(DocError::Empty { path: path.into() });
            }
            if text.contains('\0') {
                return Err(DocError::Unsupported {
                    path: path.into(),
                    reason: "binary content (NUL bytes) of no format Seogo recognises".into(),
                });
            }
            (sniff_text(path, &text), text, encoding)
        }
    };
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
    if kind == Kind::BeirCorpus {
        return Ok(Parsed {
            format: kind.name(),
            encoding,
            documents: parse_beir(path, &text, &base)?,
            warnings: Vec::new(),
        });
    }
    let extracted = extract(kind, bytes, &text, &base.title, &budget)
        .map_err(|f| failure(path, kind, f, &opts.limits))?;
    let mut warnings = extracted.warnings;
    let mut doc = base;
    if let Some(title) = extracted.title.filter(|t| !t.trim().is_empty()) {
        doc.title = title.trim().to_string();
    }
    doc.metadata = extracted.metadata;
    doc.metadata.insert("format".into(), kind.name().into());
    if let Some(pages) = extracted.pages {
        doc.metadata.insert("pages".into(), pages.to_string());
    }
    doc.sections = extracted.sections;
    let mut documents = Vec::new();
    if !doc.sections.is_empty() {
        documents.push(doc);
    }
    for attachment in extracted.attachments {
        let inner = format!("{}/{}", path.display(), attachment.name);
        if depth + 1 > opts.limits.max_nesting {
            warnings.push(format!(
                "{inner}: skipped, nested deeper than {} (parse.max_nesting)",
                opts.limits.max_nesting
            ));
            continue;
        }
        let inner_id = format!("{doc_id}/{}", attachment.name);
        match inspect_nested(
            Path::new(&inner),
            &inner_id,
            &attachment.bytes,
            opts,
            depth + 1,
        ) {
            Ok(parsed) => {
                documents.extend(parsed.documents);
                warnings.extend(parsed.warnings);
            }
            Err(e) => warnings.push(e.to_string()),
        }
    }
    if documents.is_empty() {
        return Err(DocError::Empty { path: path.into() });
    }
    Ok(Parsed {
        format: kind.name(),
        encoding,
        documents,
        warnings,
    })
}

/// The format's parser; `text` is the decoded content of a text format.
pub(crate) fn extract(
    kind: Kind,
    bytes: &[u8],
    text: &str,
    title: &str,
    budget: &Budget,
) -> Result<Extracted, Failure> {
    match kind {
        Kind::Markdown => Ok(formats::text::markdown(text)),
        Kind::Text => Ok(formats::text::plain(text)),
        Kind::Csv => formats::text::delimited(text, pick_delimiter(text, b','), title),
        Kind::Tsv => formats::text::delimited(text, b'\t', title),
        Kind::Html => formats::html::extract(text, budget),
        Kind::Xml => formats::xml_json::extract(text, budget),
        Kind::Json => formats::xml_json::extract_json(text, budget),
        Kind::Eml => formats::eml::extract(text.as_bytes(), budget),
        Kind::Rtf => formats::rtf::extract(bytes, budget),
        Kind::Pdf => formats::pdf::extract(bytes, budget),
        Kind::Docx => formats::docx::extract(bytes, budget),
        Kind::Pptx => formats::pptx::extract(bytes, budget),
        Kind::Xlsx | Kind::Xls | Kind::Ods => formats::sheet::extract(bytes, budget),
        Kind::Odt => formats::odt::extract(bytes, budget),
        Kind::Hwpx => formats::hwpx::extract(bytes, budget),
        Kind::Hwp => formats::hwp::extract(bytes, budget),
        Kind::Zip => formats::zip_archive::extract(bytes, budget),
        Kind::EncryptedOffice => Err(Failure::Encrypted(
            "password-protected (an EncryptedPackage inside a compound file)".into(),
        )),
        Kind::Doc => Err(Failure::Unsupported(
            "Word 97–2003 (.doc) is not read: save it as DOCX".into(),
        )),
        Kind::Image => Err(Failure::Unsupported(
            "an image has no text to index (OCR is not part of Seogo yet)".into(),
        )),
        Kind::BeirCorpus => Err(Failure::Unsupported("a BEIR corpus is read whole".into())),
    }
}

/// Every member of the zip archive `bytes` (named `path` in errors), in
/// archive order, each inflated within `limits` — for callers that receive
/// a bundle rather than a file (OpenDART sends a filing as a zip).
pub fn unzip(
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<(String, Vec<u8>)>, DocError> {
    let budget = Budget::new(limits);
    let read = || -> Result<Vec<(String, Vec<u8>)>, Failure> {
        let mut zipped = crate::zip_container::Zipped::open(bytes, &budget)?;
        let mut members = Vec::new();
        for name in zipped.names() {
            if let Some(data) = zipped.read(&name)? {
                members.push((name, data));
            }
        }
        Ok(members)
    };
    read().map_err(|f| failure(path, Kind::Zip, f, limits))
}

/// The error a user reads: the file, its format and why.
fn failure(path: &Path, kind: Kind, failure: Failure, limits: &Limits) -> DocError {
    let path = path.into();
    let format = kind.name();
    match failure {
        Failure::Malformed(reason) => DocError::Malformed {
            path,
            format,
            reason,
        },
        Failure::Encrypted(reason) => DocError::Encrypted {
            path,
            format,
            reason,
        },
        Failure::Limit(reason) => DocError::LimitExceeded { path, reason },
        Failure::Unsupported(reason) => DocError::Unsupported {
            path,
            reason: format!("{format}: {reason}"),
        },
        Failure::Timeout => DocError::Timeout {
            path,
            seconds: limits.max_seconds,
        },
    }
}

/// Text from bytes: a BOM decides (UTF-8, UTF-16); else UTF-8 if valid;
/// else the charset the file declares (`<meta charset>`, `encoding=`);
/// else CP949/EUC-KR, which older Korean files use, if that decodes
/// cleanly; else the UTF-8 error.
pub(crate) fn decode<'b>(
    path: &Path,
    bytes: &'b [u8],
) -> Result<(Cow<'b, str>, &'static str), DocError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !had_errors {
            return Ok((text, encoding.name()));
        }
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok((Cow::Borrowed(text), "UTF-8")),
        Err(e) => e,
    };
    let declared = declared_charset(bytes).filter(|e| *e != encoding_rs::UTF_8);
    // An HTML page that declares nothing is windows-1252 by the HTML
    // standard, after the Korean code page has had its chance.
    let html_default = looks_like_html(bytes).then_some(encoding_rs::WINDOWS_1252);
    for encoding in declared
        .into_iter()
        .chain([encoding_rs::EUC_KR])
        .chain(html_default)
    {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if !had_errors {
            // encoding_rs's "EUC-KR" is the WHATWG one: Windows code page 949.
            let name = if encoding == encoding_rs::EUC_KR {
                "CP949"
            } else {
                encoding.name()
            };
            return Ok((text, name));
        }
    }
    Err(DocError::InvalidUtf8 {
        path: path.into(),
        offset: utf8_error.valid_up_to(),
    })
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// The encoding named by `charset=` or `encoding=` in the first 2 KB.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    ["charset=", "encoding="].iter().find_map(|key| {
        let at = head.find(key)? + key.len();
        let label: String = head[at..]
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        encoding_rs::Encoding::for_label(label.as_bytes())
    })
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
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
            sections: vec![Section::new(Vec::new(), page, rec.text)],
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
        assert!(err.to_string().starts_with("empty.md: no text to index"));
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
        inspect_bytes(
            Path::new(name),
            name,
            Arc::from(bytes),
            &ParseOptions::default(),
        )
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
        crate::test_support::parsed(&format!("office-fixtures/unstructured/{name}"))
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
        let mut doc = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
        for (name, bytes, said) in [
            ("old.doc", &doc[..], "save it as DOCX"),
            ("scan.pdf", b"\x89PNG\r\n\x1a\n\0\0", "image has no text"),
            ("x.bin", b"abc\0def", "NUL bytes"),
        ] {
            let err = inspect(name, bytes).expect_err(name).to_string();
            assert!(err.starts_with(name) && err.contains(said), "{err}");
        }
    }
}
