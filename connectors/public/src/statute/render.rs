//! A parsed law as documents: one per article (조), 부칙 and 별표, each a
//! single chunk-sized section. An article is a document of its own so its
//! citation (`「…」 제3조`), the citations of its 항/호/목 and the articles
//! it refers to can be metadata on it; all share the file's id as prefix
//! (`{doc_id}#art-3-2`), so re-syncing the file replaces them together.

use std::collections::{BTreeMap, HashSet};

use seogo_docs::{Document, Section};

use super::model::{self, Addendum, Annex, Article, LawInfo, Unit};
use super::{refs, StatuteError};

/// `「개인정보 보호법」 제3조제2항제1호가목`. `article` and `item` are
/// written as in the XML without 제/조/호 (`3`, `3의2`; `1`, `1의2`);
/// `subitem` is the 목 letter (`가`).
pub fn citation(
    law: &str,
    article: &str,
    paragraph: Option<u32>,
    item: Option<&str>,
    subitem: Option<&str>,
) -> String {
    let mut out = format!("「{law}」 {}", numbered(article, "조"));
    if let Some(p) = paragraph {
        out.push_str(&format!("제{p}항"));
    }
    if let Some(i) = item {
        out.push_str(&numbered(i, "호"));
    }
    if let Some(s) = subitem {
        out.push_str(s);
        out.push('목');
    }
    out
}

/// `3의2` + `조` → `제3조의2` (the branch follows the unit in Korean
/// citation style).
fn numbered(number: &str, unit: &str) -> String {
    match number.split_once('의') {
        Some((main, branch)) => format!("제{main}{unit}의{branch}"),
        None => format!("제{number}{unit}"),
    }
}

/// Reads `xml` into documents that copy `base`'s source, hash, domain and
/// ACL, with ids under `base.id`.
pub(crate) fn documents(xml: &str, base: &Document) -> Result<Vec<Document>, StatuteError> {
    let law = model::parse(xml)?;
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    // 편/장/절/관 headings in force, by level.
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut addenda = 0usize;
    let mut annexes = 0usize;
    for unit in &law.units {
        let (key, heading, text, mut metadata) = match unit {
            Unit::Heading(h) => {
                let level = heading_level(h);
                headings.retain(|(l, _)| *l < level);
                headings.push((level, h.clone()));
                continue;
            }
            Unit::Article(a) if a.number.is_empty() && a.text.is_empty() => continue,
            Unit::Article(a) => article(&law.info, a, &headings),
            Unit::Addendum(d) => {
                addenda += 1;
                addendum(&law.info, d, addenda)
            }
            Unit::Annex(x) => {
                annexes += 1;
                annex(&law.info, x, annexes)
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let mut id = format!("{}#{key}", base.id);
        if !ids.insert(id.clone()) {
            id = format!("{id}~{}", out.len());
            ids.insert(id.clone());
        }
        let mut heading_path = vec![law.info.name.clone()];
        if matches!(unit, Unit::Article(_)) {
            heading_path.extend(headings.iter().map(|(_, h)| h.clone()));
        }
        heading_path.push(heading);
        let locator = metadata.get("citation").cloned();
        metadata.extend(law_metadata(&law.info));
        out.push(Document {
            id,
            title: law.info.name.clone(),
            source: base.source.clone(),
            content_hash: base.content_hash.clone(),
            domain: base.domain,
            acl: base.acl.clone(),
            metadata,
            sections: vec![Section {
                locator,
                ..Section::new(heading_path, None, text)
            }],
        });
    }
    Ok(out)
}

type Rendered = (String, String, String, BTreeMap<String, String>);

/// 편 above 장 above 절 above 관; anything else sits under them all.
fn heading_level(heading: &str) -> u8 {
    let unit = heading.split_whitespace().next().and_then(|w| {
        w.trim_end_matches(|c: char| c.is_ascii_digit())
            .chars()
            .last()
    });
    match unit {
        Some('편') => 0,
        Some('장') => 1,
        Some('절') => 2,
        Some('관') => 3,
        _ => 4,
    }
}

fn law_metadata(info: &LawInfo) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            m.insert(k.to_string(), v);
        }
    };
    put("format", "law.go.kr statute XML".into());
    put("law_name", info.name.clone());
    put("law_id", info.id.clone());
    put("promulgation_date", date(&info.promulgation_date));
    put("promulgation_no", info.promulgation_no.clone());
    put("effective_date", date(&info.effective_date));
    put("amendment", info.amendment.clone());
    put("ministry", info.ministry.clone());
    put("law_kind", info.kind.clone());
    m
}

/// `20240102` → `2024-01-02`; anything else as written.
fn date(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &raw[..4], &raw[4..6], &raw[6..])
    } else {
        raw.to_string()
    }
}

/// `①` → 1 (circled numbers up to ㊿), or plain digits.
fn paragraph_number(raw: &str) -> Option<u32> {
    let raw = raw.trim().trim_end_matches('.');
    let mut chars = raw.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return raw.parse().ok();
    };
    let code = u32::from(c);
    match code {
        0x2460..=0x2473 => Some(code - 0x2460 + 1),
        0x3251..=0x325F => Some(code - 0x3251 + 21),
        0x32B1..=0x32BF => Some(code - 0x32B1 + 36),
        _ => c.to_digit(10),
    }
}

