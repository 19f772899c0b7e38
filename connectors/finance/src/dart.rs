//! DART (금융감독원 전자공시) disclosure documents: the dsd XML of a
//! 사업보고서 / 반기보고서 / 분기보고서. Sections follow the document's own
//! `SECTION-n` / `TITLE` nesting (one document per `SECTION-1`: "I. 회사의
//! 개요", "III. 재무에 관한 사항"), tables are kept whole with their
//! "(단위 : 백만원)" as caption, and the rows of a table with a stated 원
//! unit become KRW facts with that scale.

use std::collections::BTreeMap;

use seogo_docs::{Document, Fact, Refined, Section, SourceFile, Table};

use crate::facts;
use crate::value::{korean_scale, parse_displayed, shift};
use crate::xml::{attr, qname, squash, Node, XmlReader};

/// Whether `text` is a DART document.
pub(crate) fn is_dart(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    head.contains("<DOCUMENT") && head.contains("<DOCUMENT-NAME")
}

/// Report names by DART report code, for a DOCUMENT-NAME left empty.
fn report_name(acode: &str) -> Option<&'static str> {
    match acode {
        "11011" => Some("사업보고서"),
        "11012" => Some("반기보고서"),
        "11013" | "11014" => Some("분기보고서"),
        _ => None,
    }
}

/// Well-known account names → the IFRS concept the facts store files
/// them under; other rows keep their own name under `dart:`.
fn concept(label: &str) -> String {
    let key: String = label.chars().filter(|c| !c.is_whitespace()).collect();
    let known = match key.as_str() {
        "매출액" | "수익(매출액)" | "영업수익" => "ifrs-full:Revenue",
        "영업이익" | "영업이익(손실)" => "dart:OperatingIncomeLoss",
        "당기순이익" | "당기순이익(손실)" => "ifrs-full:ProfitLoss",
        "자산총계" => "ifrs-full:Assets",
        "부채총계" => "ifrs-full:Liabilities",
        "자본총계" => "ifrs-full:Equity",
        "현금및현금성자산" => "ifrs-full:CashAndCashEquivalents",
        _ => return format!("dart:{key}"),
    };
    known.to_string()
}

#[derive(Default)]
struct State {
    meta: BTreeMap<String, String>,
    /// (level, title) of the open SECTION-n headings.
    headings: Vec<(usize, String)>,
    /// Documents: (suffix, title, sections); the first is the cover.
    parts: Vec<(String, String, Vec<Section>)>,
    /// The last stated 단위 (text, scale), for the next table.
    unit: Option<(String, i32)>,
    /// The table being read, its open cell, whether rows are headers.
    table: Option<Table>,
    cell: Option<String>,
    in_head: bool,
    /// The text of the open TITLE / P / DOCUMENT-NAME / COMPANY-NAME.
    text: Option<String>,
    /// Tables with a stated unit: (table, scale, suffix of its document).
    tables: Vec<(Table, i32, String)>,
    /// The level of the innermost open `SECTION-n`.
    level: usize,
}

