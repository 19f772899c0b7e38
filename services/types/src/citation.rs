//! Where an answer's claim is backed: the document, section, page and a
//! verbatim quote a person can check.

use serde::{Deserialize, Serialize};

/// A resolved `[n]` marker: where the claim's evidence is, verbatim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Citation {
    pub n: usize,
    pub doc_id: String,
    pub chunk_id: String,
    pub title: String,
    pub section: String,
    pub page: Option<u32>,
    /// Where in the file, in its format's terms ("section 0 · paragraph 12").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
    /// A sentence copied from the chunk: the evidence a person can check.
    pub quote: String,
    /// Further sentences of the chunk, verbatim, when other claims of the
    /// answer rest on it too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_quotes: Vec<String>,
}
