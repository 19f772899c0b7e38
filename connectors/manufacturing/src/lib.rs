//! The manufacturing connector: what a plant's documents are searched by.
//!
//! - Procedures (SOPs, manuals, work instructions, in any format the
//!   generic parser reads) are re-cut by step, each step keeping the
//!   warning that goes with it ([`steps`]).
//! - Work orders and failure logs (CSV, XLSX) become one record document
//!   per row through a column mapping given per source ([`records`]).
//! - Identifiers found (part numbers, alarm codes, standards…) are listed
//!   in `metadata["identifiers"]` for display ([`idents`]).
//!
//! Options (`[[sources]] options = { … }`, all optional):
//!
//! ```json
//! {
//!   "records": {                         // or a list of mappings, tried in order
//!     "equipment_id": "Product ID",      // a column or a list of columns
//!     "failure_mode": ["TWF", "HDF"],    // code columns, or 0/1 columns named by a code
//!     "failure_flag": "Machine failure", // 0/1: is the row a failure
//!     "date": "날짜",
//!     "text": ["작업내용", "조치내용"],
//!     "id": "UDI",
//!     "include": "failures",             // or "all"; default "failures" with a flag
//!     "failure_names": {"E-2051": "seal chamber leak"}
//!   },
//!   "steps": {"group_tokens": 200}       // 0: every step its own section
//! }
//! ```
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod idents;
mod options;
mod records;
mod steps;

use std::collections::HashSet;

use seogo_docs::{Connector, DocError, Document, Domain, Refined, SourceFile};

pub use options::OptionsError;

use options::Options;

#[derive(Debug, Default)]
pub struct ManufacturingConnector {
    options: Options,
}

impl ManufacturingConnector {
    pub fn from_options(options: &serde_json::Value) -> Result<Self, OptionsError> {
        Ok(Self {
            options: Options::parse(options)?,
        })
    }

    /// A procedure document cut by step, its identifiers listed.
    fn procedure(&self, mut doc: Document) -> Document {
        let mut sections = Vec::with_capacity(doc.sections.len());
        let mut steps = 0;
        for section in std::mem::take(&mut doc.sections) {
            match steps::cut(&section, self.options.group_tokens) {
                Some(cut) => {
                    let depth = section.heading_path.len();
                    steps += cut.iter().filter(|s| s.heading_path.len() > depth).count();
                    sections.extend(cut);
                }
                None => sections.push(section),
            }
        }
        doc.sections = sections;
        if steps > 0 {
            doc.metadata
                .insert("step_sections".into(), steps.to_string());
        }
        let text: Vec<&str> = doc.sections.iter().map(|s| s.text.as_str()).collect();
        let found = idents::identifiers(&text.join("\n"));
        if !found.is_empty() {
            doc.metadata.insert("identifiers".into(), found.join(", "));
        }
        doc
    }
}

impl Connector for ManufacturingConnector {
    fn name(&self) -> &'static str {
        "manufacturing"
    }

    fn domain(&self) -> Domain {
        Domain::Manufacturing
    }

    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError> {
        let mut documents = Vec::new();
        let mut seen_ids = HashSet::new();
        for doc in file.parsed.documents {
            let (rest, records) = if self.options.records.is_empty() {
                (Some(doc), Vec::new())
            } else {
                records::split(file.path, doc, &self.options.records, &mut seen_ids)?
            };
            documents.extend(rest.map(|d| self.procedure(d)));
            documents.extend(records);
        }
        Ok(Refined {
            documents,
            facts: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests;
