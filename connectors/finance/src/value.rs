//! Numbers and units as filings write them, normalised: "(1,234)" and
//! "△1,234" are negative, iXBRL `scale` moves the decimal point, a unit
//! `iso4217:USD` is `USD`. Arithmetic is done on the decimal string, so a
//! 15-digit won amount keeps every digit (an f64 would not).

/// A displayed number ("1,234.5", "(12)", "△3", "-", "—"): its sign and
/// its digits with at most one '.'; `None` when it is not a number. A lone
/// dash is zero, as tables print it.
pub(crate) fn parse_displayed(text: &str) -> Option<(bool, String)> {
    let t = text.trim().trim_matches(|c: char| c.is_whitespace());
    if matches!(t, "-" | "—" | "–" | "‒") {
        return Some((false, "0".into()));
    }
    let mut negative = false;
    let mut body = t;
    if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        negative = true;
        body = inner.trim();
    }
    for mark in ['-', '−', '△', '▲'] {
        if let Some(rest) = body.strip_prefix(mark) {
            negative = !negative;
            body = rest.trim();
            break;
        }
    }
    let digits: String = body.chars().filter(|c| *c != ',' && *c != ' ').collect();
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    well_formed.then_some((negative, digits))
}

/// The value of an inline XBRL `ix:nonFraction`: its text read per
/// `format`, scaled by `scale`, negated by `sign="-"`. `None` for a format
/// this reader does not know (the fact is skipped rather than misread).
pub(crate) fn ix_value(
    text: &str,
    format: Option<&str>,
    scale: i32,
    negate: bool,
) -> Option<String> {
    let format = format.map(|f| f.rsplit(':').next().unwrap_or(f).to_ascii_lowercase());
    let digits = match format.as_deref() {
        Some("fixed-zero" | "zerodash" | "fixedzero") => "0".to_string(),
        None | Some("num-dot-decimal" | "numdotdecimal" | "numcommadot" | "num-unit-decimal") => {
            let kept: String = text
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            kept
        }
        Some("num-comma-decimal" | "numcommadecimal" | "numdotcomma" | "numspacecomma") => text
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == ',')
            .map(|c| if c == ',' { '.' } else { c })
            .collect(),
        Some(_) => return None,
    };
    if !digits.chars().any(|c| c.is_ascii_digit()) || digits.matches('.').count() > 1 {
        return None;
    }
    Some(signed(negate, &shift(&digits, scale)))
}

/// A plain instance value ("298085000000", "-6.13").
pub(crate) fn instance_value(text: &str) -> Option<String> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let ok = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.matches('.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    ok.then(|| signed(negative, &shift(body, 0)))
}

/// `digits` (at most one '.') times 10^`scale`, as a canonical decimal:
/// no leading zeros, no trailing fractional zeros.
pub(crate) fn shift(digits: &str, scale: i32) -> String {
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all: String = format!("{int}{frac}");
    // The position of the decimal point within `all`, after scaling.
    let point = int.len() as i64 + i64::from(scale.clamp(-64, 64));
    let mut whole;
    let mut fraction;
    if point <= 0 {
        whole = String::from("0");
        fraction = format!("{}{all}", "0".repeat(point.unsigned_abs() as usize));
    } else if point as usize >= all.len() {
        whole = format!("{all}{}", "0".repeat(point as usize - all.len()));
        fraction = String::new();
    } else {
        whole = all[..point as usize].to_string();
        fraction = all[point as usize..].to_string();
    }
    whole = whole.trim_start_matches('0').to_string();
    if whole.is_empty() {
        whole.push('0');
    }
    fraction = fraction.trim_end_matches('0').to_string();
    if fraction.is_empty() {
        whole
    } else {
        format!("{whole}.{fraction}")
    }
}

fn signed(negative: bool, value: &str) -> String {
    if negative && value.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-{value}")
    } else {
        value.to_string()
    }
}

/// A measure without its namespace prefix: `iso4217:USD` → `USD`,
/// `xbrli:shares` → `shares`.
pub(crate) fn measure(qname: &str) -> String {
    qname.trim().rsplit(':').next().unwrap_or(qname).to_string()
}

/// `value` (a canonical decimal) shown in units of 10^`scale` with
/// thousands separators: ("383285000000", 6) → "383,285".
pub(crate) fn display(value: &str, scale: i32) -> String {
    let (negative, body) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let scaled = shift(body, -scale);
    let (int, frac) = scaled.split_once('.').unwrap_or((&scaled, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// "RevenueFromContractWithCustomer" → "Revenue From Contract With
/// Customer": the label a concept gets when no label linkbase is at hand.
pub(crate) fn decamel(local: &str) -> String {
    let chars: Vec<char> = local.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase())
                    && chars[i - 1].is_uppercase());
        if boundary {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The power of ten a Korean amount unit stands for, from text such as
/// "(단위 : 백만원)" or "단위: 천원"; `None` when no 단위 is stated.
pub(crate) fn korean_scale(text: &str) -> Option<i32> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let after = &compact[compact.find("단위")? + "단위".len()..];
    let after = after.trim_start_matches([':', '：', ')']);
    [
        ("십억원", 9),
        ("억원", 8),
        ("백만원", 6),
        ("천원", 3),
        ("원", 0),
    ]
    .iter()
    .find(|(word, _)| after.starts_with(word))
    .map(|&(_, scale)| scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displayed_numbers_and_scales() {
        assert_eq!(parse_displayed("(1,234)"), Some((true, "1234".into())));
        assert_eq!(parse_displayed("△ 3,5"), Some((true, "35".into())));
        assert_eq!(parse_displayed("—"), Some((false, "0".into())));
        assert_eq!(parse_displayed("n/a"), None);
        assert_eq!(parse_displayed("1.2.3"), None);
        assert_eq!(
            ix_value("383,285", Some("ixt:num-dot-decimal"), 6, false).as_deref(),
            Some("383285000000")
        );
        assert_eq!(ix_value("6.13", None, 0, false).as_deref(), Some("6.13"));
        assert_eq!(
            ix_value("—", Some("ixt:fixed-zero"), 6, true).as_deref(),
            Some("0")
        );
        assert_eq!(
            ix_value("1.234,5", Some("ixt:num-comma-decimal"), 3, true).as_deref(),
            Some("-1234500")
        );
        assert_eq!(ix_value("five", Some("ixt-sec:numwordsen"), 0, false), None);
        assert_eq!(ix_value("12", None, -2, false).as_deref(), Some("0.12"));
        assert_eq!(instance_value("-0.50").as_deref(), Some("-0.5"));
        assert_eq!(instance_value("1e5"), None);
        assert_eq!(shift("007", 0), "7");
        assert_eq!(display("383285000000", 6), "383,285");
        assert_eq!(display("-1234.5", 0), "-1,234.5");
        assert_eq!(measure("iso4217:USD"), "USD");
    }

    #[test]
    fn labels_and_korean_units() {
        assert_eq!(
            decamel("RevenueFromContractWithCustomerExcludingAssessedTax"),
            "Revenue From Contract With Customer Excluding Assessed Tax"
        );
        assert_eq!(decamel("EPSDiluted"), "EPS Diluted");
        assert_eq!(korean_scale("(단위 : 백만원)"), Some(6));
        assert_eq!(korean_scale("단위: 천원"), Some(3));
        assert_eq!(korean_scale("단위 : 원"), Some(0));
        assert_eq!(korean_scale("매출액"), None);
    }
}
