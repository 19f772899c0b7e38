//! From what an XBRL pass read to [`Fact`]s (entity named, unit and period
//! resolved, label attached, duplicates dropped) and to the small facts
//! document the search pipeline indexes, so a number can be found and
//! cited like any passage.
//!
//! Dimensional facts (a context with segment or scenario members: "net
//! sales, iPhone") are kept as facts with their members in the concept
//! string (`us-gaap:Revenues[srt:ProductOrServiceAxis=aapl:IPhoneMember]`),
//! so a facts store can answer them, but are left out of the facts
//! document, which stays to the statements' headline numbers.

use std::collections::{BTreeMap, HashSet};

use seogo_docs::{Fact, Section};

use crate::labels::Labels;
use crate::value::{decamel, display};
use crate::xbrl::Filing;

/// Concepts in the facts document; the rest are still facts.
const MAX_CONCEPTS: usize = 400;
/// Periods shown per concept (most filings compare two or three years).
const MAX_PERIODS: usize = 12;

/// The facts of `filing`, read from document `doc_id`. `entity_names`
/// (identifier → name) overrides the registrant name the filing states.
pub(crate) fn facts(
    filing: &Filing,
    labels: &Labels,
    entity_names: &BTreeMap<String, String>,
    doc_id: &str,
    keep_dimensional: bool,
) -> Vec<Fact> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let year_end = fiscal_year_end(&filing.dei);
    for raw in &filing.facts {
        let Some(context) = filing.contexts.get(&raw.context) else {
            continue;
        };
        if !context.dimensions.is_empty() && !keep_dimensional {
            continue;
        }
        let unit = filing
            .units
            .get(&raw.unit)
            .cloned()
            .unwrap_or_else(|| raw.unit.clone());
        let mut concept = raw.concept.clone();
        if !context.dimensions.is_empty() {
            let members: Vec<String> = context
                .dimensions
                .iter()
                .map(|(axis, member)| format!("{axis}={member}"))
                .collect();
            concept = format!("{concept}[{}]", members.join(","));
        }
        if !seen.insert((
            concept.clone(),
            context.period.clone(),
            unit.clone(),
            raw.value.clone(),
        )) {
            continue;
        }
        let entity = entity_names
            .get(&context.identifier)
            .or_else(|| filing.dei.get("EntityRegistrantName"))
            .cloned()
            .unwrap_or_else(|| context.identifier.clone());
        let label = labels
            .get(&raw.concept)
            .or_else(|| filing.row_labels.get(&raw.concept))
            .cloned()
            .unwrap_or_else(|| decamel(raw.concept.rsplit(':').next().unwrap_or(&raw.concept)));
        out.push(Fact {
            entity,
            concept,
            label: Some(label),
            period: context.period.clone(),
            fiscal_period: year_end.and_then(|end| fiscal_year(&context.period, end)),
            unit,
            value: raw.value.clone(),
            scale: raw.scale,
            decimals: raw.decimals.clone(),
            doc_id: doc_id.to_string(),
        });
    }
    out
}

/// An annual report's own fiscal year end (`dei:DocumentPeriodEndDate`,
/// as days) and its year (`DocumentFiscalYearFocus`). `None` for quarterly
/// and other reports, whose comparative columns are not fiscal years.
fn fiscal_year_end(dei: &BTreeMap<String, String>) -> Option<(i64, i32)> {
    if dei.get("DocumentFiscalPeriodFocus").map(String::as_str) != Some("FY") {
        return None;
    }
    let end = dei
        .get("DocumentPeriodEndDate")
        .and_then(|d| crate::meta::iso_date(d).or_else(|| Some(d.clone())))?;
    let year = dei.get("DocumentFiscalYearFocus")?.trim().parse().ok()?;
    Some((days(&end)?, year))
}