/// The documents and facts of a DART file; `None` when it has no body to
/// read (the generic parse is kept).
pub(crate) fn refine(
    file: &SourceFile<'_>,
    text: &str,
    entity_names: &BTreeMap<String, String>,
) -> Option<Refined> {
    let mut s = State {
        parts: vec![("cover".into(), "표지".into(), Vec::new())],
        ..State::default()
    };
    let mut reader = XmlReader::new(text);
    let mut period = (None, None);
    while let Ok(node) = reader.next() {
        match node {
            Node::End => break,
            Node::Open(e) => {
                let name = qname(&e);
                match name.as_str() {
                    "DOCUMENT-NAME" => {
                        if let Some(code) = attr(&e, "ACODE") {
                            s.meta.insert("report_code".into(), code);
                        }
                        s.text = Some(String::new());
                    }
                    "COMPANY-NAME" => {
                        if let Some(code) = attr(&e, "AREGCIK") {
                            s.meta.insert("corp_code".into(), code);
                        }
                        s.text = Some(String::new());
                    }
                    "TU" => match attr(&e, "AUNIT").as_deref() {
                        Some("PERIODFROM") => period.0 = attr(&e, "AUNITVALUE"),
                        Some("PERIODTO") => period.1 = attr(&e, "AUNITVALUE"),
                        Some("SUBMITDATE") => {
                            if let Some(d) = attr(&e, "AUNITVALUE").and_then(|v| ymd(&v)) {
                                s.meta.insert("filing_date".into(), d);
                            }
                        }
                        _ => {}
                    },
                    "TITLE" | "P" | "COVER-TITLE" if s.table.is_none() => {
                        s.text = Some(String::new())
                    }
                    "TABLE" if s.table.is_none() => {
                        s.table = Some(Table {
                            header_rows: 0,
                            rows: Vec::new(),
                            caption: None,
                        })
                    }
                    "THEAD" => s.in_head = true,
                    "TR" => {
                        if let Some(t) = s.table.as_mut() {
                            t.rows.push(Vec::new());
                            if s.in_head {
                                t.header_rows += 1;
                            }
                        }
                    }
                    "TD" | "TH" | "TE" if s.table.is_some() => s.cell = Some(String::new()),
                    _ => {
                        if let Some(level) = section_level(&name) {
                            s.headings.retain(|(l, _)| *l < level);
                            s.level = level;
                        }
                    }
                }
            }
            Node::Text(t) => {
                if let Some(cell) = s.cell.as_mut() {
                    cell.push_str(&t);
                } else if let Some(text) = s.text.as_mut() {
                    text.push_str(&t);
                }
            }
            Node::Close(name) => close(&mut s, &name),
        }
    }
    let company = s.meta.get("company").cloned()?;
    let (Some(from), Some(to)) = (
        period.0.and_then(|v| ymd(&v)),
        period.1.and_then(|v| ymd(&v)),
    ) else {
        return None;
    };
    s.meta.insert("period".into(), format!("{from}/{to}"));
    s.meta.insert("period_end".into(), to.clone());
    let year = &to[..4];
    let fiscal = match s.meta.get("report_code").map(String::as_str) {
        Some("11012") => format!("{year}H1"),
        Some("11013") => format!("{year}Q1"),
        Some("11014") => format!("{year}Q3"),
        _ => format!("FY{year}"),
    };
    s.meta.insert("fiscal_period".into(), fiscal);
    let entity = s
        .meta
        .get("corp_code")
        .and_then(|c| entity_names.get(c))
        .cloned()
        .unwrap_or(company);
    let mut all_facts = Vec::new();
    for (table, scale, suffix) in &s.tables {
        let cited = format!("{}#{suffix}", file.doc_id);
        all_facts.extend(table_facts(table, *scale, (&from, &to), &entity, &cited));
    }
    let base = file.parsed.documents.first()?;
    let title = format!(
        "{} {} {}",
        entity,
        s.meta.get("report_type").map_or("", String::as_str),
        s.meta.get("fiscal_period").map_or("", String::as_str)
    );
    let mut documents = Vec::new();
    let fact_sections = facts::sections(&all_facts);
    if !fact_sections.is_empty() {
        s.parts
            .push(("facts".into(), "재무 수치 (facts)".into(), fact_sections));
    }
    for (suffix, part_title, sections) in s.parts {
        if sections.is_empty() {
            continue;
        }
        let mut doc: Document = base.clone();
        doc.id = format!("{}#{suffix}", file.doc_id);
        doc.title = format!("{title} — {part_title}");
        doc.sections = sections;
        doc.metadata.extend(s.meta.clone());
        documents.push(doc);
    }
    // A report with no sections read keeps its generic parse.
    (!documents.is_empty()).then_some(Refined {
        documents,
        facts: all_facts,
    })
}

fn close(s: &mut State, name: &str) {
    match name {
        "DOCUMENT-NAME" => {
            let written = squash(&s.text.take().unwrap_or_default());
            let code = s.meta.get("report_code").map_or("", String::as_str);
            let name = if written.is_empty() {
                report_name(code).unwrap_or_default().to_string()
            } else {
                written
            };
            s.meta.insert("report_type".into(), name.clone());
            s.meta.insert("form_type".into(), name);
        }
        "COMPANY-NAME" => {
            let text = squash(&s.text.take().unwrap_or_default());
            s.meta.insert("company".into(), text);
        }
        "TITLE" if s.table.is_none() => {
            let title = squash(&s.text.take().unwrap_or_default());
            let level = s.level.max(1);
            if level == 1 {
                let n = s.parts.len();
                s.parts
                    .push((format!("section-{n}"), title.clone(), Vec::new()));
            }
            s.headings.push((level, title));
        }
        "P" | "COVER-TITLE" if s.table.is_none() => {
            let text = squash(&s.text.take().unwrap_or_default());
            prose(s, text);
        }
        "THEAD" => s.in_head = false,
        "TD" | "TH" | "TE" => {
            if let (Some(cell), Some(t)) = (s.cell.take(), s.table.as_mut()) {
                if let Some(row) = t.rows.last_mut() {
                    row.push(squash(&cell));
                }
            }
        }
        "TABLE" => end_table(s),
        _ => {
            if let Some(level) = section_level(name) {
                s.headings.retain(|(l, _)| *l < level);
                s.level = level.saturating_sub(1);
            }
        }
    }
}

/// `SECTION-2` → 2.
fn section_level(name: &str) -> Option<usize> {
    name.strip_prefix("SECTION-")?.parse().ok()
}

/// A paragraph; one stating a 단위 also sets the unit of the next table.
fn prose(s: &mut State, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(scale) = korean_scale(&text) {
        s.unit = Some((text.clone(), scale));
    }
    let path: Vec<String> = s.headings.iter().map(|(_, h)| h.clone()).collect();
    let Some((_, _, sections)) = s.parts.last_mut() else {
        return;
    };
    match sections.last_mut() {
        Some(last) if last.table.is_none() && last.heading_path == path => {
            last.text.push_str("\n\n");
            last.text.push_str(&text);
        }
        _ => sections.push(Section::new(path, None, text)),
    }
}

