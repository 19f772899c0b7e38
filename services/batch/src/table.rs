//! Question tables: CSV (UTF-8 or CP949), XLSX and JSONL, read into one
//! shape (a header and rows of text) and written back with the answer
//! columns added, row for row.

use std::path::Path;

use calamine::{Data, Reader};
use sha2::{Digest, Sha256};

use crate::BatchError;

/// A file format a batch reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Jsonl,
}

impl Format {
    /// The format of an output path, by its extension (CSV otherwise).
    pub fn for_output(path: &Path) -> Format {
        match extension(path).as_str() {
            "xlsx" => Format::Xlsx,
            "jsonl" | "ndjson" => Format::Jsonl,
            _ => Format::Csv,
        }
    }

    /// The format of input `bytes`: by content (a zip is a workbook, a
    /// line starting `{` is JSONL), since spreadsheets travel with wrong
    /// extensions.
    fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else if strip_bom(bytes).iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            Format::Jsonl
        } else {
            Format::Csv
        }
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Rows of text under a header; every row as long as the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub format: Format,
    /// The workbook sheet it came from (XLSX).
    pub sheet: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// SHA-256 of the file's bytes, hex (what a resume must match).
    pub sha256: String,
    /// The workbook itself, so the output can keep its formatting (XLSX).
    pub origin: Option<XlsxOrigin>,
}

/// Where a table sits in the workbook it was read from.
#[derive(Clone, PartialEq)]
pub struct XlsxOrigin {
    /// The whole package, as read.
    pub bytes: Vec<u8>,
    /// 0-based sheet row of the header.
    pub header_row: u32,
    /// 0-based sheet column of the table's first column.
    pub first_column: u32,
}

impl std::fmt::Debug for XlsxOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxOrigin")
            .field("bytes", &self.bytes.len())
            .field("header_row", &self.header_row)
            .field("first_column", &self.first_column)
            .finish()
    }
}

