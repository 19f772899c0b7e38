//! Seogo's end-to-end tests: real models, real indexes on disk, the real
//! binary. One binary, a module per area.

mod api;
mod batch;
mod bench;
mod cluster;
mod cluster_failover;
mod connectors;
mod crash;
mod deploy;
mod docs;
mod fetch;
mod formats;
mod generator;
mod ingest_cli;
mod reindex;
mod retrieval_eval;
mod served;
mod server;
mod spine;
mod storage;
mod sync;
mod widget;
