//! Domain connectors: what turns the generic parse of a file into the
//! documents of an industry — 10-K Items and XBRL facts, statute articles,
//! SOP steps and work-order records — with the metadata and identifiers
//! its users search by. A connector sees the raw bytes as well as the
//! generic parse, so it can read a format's own structure (an XBRL
//! instance, a statute XML, a work-order CSV with a column mapping) or
//! just refine what the parser found.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::parse::Parsed;
use crate::DocError;
use seogo_types::{Document, Domain};

/// One file, as a connector receives it.
#[derive(Debug)]
pub struct SourceFile<'a> {
    pub path: &'a Path,
    /// The id its documents are keyed by (the path under the ingested
    /// root); a connector that splits a file keeps ids under it
    /// (`{doc_id}#item-1a`), so re-syncing the file replaces them all.
    pub doc_id: &'a str,
    pub bytes: &'a [u8],
    /// What the generic parser made of it.
    pub parsed: Parsed,
}

/// A connector's output for one file.
#[derive(Debug, Default)]
pub struct Refined {
    pub documents: Vec<Document>,
    /// Numeric facts (XBRL), stored beside the chunks.
    pub facts: Vec<Fact>,
}

impl Refined {
    /// The generic parse, unchanged: what a connector returns for a file
    /// it has nothing to add to.
    pub fn unchanged(parsed: Parsed) -> Self {
        Self {
            documents: parsed.documents,
            facts: Vec::new(),
        }
    }
}

/// A reported number: one XBRL fact, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// The reporting entity's name (or its identifier when unnamed).
    pub entity: String,
    /// `us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax`.
    pub concept: String,
    /// A human label for the concept ("Net sales"), when the filing has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `2023-09-30` (instant) or `2022-09-25/2023-09-30` (duration).
    pub period: String,
    /// The fiscal year the period is, as filers and readers name it
    /// (`FY2023`), when the filing makes that certain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_period: Option<String>,
    /// `USD`, `shares`, `KRW`, `USD/shares`.
    pub unit: String,
    /// The value in `unit`, as a plain decimal string (sign applied, scale
    /// applied: "383285000000").
    pub value: String,
    /// The power of ten the document displayed it in (6 = millions,
    /// 3 = 천원), so it can be shown as written.
    pub scale: i32,
    /// XBRL `decimals` (precision), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<String>,
    /// The document (and so the file) it was read from, for citation.
    pub doc_id: String,
}

/// A domain's reader. Implementations are `Send + Sync`: files of one
/// ingest are refined in parallel. Their `Debug` output, options included,
/// is part of every document's stored hash (a changed option re-reads the
/// files), so it must be deterministic: no `HashMap`s in it.
pub trait Connector: Send + Sync + std::fmt::Debug {
    /// The name used in `[[sources]] connector = "…"`.
    fn name(&self) -> &'static str;
    fn domain(&self) -> Domain;
    /// The documents (and facts) to index for one file. Errors name the
    /// file, as parse errors do; the rest of the batch goes on.
    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError>;
}
