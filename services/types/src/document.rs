use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The group every caller belongs to. A document ingested without an ACL is
/// readable by everyone through it; a document with an ACL is not.
pub const PUBLIC_GROUP: &str = "public";

/// Which domain connector a document belongs to; used as a search filter and
/// to report evaluation per domain.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Documents no domain connector read.
    #[default]
    General,
    /// Manuals, SOPs, work orders, failure logs.
    Manufacturing,
    /// Filings, XBRL facts, financial tables.
    Finance,
    /// Statutes, government documents, public data.
    Public,
}

impl Domain {
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::General => "general",
            Domain::Manufacturing => "manufacturing",
            Domain::Finance => "finance",
            Domain::Public => "public",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "general" => Ok(Domain::General),
            "manufacturing" => Ok(Domain::Manufacturing),
            "finance" => Ok(Domain::Finance),
            "public" => Ok(Domain::Public),
            other => Err(format!(
                "unknown domain `{other}` (expected general, manufacturing, finance or public)"
            )),
        }
    }
}

/// The groups allowed to read a document. Stored on every chunk and applied
/// as a filter inside both indexes, never after retrieval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub groups: Vec<String>,
}

impl Acl {
    /// An ACL from the groups given at ingest; none means public.
    pub fn from_groups(groups: &[String]) -> Self {
        let mut groups: Vec<String> = groups
            .iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        if groups.is_empty() {
            groups.push(PUBLIC_GROUP.to_string());
        }
        groups.sort();
        groups.dedup();
        Acl { groups }
    }

    pub fn public() -> Self {
        Self::from_groups(&[])
    }
}

impl Default for Acl {
    fn default() -> Self {
        Self::public()
    }
}

/// A piece of a document under one heading path (and on one page, where the
/// format has pages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Headings from the document's top down to this section, e.g.
    /// `["3. 점검 절차", "3.2 베어링 점검"]`.
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    /// What the chunker and the indexes read; a table's Markdown rendering.
    pub text: String,
    /// The cells, when this section is (part of) a table: the finance
    /// connector reads numbers from here rather than re-parsing Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// Where in the source this came from, in the format's own terms
    /// ("sheet 매출 · A1:F40", "slide 3", "section 0 · paragraph 12").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
}

impl Section {
    /// Prose under `heading_path` on `page`.
    pub fn new(heading_path: Vec<String>, page: Option<u32>, text: String) -> Self {
        Self {
            heading_path,
            page,
            text,
            table: None,
            locator: None,
        }
    }
}

/// A table as rows of cell text; the first `header_rows` rows are headers.
/// Merged cells repeat their text in every cell they cover, so each row
/// reads on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub header_rows: usize,
    pub rows: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

impl Table {
    /// Columns of the widest row.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// GitHub-style Markdown: the header row(s), a rule, the body; a table
    /// without header rows gets an empty header so it still renders.
    pub fn to_markdown(&self) -> String {
        let width = self.width();
        let render = |row: &[String]| {
            let cells: Vec<String> = (0..width)
                .map(|i| {
                    row.get(i).map_or(String::new(), |c| {
                        c.replace('|', "\\|").replace(['\n', '\r'], " ")
                    })
                })
                .collect();
            format!("| {} |", cells.join(" | "))
        };
        let mut out = String::new();
        if let Some(caption) = &self.caption {
            out.push_str(caption);
            out.push('\n');
        }
        let (head, body) = self.rows.split_at(self.header_rows.min(self.rows.len()));
        if head.is_empty() {
            out.push_str(&render(&[]));
            out.push('\n');
        }
        for row in head {
            out.push_str(&render(row));
            out.push('\n');
        }
        out.push('|');
        out.push_str(&" --- |".repeat(width));
        for row in body {
            out.push('\n');
            out.push_str(&render(row));
        }
        out
    }
}

/// A parsed source document, before chunking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id within a collection: the path relative to the ingested root,
    /// or the id the source gives (BEIR `_id`).
    pub id: String,
    pub title: String,
    /// Where it came from (a file path), shown in citations.
    pub source: String,
    /// sha256 of the source bytes: unchanged content means no re-indexing.
    pub content_hash: String,
    pub domain: Domain,
    pub acl: Acl,
    pub metadata: BTreeMap<String, String>,
    pub sections: Vec<Section>,
}

/// The unit that is indexed, retrieved and cited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// `{doc_id}#{ordinal}`: unique in a collection.
    pub id: String,
    pub doc_id: String,
    pub ordinal: u32,
    pub title: String,
    pub source: String,
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    /// Where in the source its section starts, in the format's terms
    /// ("section 0 · paragraph 12", "sheet 매출 · rows 1–40").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
    /// The chunk's own text, quoted in citations.
    pub text: String,
    /// Its document's header: the cover table or lines before the first
    /// heading under the title ("대상 설비 | … P-201A, P-201B"), repeated
    /// in every chunk. What it names (an equipment tag, a form or part
    /// number) is what the whole document is about, so a section that
    /// never repeats the tag is still found for it; see
    /// `seogo_docs::chunk_document`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub header: String,
    pub domain: Domain,
    pub acl: Vec<String>,
    pub metadata: BTreeMap<String, String>,
}

impl Chunk {
    /// `chunk.id` for the chunk `ordinal` of `doc_id`.
    pub fn make_id(doc_id: &str, ordinal: u32) -> String {
        format!("{doc_id}#{ordinal}")
    }

    /// "3. 점검 절차 > 3.2 베어링 점검", or empty. A leading heading that
    /// is the document title is left out: citations show the title apart.
    pub fn section_label(&self) -> String {
        let path = match self.heading_path.split_first() {
            Some((first, rest)) if *first == self.title => rest,
            _ => &self.heading_path[..],
        };
        path.join(" > ")
    }

    /// What the indexes see: the title and heading path give short chunks
    /// the context a reader would have (BEIR indexes title + text too).
    pub fn indexed_text(&self) -> String {
        let mut out = String::with_capacity(self.title.len() + self.text.len() + 64);
        out.push_str(&self.title);
        for heading in &self.heading_path {
            if heading != &self.title {
                out.push('\n');
                out.push_str(heading);
            }
        }
        out.push('\n');
        out.push_str(&self.text);
        out
    }
}

/// Hex sha256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_defaults_to_public_and_normalises() {
        assert_eq!(Acl::from_groups(&[]).groups, vec!["public"]);
        let acl = Acl::from_groups(&["hr".into(), " finance ".into(), "hr".into(), "".into()]);
        assert_eq!(acl.groups, vec!["finance", "hr"]);
    }

    #[test]
    fn domain_round_trips() {
        for d in [
            Domain::General,
            Domain::Manufacturing,
            Domain::Finance,
            Domain::Public,
        ] {
            assert_eq!(d.as_str().parse::<Domain>(), Ok(d));
        }
        assert!("retail".parse::<Domain>().is_err());
    }

    #[test]
    fn tables_render_with_header_and_escaped_cells() {
        let table = Table {
            header_rows: 1,
            rows: vec![
                vec!["품번".into(), "재고".into()],
                vec!["PN-1|A".into(), "3\n개".into(), "extra".into()],
            ],
            caption: None,
        };
        assert_eq!(
            table.to_markdown(),
            "| 품번 | 재고 |  |\n| --- | --- | --- |\n| PN-1\\|A | 3 개 | extra |"
        );
    }
}
