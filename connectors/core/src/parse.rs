//! Reading a source file into [`Document`]s, the format decided by content.
//!
//! This spine reads Markdown, plain text and BEIR `corpus.jsonl`; the formats
//! issue adds PDF, Office and HWP behind the same [`read_file`] entry point.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

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

/// The formats this build reads, as detected from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// BEIR `corpus.jsonl`: one document per line with `_id`, `title`, `text`.
    BeirCorpus,
    Markdown,
    Text,
}

/// Reads `path` (whose id is `doc_id`, normally its path under the ingested
/// root) into documents: one for Markdown and text, one per line for a BEIR
/// corpus.
pub fn read_file(
    path: &Path,
    doc_id: &str,
    opts: &ParseOptions,
) -> Result<Vec<Document>, DocError> {
    let meta = std::fs::metadata(path).map_err(|e| DocError::io(path, e))?;
    if meta.len() > opts.max_file_bytes {
        return Err(DocError::TooLarge {
            path: path.into(),
            size: meta.len(),
            limit: opts.max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DocError::io(path, e))?;
    parse_bytes(path, doc_id, &bytes, opts)
}

/// [`read_file`] on bytes already in memory (uploads, tests).
pub fn parse_bytes(
    path: &Path,
    doc_id: &str,
    bytes: &[u8],
    opts: &ParseOptions,
) -> Result<Vec<Document>, DocError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DocError::Empty { path: path.into() });
    }
    if bytes.contains(&0) {
        return Err(DocError::Unsupported {
            path: path.into(),
            reason: "binary content (NUL bytes); this build reads Markdown, text and BEIR JSONL"
                .into(),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DocError::InvalidUtf8 {
        path: path.into(),
        offset: e.valid_up_to(),
    })?;
    let hash = content_hash(bytes);
    let base = Document {
        id: doc_id.to_string(),
        title: file_stem(path),
        source: path.display().to_string(),
        content_hash: hash,
        domain: opts.domain,
        acl: opts.acl.clone(),
        metadata: BTreeMap::new(),
        sections: Vec::new(),
    };
    match detect(path, text) {
        Format::BeirCorpus => parse_beir(path, text, &base),
        Format::Markdown => Ok(vec![parse_markdown(text, base)]),
        Format::Text => Ok(vec![parse_text(text, base)]),
    }
}

/// Decides the format from the text itself; the extension only breaks the tie
/// between Markdown and plain text.
pub fn detect(path: &Path, text: &str) -> Format {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('{') {
        if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(first) {
            if obj.contains_key("_id") && obj.contains_key("text") {
                return Format::BeirCorpus;
            }
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let has_atx_heading = text.lines().any(|l| heading_level(l).is_some());
    match ext.as_deref() {
        Some("md" | "markdown") => Format::Markdown,
        Some("txt") => Format::Text,
        _ if has_atx_heading => Format::Markdown,
        _ => Format::Text,
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `Some((level, heading))` for an ATX heading line (`## 3.2 점검`).
fn heading_level(line: &str) -> Option<(usize, &str)> {
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
