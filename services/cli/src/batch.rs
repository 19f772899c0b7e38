//! `seogo batch`: a table of questions in, answers with evidence out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seogo_batch::{BatchEvent, BatchOptions};
use seogo_engine::{Engine, DEFAULT_COLLECTION};

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Questions: CSV (UTF-8 or CP949), XLSX or JSONL, told by content.
    input: PathBuf,
    /// Answers: CSV, XLSX or JSONL by extension; every input row, in order,
    /// its columns intact, plus answer, grounded, confidence, citations and
    /// error.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, env = "SEOGO_COLLECTION", default_value = DEFAULT_COLLECTION)]
    collection: String,
    /// Run as these groups: the batch reads what they may read.
    #[arg(long = "as", num_args = 1..)]
    principals: Vec<String>,
    /// The question column's header or 1-based number (found otherwise).
    #[arg(long, env = "SEOGO_QUESTION_COLUMN")]
    question_column: Option<String>,
    /// Questions in flight at once (a served generator answers them
    /// together; the local one takes them in turn).
    #[arg(long, env = "SEOGO_BATCH_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// Continue a stopped run from its state file (OUT.seogo-batch.jsonl)
    /// without asking recorded rows again.
    #[arg(long)]
    resume: bool,
    /// Further tries for a row that failed (not for its own fault).
    #[arg(long, default_value_t = 2)]
    retries: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Exit code when the batch was stopped before every row was answered.
const STOPPED: u8 = 3;

pub fn run(engine: &Engine, args: BatchArgs) -> anyhow::Result<ExitCode> {
    let options = BatchOptions {
        collection: args.collection,
        principals: args.principals,
        question_column: args.question_column,
        concurrency: args.concurrency,
        resume: args.resume,
        retries: args.retries,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    stop_on_ctrl_c(cancel.clone());
    let progress = Progress::new();
    let summary = seogo_batch::run(
        engine,
        &args.input,
        &args.out,
        &options,
        &cancel,
        &|event| progress.update(event),
    )?;
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} rows ({} from an earlier run): {} answered, {} failed; {} questions asked (column `{}`) → {}",
            summary.rows,
            summary.resumed,
            summary.answered,
            summary.failed,
            summary.asked,
            summary.question_column,
            summary.output.display()
        );
    }
    if summary.stopped {
        eprintln!(
            "seogo: stopped before every row was answered; `seogo batch … --resume` continues from {}",
            seogo_batch::state_path(&args.out).display()
        );
        return Ok(ExitCode::from(STOPPED));
    }
    Ok(ExitCode::SUCCESS)
}

/// The first Ctrl-C lets the questions in flight finish and records them;
/// a second one ends the process at once (the state file has every row
/// recorded so far).
fn stop_on_ctrl_c(cancel: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\nseogo: stopping after the questions in flight (Ctrl-C again to quit now)"
                );
                cancel.store(true, Ordering::SeqCst);
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    });
}

/// A bar with rate and ETA on a terminal; a log line every 10 s otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    counts: Mutex<(usize, usize, Instant)>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} answering [{bar:30}] {pos}/{len} rows  {per_sec}  eta {eta}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            counts: Mutex::new((0, 0, Instant::now())),
        }
    }

    fn update(&self, event: BatchEvent) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        let (done, total, last) = &mut *counts;
        match event {
            BatchEvent::Started {
                total: rows,
                done: already,
            } => {
                *total = rows;
                *done = already;
                match &self.bar {
                    Some(bar) => {
                        bar.set_length(rows as u64);
                        bar.set_position(already as u64);
                        bar.reset_eta();
                    }
                    None => eprintln!("seogo: {rows} rows, {already} already answered"),
                }
            }
            BatchEvent::Answered { rows, failed } => {
                *done += rows;
                match &self.bar {
                    Some(bar) => {
                        bar.inc(rows as u64);
                        if failed {
                            bar.set_message("(some rows failed: see the error column)");
                        }
                    }
                    None if last.elapsed() > Duration::from_secs(10) || *done == *total => {
                        eprintln!("seogo: {done}/{total} rows answered");
                        *last = Instant::now();
                    }
                    None => {}
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