/// `text` starting with its number, added when the XML left it out.
fn with_number(number: &str, text: &str) -> String {
    let (number, text) = (number.trim(), text.trim());
    if number.is_empty() || text.starts_with(number) {
        text.to_string()
    } else {
        format!("{number} {text}")
    }
}

/// The number as written for citing: `1의2.` → `1의2`, `가.` → `가`.
fn bare(number: &str) -> &str {
    number.trim().trim_end_matches('.').trim()
}

fn article(info: &LawInfo, a: &Article, headings: &[(u8, String)]) -> Rendered {
    let number = match a.branch.trim() {
        "" | "0" => a.number.trim().to_string(),
        branch => format!("{}의{branch}", a.number.trim()),
    };
    let label = numbered(&number, "조");
    let heading = if a.title.is_empty() {
        label.clone()
    } else {
        format!("{label}({})", a.title.trim())
    };
    let own = citation(&info.name, &number, None, None, None);
    let mut lines = Vec::new();
    let mut body = String::new();
    let lead = a.text.trim();
    // The service writes `제3조(목적) …` as the article's own text; some
    // exports leave the label out.
    match lead.strip_prefix(&label) {
        Some(rest) if !rest.starts_with(|c: char| c.is_ascii_digit() || c == '의') => {
            lines.push(lead.to_string());
            body.push_str(rest);
        }
        _ => {
            lines.push(format!("{heading} {lead}").trim().to_string());
            body.push_str(lead);
        }
    }
    let mut cites = Vec::new();
    for p in &a.paragraphs {
        let pn = paragraph_number(&p.number);
        if !p.text.trim().is_empty() || !p.number.trim().is_empty() {
            lines.push(with_number(&p.number, &p.text));
            body.push('\n');
            body.push_str(&p.text);
        }
        if pn.is_some() {
            cites.push(citation(&info.name, &number, pn, None, None));
        }
        for i in &p.items {
            lines.push(with_number(&i.number, &i.text));
            body.push('\n');
            body.push_str(&i.text);
            let item = bare(&i.number);
            if !item.is_empty() {
                cites.push(citation(&info.name, &number, pn, Some(item), None));
            }
            for s in &i.subitems {
                lines.push(with_number(&s.number, &s.text));
                body.push('\n');
                body.push_str(&s.text);
                let sub = bare(&s.number);
                if !sub.is_empty() && !item.is_empty() {
                    cites.push(citation(&info.name, &number, pn, Some(item), Some(sub)));
                }
            }
        }
    }
    let mut m = BTreeMap::new();
    m.insert("part".into(), "조문".into());
    m.insert("article".into(), label);
    if !a.title.is_empty() {
        m.insert("article_title".into(), a.title.trim().to_string());
    }
    m.insert("citation".into(), own);
    if !cites.is_empty() {
        m.insert("citations".into(), cites.join("; "));
    }
    let references = refs::references(&body, &numbered(&number, "조"));
    if !references.is_empty() {
        m.insert("references".into(), references.join(", "));
    }
    if let Some((_, chapter)) = headings.iter().find(|(l, _)| *l == 1) {
        m.insert("chapter".into(), chapter.clone());
    }
    let key = format!("art-{}", number.replace('의', "-"));
    (key, heading, lines.join("\n"), m)
}

fn addendum(info: &LawInfo, d: &Addendum, ordinal: usize) -> Rendered {
    // The text opens with `부칙 <제19999호, 2024. 1. 2.>` when the service
    // wrote it; else the heading is made from the promulgation fields.
    let first = d.text.lines().next().unwrap_or("").trim();
    let heading = if first.starts_with("부칙") || first.starts_with("부 칙") {
        first.to_string()
    } else if d.number.is_empty() {
        "부칙".to_string()
    } else {
        format!("부칙 <제{}호, {}>", d.number, date(&d.date))
    };
    let mut m = BTreeMap::new();
    m.insert("part".into(), "부칙".into());
    m.insert("citation".into(), format!("「{}」 {heading}", info.name));
    if !d.date.is_empty() {
        m.insert("addendum_promulgation_date".into(), date(&d.date));
    }
    if !d.number.is_empty() {
        m.insert("addendum_promulgation_no".into(), d.number.clone());
    }
    (format!("addendum-{ordinal}"), heading, d.text.clone(), m)
}

fn annex(info: &LawInfo, x: &Annex, ordinal: usize) -> Rendered {
    let number = x.number.trim().trim_start_matches('0');
    let branch = x.branch.trim().trim_start_matches('0');
    let number = match (number, branch) {
        ("", _) => ordinal.to_string(),
        (n, "") => n.to_string(),
        (n, b) => format!("{n}의{b}"),
    };
    let label = match x.kind.trim() {
        "서식" => format!("[별지 제{number}호서식]"),
        "" | "별표" => format!("[별표 {number}]"),
        other => format!("[{other} {number}]"),
    };
    let heading = format!("{label} {}", x.title.trim()).trim().to_string();
    let text = if x.text.trim().is_empty() {
        heading.clone()
    } else {
        x.text.clone()
    };
    let mut m = BTreeMap::new();
    m.insert("part".into(), "별표".into());
    m.insert("citation".into(), format!("「{}」 {label}", info.name));
    let references = refs::references(&x.title, "");
    if !references.is_empty() {
        m.insert("references".into(), references.join(", "));
    }
    (format!("annex-{ordinal}"), heading, text, m)
}
