//! What the crate's tests share: the fixtures in `../shared/data` (or
//! wherever SEOGO_SHARED_DATA points) read end to end.

use crate::parse::{inspect_file, ParseOptions, Parsed};
use crate::DocError;

pub(crate) use seogo_tests::shared_data;

/// `relative` (under the shared data) through [`inspect_file`].
pub(crate) fn inspect(relative: &str) -> Result<Parsed, DocError> {
    let path = shared_data().join(relative);
    inspect_file(&path, relative, &ParseOptions::default())
}

/// [`inspect`], which must succeed.
pub(crate) fn parsed(relative: &str) -> Parsed {
    inspect(relative).unwrap_or_else(|e| panic!("{e}"))
}

/// Every section's text of every document, joined by line breaks.
pub(crate) fn all_text(p: &Parsed) -> String {
    p.documents
        .iter()
        .flat_map(|d| d.sections.iter().map(|s| s.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}
