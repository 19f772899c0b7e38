//! The XLSX output: the questions sheet with the answer columns (header
//! bold and frozen, long text wrapped) and a Sources sheet with one line
//! per citation, for the auditor who checks every quote.

use std::path::Path;

use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook, XlsxError};

use crate::RowResult;

/// Columns wider than this many characters of content are wrapped.
const WRAP_AT: usize = 40;

pub(crate) struct Sheet<'a> {
    pub name: &'a str,
    pub columns: &'a [String],
    pub rows: &'a [Vec<String>],
    pub question_column: usize,
    pub results: &'a [Option<RowResult>],
}

pub(crate) fn write(path: &Path, sheet: &Sheet<'_>) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let header = CellFormat::new()
        .set_bold()
        .set_background_color(0xE8ECF7)
        .set_align(FormatAlign::Top);
    let wrapped = CellFormat::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let plain = CellFormat::new().set_align(FormatAlign::Top);

    let answers = workbook.add_worksheet();
    answers.set_name(sheet_name(sheet.name))?;
    for (c, name) in sheet.columns.iter().enumerate() {
        let c = column(c);
        answers.write_string_with_format(0, c, name, &header)?;
        let widest = sheet
            .rows
            .iter()
            .map(|r| r.get(c as usize).map_or(0, |v| v.chars().count()))
            .max()
            .unwrap_or(0)
            .max(name.chars().count());
        answers.set_column_width(c, (widest.min(WRAP_AT) + 2) as f64 * 1.4)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let value = row.get(c as usize).map_or("", String::as_str);
            let format = if widest > WRAP_AT { &wrapped } else { &plain };
            answers.write_string_with_format(r as u32 + 1, c, value, format)?;
        }
    }
    answers.set_freeze_panes(1, 0)?;
    answers.autofilter(
        0,
        0,
        sheet.rows.len() as u32,
        column(sheet.columns.len().saturating_sub(1)),
    )?;

    let sources = workbook.add_worksheet();
    sources.set_name("Sources")?;
    for (c, (title, width)) in SOURCE_COLUMNS.iter().enumerate() {
        sources.write_string_with_format(0, column(c), *title, &header)?;
        sources.set_column_width(column(c), *width)?;
    }
    for (line, cells) in source_lines(sheet.rows, sheet.question_column, sheet.results, 2)
        .iter()
        .enumerate()
    {
        let line = line as u32 + 1;
        for (c, cell) in cells.iter().enumerate() {
            match cell {
                SourceCell::Number(n) => {
                    sources.write_number_with_format(line, column(c), *n, &plain)?
                }
                SourceCell::Text(t) => {
                    sources.write_string_with_format(line, column(c), *t, &wrapped)?
                }
                SourceCell::Blank => sources,
            };
        }
    }
    sources.set_freeze_panes(1, 0)?;
    workbook.save(path)
}

/// The Sources sheet's columns and their widths (in characters).
pub(crate) const SOURCE_COLUMNS: [(&str, f64); 8] = [
    ("row", 6.0),
    ("question", 40.0),
    ("n", 4.0),
    ("document", 36.0),
    ("section", 30.0),
    ("page", 6.0),
    ("quote", 70.0),
    ("document id", 30.0),
];

/// One cell of a Sources line.
pub(crate) enum SourceCell<'a> {
    Number(f64),
    Text(&'a str),
    Blank,
}

/// One line per citation, in row order: the spreadsheet row it answers
/// (`first_row` is the first data row's number as Excel shows it), the
/// question and where the quote comes from.
pub(crate) fn source_lines<'a>(
    rows: &'a [Vec<String>],
    question_column: usize,
    results: &'a [Option<RowResult>],
    first_row: usize,
) -> Vec<[SourceCell<'a>; 8]> {
    let mut lines = Vec::new();
    for (r, result) in results.iter().enumerate() {
        let Some(result) = result else { continue };
        let question = rows[r].get(question_column).map_or("", String::as_str);
        for citation in &result.citations {
            lines.push([
                SourceCell::Number((r + first_row) as f64),
                SourceCell::Text(question),
                SourceCell::Number(citation.n as f64),
                SourceCell::Text(&citation.title),
                SourceCell::Text(&citation.section),
                citation
                    .page
                    .map_or(SourceCell::Blank, |p| SourceCell::Number(f64::from(p))),
                SourceCell::Text(&citation.quote),
                SourceCell::Text(&citation.doc_id),
            ]);
        }
    }
    lines
}

fn column(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Excel's sheet-name rules: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if clean.trim().is_empty() || clean == "Sources" {
        "Answers".into()
    } else {
        clean
    }
}
