//! EDGAR 10-K / 10-Q / 8-K filings split by Item: "Item 1A. Risk Factors"
//! becomes its own document (`{doc_id}#item-1a`, `#part-1-item-2` in a
//! 10-Q) whose sections carry `[Part, Item, sub-heading]`. EDGAR pages
//! have no `h1`–`h6`: an Item heading is a short paragraph that starts
//! with "Item 1A." in the body. The table of contents is a table (or, in a
//! PDF, lines ending in page numbers) and so never starts an Item.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use seogo_docs::{Document, Section};

use crate::xml::{attr, local, qname, squash, Node, XmlReader};

/// Longest paragraph read as an Item or Part heading.
const MAX_HEADING: usize = 200;
/// Longest bold line read as a sub-heading.
const MAX_SUBHEADING: usize = 150;
/// Nested bold runs followed at once: every text goes to each, so a
/// hostile page nesting thousands would cost quadratic time.
const MAX_OPEN: usize = 32;

static ITEM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^item\s+(\d{1,2}(?:\.\d{2})?[a-c]?)\s*[.:—–-]?\s*(.*)$").ok()
});
static PART: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^part\s+(iv|iii|ii|i)\b\s*[.:—–-]?\s*(.*)$").ok());
static PAGE_NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\s\d{1,3}$").ok());

/// A heading found in the body.
#[derive(Debug, PartialEq)]
enum Heading {
    /// "Part I", with its title when stated ("Financial Information").
    Part(String),
    /// ("1A", "Item 1A. Risk Factors").
    Item(String, String),
}

fn heading(line: &str) -> Option<Heading> {
    if line.len() > MAX_HEADING {
        return None;
    }
    if let Some(c) = ITEM.as_ref().and_then(|r| r.captures(line)) {
        let number = c.get(1)?.as_str().to_ascii_uppercase();
        let title = c.get(2).map_or("", |m| m.as_str()).trim();
        // "Item 7 of this Form…" is a cross-reference; "Risk Factors 12"
        // is a contents line.
        let lowercase = title.chars().next().is_some_and(char::is_lowercase);
        let paged = PAGE_NUMBER.as_ref().is_some_and(|r| r.is_match(title));
        if lowercase || paged || title.ends_with(',') {
            return None;
        }
        let name = if title.is_empty() {
            format!("Item {number}.")
        } else {
            format!("Item {number}. {}", title.trim_end_matches('.'))
        };
        return Some(Heading::Item(number, name));
    }
    let c = PART.as_ref().and_then(|r| r.captures(line))?;
    let numeral = c.get(1)?.as_str().to_ascii_uppercase();
    let title = c.get(2).map_or("", |m| m.as_str()).trim();
    if title.len() > 80 || PAGE_NUMBER.as_ref().is_some_and(|r| r.is_match(title)) {
        return None;
    }
    Some(Heading::Part(if title.is_empty() {
        format!("Part {numeral}")
    } else {
        format!("Part {numeral} — {title}")
    }))
}

