//! The facts table: XBRL facts stored with their documents (in the
//! manifest, so they change exactly when the document's chunks do), looked
//! up by concept, label, entity and period.

use seogo_docs::Fact;

use crate::{Engine, EngineError};

/// Substrings a fact must contain (case-insensitive); empty = any.
#[derive(Debug, Clone, Default)]
pub struct FactQuery {
    /// Matched against the concept and its label.
    pub concept: String,
    pub entity: String,
    /// Matched against the period (`2023-09-30`) and the fiscal year
    /// (`FY2023`).
    pub period: String,
}

impl FactQuery {
    fn matches(&self, fact: &Fact) -> bool {
        let has = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
        (has(&fact.concept, &self.concept)
            || fact.label.as_deref().is_some_and(|l| has(l, &self.concept)))
            && has(&fact.entity, &self.entity)
            && (has(&fact.period, &self.period)
                || fact
                    .fiscal_period
                    .as_deref()
                    .is_some_and(|fy| has(fy, &self.period)))
    }
}

impl Engine {
    /// The facts of `collection` that match `query`, in document order.
    pub fn facts(&self, collection: &str, query: &FactQuery) -> Result<Vec<Fact>, EngineError> {
        self.read_fresh(collection, |col| {
            Ok(col
                .manifest
                .docs
                .values()
                .flat_map(|entry| entry.facts.iter())
                .filter(|f| query.matches(f))
                .cloned()
                .collect())
        })
    }
}
