//! `seogo bench …`: the speed figures of docs/BENCHMARKS.md, each printed
//! as text (Markdown tables where they go into the docs) or `--json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use seogo_engine::{AnalyzerKind, Engine};
use seogo_eval::bench::generate::{GenerateBench, ServedModel};
use seogo_eval::bench::gpu::GpuBenchOptions;
use seogo_eval::bench::parse::FormatBench;
use seogo_eval::bench::quick::{QuickBench, QuickBenchOptions};
use seogo_eval::bench::search::{SearchBench, SearchBenchOptions};
use seogo_eval::bench::LexicalBench;

use crate::soak::{self, SoakOptions, SoakReport};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Indexing throughput, index size and BM25 latency of each analyzer on
    /// an evaluation set (BEIR folder or SQuAD file).
    Lexical {
        #[arg(long)]
        dataset: PathBuf,
        #[arg(long, value_delimiter = ',', default_values = ["whitespace", "bigram", "morph", "combined"])]
        analyzers: Vec<AnalyzerKind>,
        /// Fresh builds per analyzer; the best time counts.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
    /// Prefill and decode tokens/s of the local candle generator and,
    /// with --server, of a model behind an OpenAI-compatible API (e.g.
    /// llama-server on the same GGUF), on the same prompt.
    Generate {
        /// The served model's API root, e.g. http://127.0.0.1:8081/v1.
        #[arg(long)]
        server: Option<String>,
        /// The served model's name.
        #[arg(long, default_value = "local")]
        model: String,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value_t = 128)]
        max_tokens: usize,
        #[arg(long)]
        json: bool,
    },
    /// Time to the sources, to the first token and to the whole answer
    /// for each question of a file (one per line) on a collection.
    Ask {
        questions: PathBuf,
        #[arg(long, env = "SEOGO_COLLECTION", default_value = seogo_engine::DEFAULT_COLLECTION)]
        collection: String,
        #[arg(long)]
        json: bool,
    },
    /// Passages/s of the embedder on passages given one per line (see
    /// scripts/bench-embed.sh, which also runs the peers on the same file).
    Embed {
        passages: PathBuf,
        /// Passes over all passages; the best time counts.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        json: bool,
        /// Writes the first passage's vector here as a JSON array, to
        /// compare with a peer's (scripts/bench-embed.sh).
        #[arg(long)]
        first_vector: Option<PathBuf>,
    },
    /// Parsing throughput per format (MB/s, pages/s, one core) over files
    /// and folders, with the files that failed and why.
    Parse {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Parses per file; the best time counts.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
    /// Query latency (one client) and throughput (many) of bm25, dense
    /// and hybrid at each collection size, with disk, open time and memory:
    /// synthetic chunks drawn from an evaluation corpus's real sentences,
    /// queried with its real questions.
    Search {
        #[arg(long)]
        dataset: PathBuf,
        /// Collection sizes in chunks.
        #[arg(long, value_delimiter = ',', default_values = ["10000", "100000"])]
        chunks: Vec<usize>,
        /// Real sentences embedded to make the synthetic vectors from.
        #[arg(long, default_value_t = 2000)]
        sentences: usize,
        /// Queries per mode for the one-client figures.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Concurrent clients for the throughput figures, one phase per
        /// number (none: skip).
        #[arg(long, value_delimiter = ',', default_value = "4")]
        clients: Vec<usize>,
        /// Seconds each mode's throughput phase runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// HNSW search beams (ef) whose dense recall@10 and latency are
        /// also measured at each size, beside the configured one.
        #[arg(long, value_delimiter = ',')]
        ef: Vec<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Passages/s and tokens/s on random weights of the model pack's
    /// shapes (e5-small; Qwen2.5-1.5B at Q4_K) on a device, needing no
    /// model pack; with --compare, also the CPU against that device on a
    /// tiny model (exits non-zero when they disagree). scripts/gpu-check.sh
    /// runs it on a machine with a GPU.
    Gpu {
        /// `cuda`, `cuda:N` or `cpu`.
        #[arg(long, default_value = "cuda")]
        device: String,
        #[arg(long, default_value_t = 512)]
        passages: usize,
        /// Tokens per passage.
        #[arg(long, default_value_t = 256)]
        passage_tokens: usize,
        /// Passages per embedding call on the device.
        #[arg(long, default_value_t = 64)]
        batch: usize,
        #[arg(long, default_value_t = 1000)]
        prompt_tokens: usize,
        #[arg(long, default_value_t = 128)]
        max_tokens: usize,
        /// The best of these rounds counts.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        compare: bool,
        /// Tiny shapes instead of the model pack's (a quick check of the
        /// path, not a figure).
        #[arg(long)]
        tiny: bool,
        #[arg(long)]
        json: bool,
    },
    /// The server under load for a while: search and ask clients while a
    /// writer uploads, finds and deletes documents; error responses,
    /// memory, open files and search p99 over time (docs/RELIABILITY.md).
    /// Exits non-zero on any error response.
    Soak {
        /// Ingested before the server starts.
        #[arg(long, default_value = "demo/corpus")]
        corpus: PathBuf,
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Concurrent search clients (one ask client and one writer besides).
        #[arg(long, default_value_t = 3)]
        clients: usize,
        /// Seconds between samples of memory, open files and latency.
        #[arg(long, default_value_t = 30.0)]
        sample_seconds: f64,
        /// Writes the memory and latency chart here (SVG).
        #[arg(long)]
        chart: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// `seogo bench --quick`, or one benchmark in full.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// Every figure at a small scale, in a few minutes: embedding at 128
    /// and 384 tokens, an ingest by stage, search at 2,000 chunks, local
    /// generation.
    #[arg(long)]
    quick: bool,
    /// The quick run's evaluation set (passages, sentences, queries).
    #[arg(long, default_value = "../shared/data/ko-autorag-retrieval")]
    dataset: PathBuf,
    /// The quick run's files to ingest.
    #[arg(long, default_value = "demo/corpus")]
    corpus: PathBuf,
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    what: Option<BenchCommand>,
}

pub fn run(engine: &Engine, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let Some(what) = args.what else {
        anyhow::ensure!(
            args.quick,
            "name a benchmark, or pass --quick (see `seogo bench --help`)"
        );
        let report = seogo_eval::bench::quick::bench_quick(
            engine,
            &QuickBenchOptions {
                dataset: args.dataset,
                corpus: args.corpus,
            },
        )
        .context("the quick benchmark")?;
        print_quick_bench(&report, args.json)?;
        return Ok(ExitCode::SUCCESS);
    };
    match what {
        BenchCommand::Lexical {
            dataset,
            analyzers,
            rounds,
            json,
        } => {
            let report = seogo_eval::bench::bench_lexical(engine, &dataset, &analyzers, rounds)?;
            print_lexical_bench(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Parse {
            paths,
            rounds,
            json,
        } => {
            let rows =
                seogo_eval::bench::parse::bench_parse(&paths, rounds, &engine.config().parse)?;
            print_parse_bench(&rows, json)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Embed {
            passages,
            rounds,
            json,
            first_vector,
        } => {
            let report = seogo_eval::bench::embed::bench_embed(engine, &passages, rounds)?;
            if let Some(path) = first_vector {
                seogo_durable::write_json(&path, &report.first_vector, "report")?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{} passages ({:.0} chars on average), {} threads: {:.2} passages/s (best of {}: {:.2} s)",
                    report.passages,
                    report.mean_chars,
                    report.threads,
                    report.passages_per_s,
                    report.rounds,
                    report.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Generate {
            server,
            model,
            rounds,
            max_tokens,
            json,
        } => {
            let served = server.map(|base_url| ServedModel { base_url, model });
            let report = seogo_eval::bench::generate::bench_generate(
                engine,
                served.as_ref(),
                rounds,
                max_tokens,
            )?;
            print_generate_bench(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Ask {
            questions,
            collection,
            json,
        } => {
            let text = std::fs::read_to_string(&questions)
                .with_context(|| format!("{}", questions.display()))?;
            let questions: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            let report = seogo_eval::bench::ask::bench_ask(engine, &collection, &questions)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let ms = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
                for t in &report.questions {
                    println!(
                        "{:>8}  sources {:>5.0} ms  first token {:>6} ms  total {:>6.0} ms  {}",
                        t.outcome,
                        t.sources_ms,
                        ms(t.ttft_ms),
                        t.total_ms,
                        t.question
                    );
                }
                println!(
                    "{}: sources p50 {:.0} ms; first token p50 {} ms, p90 {} ms; answer p50 {:.0} ms, p90 {:.0} ms",
                    report.model,
                    report.sources_ms_p50,
                    ms(report.ttft_ms_p50),
                    ms(report.ttft_ms_p90),
                    report.total_ms_p50,
                    report.total_ms_p90
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Search {
            dataset,
            chunks,
            sentences,
            queries,
            clients,
            seconds,
            ef,
            json,
        } => {
            let report = seogo_eval::bench::search::bench_search(
                engine,
                &SearchBenchOptions {
                    dataset,
                    sizes: chunks,
                    sentences,
                    queries,
                    clients,
                    seconds,
                    beams: ef,
                },
            )?;
            print_search_bench(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Gpu {
            device,
            passages,
            passage_tokens,
            batch,
            prompt_tokens,
            max_tokens,
            rounds,
            seed,
            compare,
            tiny,
            json,
        } => {
            let report = seogo_eval::bench::gpu::bench_gpu(&GpuBenchOptions {
                device,
                passages,
                passage_tokens,
                batch,
                prompt_tokens,
                max_tokens,
                rounds,
                seed,
                compare,
                tiny,
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let (e, g) = (&report.embed, &report.generate);
                println!(
                    "{}: embedder {:.1} passages/s ({} passages of {} tokens); generator prefill {:.0} tokens/s ({} prompt tokens), decode {:.1} tokens/s ({} generated)",
                    report.device,
                    e.passages_per_s,
                    e.passages,
                    e.tokens_per_passage,
                    g.prefill_tokens_per_s,
                    g.prompt_tokens,
                    g.decode_tokens_per_s,
                    g.generated_tokens
                );
                if let Some(c) = &report.comparison {
                    println!(
                        "CPU against {}: lowest cosine {:.6}, greedy text {}",
                        report.device,
                        c.min_cosine,
                        if c.same_greedy_text {
                            "the same"
                        } else {
                            "differs"
                        }
                    );
                }
            }
            Ok(match &report.comparison {
                Some(c) if !c.agrees() => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            })
        }
        BenchCommand::Soak {
            corpus,
            minutes,
            clients,
            sample_seconds,
            chart,
            json,
        } => {
            let report = soak::soak(&SoakOptions {
                corpus,
                data_dir: engine.config().data.dir.clone(),
                models_dir: engine.config().models.dir.clone(),
                minutes,
                clients,
                sample_seconds,
            })?;
            if let Some(path) = chart {
                seogo_durable::write(&path, soak::chart_svg(&report).as_bytes(), "report")?;
            }
            print_soak(&report, json)?;
            Ok(if report.errors() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn print_soak(report: &SoakReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!(
        "{:.1} min, {} search clients + ask + writer; {} write cycles",
        report.minutes, report.clients, report.write_cycles
    );
    println!("request      ok  rate-limited  errors");
    for (kind, o) in &report.requests {
        println!(
            "{kind:<10} {:>5}  {:>12}  {:>6}",
            o.ok, o.rate_limited, o.errors
        );
    }
    println!("   t s  RSS MB  files  searches  p50 ms  p99 ms");
    for s in &report.samples {
        println!(
            "{:>6.0}  {:>6.1}  {:>5}  {:>8}  {:>6.1}  {:>6.1}",
            s.t_s, s.rss_mb, s.open_files, s.searches, s.search_p50_ms, s.search_p99_ms
        );
    }
    for failure in &report.failures {
        println!("failure: {failure}");
    }
    Ok(())
}

fn print_lexical_bench(report: &LexicalBench, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
        return Ok(());
    }
    println!(
        "{}: {} documents, {} chunks, {:.2} MB of text, {} queries",
        report.dataset, report.documents, report.chunks, report.megabytes, report.queries
    );
    println!("analyzer    index s  MB/s    size×  p50 ms  p99 ms");
    for r in &report.rows {
        println!(
            "{:<11} {:>7.3}  {:>6.2}  {:>5.2}  {:>6.2}  {:>6.2}",
            r.analyzer, r.index_seconds, r.mb_per_s, r.size_ratio, r.query_p50_ms, r.query_p99_ms
        );
    }
    Ok(())
}

fn print_generate_bench(report: &GenerateBench, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!(
        "median of {} rounds, up to {} new tokens, models.threads = {}",
        report.rounds, report.max_tokens, report.threads
    );
    println!("generator           prompt  new   TTFT ms   prefill tok/s  decode tok/s  model");
    for r in &report.rows {
        println!(
            "{:<19} {:>6}  {:>4}  {:>8.0}  {:>13.1}  {:>12.1}  {}",
            r.generator,
            r.prompt_tokens,
            r.completion_tokens,
            r.ttft_ms,
            r.prefill_tokens_per_s,
            r.decode_tokens_per_s,
            r.model
        );
    }
    Ok(())
}

fn print_parse_bench(rows: &[FormatBench], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    println!("| format | files | parsed | failed | MB | pages | MB/s | pages/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.2} | {} | {:.1} | {:.0} |",
            r.format,
            r.files,
            r.parsed,
            r.failures.len(),
            r.megabytes,
            r.pages,
            r.mb_per_s,
            r.pages_per_s
        );
    }
    for r in rows {
        for f in &r.failures {
            println!("failed: {f}");
        }
    }
    Ok(())
}

fn print_search_bench(report: &SearchBench, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!(
        "{}: {} sentences embedded in {:.1} s, {} queries (embedding one: p50 {:.1} ms, p99 {:.1} ms), {:.0} MB resident before building",
        report.dataset,
        report.sentences,
        report.embed_sentences_seconds,
        report.queries,
        report.query_embed_p50_ms,
        report.query_embed_p99_ms,
        report.base_rss_mb
    );
    println!("| chunks | mode | p50 ms | p99 ms | q/s | clients | q/s | p50 ms | p99 ms |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for size in &report.sizes {
        for m in &size.modes {
            let single = format!(
                "| {} | {} | {:.1} | {:.1} | {:.1}",
                size.chunks, m.mode, m.p50_ms, m.p99_ms, m.qps
            );
            if m.concurrent.is_empty() {
                println!("{single} | 0 | | | |");
            }
            for c in &m.concurrent {
                println!(
                    "{single} | {} | {:.1} | {:.1} | {:.1} |",
                    c.clients, c.qps, c.p50_ms, c.p99_ms
                );
            }
        }
    }
    println!();
    println!(
        "| chunks | build s | disk MB | open ms | RSS MB | recall@10 | filtered recall@10 | vector search p50 ms | exact p50 ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in &report.sizes {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.3} | {:.3} | {:.2} | {:.2} |",
            s.chunks,
            s.build_seconds,
            s.disk_mb,
            s.open_ms,
            s.rss_mb,
            s.recall_at_10,
            s.filtered_recall_at_10,
            s.vector_search_p50_ms,
            s.exact_search_p50_ms
        );
    }
    if report.sizes.iter().any(|s| !s.beams.is_empty()) {
        println!();
        println!("| chunks | ef | recall@10 | filtered recall@10 | vector search p50 ms |");
        println!("|---:|---:|---:|---:|---:|");
        for s in &report.sizes {
            for b in &s.beams {
                println!(
                    "| {} | {} | {:.3} | {:.3} | {:.2} |",
                    s.chunks, b.ef, b.recall_at_10, b.filtered_recall_at_10, b.vector_search_p50_ms
                );
            }
        }
    }
    Ok(())
}

fn print_quick_bench(report: &QuickBench, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!("## Embedding (passages/s)");
    for e in &report.embed {
        println!(
            "≈{} tokens: {} passages, {:.2} passages/s ({} threads)",
            e.tokens, e.bench.passages, e.bench.passages_per_s, e.bench.threads
        );
    }
    let i = &report.ingest;
    let t = &i.report.timings;
    println!("\n## Ingest");
    println!(
        "{} files, {:.2} MB, {} chunks in {:.1} s: {:.2} files/s, {:.4} MB/s, {:.2} chunks/s",
        i.files, i.megabytes, i.chunks, i.seconds, i.files_per_s, i.mb_per_s, i.chunks_per_s
    );
    println!(
        "read {:.2} s, chunk {:.2} s, embed {:.2} s, index {:.2} s, commit {:.2} s",
        t.read_s, t.chunk_s, t.embed_s, t.index_s, t.commit_s
    );
    println!("\n## Search");
    print_search_bench(&report.search, false)?;
    println!("\n## Generation");
    match (&report.generate, &report.generate_skipped) {
        (Some(g), _) => print_generate_bench(g, false)?,
        (None, Some(why)) => println!("not measured: {why}"),
        (None, None) => println!("not measured"),
    }
    println!("\nquick run: {:.0} s", report.seconds);
    Ok(())
}
