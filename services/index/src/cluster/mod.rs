//! Collections on a Qdrant server or cluster, through qdrant-client
//! (gRPC): for when one machine's disk or memory is not enough.
//!
//! Everything a query or a write needs lives in Qdrant, so a Seogo node
//! keeps no collection state and any node serves any request:
//!
//! - collection `prefix + NAME` holds one point per chunk: the dense
//!   vector, the BM25 view as a sparse vector (`lexical`, IDF applied by
//!   Qdrant), and the chunk with its filter fields as payload, with
//!   keyword indexes on `doc_id`, `acl`, `meta` and `ids`. Its metadata
//!   holds the layout version, the sparse vectors' average lengths and the
//!   engine's settings (the embedder fingerprint), checked by every node;
//! - collection `prefix + NAME + ".docs"` holds one payload-only point per
//!   document: its manifest entry (content hash, source, chunk count) and,
//!   while a node writes it, that node's claim (the journal).
//!
//! qdrant-client is async while the engine is blocking, so the client owns
//! a small tokio runtime and waits for each call on a channel: that works
//! from any thread, inside the server's runtime or not.

mod client;
mod docs;
mod schema;
mod search;
mod store;

pub use client::{ClusterFusion, QdrantConfig};
pub use docs::{DocRecord, WriteClaim};
pub use store::ClusterStore;
