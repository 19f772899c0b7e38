//! A section's XML as a small element tree, so that a paragraph can be read
//! with its tables and text boxes in one pass. Built with a stack, not
//! recursion; the walk over it stops at a nesting depth.

use quick_xml::events::BytesStart;

use crate::limits::{Budget, Failure};
use crate::xml::{attr, name_of, Node, XmlReader};

#[derive(Debug)]
pub(crate) enum Child {
    Element(usize),
    Text(String),
}

#[derive(Debug)]
pub(crate) struct Element<'a> {
    /// Local name (`p`, `run`, `t`, `tbl`…): HWPX prefixes vary by version.
    pub name: String,
    start: BytesStart<'a>,
    pub children: Vec<Child>,
}

impl Element<'_> {
    pub(crate) fn attr(&self, name: &str) -> Option<String> {
        attr(&self.start, name)
    }
}

#[derive(Debug)]
pub(crate) struct Tree<'a> {
    pub elements: Vec<Element<'a>>,
}

impl<'a> Tree<'a> {
    pub(crate) fn parse(xml: &'a str, budget: &Budget) -> Result<Self, Failure> {
        let mut reader = XmlReader::new(xml, budget);
        let mut elements: Vec<Element<'a>> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        loop {
            match reader.next()? {
                Node::Open(start) => {
                    let index = elements.len();
                    if let Some(parent) = open.last().and_then(|&i| elements.get_mut(i)) {
                        parent.children.push(Child::Element(index));
                    }
                    elements.push(Element {
                        name: name_of(&start),
                        start,
                        children: Vec::new(),
                    });
                    open.push(index);
                }
                Node::Close(_) => {
                    open.pop();
                }
                Node::Text(text) => {
                    if let Some(parent) = open.last().and_then(|&i| elements.get_mut(i)) {
                        parent.children.push(Child::Text(text));
                    }
                }
                Node::End => break,
            }
        }
        Ok(Self { elements })
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Element<'a>> {
        self.elements.get(index)
    }

    /// The element children of `index`, with their indexes.
    pub(crate) fn children(&self, index: usize) -> impl Iterator<Item = (usize, &Element<'a>)> {
        self.get(index)
            .into_iter()
            .flat_map(|e| e.children.iter())
            .filter_map(|c| match c {
                Child::Element(i) => self.get(*i).map(|e| (*i, e)),
                Child::Text(_) => None,
            })
    }

    /// The first child of `index` named `name`.
    pub(crate) fn child(&self, index: usize, name: &str) -> Option<(usize, &Element<'a>)> {
        self.children(index).find(|(_, e)| e.name == name)
    }
}
