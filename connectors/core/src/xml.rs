//! A small pull reader over quick-xml for the XML inside DOCX, PPTX, XLSX,
//! ODF, HWPX and generic XML: elements by local name, text with entity and
//! character references resolved, and no DTD — declared entities are
//! refused, so neither a billion-laughs expansion nor an external entity
//! can be smuggled in.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::limits::{Budget, Failure};

/// One step through a document. An empty element `<a/>` comes as `Open`
/// then `Close`.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    Open(BytesStart<'a>),
    /// The local name of the closed element.
    Close(String),
    Text(String),
    End,
}

pub(crate) struct XmlReader<'a, 'b> {
    reader: Reader<&'a [u8]>,
    budget: &'b Budget,
    pending_close: Option<String>,
    steps: u32,
}

impl<'a, 'b> XmlReader<'a, 'b> {
    pub(crate) fn new(xml: &'a str, budget: &'b Budget) -> Self {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = false;
        Self {
            reader,
            budget,
            pending_close: None,
            steps: 0,
        }
    }

    pub(crate) fn next(&mut self) -> Result<Node<'a>, Failure> {
        if let Some(name) = self.pending_close.take() {
            return Ok(Node::Close(name));
        }
        loop {
            self.steps = self.steps.wrapping_add(1);
            if self.steps.is_multiple_of(4096) {
                self.budget.check_time()?;
            }
            let position = self.reader.buffer_position();
            let event = self
                .reader
                .read_event()
                .map_err(|e| Failure::malformed(format!("XML error near byte {position}: {e}")))?;
            return Ok(match event {
                Event::Start(e) => Node::Open(e),
                Event::Empty(e) => {
                    self.pending_close = Some(e.local_name().as_ref().to_string());
                    Node::Open(e)
                }
                Event::End(e) => Node::Close(e.local_name().as_ref().to_string()),
                Event::Text(t) => {
                    let text = t.xml_content(XmlVersion::Implicit1_0);
                    if text.is_empty() {
                        continue;
                    }
                    Node::Text(text.into_owned())
                }
                Event::CData(t) => Node::Text(t.xml_content(XmlVersion::Implicit1_0).into_owned()),
                Event::GeneralRef(r) => {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        Node::Text(c.to_string())
                    } else {
                        let name = r.xml_content(XmlVersion::Implicit1_0);
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => Node::Text(s.to_string()),
                            // Undeclared entities are dropped (a DTD that
                            // declares them is refused below).
                            None => continue,
                        }
                    }
                }
                Event::DocType(d) => {
                    let declaration = d.xml_content(XmlVersion::Implicit1_0);
                    if declaration.to_ascii_uppercase().contains("<!ENTITY") {
                        return Err(Failure::Limit(
                            "the XML declares entities (<!ENTITY …>): Seogo expands none, \
                             refusing a possible entity-expansion or external-entity attack"
                                .into(),
                        ));
                    }
                    continue;
                }
                Event::Eof => Node::End,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    /// All text up to the close of the element just opened (`name`),
    /// including its descendants', concatenated.
    pub(crate) fn text_until_close(&mut self, name: &str) -> Result<String, Failure> {
        let mut depth = 0usize;
        let mut out = String::new();
        loop {
            match self.next()? {
                Node::Open(e) if e.local_name().as_ref() == name => depth += 1,
                Node::Close(n) if n == name => {
                    if depth == 0 {
                        return Ok(out);
                    }
                    depth -= 1;
                }
                Node::Text(t) => out.push_str(&t),
                Node::End => return Ok(out),
                _ => {}
            }
        }
    }
}

/// The value of the attribute whose local name is `name`.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name).then(|| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .map(Cow::into_owned)
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
    })
}

/// The local name of an opened element.
pub(crate) fn name_of(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// XML bytes as text: a UTF-16 or UTF-8 BOM decides, else UTF-8 with bad
/// bytes replaced (zip members are UTF-8 in every format read here).
pub(crate) fn xml_text(bytes: &[u8]) -> Cow<'_, str> {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) => encoding.decode_without_bom_handling(&bytes[bom..]).0,
        None => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn references_resolve_and_entity_declarations_are_refused() {
        let budget = Budget::new(&Limits::default());
        let mut r = XmlReader::new("<a x='1'>A &amp; &#xAC00;<b/><![CDATA[<c>]]></a>", &budget);
        let mut text = String::new();
        loop {
            match r.next().expect("xml") {
                Node::Text(t) => text.push_str(&t),
                Node::End => break,
                _ => {}
            }
        }
        assert_eq!(text, "A & 가<c>");
        let bomb = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]><lolz>&lol2;</lolz>";
        let mut r = XmlReader::new(bomb, &budget);
        let err = loop {
            match r.next() {
                Err(e) => break e,
                Ok(Node::End) => panic!("bomb accepted"),
                Ok(_) => {}
            }
        };
        assert!(
            matches!(err, Failure::Limit(ref m) if m.contains("<!ENTITY")),
            "{err:?}"
        );
    }
}
