//! Work orders and failure logs (CSV, XLSX): each row a record — its own
//! document, so it is cited on its own ("work-orders · 작업지시번호
//! WO-2024-0007", row 8) and carries its own metadata (equipment, failure
//! codes, date, identifiers).
//!
//! The generic parser has already read the cells (CSV, TSV, XLSX, XLS,
//! ODS alike) into table sections of 40 rows that repeat the header; the
//! blocks of one table are joined again here and each row written as a log
//! line with its fields labelled: "설비 M14860 · 고장 HDF (heat dissipation
//! failure) · UDI 1234 · Air temperature 298.1 K …". The labels put the
//! equipment id and failure code next to words that say what they are, for
//! BM25 and for a reader of the citation alike.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use seogo_docs::{content_hash, DocError, Document, Section, Table};

use crate::idents::identifiers;
use crate::options::{Include, Mapping};

/// Columns written into a record besides the mapped ones; the rest are
/// counted, so a 100,000-column sheet does not make 100,000-field records.
const MAX_OTHER_FIELDS: usize = 40;

/// AI4I 2020's failure-mode flag columns, named (Matzka 2020).
const KNOWN_FAILURES: &[(&str, &str)] = &[
    ("TWF", "tool wear failure"),
    ("HDF", "heat dissipation failure"),
    ("PWF", "power failure"),
    ("OSF", "overstrain failure"),
    ("RNF", "random failure"),
];

/// One table of a document, its 40-row sections joined again.
#[derive(Debug)]
struct Grid {
    /// Indexes of its sections in the document.
    sections: Vec<usize>,
    header: Vec<String>,
    body: Vec<Vec<String>>,
    /// The generic locator ("sheet 작업 · rows 1–80"), if any.
    locator: Option<String>,
    header_rows: usize,
}

impl Grid {
    /// The row number a reader of the file would give: the sheet row for
    /// spreadsheets, the line for CSV (blank lines not counted).
    fn row_number(&self, body_index: usize) -> usize {
        let first = self
            .locator
            .as_deref()
            .and_then(|l| l.split(" · rows ").nth(1))
            .and_then(|r| r.split('–').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1);
        first + self.header_rows + body_index
    }

    fn row_locator(&self, body_index: usize) -> String {
        let row = self.row_number(body_index);
        match self
            .locator
            .as_deref()
            .and_then(|l| l.split(" · rows ").next())
        {
            Some(sheet) if !sheet.is_empty() => format!("{sheet} · row {row}"),
            _ => format!("row {row}"),
        }
    }
}

/// The tables of `doc`: consecutive table sections with the same header,
/// locator and heading path (less the "rows a–b" the parser adds).
fn grids(doc: &Document) -> Vec<Grid> {
    let mut out: Vec<Grid> = Vec::new();
    let mut previous_key = None;
    for (i, section) in doc.sections.iter().enumerate() {
        let Some(table) = &section.table else {
            previous_key = None;
            continue;
        };
        let header_rows = table.header_rows.clamp(1, table.rows.len().max(1));
        let (head, body) = table.rows.split_at(header_rows.min(table.rows.len()));
        let header = head.last().cloned().unwrap_or_default();
        let mut path = section.heading_path.clone();
        if path.last().is_some_and(|h| h.starts_with("rows ")) {
            path.pop();
        }
        let key = (header.clone(), section.locator.clone(), path);
        match out.last_mut() {
            Some(grid) if previous_key.as_ref() == Some(&key) => {
                grid.sections.push(i);
                grid.body.extend(body.iter().cloned());
            }
            _ => out.push(Grid {
                sections: vec![i],
                header,
                body: body.to_vec(),
                locator: section.locator.clone(),
                header_rows,
            }),
        }
        previous_key = Some(key);
    }
    out
}

/// A mapping's columns resolved to positions in one header.
#[derive(Debug)]
struct Resolved<'m> {
    mapping: &'m Mapping,
    equipment: Vec<usize>,
    /// (column, whether it holds 0/1 flags rather than codes).
    failure: Vec<(usize, bool)>,
    flag: Option<usize>,
    date: Vec<usize>,
    text: Vec<usize>,
    id: Vec<usize>,
}

fn find(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name).or_else(|| {
        let lower = name.to_lowercase();
        header.iter().position(|h| h.to_lowercase() == lower)
    })
}

fn truthy(cell: &str) -> bool {
    matches!(
        cell.trim().to_lowercase().as_str(),
        "1" | "1.0" | "true" | "y" | "yes" | "o" | "예"
    )
}

fn flag_like(cell: &str) -> bool {
    truthy(cell)
        || matches!(
            cell.trim().to_lowercase().as_str(),
            "" | "0" | "0.0" | "false" | "n" | "no" | "x" | "아니오"
        )
}

