//! HWPX: the zipped OWPML package. `Contents/sectionN.xml` hold the body
//! (read in number order: the manifest lists the same files, and some
//! packages have none), `Contents/header.xml` the paragraph properties
//! that mark outline headings and numbered items, `Contents/content.hpf`
//! the title.
//!
//! A paragraph (`hp:p`) is its runs' text (`hp:t`), then the objects in its
//! runs in order: tables (`hp:tbl`) as tables, the paragraphs of text
//! boxes and drawing objects as paragraphs. Headers and footers are left
//! out; footnotes and endnotes are put at the end of the document with
//! the locator of the paragraph citing them, as for HWP.

use std::collections::HashMap;

use crate::formats::hwp::blocks::{self, Block, Role};
use crate::formats::hwp::grid::Cell;
use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::xml::{xml_text, Node, XmlReader};
use crate::zip_container::Zipped;

mod dom;

use dom::{Child, Tree};

/// Objects nest (a table in a text box in a table…); deeper than this is
/// not a document anyone wrote.
const MAX_NESTING: usize = 64;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut zip = Zipped::open(bytes, budget)?;
    if let Some(manifest) = zip.read("META-INF/manifest.xml")? {
        if xml_text(&manifest).contains("encryption-data") {
            return Err(Failure::Encrypted(
                "the package is password-protected (encrypted members)".into(),
            ));
        }
    }
    let roles = match zip.read("Contents/header.xml")? {
        Some(header) => paragraph_roles(&xml_text(&header), budget)?,
        None => HashMap::new(),
    };
    let mut sections: Vec<(usize, String)> = zip
        .names()
        .into_iter()
        .filter_map(|name| {
            let number = name
                .strip_prefix("Contents/section")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((number, name))
        })
        .collect();
    sections.sort();
    if sections.is_empty() {
        return Err(Failure::malformed(
            "no Contents/section*.xml in the package",
        ));
    }

    let mut body = Vec::new();
    let mut notes = Vec::new();
    for (number, name) in sections {
        budget.check_page(number + 1)?;
        let xml = zip.require(&name)?;
        let text = xml_text(&xml);
        let tree = Tree::parse(&text, budget)?;
        let mut walker = Walker {
            tree: &tree,
            roles: &roles,
            budget,
            notes: Vec::new(),
        };
        let mut paragraph = 0usize;
        for (index, element) in tree.children(0) {
            if element.name != "p" {
                continue;
            }
            let locator = format!("section {number} · paragraph {paragraph}");
            paragraph += 1;
            walker.paragraph(index, &locator, &mut body, 0)?;
        }
        notes.append(&mut walker.notes);
    }
    let mut extracted = Extracted::from_outline(blocks::emit(body.into_iter().chain(notes)));
    if let Some(hpf) = zip.read("Contents/content.hpf")? {
        if let Some(title) = package_title(&xml_text(&hpf), budget)? {
            extracted.title = Some(title);
        }
    }
    Ok(extracted)
}

/// `opf:title`, when it has a letter in it: templates leave titles like
/// "3" or "-" behind, which are worse than the first heading.
fn package_title(hpf: &str, budget: &Budget) -> Result<Option<String>, Failure> {
    let mut reader = XmlReader::new(hpf, budget);
    loop {
        match reader.next()? {
            Node::Open(e) if e.local_name().as_ref() == "title" => {
                let title = reader.text_until_close("title")?;
                let title = title.trim();
                return Ok(title
                    .chars()
                    .any(char::is_alphabetic)
                    .then(|| title.to_string()));
            }
            Node::End => return Ok(None),
            _ => {}
        }
    }
}

/// Each paragraph property's role by id, from `hh:paraPr` → `hh:heading
/// type=… level=…` (OUTLINE is a heading, NUMBER and BULLET list items;
/// level 0 is the top).
fn paragraph_roles(header: &str, budget: &Budget) -> Result<HashMap<String, Role>, Failure> {
    let mut roles = HashMap::new();
    let mut reader = XmlReader::new(header, budget);
    let mut current: Option<String> = None;
    loop {
        match reader.next()? {
            Node::Open(e) => match e.local_name().as_ref() {
                "paraPr" => current = crate::xml::attr(&e, "id"),
                "heading" => {
                    let Some(id) = current.clone() else { continue };
                    let level: u8 = crate::xml::attr(&e, "level")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0)
                        .min(9);
                    let role = match crate::xml::attr(&e, "type").as_deref() {
                        Some("OUTLINE") => Role::Heading(level + 1),
                        Some("NUMBER" | "BULLET") => Role::Item(usize::from(level)),
                        _ => Role::Body,
                    };
                    roles.insert(id, role);
                }
                _ => {}
            },
            Node::Close(name) if name == "paraPr" => current = None,
            Node::End => return Ok(roles),
            _ => {}
        }
    }
}

