//! Seogo's end-to-end tests: real models, real indexes on disk, the real
//! binary. One binary, a module per area.
#![allow(clippy::disallowed_methods)] // fixtures and scratch files, not kept state

mod analysis;
mod api;
mod architecture;
mod batch;
mod bench;
mod cluster;
mod cluster_failover;
mod config;
mod connectors;
mod console;
mod crash;
mod deploy;
mod docs;
mod durable;
mod errors;
mod fetch;
mod formats;
mod generator;
mod gpu;
mod in_process;
mod ingest_cli;
mod lexical_index;
mod openai_generator;
mod reindex;
mod retrieval_eval;
mod serve_basics;
mod storage;
mod sync;
mod widget;