/// The first mapping whose columns are all in `grid`'s header; an error
/// naming the missing column when the closest one lacks some; `None` when
/// no mapping names any of its columns (the table is some other table).
fn resolve<'m>(
    path: &Path,
    grid: &Grid,
    mappings: &'m [Mapping],
) -> Result<Option<Resolved<'m>>, DocError> {
    let mut closest: Option<(usize, &'static str, &str)> = None;
    for mapping in mappings {
        let columns = mapping.columns();
        let missing: Vec<_> = columns
            .iter()
            .filter(|(_, c)| find(&grid.header, c).is_none())
            .collect();
        let Some(&&(field, column)) = missing.first() else {
            return Ok(Some(resolved(mapping, grid)));
        };
        let present = columns.len() - missing.len();
        if present > 0 && closest.is_none_or(|(p, _, _)| present > p) {
            closest = Some((present, field, column));
        }
    }
    let Some((_, field, column)) = closest else {
        return Ok(None);
    };
    let mut names: Vec<&str> = grid.header.iter().take(20).map(String::as_str).collect();
    if grid.header.len() > 20 {
        names.push("…");
    }
    Err(DocError::BadRecord {
        path: path.into(),
        line: grid.row_number(0).saturating_sub(grid.header_rows).max(1),
        reason: format!(
            "column `{column}` (records.{field} in the manufacturing options) is not in the header; its columns are: {}",
            names.join(", ")
        ),
    })
}

fn resolved<'m>(mapping: &'m Mapping, grid: &Grid) -> Resolved<'m> {
    let cols = |names: &[String]| -> Vec<usize> {
        names.iter().filter_map(|n| find(&grid.header, n)).collect()
    };
    let failure = cols(&mapping.failure_mode)
        .into_iter()
        .map(|c| {
            let flags = grid
                .body
                .iter()
                .all(|row| row.get(c).is_none_or(|v| flag_like(v)));
            (c, flags)
        })
        .collect();
    Resolved {
        mapping,
        equipment: cols(&mapping.equipment_id),
        failure,
        flag: mapping
            .failure_flag
            .as_deref()
            .and_then(|f| find(&grid.header, f)),
        date: cols(&mapping.date),
        text: cols(&mapping.text),
        id: cols(&mapping.id),
    }
}

/// The non-empty cells of `columns` in `row`.
fn values<'r>(row: &'r [String], columns: &[usize]) -> Vec<&'r str> {
    columns
        .iter()
        .filter_map(|&c| row.get(c).map(|v| v.trim()))
        .filter(|v| !v.is_empty())
        .collect()
}

/// "Air temperature [K]" and 298.1 → "Air temperature 298.1 K".
fn labelled(header: &str, value: &str) -> String {
    match header.strip_suffix(']').and_then(|h| h.rsplit_once(" [")) {
        Some((name, unit)) => format!("{name} {value} {unit}"),
        None => format!("{header} {value}"),
    }
}

impl Resolved<'_> {
    fn failure_name(&self, code: &str) -> Option<String> {
        let names = &self.mapping.failure_names;
        names
            .get(code)
            .or_else(|| {
                names
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(code))
                    .map(|(_, v)| v)
            })
            .cloned()
            .or_else(|| {
                KNOWN_FAILURES
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(code))
                    .map(|(_, v)| (*v).to_string())
            })
    }

    /// The failure codes of a row: flag columns that are set, by name, and
    /// the codes written in code columns.
    fn codes(&self, header: &[String], row: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for &(c, flags) in &self.failure {
            let cell = row.get(c).map_or("", |v| v.trim());
            let code = if flags {
                if !truthy(cell) {
                    continue;
                }
                header.get(c).map_or("", String::as_str)
            } else {
                cell
            };
            if !code.is_empty() {
                out.push(code.to_string());
            }
        }
        out
    }

    fn mapped(&self, column: usize) -> bool {
        let all = [&self.equipment, &self.date, &self.text, &self.id];
        all.iter().any(|cols| cols.contains(&column))
            || self.failure.iter().any(|&(c, _)| c == column)
            || self.flag == Some(column)
    }
}

/// `doc`'s tables split into record documents by the first mapping that
/// fits each; what is not a mapped table stays in `doc`.
pub(crate) fn split(
    path: &Path,
    mut doc: Document,
    mappings: &[Mapping],
    seen_ids: &mut HashSet<String>,
) -> Result<(Option<Document>, Vec<Document>), DocError> {
    let mut records = Vec::new();
    let mut consumed = HashSet::new();
    for grid in grids(&doc) {
        let Some(resolved) = resolve(path, &grid, mappings)? else {
            continue;
        };
        consumed.extend(grid.sections.iter().copied());
        for (k, row) in grid.body.iter().enumerate() {
            if let Some(record) = record(&doc, &grid, &resolved, k, row, seen_ids) {
                records.push(record);
            }
        }
    }
    if consumed.is_empty() {
        return Ok((Some(doc), records));
    }
    let sections = std::mem::take(&mut doc.sections);
    doc.sections = sections
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !consumed.contains(i))
        .map(|(_, s)| s)
        .collect();
    Ok(((!doc.sections.is_empty()).then_some(doc), records))
}

