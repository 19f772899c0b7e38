//! The finance connector: SEC EDGAR filings and DART (Korean) disclosures
//! as the documents analysts search — a 10-K split by Item with the
//! company, ticker, form and fiscal period on every piece, XBRL facts
//! (inline or instance) as normalised numbers plus a small facts document
//! that cites them, and a DART report by its own section titles with its
//! 단위-scaled amounts read as KRW facts. Anything else (Form 4, 13F, PDFs,
//! non-finance files) keeps its generic parse, with the form type added
//! where the file states it: a file the generic parser read never fails.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod dart;
mod edgar;
mod facts;
mod labels;
mod meta;
mod value;
mod xbrl;
mod xml;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use seogo_docs::{Connector, DocError, Document, Domain, Refined, SourceFile};
use serde::Deserialize;

/// Options under `[[sources]] options = { … }` were not understood.
#[derive(Debug, thiserror::Error)]
#[error("finance connector options: {0}")]
pub struct OptionsError(String);

/// `options = { entity_names = { "0000320193" = "Apple" }, dimensional_facts = false }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Options {
    /// Entity identifier (CIK, DART corp code) → the name facts and
    /// documents should carry, over the registrant name the filing states
    /// (e.g. "Apple" rather than "Apple Inc.", to match how users ask).
    entity_names: BTreeMap<String, String>,
    /// Whether facts qualified by dimensions (segment members) are kept
    /// as facts; they never go into the facts document.
    dimensional_facts: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            entity_names: BTreeMap::new(),
            dimensional_facts: true,
        }
    }
}

#[derive(Debug, Default)]
pub struct FinanceConnector {
    options: Options,
}

impl FinanceConnector {
    pub fn from_options(options: &serde_json::Value) -> Result<Self, OptionsError> {
        let options = match options {
            serde_json::Value::Null => Options::default(),
            other => Options::deserialize(other).map_err(|e| OptionsError(e.to_string()))?,
        };
        Ok(Self { options })
    }
}

impl Connector for FinanceConnector {
    fn name(&self) -> &'static str {
        "finance"
    }

    fn domain(&self) -> Domain {
        Domain::Finance
    }

    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError> {
        let text = decode(file.bytes, file.parsed.encoding);
        let mut refined = if file.parsed.format == "XML" && dart::is_dart(&text) {
            dart::refine(&file, &text, &self.options.entity_names)
        } else if matches!(file.parsed.format, "XML" | "HTML") && text.contains("contextRef") {
            self.xbrl(&file, &text)
        } else {
            None
        }
        .unwrap_or_else(|| generic(file, &text));
        for doc in &mut refined.documents {
            doc.domain = Domain::Finance;
        }
        Ok(refined)
    }
}

impl FinanceConnector {
    /// An iXBRL page or XBRL instance: facts, metadata from its `dei:`
    /// facts, a page split by Item, an instance's raw text replaced by its
    /// facts document. `None` when no cover facts or numbers were found.
    fn xbrl(&self, file: &SourceFile<'_>, text: &str) -> Option<Refined> {
        let filing = xbrl::read(text);
        if filing.facts.is_empty() && filing.dei.is_empty() {
            return None;
        }
        let labels = labels::beside(file.path, filing.schema_ref.as_deref());
        let facts = facts::facts(
            &filing,
            &labels,
            &self.options.entity_names,
            file.doc_id,
            self.options.dimensional_facts,
        );
        let mut metadata = meta::from_dei(&filing.dei, &self.options.entity_names);
        if let Some(error) = &filing.error {
            metadata.insert("xbrl_incomplete".into(), error.clone());
        }
        let sections = facts::sections(&facts);
        let facts_doc = file
            .parsed
            .documents
            .first()
            .filter(|_| !sections.is_empty())
            .map(|base| {
                let mut doc = base.clone();
                doc.id = format!("{}#facts", file.doc_id);
                doc.title = format!("{} — XBRL facts", meta::title(&metadata, &base.title));
                doc.sections = sections;
                doc
            });
        // An instance's own text is tags and numbers: its facts document
        // says the same, readably; without one the text stays.
        let mut documents = if file.parsed.format == "HTML" {
            let bold = edgar::bold_lines(text);
            split_filings(&file.parsed.documents, &bold, &metadata)
        } else if facts_doc.is_some() {
            Vec::new()
        } else {
            file.parsed.documents.clone()
        };
        documents.extend(facts_doc);
        for doc in &mut documents {
            doc.metadata.extend(metadata.clone());
        }
        Some(Refined { documents, facts })
    }
}

/// A file with no XBRL: its generic documents, split by Item when it is an
/// itemised filing (a 10-K PDF), with the form type it states.
fn generic(file: SourceFile<'_>, text: &str) -> Refined {
    // The cover page: the first few blocks of the first document.
    let cover = file
        .parsed
        .documents
        .first()
        .map(|d| {
            d.sections
                .iter()
                .take(3)
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let Some(form) = meta::form_type(file.path, text, &cover) else {
        return Refined::unchanged(file.parsed);
    };
    let metadata = BTreeMap::from([("form_type".to_string(), form)]);
    let mut documents = split_filings(&file.parsed.documents, &HashSet::new(), &metadata);
    for doc in &mut documents {
        doc.metadata.extend(metadata.clone());
    }
    Refined {
        documents,
        facts: Vec::new(),
    }
}

/// Each document split by Item where it has Items, else kept.
fn split_filings(
    docs: &[Document],
    bold: &HashSet<String>,
    metadata: &BTreeMap<String, String>,
) -> Vec<Document> {
    let part_in_ids = metadata
        .get("form_type")
        .is_some_and(|f| f.starts_with("10-Q"));
    let mut out = Vec::new();
    for doc in docs {
        match edgar::split(doc, bold, part_in_ids) {
            Some(items) => out.extend(items.into_iter().map(|mut d| {
                d.title = d
                    .title
                    .replacen(&doc.title, &meta::title(metadata, &doc.title), 1);
                d
            })),
            None => out.push(doc.clone()),
        }
    }
    out
}

/// The file's text in the encoding the generic parser found (DART files
/// are often EUC-KR); binary formats decode to nothing useful and are
/// only searched for markers.
fn decode<'b>(bytes: &'b [u8], encoding: &str) -> Cow<'b, str> {
    let label = if encoding == "CP949" {
        "euc-kr"
    } else {
        encoding
    };
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) if enc != encoding_rs::UTF_8 => enc.decode_without_bom_handling(bytes).0,
        _ => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests;
