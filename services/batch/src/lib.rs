//! Batch document QA: every question of a table answered from the
//! documents, as a named caller (the same ACL as interactive use), written
//! back row for row with the answer, whether it is grounded, a confidence,
//! its citations and any error.
//!
//! A batch survives being stopped: each finished row is appended to a
//! state file beside the output (`OUTPUT.seogo-batch.jsonl`) and flushed
//! before the next is counted, so `resume` answers only the rows not
//! recorded — a SIGKILL loses at most the rows in flight. A row that fails
//! is retried, then recorded with its error; it never stops the batch.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod annotate;
mod state;
pub mod table;
mod workbook;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use seogo_engine::answer::{AskRequest, Citation};
use seogo_engine::retrieve::Scope;
use seogo_engine::{Engine, EngineError};
use serde::{Deserialize, Serialize};

pub use table::Format;

/// Why a batch could not run (a row's failure is not one: it is recorded).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    State { path: PathBuf, reason: String },
    #[error("{path}: {cause}")]
    Output {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The collection cannot be opened (missing, or held by a server).
    #[error("collection `{collection}`: {cause} (a data directory serves one process at a time: is `seogo serve` using it? Use the API's /v1/batch then)")]
    Collection {
        collection: String,
        /// Boxed: the engine's error is large, and this one travels in
        /// every batch result.
        cause: Box<EngineError>,
    },
    #[error("{path}: {cause}")]
    Workbook {
        path: PathBuf,
        cause: rust_xlsxwriter::XlsxError,
    },
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub collection: String,
    /// The groups the batch runs as (besides the public group).
    pub principals: Vec<String>,
    /// The question column's header or 1-based number; found otherwise.
    pub question_column: Option<String>,
    /// Questions in flight at once.
    pub concurrency: usize,
    /// Continue from the state file instead of starting afresh.
    pub resume: bool,
    /// Further tries for a row that failed for a reason not its own.
    pub retries: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            collection: seogo_engine::DEFAULT_COLLECTION.into(),
            principals: Vec::new(),
            question_column: None,
            concurrency: 4,
            resume: false,
            retries: 2,
        }
    }
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    pub answer: String,
    pub grounded: bool,
    pub confidence: f32,
    pub citations: Vec<Citation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RowResult {
    fn failed(error: impl Into<String>) -> Self {
        Self {
            answer: String::new(),
            grounded: false,
            confidence: 0.0,
            citations: Vec::new(),
            error: Some(error.into()),
        }
    }
}

/// What the caller hears while a batch runs.
#[derive(Debug, Clone)]
pub enum BatchEvent {
    /// `total` rows, of which `done` were already recorded (resume).
    Started { total: usize, done: usize },
    /// One more row recorded (with its duplicates, `rows` in all).
    Answered { rows: usize, failed: bool },
}

/// What a batch did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchSummary {
    pub rows: usize,
    /// Rows recorded by an earlier, stopped run and not asked again.
    pub resumed: usize,
    pub answered: usize,
    pub failed: usize,
    /// Questions put to the engine (duplicates are asked once).
    pub asked: usize,
    /// Stopped before every row was answered (`resume` continues).
    pub stopped: bool,
    pub question_column: String,
    pub output: PathBuf,
}

/// Longest question asked, in characters: a question, not a document.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// The state file of `output`.
pub fn state_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".seogo-batch.jsonl");
    output.with_file_name(name)
}