struct Walker<'t, 'a> {
    tree: &'t Tree<'a>,
    roles: &'t HashMap<String, Role>,
    budget: &'t Budget,
    notes: Vec<Block>,
}

impl Walker<'_, '_> {
    /// The paragraph at `index`: its text, then what its runs hold.
    fn paragraph(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        self.budget.check_time()?;
        let tree = self.tree;
        let Some(element) = tree.get(index) else {
            return Ok(());
        };
        let role = element
            .attr("paraPrIDRef")
            .and_then(|id| self.roles.get(&id))
            .copied()
            .unwrap_or(Role::Body);
        let mut text = String::new();
        for (run, _) in tree.children(index).filter(|(_, e)| e.name == "run") {
            for (t, _) in tree.children(run).filter(|(_, e)| e.name == "t") {
                self.text(t, &mut text, depth);
            }
        }
        out.push(Block::Paragraph {
            text,
            role,
            locator: locator.to_string(),
        });
        if depth >= MAX_NESTING {
            return Ok(());
        }
        for (run, _) in tree.children(index).filter(|(_, e)| e.name == "run") {
            self.objects(run, locator, out, depth + 1)?;
        }
        Ok(())
    }

    /// Text of an `hp:t`: its text, tabs and line breaks, the special
    /// spaces and hyphen; marks inside it (`hp:markpenBegin`…) add nothing.
    fn text(&self, index: usize, out: &mut String, depth: usize) {
        let Some(element) = self.tree.get(index) else {
            return;
        };
        for child in &element.children {
            match child {
                Child::Text(text) => out.push_str(text),
                Child::Element(i) => match self.tree.get(*i).map(|e| e.name.as_str()) {
                    Some("tab") => out.push('\t'),
                    Some("lineBreak") => out.push('\n'),
                    Some("nbSpace" | "fwSpace") => out.push(' '),
                    Some("hyphen") => out.push('-'),
                    Some(_) if depth < MAX_NESTING => self.text(*i, out, depth + 1),
                    _ => {}
                },
            }
        }
    }

    /// Tables, notes and paragraphs anywhere under `index` (a run, a
    /// drawing object, a control), headers and footers left out.
    fn objects(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        if depth >= MAX_NESTING {
            return Ok(());
        }
        let tree = self.tree;
        for (child, element) in tree.children(index) {
            match element.name.as_str() {
                // Text (read with the paragraph), headers, footers, master
                // pages, alt text and equation scripts: not body prose.
                "t" | "header" | "footer" | "masterPage" | "shapeComment" | "script" => {}
                "p" => self.paragraph(child, locator, out, depth + 1)?,
                "tbl" => self.table(child, locator, out, depth + 1)?,
                "footNote" | "endNote" => {
                    let mut notes = Vec::new();
                    self.objects(child, locator, &mut notes, depth + 1)?;
                    self.notes.extend(notes);
                }
                _ => self.objects(child, locator, out, depth + 1)?,
            }
        }
        Ok(())
    }

    /// `hp:tbl` → `hp:tr` → `hp:tc` (`hp:subList` paragraphs, `hp:cellAddr`,
    /// `hp:cellSpan`); a cell marked `header="1"` in the first row makes it
    /// a header row.
    fn table(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        let tree = self.tree;
        let mut cells = Vec::new();
        let mut marked_header = false;
        let mut caption = Vec::new();
        if let Some((caption_index, _)) = tree.child(index, "caption") {
            self.objects(caption_index, locator, &mut caption, depth + 1)?;
        }
        for (row_number, (row, _)) in tree
            .children(index)
            .filter(|(_, e)| e.name == "tr")
            .enumerate()
        {
            for (col_number, (cell, element)) in tree
                .children(row)
                .filter(|(_, e)| e.name == "tc")
                .enumerate()
            {
                if row_number == 0 && element.attr("header").as_deref() == Some("1") {
                    marked_header = true;
                }
                let number = |name: &str, key: &str, default: usize| {
                    tree.child(cell, name)
                        .and_then(|(_, e)| e.attr(key))
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(default)
                };
                let mut blocks = Vec::new();
                if let Some((list, _)) = tree.child(cell, "subList") {
                    self.objects(list, locator, &mut blocks, depth + 1)?;
                }
                cells.push(Cell {
                    row: number("cellAddr", "rowAddr", row_number),
                    col: number("cellAddr", "colAddr", col_number),
                    row_span: number("cellSpan", "rowSpan", 1).max(1),
                    col_span: number("cellSpan", "colSpan", 1).max(1),
                    text: blocks::flatten(&blocks),
                });
            }
        }
        blocks::push_table(cells, &caption, marked_header, locator, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