/// Largest input read (a question list, not a corpus).
const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads `path`, whatever its extension says.
pub fn read(path: &Path) -> Result<Table, BatchError> {
    let bad = |reason: String| BatchError::Input {
        path: path.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    if size > MAX_INPUT_BYTES {
        return Err(bad(format!(
            "{size} bytes; a question table may have at most {MAX_INPUT_BYTES}"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let mut table = match Format::sniff(&bytes) {
        Format::Xlsx => read_xlsx(bytes).map_err(bad)?,
        Format::Jsonl => read_jsonl(&bytes).map_err(bad)?,
        Format::Csv => read_csv(&bytes).map_err(bad)?,
    };
    table.sha256 = sha256;
    if table.columns.is_empty() {
        return Err(bad("no header row".into()));
    }
    let width = table.columns.len();
    for row in &mut table.rows {
        row.resize(width, String::new());
    }
    Ok(table)
}

/// UTF-8 (with or without a BOM), else CP949 — what Korean Excel saves.
fn decode(bytes: &[u8]) -> Result<String, String> {
    match std::str::from_utf8(strip_bom(bytes)) {
        Ok(text) => Ok(text.to_string()),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::EUC_KR.decode(bytes);
            if had_errors {
                Err("neither UTF-8 nor CP949 text".into())
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let text = decode(bytes)?;
    // Excel in some locales writes `;` or tabs: the first line tells.
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let columns: Vec<String> = match records.next() {
        Some(header) => header
            .map_err(|e| e.to_string())?
            .iter()
            .map(|c| c.trim().to_string())
            .collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(Table {
        format: Format::Csv,
        sheet: None,
        columns,
        rows,
        sha256: String::new(),
        origin: None,
    })
}

/// Takes the bytes: the output keeps the package to edit it.
fn read_xlsx(bytes: Vec<u8>) -> Result<Table, String> {
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(&bytes[..]))
        .map_err(|e| format!("not a readable workbook: {e}"))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheet")?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| format!("sheet `{sheet}`: {e}"))?;
    let all: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    let title_rows = title_rows(&all);
    let mut rows = all.into_iter().skip(title_rows);
    let columns: Vec<String> = rows
        .next()
        .map(|header| header.into_iter().map(|c| c.trim().to_string()).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = rows.collect();
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let header_row = first_row + title_rows as u32;
    Ok(Table {
        format: Format::Xlsx,
        sheet: Some(sheet),
        columns,
        rows,
        sha256: String::new(),
        origin: Some(XlsxOrigin {
            bytes,
            header_row,
            first_column,
        }),
    })
}

/// Rows above the header that hold a title, not column names: a sheet
/// often starts with one line (merged across the table) naming the list.
/// The header is the first row with at least two filled cells, when one of
/// the first ten rows has two.
fn title_rows(rows: &[Vec<String>]) -> usize {
    let filled = |row: &Vec<String>| row.iter().filter(|c| !c.trim().is_empty()).count();
    rows.iter()
        .take(10)
        .position(|row| filled(row) >= 2)
        .unwrap_or(0)
}

/// A cell as a person reads it: 12 not 12.0, dates as ISO dates.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| d.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_jsonl(bytes: &[u8]) -> Result<Table, String> {
    let text = decode(bytes)?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a JSON object: {e}", n + 1))?;
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        objects.push(object);
    }
    let rows = objects
        .iter()
        .map(|object| {
            columns
                .iter()
                .map(|c| match object.get(c) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(Table {
        format: Format::Jsonl,
        sheet: None,
        columns,
        rows,
        sha256: String::new(),
        origin: None,
    })
}

/// Header names taken for the question column, in any case.
const QUESTION_HEADERS: [&str; 12] = [
    "question",
    "questions",
    "query",
    "q",
    "질문",
    "질의",
    "질문내용",
    "질의내용",
    "문의",
    "문의내용",
    "요구사항",
    "requirement",
];

/// The question column: `named` when given, else a header that says so,
/// else the column whose cells read most like questions.
pub fn question_column(table: &Table, named: Option<&str>) -> Result<usize, String> {
    if let Some(name) = named {
        return table
            .columns
            .iter()
            .position(|c| c == name)
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .filter(|&i| i >= 1 && i <= table.columns.len())
                    .map(|i| i - 1)
            })
            .ok_or_else(|| {
                format!(
                    "no column `{name}`; the columns are: {}",
                    table.columns.join(", ")
                )
            });
    }
    if let Some(i) = table.columns.iter().position(|c| {
        let c = c.to_lowercase();
        QUESTION_HEADERS.iter().any(|h| c == *h)
    }) {
        return Ok(i);
    }
    let score = |i: usize| {
        let cells: Vec<&str> = table
            .rows
            .iter()
            .map(|r| r[i].trim())
            .filter(|c| !c.is_empty())
            .collect();
        if cells.is_empty() {
            return 0.0;
        }
        let asking = cells
            .iter()
            .filter(|c| {
                c.ends_with('?') || c.ends_with('까') || c.ends_with("요") || c.ends_with('？')
            })
            .count() as f32
            / cells.len() as f32;
        let length =
            cells.iter().map(|c| c.chars().count()).sum::<usize>() as f32 / cells.len() as f32;
        asking * 100.0 + length.min(80.0)
    };
    (0..table.columns.len())
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .filter(|&i| score(i) > 0.0)
        .ok_or_else(|| "no column holds questions; name it with --question-column".into())
}

/// Writes CSV (UTF-8 with a BOM, so Excel opens Hangul correctly).
pub fn write_csv(
    path: &Path,
    columns: &[String],
    rows: &[Vec<String>],
) -> Result<(), std::io::Error> {
    let mut out = Vec::from(&b"\xEF\xBB\xBF"[..]);
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(columns)?;
        for row in rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
    }
    write_atomic(path, &out)
}

/// Writes JSONL: one object a row, values as given (`json_columns` hold
/// JSON, not text: grounded, confidence, citations).
pub fn write_jsonl(
    path: &Path,
    columns: &[String],
    rows: &[Vec<serde_json::Value>],
) -> Result<(), std::io::Error> {
    let mut out = Vec::new();
    for row in rows {
        let object: serde_json::Map<String, serde_json::Value> =
            columns.iter().cloned().zip(row.iter().cloned()).collect();
        serde_json::to_writer(&mut out, &object)?;
        out.push(b'\n');
    }
    write_atomic(path, &out)
}

/// Replaces `path` whole: a reader (or a crash) never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    seogo_durable::write(path, bytes, "batch-output").map_err(|e| e.cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            format: Format::Csv,
            sheet: None,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
            sha256: String::new(),
            origin: None,
        }
    }

    #[test]
    fn cp949_csv_reads_as_hangul() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode("번호,질문,담당\n1,펌프 점검 주기는?,김\n");
        let t = read_csv(&bytes).expect("csv");
        assert_eq!(t.columns, ["번호", "질문", "담당"]);
        assert_eq!(t.rows[0][1], "펌프 점검 주기는?");
    }

    #[test]
    fn the_question_column_is_named_found_by_header_or_by_its_cells() {
        let t = table(&["id", "Question", "owner"], &[&["1", "x", "y"]]);
        assert_eq!(question_column(&t, None), Ok(1));
        assert_eq!(question_column(&t, Some("owner")), Ok(2));
        assert_eq!(question_column(&t, Some("3")), Ok(2));
        assert!(question_column(&t, Some("nope")).is_err());
        let t = table(
            &["no", "항목", "비고"],
            &[
                &["1", "냉각수 펌프의 점검 주기는 얼마인가요?", "A"],
                &["2", "E-2051 알람의 뜻은?", "B"],
            ],
        );
        assert_eq!(question_column(&t, None), Ok(1));
    }

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF{\"q\":1}\n"), Format::Jsonl);
        assert_eq!(Format::sniff("질문\n".as_bytes()), Format::Csv);
    }
}
