//! The state file a batch keeps beside its output: a header naming what is
//! being answered (the input's hash, the question column, the collection,
//! the principals), then one line per recorded row. Lines are appended and
//! flushed to disk one by one; a line cut short by a kill is ignored.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::table::Table;
use crate::{BatchError, BatchOptions, RowResult};

/// What a state file's rows are answers to; a resume must match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    seogo_batch: u32,
    input_sha256: String,
    question_column: String,
    collection: String,
    principals: Vec<String>,
}

impl Header {
    /// The header for answering `table`'s column `question_column`.
    pub(crate) fn new(table: &Table, question_column: &str, options: &BatchOptions) -> Self {
        let mut principals = options.principals.clone();
        principals.sort();
        Self {
            seogo_batch: 1,
            input_sha256: table.sha256.clone(),
            question_column: question_column.to_string(),
            collection: options.collection.clone(),
            principals,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Line {
    row: usize,
    result: RowResult,
}

/// Appends recorded rows.
pub(crate) struct Writer {
    path: PathBuf,
    file: File,
}

impl Writer {
    /// Records `result` for `rows`, on disk before returning.
    pub(crate) fn record(&mut self, rows: &[usize], result: &RowResult) -> Result<(), BatchError> {
        let mut text = String::new();
        for &row in rows {
            let line = serde_json::to_string(&Line {
                row,
                result: result.clone(),
            })
            .map_err(|e| self.error(e.to_string()))?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, reason: String) -> BatchError {
        BatchError::State {
            path: self.path.clone(),
            reason,
        }
    }
}

/// A fresh state file (an earlier one is replaced).
pub(crate) fn create(path: &Path, header: &Header) -> Result<Writer, BatchError> {
    let error = |e: std::io::Error| BatchError::State {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // The header lands whole (or the old file stays), then rows append.
    let line = serde_json::to_string(header).unwrap_or_default() + "\n";
    seogo_durable::write(path, line.as_bytes(), "batch-state").map_err(|e| error(e.cause))?;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(error)?;
    Ok(Writer {
        path: path.to_path_buf(),
        file,
    })
}

/// The rows recorded so far, and a writer that appends to them. With no
/// state file the batch starts afresh; one for other input or settings is
/// refused rather than mixed in.
pub(crate) fn resume(
    path: &Path,
    header: &Header,
    rows: usize,
) -> Result<(Vec<Option<RowResult>>, Writer), BatchError> {
    let error = |reason: String| BatchError::State {
        path: path.to_path_buf(),
        reason,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((vec![None; rows], create(path, header)?));
        }
        Err(e) => return Err(error(e.to_string())),
    };
    let mut lines = BufReader::new(file).lines();
    let first = lines
        .next()
        .transpose()
        .map_err(|e| error(e.to_string()))?
        .unwrap_or_default();
    let recorded: Header =
        serde_json::from_str(&first).map_err(|_| error("not a Seogo batch state file".into()))?;
    if &recorded != header {
        return Err(error(
            "it records another input, question column, collection or --as; \
             delete it (or run without --resume) to start afresh"
                .into(),
        ));
    }
    let mut results = vec![None; rows];
    for line in lines {
        let Ok(line) = line else { break };
        // A line cut short by a kill is the row in flight: asked again.
        let Ok(Line { row, result }) = serde_json::from_str::<Line>(&line) else {
            continue;
        };
        if let Some(slot) = results.get_mut(row) {
            *slot = Some(result);
        }
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| error(e.to_string()))?;
    // A torn last line must not glue itself to the next record.
    let mut writer = Writer {
        path: path.to_path_buf(),
        file,
    };
    writer
        .file
        .write_all(b"\n")
        .map_err(|e| writer.error(e.to_string()))?;
    Ok((results, writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_reads_whole_lines_and_refuses_other_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("q.csv");
        std::fs::write(&input, "question\na?\nb?\n").expect("write");
        let options = BatchOptions::default();
        let header = Header::new(
            &crate::table::read(&input).expect("table"),
            "question",
            &options,
        );
        let state = dir.path().join("out.csv.seogo-batch.jsonl");
        let mut writer = create(&state, &header).expect("create");
        writer
            .record(&[1], &RowResult::failed("x"))
            .expect("record");
        drop(writer);
        // A kill mid-line.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&state)
            .expect("open");
        file.write_all(b"{\"row\":0,\"res").expect("write");
        drop(file);
        let (results, mut writer) = resume(&state, &header, 2).expect("resume");
        assert!(results[0].is_none());
        assert_eq!(
            results[1].as_ref().and_then(|r| r.error.as_deref()),
            Some("x")
        );
        writer
            .record(&[0], &RowResult::failed("y"))
            .expect("record");
        drop(writer);
        let (results, _) = resume(&state, &header, 2).expect("resume again");
        assert!(results.iter().all(Option::is_some));

        std::fs::write(&input, "question\na?\nc?\n").expect("write");
        let changed = Header::new(
            &crate::table::read(&input).expect("table"),
            "question",
            &options,
        );
        assert!(resume(&state, &changed, 2).is_err());
    }
}
