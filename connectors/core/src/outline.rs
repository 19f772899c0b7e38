//! Building a document's sections from a stream of headings, paragraphs,
//! list items, tables and page breaks — what every format parser emits —
//! so that heading paths, pages and locators are kept the same way for all.

use seogo_types::{Section, Table};

/// Body rows per table section: a screenful, well under a chunk, each block
/// repeating the header so it can be read (and cited) on its own.
pub(crate) const ROWS_PER_SECTION: usize = 40;

#[derive(Debug, Default)]
pub(crate) struct Outline {
    headings: Vec<(u8, String)>,
    page: Option<u32>,
    /// The locator of the first paragraph of the section being built.
    locator: Option<String>,
    body: String,
    /// Whether `body` ends in a list item (the next item joins it with one
    /// line break, prose with a blank line).
    in_list: bool,
    sections: Vec<Section>,
    first_top_heading: Option<String>,
}

impl Outline {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A heading of `level` (1 = top): closes the section so far and
    /// replaces every heading at or below that level.
    pub(crate) fn heading(&mut self, level: u8, text: &str) {
        let text = clean(text);
        if text.is_empty() {
            return;
        }
        self.flush();
        if level <= 1 && self.first_top_heading.is_none() {
            self.first_top_heading = Some(text.clone());
        }
        self.headings.retain(|(l, _)| *l < level);
        self.headings.push((level, text));
    }

    /// A paragraph of prose.
    pub(crate) fn paragraph(&mut self, text: &str) {
        self.paragraph_at(text, None);
    }

    /// A paragraph and where it is in the source; the section takes the
    /// locator of its first paragraph.
    pub(crate) fn paragraph_at(&mut self, text: &str, locator: Option<String>) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.start(locator);
        if !self.body.is_empty() {
            self.body.push_str("\n\n");
        }
        self.body.push_str(text);
        self.in_list = false;
    }

    /// A list item at nesting `depth` (0 = top), rendered `- text`.
    pub(crate) fn list_item(&mut self, depth: usize, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.start(None);
        if !self.body.is_empty() {
            self.body.push_str(if self.in_list { "\n" } else { "\n\n" });
        }
        for _ in 0..depth {
            self.body.push_str("  ");
        }
        self.body.push_str("- ");
        self.body.push_str(text);
        self.in_list = true;
    }

    /// Content from here on is on `page` (1-based).
    pub(crate) fn page(&mut self, page: u32) {
        if self.page != Some(page) {
            self.flush();
            self.page = Some(page);
        }
    }

    /// A table: sections of [`ROWS_PER_SECTION`] body rows, each repeating
    /// the header rows and keeping its cells; "rows a–b" is added to the
    /// heading path when the table needs more than one. A table of one row
    /// or one column is prose.
    pub(crate) fn table(&mut self, table: Table, locator: Option<String>) {
        let rows: Vec<Vec<String>> = table
            .rows
            .into_iter()
            .map(|row| row.iter().map(|c| clean(c)).collect::<Vec<_>>())
            .filter(|row: &Vec<String>| row.iter().any(|c| !c.is_empty()))
            .collect();
        if rows.is_empty() {
            return;
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if rows.len() == 1 || width == 1 {
            // A one-row or one-column "table" is layout (a title box, a
            // framed paragraph): read as prose, merged cells said once.
            for mut row in rows {
                row.dedup();
                row.retain(|c| !c.is_empty());
                self.paragraph_at(&row.join(" "), locator.clone());
            }
            return;
        }
        self.flush();
        let header_rows = table.header_rows.min(rows.len());
        let (head, body) = rows.split_at(header_rows);
        let blocks: Vec<&[Vec<String>]> = if body.is_empty() {
            vec![&[]]
        } else {
            body.chunks(ROWS_PER_SECTION).collect()
        };
        let split = blocks.len() > 1;
        for (n, block) in blocks.into_iter().enumerate() {
            let mut heading_path = self.path();
            if split {
                let first = n * ROWS_PER_SECTION + 1;
                heading_path.push(format!("rows {first}–{}", first + block.len() - 1));
            }
            let part = Table {
                header_rows,
                rows: head.iter().chain(block).cloned().collect(),
                caption: table.caption.clone(),
            };
            self.sections.push(Section {
                heading_path,
                page: self.page,
                text: part.to_markdown(),
                table: Some(part),
                locator: locator.clone(),
            });
        }
    }

    /// The first top-level heading: the document's title when the format
    /// has no title of its own.
    pub(crate) fn first_top_heading(&self) -> Option<&str> {
        self.first_top_heading.as_deref()
    }

    pub(crate) fn finish(mut self) -> Vec<Section> {
        self.flush();
        self.sections
    }

    fn start(&mut self, locator: Option<String>) {
        if self.body.is_empty() {
            self.locator = locator;
        }
    }

    fn path(&self) -> Vec<String> {
        self.headings.iter().map(|(_, h)| h.clone()).collect()
    }

    fn flush(&mut self) {
        let text = self.body.trim();
        if !text.is_empty() {
            self.sections.push(Section {
                heading_path: self.path(),
                page: self.page,
                text: text.to_string(),
                table: None,
                locator: self.locator.take(),
            });
        }
        self.body.clear();
        self.in_list = false;
    }
}

/// One line, runs of whitespace collapsed: headings and cells.
pub(crate) fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_pages_lists_and_tables_become_sections() {
        let mut o = Outline::new();
        o.page(1);
        o.heading(1, "펌프 점검 SOP");
        o.paragraph_at("개요", Some("paragraph 1".into()));
        o.heading(2, "3. 점검 절차");
        o.list_item(0, "전원 차단");
        o.list_item(1, "잠금 확인");
        o.page(2);
        o.paragraph("계속");
        o.heading(2, "4.  기록");
        let mut rows = vec![vec!["설비".to_string(), "주기".to_string()]];
        rows.extend((0..45).map(|i| vec![format!("P-{i}"), format!("{i}h")]));
        o.table(
            Table {
                header_rows: 1,
                rows,
                caption: None,
            },
            None,
        );
        assert_eq!(o.first_top_heading(), Some("펌프 점검 SOP"));
        let s = o.finish();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].locator.as_deref(), Some("paragraph 1"));
        assert_eq!(s[1].text, "- 전원 차단\n  - 잠금 확인");
        assert_eq!(s[1].heading_path, ["펌프 점검 SOP", "3. 점검 절차"]);
        assert_eq!((s[1].page, s[2].page), (Some(1), Some(2)));
        assert_eq!(
            s[4].heading_path,
            ["펌프 점검 SOP", "4. 기록", "rows 41–45"]
        );
        let cells = &s[4].table.as_ref().expect("table").rows;
        assert_eq!(cells[0], ["설비", "주기"]);
        assert_eq!(cells[1], ["P-40", "40h"]);
        assert!(s[3]
            .text
            .starts_with("| 설비 | 주기 |\n| --- | --- |\n| P-0 | 0h |"));
    }
}
