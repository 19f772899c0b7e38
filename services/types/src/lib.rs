//! Seogo's shared vocabulary: what a document, a section, a chunk, an ACL,
//! a domain, a citation and a chat message are.
//!
//! The crates that only need to *name* these (the indexes, the model
//! runtime, the server) depend on this one instead of on the parsers or on
//! candle: it has no dependency heavier than serde and sha2, so it builds
//! first and changing a parser rebuilds none of them.

mod chat;
mod citation;
mod document;

pub use chat::{ChatMessage, Role};
pub use citation::Citation;
pub use document::{content_hash, Acl, Chunk, Document, Domain, Section, Table, PUBLIC_GROUP};