/// Runs a batch from `input` to `output`; `cancel` stops it between rows.
pub fn run(
    engine: &Engine,
    input: &Path,
    output: &Path,
    options: &BatchOptions,
    cancel: &AtomicBool,
    on_event: &(dyn Fn(BatchEvent) + Sync),
) -> Result<BatchSummary, BatchError> {
    // Open the collection first: a held data directory fails the batch
    // here, once, not every row.
    engine
        .collection(&options.collection, false)
        .map_err(|source| BatchError::Collection {
            collection: options.collection.clone(),
            cause: Box::new(source),
        })?;
    let table = table::read(input)?;
    let question_column = table::question_column(&table, options.question_column.as_deref())
        .map_err(|reason| BatchError::Input {
            path: input.to_path_buf(),
            reason,
        })?;
    let header = state::Header::new(&table, &table.columns[question_column], options);
    let state_file = state_path(output);
    let (mut results, mut writer) = if options.resume {
        state::resume(&state_file, &header, table.rows.len())?
    } else {
        (
            vec![None; table.rows.len()],
            state::create(&state_file, &header)?,
        )
    };
    let resumed = results.iter().filter(|r| r.is_some()).count();
    on_event(BatchEvent::Started {
        total: table.rows.len(),
        done: resumed,
    });

    // Rows that cannot be asked are recorded at once; the rest are grouped
    // by question, so a duplicate is asked once.
    let mut pending: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, row) in table.rows.iter().enumerate() {
        if results[i].is_some() {
            continue;
        }
        let question = row[question_column].trim();
        let refused = if question.is_empty() {
            Some("empty question".to_string())
        } else if question.chars().count() > MAX_QUESTION_CHARS {
            Some(format!(
                "question of {} characters; at most {MAX_QUESTION_CHARS} are asked",
                question.chars().count()
            ))
        } else {
            None
        };
        match refused {
            Some(error) => {
                let result = RowResult::failed(error);
                writer.record(&[i], &result)?;
                results[i] = Some(result);
                on_event(BatchEvent::Answered {
                    rows: 1,
                    failed: true,
                });
            }
            None => match pending.iter_mut().find(|(q, _)| q == question) {
                Some((_, rows)) => rows.push(i),
                None => pending.push((question.to_string(), vec![i])),
            },
        }
    }

    let next = AtomicUsize::new(0);
    let asked = AtomicUsize::new(0);
    let shared = Mutex::new((results, writer, None::<BatchError>));
    let scope = Scope {
        collection: options.collection.clone(),
        filters: Vec::new(),
        principals: options.principals.clone(),
    };
    std::thread::scope(|threads| {
        for _ in 0..options.concurrency.clamp(1, 64) {
            threads.spawn(|| loop {
                if cancel.load(Ordering::SeqCst) {
                    return;
                }
                let Some((question, rows)) = pending.get(next.fetch_add(1, Ordering::SeqCst))
                else {
                    return;
                };
                asked.fetch_add(1, Ordering::SeqCst);
                let result = answer(engine, question, &scope, options.retries, cancel);
                let Ok(mut guard) = shared.lock() else { return };
                let (results, writer, failure) = &mut *guard;
                if let Err(e) = writer.record(rows, &result) {
                    // The state file cannot be written: stop, keep what is known.
                    *failure = Some(e);
                    cancel.store(true, Ordering::SeqCst);
                    return;
                }
                for &row in rows {
                    results[row] = Some(result.clone());
                }
                on_event(BatchEvent::Answered {
                    rows: rows.len(),
                    failed: result.error.is_some(),
                });
            });
        }
    });
    let (results, _writer, failure) = shared
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = failure {
        return Err(e);
    }
    let stopped = results.iter().any(Option::is_none);
    write_output(output, &table, question_column, &results)?;
    if !stopped {
        // Done: the next run of this output starts afresh.
        let _ = std::fs::remove_file(&state_file);
    }
    let answered = results
        .iter()
        .flatten()
        .filter(|r| r.error.is_none())
        .count();
    let failed = results
        .iter()
        .flatten()
        .filter(|r| r.error.is_some())
        .count();
    Ok(BatchSummary {
        rows: table.rows.len(),
        resumed,
        answered,
        failed,
        asked: asked.into_inner(),
        stopped,
        question_column: table.columns[question_column].clone(),
        output: output.to_path_buf(),
    })
}

/// One question answered, retried with a growing pause when the failure is
/// not the question's own (a generator that timed out, a server restart).
fn answer(
    engine: &Engine,
    question: &str,
    scope: &Scope,
    retries: usize,
    cancel: &AtomicBool,
) -> RowResult {
    let req = AskRequest {
        question: question.to_string(),
        history: Vec::new(),
        scope: scope.clone(),
    };
    let mut attempt = 0;
    loop {
        match engine.ask(&req, &mut |_| {}) {
            Ok(answer) => {
                return RowResult {
                    answer: answer.answer,
                    grounded: answer.grounded,
                    confidence: answer.confidence,
                    citations: answer.citations,
                    error: None,
                }
            }
            Err(e) if retryable(&e) && attempt < retries && !cancel.load(Ordering::SeqCst) => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "question failed; retrying");
                std::thread::sleep(Duration::from_secs(1 << attempt.min(5)));
            }
            Err(e) => return RowResult::failed(e.to_string()),
        }
    }
}

