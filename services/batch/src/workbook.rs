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
    let titles = [
        "row",
        "question",
        "n",
        "document",
        "section",
        "page",
        "quote",
        "document id",
    ];
    let widths = [6.0, 40.0, 4.0, 36.0, 30.0, 6.0, 70.0, 30.0];
    for (c, (title, width)) in titles.iter().zip(widths).enumerate() {
        sources.write_string_with_format(0, column(c), *title, &header)?;
        sources.set_column_width(column(c), width)?;
    }
    let mut line = 1u32;
    for (r, result) in sheet.results.iter().enumerate() {
        let Some(result) = result else { continue };
        let question = sheet.rows[r]
            .get(sheet.question_column)
            .map_or("", String::as_str);
        for citation in &result.citations {
            sources.write_number_with_format(line, 0, (r + 2) as f64, &plain)?;
            sources.write_string_with_format(line, 1, question, &wrapped)?;
            sources.write_number_with_format(line, 2, citation.n as f64, &plain)?;
            sources.write_string_with_format(line, 3, &citation.title, &wrapped)?;
            sources.write_string_with_format(line, 4, &citation.section, &wrapped)?;
            if let Some(page) = citation.page {
                sources.write_number_with_format(line, 5, f64::from(page), &plain)?;
            }
            sources.write_string_with_format(line, 6, &citation.quote, &wrapped)?;
            sources.write_string_with_format(line, 7, &citation.doc_id, &wrapped)?;
            line += 1;
        }
    }
    sources.set_freeze_panes(1, 0)?;
    workbook.save(path)
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
