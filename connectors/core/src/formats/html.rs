//! HTML: the main content (a page's `<main>` or single `<article>`, else
//! its body) without scripts, styles, navigation, asides, footers or hidden
//! elements; `h1`–`h6` as headings, list items by nesting, tables with
//! spans (a one-column table is read as prose), the `<title>` as title.
//! The tree is walked without recursion, so nesting depth costs nothing.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use scraper::{Html, Node};

use crate::formats::grid::Grid;
use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::outline::{clean, Outline};

/// Elements whose whole subtree is not content.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "footer", "head", "svg", "iframe",
    "object", "button", "select", "form",
];

/// Elements that end a line of prose when they open or close.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "blockquote",
    "pre",
    "address",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "center",
    "hr",
    "ul",
    "ol",
    "body",
    "font",
];

/// Deeper element nesting is refused before parsing: html5ever's tree
/// building slows down quadratically with depth (100,000 levels take half
/// a minute) and cannot be interrupted. Browsers flatten past 512.
const MAX_NESTING: usize = 4096;

/// Elements a parser closes implicitly or that never hold children: not
/// counted when estimating nesting.
const NOT_NESTING: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "br", "hr", "img", "input", "meta", "link", "area",
    "base", "col", "embed", "param", "source", "track", "wbr",
];

pub(crate) fn extract(html: &str, budget: &Budget) -> Result<Extracted, Failure> {
    let depth = nesting_estimate(html);
    if depth > MAX_NESTING {
        return Err(Failure::Limit(format!(
            "elements nested about {depth} deep, more than {MAX_NESTING}"
        )));
    }
    let document = Html::parse_document(html);
    let title = document
        .root_element()
        .descendants()
        .find(|n| matches!(n.value(), Node::Element(e) if e.name() == "title"))
        .map(|n| text_of(n))
        .filter(|t| !t.is_empty());
    let root = content_root(&document);
    let mut walker = Walker::default();
    for (i, edge) in root.traverse().enumerate() {
        if i % 4096 == 0 {
            budget.check_time()?;
        }
        walker.step(edge);
    }
    walker.flush();
    let mut extracted = Extracted::from_outline(walker.outline);
    if title.is_some() {
        extracted.title = title;
    }
    Ok(extracted)
}

