//! Spreadsheets (XLSX, XLSM, XLSB, XLS, ODS) through calamine: each sheet a
//! heading, each block of rows between empty rows a table whose first row is
//! its header, merged cells repeated into every cell they cover, dates as
//! ISO dates rather than Excel serial numbers.
//!
//! calamine reads the zip itself, so the container's declared sizes are
//! checked against the limits first ([`Zipped::check_declared`]).

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Dimensions, Range, Reader, Sheets};
use chrono::{Datelike, Timelike};

use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::zip_container::Zipped;
use seogo_types::Table;

type Workbook<'a> = Sheets<Cursor<&'a [u8]>>;

/// calamine indexes past the end of some malformed compound files (a
/// sector cut short, found by the `xlsx` fuzz target) and panics: that is a
/// malformed workbook, and it is named as one.
pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(bytes, budget)
    }))
    .unwrap_or_else(|panic| {
        Err(Failure::malformed(format!(
            "the workbook reader failed: {}",
            crate::limits::panic_reason(&*panic)
        )))
    })
}

fn read_workbook(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    if bytes.starts_with(b"PK") {
        Zipped::open(bytes, budget)?.check_declared()?;
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(workbook_error)?;
    let mut outline = Outline::new();
    let names = book.sheet_names();
    let mut warnings = Vec::new();
    for (n, name) in names.iter().enumerate() {
        budget.check_page(n + 1)?;
        let range = match book.worksheet_range(name) {
            Ok(range) => range,
            Err(e) => {
                warnings.push(format!("sheet {name}: {e}"));
                continue;
            }
        };
        let merged = merged_cells(&mut book, name);
        let grid = grid(&range, &merged);
        outline.heading(1, name);
        for (first_row, block) in blocks(&grid) {
            budget.check_time()?;
            let (caption, rows) = split_caption(block);
            let locator = Some(format!(
                "sheet {name} · rows {}–{}",
                first_row + 1,
                first_row + block.len()
            ));
            outline.table(
                Table {
                    header_rows: usize::from(rows.len() > 1),
                    rows: rows.to_vec(),
                    caption,
                },
                locator,
            );
        }
    }
    let mut extracted = Extracted::from_outline(outline);
    extracted.title = book
        .workbook_properties()
        .ok()
        .and_then(|p| p.title)
        .filter(|t| !t.trim().is_empty());
    extracted.pages = Some(names.len() as u32);
    extracted.warnings = warnings;
    Ok(extracted)
}

fn workbook_error(e: calamine::Error) -> Failure {
    let message = e.to_string();
    if message.contains("password") || message.contains("Password") {
        Failure::Encrypted(message)
    } else {
        Failure::malformed(message)
    }
}

/// Merged areas of a sheet (XLSX and XLS record them; ODS is read without).
fn merged_cells(book: &mut Workbook<'_>, name: &str) -> Vec<Dimensions> {
    match book {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The sheet's used range as text cells, merged areas filled from their
/// top-left cell.
fn grid(range: &Range<Data>, merged: &[Dimensions]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    let Some((top, left)) = range.start() else {
        return rows;
    };
    for area in merged {
        let at = |(r, c): (u32, u32)| {
            (
                r.checked_sub(top).map(|r| r as usize),
                c.checked_sub(left).map(|c| c as usize),
            )
        };
        let (Some(r0), Some(c0)) = at(area.start) else {
            continue;
        };
        let (Some(r1), Some(c1)) = at(area.end) else {
            continue;
        };
        let Some(value) = rows.get(r0).and_then(|r| r.get(c0)).cloned() else {
            continue;
        };
        for row in rows.iter_mut().take(r1 + 1).skip(r0) {
            for cell in row.iter_mut().take(c1 + 1).skip(c0) {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
    rows
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) => {
                let date = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
                match (t.hour(), t.minute(), t.second()) {
                    (0, 0, 0) => date,
                    (h, m, s) => format!("{date} {h:02}:{m:02}:{s:02}"),
                }
            }
            None => d.to_string(),
        },
        Data::Error(e) => format!("#{e}"),
        other => other.to_string().trim().to_string(),
    }
}

/// Runs of non-empty rows, with the index of each run's first row; empty
/// columns at either side of a run are dropped.
fn blocks(grid: &[Vec<String>]) -> Vec<(usize, &[Vec<String>])> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, row) in grid.iter().enumerate() {
        let empty = row.iter().all(String::is_empty);
        match (start, empty) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                out.push((s, &grid[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &grid[s..]));
    }
    out
}

/// A block whose first row holds one text (in one cell, or merged across
/// several) above a wider row is a captioned table ("2023 상반기 부문별
/// 실적" over its columns).
fn split_caption(block: &[Vec<String>]) -> (Option<String>, &[Vec<String>]) {
    let distinct = |row: &Vec<String>| {
        let mut cells: Vec<&String> = row.iter().filter(|c| !c.is_empty()).collect();
        cells.dedup();
        cells.len()
    };
    match block {
        [first, second, ..] if distinct(first) == 1 && distinct(second) > 1 => {
            let caption = first.iter().find(|c| !c.is_empty()).cloned();
            (caption, &block[1..])
        }
        _ => (None, block),
    }
}
