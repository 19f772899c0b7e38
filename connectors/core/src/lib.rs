//! Seogo's document model and the generic connectors.
//!
//! Every source — PDF, DOCX, PPTX, ODT, spreadsheets, HWP and HWPX, HTML,
//! RTF, e-mail, XML/JSON, zip archives, Markdown and text, a BEIR corpus,
//! and the domain connectors' refinements of them — becomes [`Document`]s
//! made of [`Section`]s that keep their
//! heading path and page, and the [`chunk`] module turns those into
//! [`Chunk`]s: the unit that is indexed, retrieved and cited. Nothing here
//! knows about indexes or models; the engine glues them together.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

pub mod chunk;
pub mod connector;
mod delimited;
pub mod detect;
mod error;
mod formats;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod limits;
mod outline;
pub mod parse;
#[cfg(test)]
mod test_support;
mod xml;
mod zip_container;

pub use chunk::{chunk_document, ChunkerConfig};
pub use connector::{Connector, Fact, Refined, SourceFile};
pub use error::DocError;
pub use limits::{panic_reason, Limits};
/// The vocabulary this crate produces, defined in seogo-types so that the
/// crates which only name it need not build the parsers.
pub use seogo_types::{content_hash, Acl, Chunk, Document, Domain, Section, Table, PUBLIC_GROUP};
