//! CSV and TSV: telling the delimiter and reading the rows.

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

/// The non-empty rows of `text`, cells trimmed; quoted fields may hold the
/// delimiter and line breaks (RFC 4180).
pub(crate) fn read_rows(text: &str, delimiter: u8) -> Result<Vec<Vec<String>>, String> {
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
    Ok(rows)
}