fn retryable(e: &EngineError) -> bool {
    !e.is_user_error()
}

/// The answer columns, named apart from the input's own.
fn answer_columns(input: &[String]) -> [String; 5] {
    ["answer", "grounded", "confidence", "citations", "error"].map(|name| {
        if input.iter().any(|c| c == name) {
            format!("seogo_{name}")
        } else {
            name.to_string()
        }
    })
}

/// A row's citations as text: `[n] title — section, p. N: "quote"`.
fn citations_text(citations: &[Citation]) -> String {
    citations
        .iter()
        .map(|c| {
            let mut line = format!("[{}] {}", c.n, c.title);
            if !c.section.is_empty() {
                line.push_str(&format!(" — {}", c.section));
            }
            if let Some(page) = c.page {
                line.push_str(&format!(", p. {page}"));
            }
            line.push_str(&format!(": \"{}\"", c.quote));
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const NOT_ANSWERED: &str = "not answered: the batch was stopped; run it again with --resume";

fn write_output(
    output: &Path,
    table: &table::Table,
    question_column: usize,
    results: &[Option<RowResult>],
) -> Result<(), BatchError> {
    let io = |cause| BatchError::Output {
        path: output.to_path_buf(),
        cause,
    };
    let mut columns = table.columns.clone();
    columns.extend(answer_columns(&table.columns));
    let missing = RowResult::failed(NOT_ANSWERED);
    let filled = |i: usize| results[i].as_ref().unwrap_or(&missing);
    match Format::for_output(output) {
        Format::Jsonl => {
            let rows: Vec<Vec<serde_json::Value>> = table
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let r = filled(i);
                    let mut values: Vec<serde_json::Value> =
                        row.iter().cloned().map(serde_json::Value::String).collect();
                    values.extend([
                        r.answer.clone().into(),
                        r.grounded.into(),
                        serde_json::json!(r.confidence),
                        serde_json::to_value(&r.citations).unwrap_or_default(),
                        r.error.clone().into(),
                    ]);
                    values
                })
                .collect();
            table::write_jsonl(output, &columns, &rows).map_err(io)
        }
        format => {
            let added: Vec<[String; 5]> = (0..table.rows.len())
                .map(|i| {
                    let r = filled(i);
                    [
                        r.answer.clone(),
                        r.grounded.to_string(),
                        format!("{:.2}", r.confidence),
                        citations_text(&r.citations),
                        r.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if format == Format::Xlsx {
                if let Some(origin) = &table.origin {
                    let header = answer_columns(&table.columns);
                    let first_row = origin.header_row as usize + 2;
                    let sources =
                        workbook::source_lines(&table.rows, question_column, results, first_row);
                    let note = annotate::Annotation {
                        origin,
                        input_columns: table.columns.len(),
                        header: &header,
                        rows: &added,
                        sources: &sources,
                    };
                    match annotate::annotate(&note) {
                        Ok(bytes) => return table::write_atomic(output, &bytes).map_err(io),
                        Err(e) => tracing::warn!(
                            output = %output.display(),
                            "the questions workbook could not be kept as it was ({e}); \
                             writing a fresh one"
                        ),
                    }
                }
            }
            let rows: Vec<Vec<String>> = table
                .rows
                .iter()
                .zip(&added)
                .map(|(row, added)| row.iter().chain(added).cloned().collect())
                .collect();
            if format != Format::Xlsx {
                return table::write_csv(output, &columns, &rows).map_err(io);
            }
            let sheet = workbook::Sheet {
                name: table.sheet.as_deref().unwrap_or("Answers"),
                columns: &columns,
                rows: &rows,
                question_column,
                results,
            };
            let tmp = output.with_extension("seogo-tmp.xlsx");
            workbook::write(&tmp, &sheet).map_err(|cause| BatchError::Workbook {
                path: output.to_path_buf(),
                cause,
            })?;
            seogo_durable::replace_with(&tmp, output, "batch-output").map_err(|e| io(e.cause))
        }
    }
}
