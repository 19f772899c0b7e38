//! Public-data files (공공데이터포털 data.go.kr): the generic parser has
//! already decoded the CP949 and made tables; a standard dataset names its
//! provider and reference date in columns (`제공기관명`, `데이터기준일자`)
//! and often its date in the file name (`…_20231231.csv`). Those become
//! `agency` and `date`, the keys government documents use, so one filter
//! serves both.

use std::sync::LazyLock;

use regex::Regex;
use seogo_docs::Document;

use crate::govdoc::normalise_date;

/// Header names of the provider column, best first.
const AGENCY_COLUMNS: &[&str] = &["제공기관명", "제공기관", "관리기관명", "관리기관"];
/// Header names of the reference-date column, best first.
const DATE_COLUMNS: &[&str] = &["데이터기준일자", "기준일자", "데이터기준일", "기준일"];

/// `_20231231` at the end of a file name.
static NAME_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[_\s(](\d{8})\)?$").ok());

pub(crate) fn annotate(doc: &mut Document) {
    let Some(table) = doc.sections.iter().find_map(|s| s.table.as_ref()) else {
        return;
    };
    let (Some(header), Some(first)) = (table.rows.first(), table.rows.get(table.header_rows))
    else {
        return;
    };
    let column = |names: &[&str]| {
        names.iter().find_map(|name| {
            let compact = |s: &str| s.split_whitespace().collect::<String>();
            header.iter().position(|h| compact(h) == *name)
        })
    };
    let agency = column(AGENCY_COLUMNS).and_then(|i| first.get(i)).cloned();
    let date = column(DATE_COLUMNS)
        .and_then(|i| first.get(i))
        .and_then(|d| normalise_date(d));
    let from_name = NAME_DATE
        .as_ref()
        .and_then(|re| re.captures(&doc.title))
        .and_then(|c| c.get(1))
        .and_then(|d| normalise_date(d.as_str()));
    if agency.is_none() && date.is_none() && from_name.is_none() {
        return;
    }
    doc.metadata.insert("doc_type".into(), "공공데이터".into());
    if let Some(agency) = agency.filter(|a| !a.is_empty()) {
        doc.metadata.insert("agency".into(), agency);
    }
    if let Some(date) = date.or(from_name) {
        doc.metadata.insert("date".into(), date);
    }
}
