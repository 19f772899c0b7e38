//! The metadata every finance document carries, so a search can be
//! filtered by company, ticker, form or period: from an XBRL filing's
//! `dei:` cover facts, or, for a file without them, the form type its text
//! or name states.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// `company`, `ticker`, `cik`, `form_type`, `fiscal_period` (FY2023,
/// 2023Q3), `fiscal_year`, `period_end` (YYYY-MM-DD) from `dei:` facts.
pub(crate) fn from_dei(
    dei: &BTreeMap<String, String>,
    entity_names: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            m.insert(key.to_string(), v);
        }
    };
    let get = |name: &str| dei.get(name).cloned();
    let cik = get("EntityCentralIndexKey");
    let named = cik.as_ref().and_then(|c| entity_names.get(c)).cloned();
    put("company", named.or_else(|| get("EntityRegistrantName")));
    put("ticker", get("TradingSymbol"));
    put("cik", cik);
    put("form_type", get("DocumentType"));
    put("fiscal_year", get("DocumentFiscalYearFocus"));
    let period = match (
        get("DocumentFiscalPeriodFocus"),
        get("DocumentFiscalYearFocus"),
    ) {
        (Some(p), Some(y)) if p == "FY" => Some(format!("FY{y}")),
        (Some(p), Some(y)) => Some(format!("{y}{p}")),
        _ => None,
    };
    put("fiscal_period", period);
    put(
        "period_end",
        get("DocumentPeriodEndDate").map(|d| iso_date(&d).unwrap_or(d)),
    );
    m
}

/// "Apple Inc. 10-K FY2024", or `fallback` when nothing is known.
pub(crate) fn title(metadata: &BTreeMap<String, String>, fallback: &str) -> String {
    let parts: Vec<&str> = ["company", "form_type", "fiscal_period"]
        .iter()
        .filter_map(|k| metadata.get(*k).map(String::as_str))
        .collect();
    if parts.is_empty() {
        fallback.to_string()
    } else {
        parts.join(" ")
    }
}

/// "2024-09-28" or "September 28, 2024" as `YYYY-MM-DD`.
pub(crate) fn iso_date(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') && t.as_bytes().get(7) == Some(&b'-') {
        return Some(t.to_string());
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let [month, day, year] = words.as_slice() else {
        return None;
    };
    let lower = month.to_ascii_lowercase();
    let m = MONTHS.iter().position(|p| lower.starts_with(p))? + 1;
    let d: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let y: u32 = year.parse().ok().filter(|y| (1900..=2999).contains(y))?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

static FORM_IN_XML: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"<(?:documentType|submissionType)>\s*([^<\s][^<]{0,20}?)\s*</").ok()
});
static FORM_IN_TEXT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\bFORM\s+(10-K|10-Q|8-K|20-F|40-F|6-K|S-1|13F-HR|DEF\s?14A)\b").ok()
});
static FORM_IN_NAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^a-z0-9])(10-?K|10-?Q|8-?K|20-?F|13F-?HR|form4|form\.?4)(?:[^a-z0-9]|$)")
        .ok()
});

/// The form a file states: an EDGAR XML form's `documentType` /
/// `submissionType`, "FORM 10-K" on a cover page (`first_text`), else
/// the file name (`BOEING_2022_10K.pdf`).
pub(crate) fn form_type(path: &Path, raw: &str, first_text: &str) -> Option<String> {
    let head: String = raw.chars().take(20_000).collect();
    if let Some(c) = FORM_IN_XML.as_ref().and_then(|r| r.captures(&head)) {
        return c.get(1).map(|m| m.as_str().to_string());
    }
    let text_form = FORM_IN_TEXT.as_ref().and_then(|r| r.captures(first_text));
    if let Some(c) = text_form {
        return c
            .get(1)
            .map(|m| m.as_str().to_ascii_uppercase().replace(' ', ""));
    }
    let name = path.file_name()?.to_str()?;
    let c = FORM_IN_NAME.as_ref()?.captures(name)?;
    let form = c.get(1)?.as_str().to_ascii_uppercase().replace('.', "");
    Some(match form.as_str() {
        "10K" => "10-K".into(),
        "10Q" => "10-Q".into(),
        "8K" => "8-K".into(),
        "20F" => "20-F".into(),
        "13FHR" => "13F-HR".into(),
        "FORM4" => "4".into(),
        _ => form,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_periods_and_forms() {
        assert_eq!(
            iso_date("September 28, 2024").as_deref(),
            Some("2024-09-28")
        );
        assert_eq!(iso_date("2023-09-30").as_deref(), Some("2023-09-30"));
        assert_eq!(iso_date("soon"), None);
        let dei = BTreeMap::from([
            ("DocumentFiscalPeriodFocus".to_string(), "Q3".to_string()),
            ("DocumentFiscalYearFocus".to_string(), "2023".to_string()),
        ]);
        assert_eq!(from_dei(&dei, &BTreeMap::new())["fiscal_period"], "2023Q3");
        let p = Path::new("BOEING_2022_10K.pdf");
        assert_eq!(form_type(p, "", "").as_deref(), Some("10-K"));
        assert_eq!(
            form_type(Path::new("x.xml"), "<documentType>4</documentType>", "").as_deref(),
            Some("4")
        );
        assert_eq!(
            form_type(Path::new("a.pdf"), "", "FORM 10-Q quarterly").as_deref(),
            Some("10-Q")
        );
        assert_eq!(form_type(Path::new("notes.txt"), "", "hello"), None);
    }
}