fn end_table(s: &mut State) {
    let Some(mut table) = s.table.take() else {
        return;
    };
    table.rows.retain(|r| r.iter().any(|c| !c.is_empty()));
    if table.rows.len() <= 1 || table.width() <= 1 {
        // A one-cell "table" is layout: a unit line or a framed sentence.
        let text = table.rows.concat().join(" ");
        prose(s, text);
        return;
    }
    let own_unit = table
        .rows
        .iter()
        .flatten()
        .find_map(|c| korean_scale(c).map(|sc| (c.clone(), sc)));
    let unit = own_unit.or_else(|| s.unit.take());
    if table.header_rows == 0 {
        table.header_rows = 1;
    }
    table.caption = unit.as_ref().map(|(text, _)| text.clone());
    let path: Vec<String> = s.headings.iter().map(|(_, h)| h.clone()).collect();
    let mut section = Section::new(path, None, table.to_markdown());
    section.table = Some(table.clone());
    let Some((suffix, _, sections)) = s.parts.last_mut() else {
        return;
    };
    sections.push(section);
    if let Some((_, scale)) = unit {
        s.tables.push((table, scale, suffix.clone()));
    }
}

/// Facts from the body rows of a table whose header names periods
/// ("제55기", "당기", "전기"), each amount times 10^`scale` won, over the
/// report's period (`from`, `to`) moved back per column — or at its end,
/// for a statement "as of" (its unit line says 현재) or a balance line.
fn table_facts(
    table: &Table,
    scale: i32,
    (from, to): (&str, &str),
    entity: &str,
    cited: &str,
) -> Vec<Fact> {
    let as_of = table.caption.as_deref().is_some_and(|c| c.contains("현재"));
    let Some(header) = table.rows.get(table.header_rows.saturating_sub(1)) else {
        return Vec::new();
    };
    let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
    // The latest term in the header is the period the report covers.
    let current = columns
        .iter()
        .filter_map(|c| match c {
            Some(Column::Term(n)) => Some(*n),
            _ => None,
        })
        .max();
    let mut out = Vec::new();
    for row in table.rows.iter().skip(table.header_rows) {
        let Some(label) = row.first().filter(|l| parse_displayed(l).is_none()) else {
            continue;
        };
        for (i, cell) in row.iter().enumerate().skip(1) {
            let offset = match columns.get(i).copied().flatten() {
                Some(Column::Term(n)) => current.map(|c| c - n),
                Some(Column::Back(k)) => Some(k),
                None => None,
            };
            let (Some(offset), Some((negative, digits))) = (offset, parse_displayed(cell)) else {
                continue;
            };
            let value = shift(&digits, scale);
            let value = if negative && value != "0" {
                format!("-{value}")
            } else {
                value
            };
            out.push(Fact {
                entity: entity.to_string(),
                concept: concept(label),
                label: Some(label.clone()),
                period: if as_of || balance_item(label) {
                    years_back(to, offset)
                } else {
                    format!("{}/{}", years_back(from, offset), years_back(to, offset))
                },
                fiscal_period: if as_of || balance_item(label) {
                    None
                } else {
                    fiscal_year_of(&years_back(from, offset), &years_back(to, offset))
                },
                unit: "KRW".into(),
                value,
                scale,
                decimals: None,
                doc_id: cited.to_string(),
            });
        }
    }
    out
}

/// Balance-sheet lines: amounts at the period's end (an XBRL instant),
/// not over it.
fn balance_item(label: &str) -> bool {
    let key: String = label.chars().filter(|c| !c.is_whitespace()).collect();
    key.ends_with("총계")
        || key.ends_with("자산")
        || key.ends_with("부채")
        || key.contains("자본금")
}

/// What a period column header says.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    /// "제55기": the company's 55th fiscal term.
    Term(i32),
    /// "당기" 0, "전기" 1, "전전기" 2: years back from the current period.
    Back(i32),
}

fn column(header: &str) -> Option<Column> {
    let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let term = h
        .strip_prefix('제')
        .and_then(|r| r.split('기').next())
        .and_then(|n| n.parse::<i32>().ok());
    if let Some(n) = term {
        return Some(Column::Term(n));
    }
    [("전전기", 2), ("전기", 1), ("당기", 0)]
        .iter()
        .find(|(w, _)| h.starts_with(w))
        .map(|&(_, o)| Column::Back(o))
}

/// `YYYY-MM-DD` moved `years` back.
/// A 사업연도 is named by the year it ends in: `FY2023` for a year-long
/// period ending in 2023.
fn fiscal_year_of(from: &str, to: &str) -> Option<String> {
    let year = to.get(..4)?.parse().ok()?;
    crate::facts::fiscal_year(&format!("{from}/{to}"), (crate::facts::days(to)?, year))
}

fn years_back(date: &str, years: i32) -> String {
    match date.get(..4).and_then(|y| y.parse::<i32>().ok()) {
        Some(y) => format!("{:04}{}", y - years, &date[4..]),
        None => date.to_string(),
    }
}

/// "20231231" → "2023-12-31".
fn ymd(v: &str) -> Option<String> {
    let v = v.trim();
    (v.len() == 8 && v.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]))
}