/// The deepest nesting of start and end tags, not counting the elements
/// in [`NOT_NESTING`] or self-closed ones: a cheap upper-bound-ish scan.
fn nesting_estimate(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for tag in html.split('<').skip(1) {
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        let self_closed = tag.split('>').next().is_some_and(|t| t.ends_with('/'));
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// `<main>`, or the only `<article>`, or `<body>`, or the whole document.
fn content_root(document: &Html) -> NodeRef<'_, Node> {
    let elements = || {
        document
            .tree
            .root()
            .descendants()
            .filter(|n| matches!(n.value(), Node::Element(_)))
    };
    let named = |name: &str| {
        elements()
            .filter(|n| matches!(n.value(), Node::Element(e) if e.name() == name))
            .collect::<Vec<_>>()
    };
    if let [main] = named("main").as_slice() {
        return *main;
    }
    if let [article] = named("article").as_slice() {
        return *article;
    }
    named("body")
        .first()
        .copied()
        .unwrap_or_else(|| document.tree.root())
}

fn text_of(node: NodeRef<'_, Node>) -> String {
    let text: String = node
        .descendants()
        .filter_map(|n| match n.value() {
            Node::Text(t) => Some(&**t),
            _ => None,
        })
        .collect();
    clean(&text)
}

#[derive(Default)]
struct Walker {
    outline: Outline,
    /// Prose since the last block boundary.
    line: String,
    /// Open skipped subtree: its root's id, to know where it closes.
    skipping: Option<ego_tree::NodeId>,
    heading: Option<(u8, String)>,
    list_depth: usize,
    in_item: bool,
    tables: Vec<TableState>,
    pre: usize,
}

struct TableState {
    grid: Grid,
    cell: Option<String>,
    spans: (usize, usize),
    header_cells_only: bool,
}

impl Walker {
    fn step(&mut self, edge: Edge<'_, Node>) {
        match edge {
            Edge::Open(node) => {
                if self.skipping.is_some() {
                    return;
                }
                match node.value() {
                    Node::Text(t) => self.text(t),
                    Node::Element(e) => {
                        if SKIPPED.contains(&e.name()) || hidden(e) {
                            self.skipping = Some(node.id());
                            return;
                        }
                        self.open(e);
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = self.skipping {
                    if id == node.id() {
                        self.skipping = None;
                    }
                    return;
                }
                if let Node::Element(e) = node.value() {
                    self.close(e.name());
                }
            }
        }
    }

    fn text(&mut self, text: &str) {
        let target = if let Some((_, h)) = self.heading.as_mut() {
            h
        } else if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            cell
        } else {
            &mut self.line
        };
        if self.pre > 0 {
            target.push_str(text);
        } else {
            // Runs of whitespace are one space, as a browser shows them.
            if text.starts_with(char::is_whitespace) && !target.ends_with([' ', '\n']) {
                target.push(' ');
            }
            target.push_str(&clean(text));
            if text.ends_with(char::is_whitespace) && !text.trim().is_empty() {
                target.push(' ');
            }
        }
    }

    fn open(&mut self, e: &scraper::node::Element) {
        let name = e.name();
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if self.tables.is_empty() => {
                self.flush();
                let level = name[1..].parse().unwrap_or(1);
                self.heading = Some((level, String::new()));
            }
            "ul" | "ol" => {
                self.flush();
                self.list_depth += 1;
            }
            "li" => {
                self.flush();
                self.in_item = true;
            }
            "br" => self.text_break(),
            "pre" => {
                self.flush();
                self.pre += 1;
            }
            "table" => {
                self.flush();
                self.tables.push(TableState {
                    grid: Grid::new(),
                    cell: None,
                    spans: (1, 1),
                    header_cells_only: true,
                });
            }
            "tr" => {
                if let Some(t) = self.tables.last_mut() {
                    t.grid.start_row();
                    t.header_cells_only = true;
                }
            }
            "td" | "th" => {
                if let Some(t) = self.tables.last_mut() {
                    let span = |a| e.attr(a).and_then(|v| v.trim().parse().ok()).unwrap_or(1);
                    t.spans = (span("colspan"), span("rowspan"));
                    t.cell = Some(String::new());
                    t.header_cells_only &= name == "th";
                }
            }
            _ if BLOCKS.contains(&name) && self.tables.is_empty() => self.flush(),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if let Some((level, text)) = self.heading.take() {
                    self.outline.heading(level, &text);
                }
            }
            "ul" | "ol" => {
                self.flush();
                self.list_depth = self.list_depth.saturating_sub(1);
            }
            "li" => {
                self.flush();
                self.in_item = false;
            }
            "pre" => {
                self.flush();
                self.pre = self.pre.saturating_sub(1);
            }
            "td" | "th" => {
                if let Some(t) = self.tables.last_mut() {
                    let text = t.cell.take().unwrap_or_default();
                    t.grid.cell(clean(&text), t.spans.0, t.spans.1);
                }
            }
            "tr" => {
                if let Some(t) = self.tables.last_mut() {
                    if t.header_cells_only {
                        t.grid.header_row();
                    }
                }
            }
            "table" => self.end_table(),
            _ if BLOCKS.contains(&name) && self.tables.is_empty() => self.flush(),
            _ => {}
        }
    }

    fn text_break(&mut self) {
        match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            Some(cell) => cell.push(' '),
            None => self.line.push('\n'),
        }
    }

    fn end_table(&mut self) {
        let Some(done) = self.tables.pop() else {
            return;
        };
        if done.grid.is_empty() {
            return;
        }
        let table = done.grid.finish();
        if let Some(outer) = self.tables.last_mut() {
            let cell = outer.cell.get_or_insert_with(String::new);
            for row in &table.rows {
                cell.push(' ');
                cell.push_str(&row.join(" "));
            }
            return;
        }
        self.outline.table(table, None);
    }

    /// Ends the current line of prose as a paragraph or list item.
    fn flush(&mut self) {
        let line = std::mem::take(&mut self.line);
        let text = if self.pre > 0 {
            line.trim_end().to_string()
        } else {
            line.lines()
                .map(clean)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        if text.is_empty() {
            return;
        }
        if self.in_item {
            self.outline
                .list_item(self.list_depth.saturating_sub(1), &text);
        } else {
            self.outline.paragraph(&text);
        }
    }
}

/// `hidden`, `aria-hidden="true"` or an inline `display:none`.
fn hidden(e: &scraper::node::Element) -> bool {
    e.attr("hidden").is_some()
        || e.attr("aria-hidden") == Some("true")
        || e.attr("style").is_some_and(|s| {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            s.to_ascii_lowercase().contains("display:none")
        })
}