/// The texts of short bold runs (`font-weight:700`, `<b>`, `<strong>`) in
/// an XHTML page: the sub-headings EDGAR pages draw with styling alone.
pub(crate) fn bold_lines(html: &str) -> HashSet<String> {
    let mut lines = HashSet::new();
    let mut reader = XmlReader::new(html);
    let mut depth = 0usize;
    let mut open: Vec<(usize, String)> = Vec::new();
    while let Ok(node) = reader.next() {
        match node {
            Node::End => break,
            Node::Open(e) => {
                depth += 1;
                let name = qname(&e);
                let styled = attr(&e, "style").is_some_and(|s| {
                    let s = s.replace(' ', "").to_ascii_lowercase();
                    (s.contains("font-weight:700") || s.contains("font-weight:bold"))
                        && !s.contains("font-style:italic")
                });
                let bold = styled || matches!(local(&name), "b" | "strong");
                if bold && open.len() < MAX_OPEN {
                    open.push((depth, String::new()));
                }
            }
            Node::Text(t) => {
                for (_, text) in &mut open {
                    text.push_str(&t);
                }
            }
            Node::Close(_) => {
                while open.last().is_some_and(|(d, _)| *d >= depth) {
                    if let Some((_, text)) = open.pop() {
                        let text = squash(&text);
                        if !text.is_empty() && text.len() <= MAX_SUBHEADING {
                            lines.insert(text);
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
        }
    }
    lines
}

/// One document being built: its id suffix, title, and sections.
struct Part {
    suffix: String,
    title: String,
    sections: Vec<Section>,
}

/// Splits `doc` by Item. `None` when fewer than two Items are found: the
/// file is not an itemised filing and stays as it was.
pub(crate) fn split(
    doc: &Document,
    bold: &HashSet<String>,
    part_in_ids: bool,
) -> Option<Vec<Document>> {
    let mut parts = Parts::default();
    parts.start("cover".into(), "Cover page".into());
    let (mut part, mut item, mut sub): (Option<String>, Option<String>, Option<String>) =
        (None, None, None);
    let mut items = 0;
    for section in &doc.sections {
        if section.table.is_some() {
            parts.push(path(&part, &item, &sub), section.clone());
            continue;
        }
        for para in section.text.split("\n\n") {
            let para = para.trim();
            let first = para.lines().next().unwrap_or("").trim();
            match heading(first) {
                Some(Heading::Part(name)) => {
                    part = Some(name);
                    (item, sub) = (None, None);
                    let suffix = slug(&part, None, part_in_ids);
                    parts.start(suffix, part.clone().unwrap_or_default());
                }
                Some(Heading::Item(number, name)) => {
                    items += 1;
                    item = Some(name);
                    sub = None;
                    let suffix = slug(&part, Some(&number), part_in_ids);
                    let title = path(&part, &item, &None).join(" — ");
                    parts.start(suffix, title);
                }
                None => {}
            }
            let heading_line = heading(first).is_some();
            let body = if heading_line {
                para.split_once('\n').map_or("", |(_, rest)| rest).trim()
            } else {
                para
            };
            if body.is_empty() {
                continue;
            }
            if bold.contains(body) && !body.ends_with('.') && item.is_some() {
                sub = Some(body.to_string());
                continue;
            }
            let mut prose = Section::new(path(&part, &item, &sub), section.page, body.into());
            prose.locator = section.locator.clone();
            parts.push(prose.heading_path.clone(), prose);
        }
    }
    if items < 2 {
        return None;
    }
    let documents = parts
        .list
        .into_iter()
        .filter(|p| !p.sections.is_empty())
        .map(|p| {
            let mut d = doc.clone();
            d.id = format!("{}#{}", doc.id, p.suffix);
            d.title = format!("{} — {}", doc.title, p.title);
            d.sections = p.sections;
            d
        })
        .collect();
    Some(documents)
}

/// The documents being built, by id suffix, and the one open.
#[derive(Default)]
struct Parts {
    list: Vec<Part>,
    index: HashMap<String, usize>,
    open: usize,
}

impl Parts {
    /// Opens the document `suffix`, or reopens it when the same Item
    /// appears again (a contents page in running text), so ids stay unique.
    fn start(&mut self, suffix: String, title: String) {
        if let Some(&i) = self.index.get(&suffix) {
            self.open = i;
            return;
        }
        self.open = self.list.len();
        self.index.insert(suffix.clone(), self.open);
        self.list.push(Part {
            suffix,
            title,
            sections: Vec::new(),
        });
    }

    /// Appends to the open document, merging prose under the same headings.
    fn push(&mut self, heading_path: Vec<String>, mut section: Section) {
        let Some(open) = self.list.get_mut(self.open) else {
            return;
        };
        section.heading_path = heading_path;
        if let Some(last) = open.sections.last_mut() {
            let mergeable = last.table.is_none()
                && section.table.is_none()
                && last.heading_path == section.heading_path
                && last.page == section.page;
            if mergeable {
                last.text.push_str("\n\n");
                last.text.push_str(&section.text);
                return;
            }
        }
        open.sections.push(section);
    }
}

fn path(part: &Option<String>, item: &Option<String>, sub: &Option<String>) -> Vec<String> {
    [part, item, sub].into_iter().flatten().cloned().collect()
}

/// `item-1a`, `part-1-item-2`, `part-2`: Part in the id only for forms
/// that repeat Item numbers across Parts (a 10-Q); a 10-K's Items are
/// unique, and its ids say `item-7`.
fn slug(part: &Option<String>, item: Option<&str>, part_in_ids: bool) -> String {
    let numeral = part.as_deref().map(|p| {
        let roman = p.split_whitespace().nth(1).unwrap_or("");
        match roman {
            "I" => "1",
            "II" => "2",
            "III" => "3",
            _ => "4",
        }
    });
    let item = item.map(|n| n.to_ascii_lowercase().replace('.', "-"));
    match (numeral, item) {
        (_, Some(i)) if !part_in_ids => format!("item-{i}"),
        (Some(p), Some(i)) => format!("part-{p}-item-{i}"),
        (None, Some(i)) => format!("item-{i}"),
        (Some(p), None) => format!("part-{p}"),
        (None, None) => "cover".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_and_part_headings() {
        assert_eq!(
            heading("Item 1A. Risk Factors"),
            Some(Heading::Item("1A".into(), "Item 1A. Risk Factors".into()))
        );
        assert_eq!(
            heading("ITEM 2.02 Results of Operations"),
            Some(Heading::Item(
                "2.02".into(),
                "Item 2.02. Results of Operations".into()
            ))
        );
        assert_eq!(heading("Item 7 of this Form 10-K discusses"), None);
        assert_eq!(heading("Item 1A. Risk Factors 12"), None);
        assert_eq!(
            heading("PART II — OTHER INFORMATION"),
            Some(Heading::Part("Part II — OTHER INFORMATION".into()))
        );
        assert_eq!(heading("Part I"), Some(Heading::Part("Part I".into())));
        assert_eq!(heading("Particulars"), None);
    }

    #[test]
    fn bold_runs_are_collected() {
        let html = r#"<div><span style="font-weight: 700">Available Information</span>
            <b>Short</b><span style="font-weight:700;font-style:italic">Risk.</span></div>"#;
        let lines = bold_lines(html);
        assert!(lines.contains("Available Information") && lines.contains("Short"));
        assert!(!lines.contains("Risk."));
    }
}