/// "FY2023" for a year-long duration or an instant that ends on the
/// report's fiscal year end or a whole number of years before it (the
/// comparative columns); `None` for anything else (a quarter, a stub
/// period), whose name depends on the company.
pub(crate) fn fiscal_year(period: &str, (report_end, report_year): (i64, i32)) -> Option<String> {
    let (start, end) = match period.split_once('/') {
        Some((start, end)) => (Some(start), end),
        None => (None, period),
    };
    let end = days(end)?;
    if let Some(start) = start {
        if !(350..=380).contains(&(end - days(start)?)) {
            return None;
        }
    }
    let back = report_end - end;
    let years = (back as f64 / 365.25).round() as i64;
    // 52/53-week years end on a weekday, so the end drifts by a few days.
    if years < 0 || (back - (years as f64 * 365.25) as i64).abs() > 10 {
        return None;
    }
    Some(format!("FY{}", i64::from(report_year) - years))
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD` (the proleptic
/// Gregorian calendar; H. Hinnant's `days_from_civil`).
pub(crate) fn days(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// One section per concept, one line per period, the fiscal year first
/// when known (questions name years, not dates):
/// `Net sales (us-gaap:…), FY2023 (2022-09-25/2023-09-30): 383,285 million USD`.
/// Only facts without dimensions; empty when there are none.
pub(crate) fn sections(facts: &[Fact]) -> Vec<Section> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_concept: BTreeMap<&str, Vec<&Fact>> = BTreeMap::new();
    for fact in facts.iter().filter(|f| !f.concept.contains('[')) {
        let lines = by_concept.entry(&fact.concept).or_default();
        if lines.is_empty() {
            order.push(&fact.concept);
        }
        if lines.len() < MAX_PERIODS {
            lines.push(fact);
        }
    }
    order
        .into_iter()
        .take(MAX_CONCEPTS)
        .filter_map(|concept| {
            let lines = by_concept.get(concept)?;
            let label = lines.first()?.label.clone().unwrap_or_default();
            let text = lines
                .iter()
                .map(|f| {
                    let period = match &f.fiscal_period {
                        Some(fy) => format!("{fy} ({})", f.period),
                        None => f.period.clone(),
                    };
                    format!(
                        "{label} ({concept}), {period}: {} {}",
                        display(&f.value, f.scale),
                        unit_words(f.scale, &f.unit)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let mut section = Section::new(vec!["XBRL facts".into(), label], None, text);
            section.locator = Some(concept.to_string());
            Some(section)
        })
        .collect()
}

/// "million USD", "백만원 (KRW)": how a scaled amount reads.
fn unit_words(scale: i32, unit: &str) -> String {
    match (unit, scale) {
        ("KRW", 6) => "백만원 (KRW)".into(),
        ("KRW", 3) => "천원 (KRW)".into(),
        ("KRW", 8) => "억원 (KRW)".into(),
        (_, 3) => format!("thousand {unit}"),
        (_, 6) => format!("million {unit}"),
        (_, 9) => format!("billion {unit}"),
        _ => unit.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xbrl::{Context, RawFact};

    #[test]
    fn fiscal_years_follow_the_report_calendar() {
        // A 52/53-week year: FY2023 ended 2023-09-30, FY2022 2022-09-24.
        let end = (days("2023-09-30").expect("date"), 2023);
        assert_eq!(
            fiscal_year("2022-09-25/2023-09-30", end).as_deref(),
            Some("FY2023")
        );
        assert_eq!(
            fiscal_year("2020-09-27/2021-09-25", end).as_deref(),
            Some("FY2021")
        );
        assert_eq!(fiscal_year("2022-09-24", end).as_deref(), Some("FY2022"));
        // A quarter, a half-year instant, a later period: no fiscal year.
        assert_eq!(fiscal_year("2023-07-02/2023-09-30", end), None);
        assert_eq!(fiscal_year("2023-03-31", end), None);
        assert_eq!(fiscal_year("2023-10-01/2024-09-28", end), None);
        assert_eq!(fiscal_year("not a date", end), None);
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2000-03-01"), Some(11_017));
        // Only an annual report sets the calendar.
        let dei = |focus: &str| {
            BTreeMap::from([
                ("DocumentFiscalPeriodFocus".to_string(), focus.to_string()),
                ("DocumentFiscalYearFocus".to_string(), "2024".to_string()),
                (
                    "DocumentPeriodEndDate".to_string(),
                    "2024-06-29".to_string(),
                ),
            ])
        };
        assert!(fiscal_year_end(&dei("FY")).is_some());
        assert_eq!(fiscal_year_end(&dei("Q3")), None);
    }

    #[test]
    fn duplicates_dropped_dimensions_named_and_rendered() {
        let mut filing = Filing::default();
        let ctx = |dims: Vec<(String, String)>| Context {
            identifier: "0000320193".into(),
            period: "2022-09-25/2023-09-30".into(),
            dimensions: dims,
        };
        filing.contexts.insert("d".into(), ctx(vec![]));
        filing.contexts.insert(
            "m".into(),
            ctx(vec![("srt:Axis".into(), "aapl:IPhoneMember".into())]),
        );
        filing.units.insert("usd".into(), "USD".into());
        let raw = |context: &str, value: &str| RawFact {
            concept: "us-gaap:Revenues".into(),
            context: context.into(),
            unit: "usd".into(),
            value: value.into(),
            scale: 6,
            decimals: Some("-6".into()),
        };
        filing.facts = vec![
            raw("d", "383285000000"),
            raw("d", "383285000000"),
            raw("m", "200583000000"),
        ];
        let mut labels = Labels::new();
        labels.insert("us-gaap:Revenues".into(), "Net sales".into());
        let names = BTreeMap::from([("0000320193".to_string(), "Apple".to_string())]);
        let all = facts(&filing, &labels, &names, "a.xml", true);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].entity, "Apple");
        assert_eq!(
            all[1].concept,
            "us-gaap:Revenues[srt:Axis=aapl:IPhoneMember]"
        );
        assert_eq!(facts(&filing, &labels, &names, "a.xml", false).len(), 1);
        let s = sections(&all);
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].text,
            "Net sales (us-gaap:Revenues), 2022-09-25/2023-09-30: 383,285 million USD"
        );
    }
}
