//! CSV and TSV: a table per file, cut into sections of rows that each
//! repeat the header, so every chunk can be read (and cited) on its own.

use crate::types::{Document, Section};

/// Rows per section: a screenful, well under a chunk.
const ROWS_PER_SECTION: usize = 40;

/// The delimiter that splits the first lines most consistently: `,` `;`
/// `\t` or `|` (a ".csv" from a Korean or European Excel is often `;`).
pub(crate) fn pick_delimiter(text: &str, default: u8) -> u8 {
    let lines = head_lines(text);
    let mut best = (0, default);
    for d in [b',', b';', b'\t', b'|'] {
        if let Some(count) = consistent_count(&lines, d) {
            if count > best.0 {
                best = (count, d);
            }
        }
    }
    best.1
}

/// The first non-empty lines (up to 20): what a delimiter is judged on.
pub(crate) fn head_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect()
}

/// How often `delimiter` occurs on each of `lines`, when that is the same
/// number, at least one, on every line.
pub(crate) fn consistent_count(lines: &[&str], delimiter: u8) -> Option<usize> {
    let mut counts = lines
        .iter()
        .map(|l| l.bytes().filter(|&b| b == delimiter).count());
    let first = counts.next()?;
    (first >= 1 && counts.all(|c| c == first)).then_some(first)
}

/// Fills `doc` with the table in `text`; quoted fields may hold the
/// delimiter and line breaks (RFC 4180).
pub(crate) fn parse_delimited(
    text: &str,
    delimiter: u8,
    mut doc: Document,
) -> Result<Document, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", i + 1))?;
        let row: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if row.iter().any(|f| !f.is_empty()) {
            rows.push(row);
        }
    }
    let Some((header, body)) = rows.split_first() else {
        return Err("no rows".into());
    };
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let render = |row: &[String]| {
        let cells: Vec<String> = (0..width)
            .map(|i| {
                row.get(i)
                    .map_or(String::new(), |c| c.replace('|', "\\|").replace('\n', " "))
            })
            .collect();
        format!("| {} |", cells.join(" | "))
    };
    let head = format!("{}\n|{}", render(header), " --- |".repeat(width));
    if body.is_empty() {
        doc.sections.push(Section {
            heading_path: vec![doc.title.clone()],
            page: None,
            text: head.clone(),
        });
    }
    for (n, block) in body.chunks(ROWS_PER_SECTION).enumerate() {
        let first = n * ROWS_PER_SECTION + 1;
        let lines: Vec<String> = block.iter().map(|r| render(r)).collect();
        doc.sections.push(Section {
            heading_path: vec![
                doc.title.clone(),
                format!("rows {first}–{}", first + block.len() - 1),
            ],
            page: None,
            text: format!("{head}\n{}", lines.join("\n")),
        });
    }
    Ok(doc)
}