/// Row `k` of `grid` as a record document, or `None` when it is not one
/// (not a failure where only failures are kept, or empty).
fn record(
    doc: &Document,
    grid: &Grid,
    r: &Resolved<'_>,
    k: usize,
    row: &[String],
    seen_ids: &mut HashSet<String>,
) -> Option<Document> {
    let codes = r.codes(&grid.header, row);
    let failed = match r.flag {
        Some(c) => row.get(c).is_some_and(|v| truthy(v)),
        None => !codes.is_empty(),
    };
    if r.mapping.include == Include::Failures && !failed {
        return None;
    }
    let equipment = values(row, &r.equipment).join(" / ");
    let id = values(row, &r.id).join("-");
    let dates = values(row, &r.date).join(" ");
    let mut fields = Vec::new();
    if !equipment.is_empty() {
        fields.push(format!("설비 {equipment}"));
    }
    let named: Vec<String> = codes
        .iter()
        .map(|c| match r.failure_name(c) {
            Some(name) => format!("{c} ({name})"),
            None => c.clone(),
        })
        .collect();
    if !named.is_empty() {
        fields.push(format!("고장 {}", named.join(", ")));
    } else if failed {
        fields.push("고장 (유형 미기재)".to_string());
    }
    let id_label = r.id.first().and_then(|&c| grid.header.get(c));
    if let (false, Some(label)) = (id.is_empty(), id_label) {
        fields.push(format!("{label} {id}"));
    }
    if !dates.is_empty() {
        fields.push(format!("일자 {dates}"));
    }
    let others: Vec<(usize, &String)> = row
        .iter()
        .enumerate()
        .filter(|(c, v)| !r.mapped(*c) && !v.trim().is_empty())
        .collect();
    for &(c, v) in others.iter().take(MAX_OTHER_FIELDS) {
        let header = grid.header.get(c).filter(|h| !h.is_empty());
        let default = format!("column {}", c + 1);
        fields.push(labelled(header.unwrap_or(&default), v.trim()));
    }
    if others.len() > MAX_OTHER_FIELDS {
        fields.push(format!("(+{} columns)", others.len() - MAX_OTHER_FIELDS));
    }
    let mut text = fields.join(" · ");
    for &c in &r.text {
        if let (Some(h), Some(v)) = (grid.header.get(c), row.get(c).filter(|v| !v.is_empty())) {
            text.push_str(&format!("\n{h}: {v}"));
        }
    }
    if text.trim().is_empty() {
        return None;
    }
    let locator = grid.row_locator(k);
    let key = if id.is_empty() {
        format!("row-{}", grid.row_number(k))
    } else {
        id.replace(|c: char| c.is_whitespace() || c == '#', "_")
    };
    let mut doc_id = format!("{}#{key}", doc.id);
    if !seen_ids.insert(doc_id.clone()) {
        doc_id = format!("{doc_id}-row{}", grid.row_number(k));
        seen_ids.insert(doc_id.clone());
    }
    let title = match id_label.filter(|_| !id.is_empty()) {
        Some(label) => format!("{} · {label} {id}", doc.title),
        None => format!("{} · {locator}", doc.title),
    };
    let mut metadata: BTreeMap<String, String> = doc.metadata.clone();
    metadata.insert("record".into(), key);
    metadata.insert("row".into(), locator.clone());
    for (name, value) in [
        ("equipment_id", equipment.clone()),
        ("failure_mode", codes.join(", ")),
        ("date", dates),
        ("identifiers", identifiers(&text).join(", ")),
    ] {
        if !value.is_empty() {
            metadata.insert(name.into(), value);
        }
    }
    let heading_path = if equipment.is_empty() {
        Vec::new()
    } else {
        vec![format!("설비 {equipment}")]
    };
    Some(Document {
        id: doc_id,
        title,
        source: doc.source.clone(),
        content_hash: content_hash(text.as_bytes()),
        domain: doc.domain,
        acl: doc.acl.clone(),
        metadata,
        sections: vec![Section {
            heading_path,
            page: None,
            text,
            table: Some(Table {
                header_rows: 1,
                rows: vec![grid.header.clone(), row.to_vec()],
                caption: None,
            }),
            locator: Some(locator),
        }],
    })
}
