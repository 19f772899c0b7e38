//! A small pull reader over quick-xml, shared by the XBRL, iXBRL and DART
//! readers: elements by qualified name, text with character references and
//! the few HTML entities EDGAR pages use resolved, and no DTD — a document
//! that declares entities is refused, so no entity expansion can be
//! smuggled in. End tags are not checked against start tags: EDGAR and DART
//! markup is often not quite well-formed, and a reader that stops at the
//! first slip would lose every fact after it.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One step through a document. An empty element `<a/>` comes as `Open`
/// then `Close`.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    Open(BytesStart<'a>),
    /// The qualified name of the closed element (`ix:nonFraction`).
    Close(String),
    Text(String),
    End,
}

/// Why a document could not be read to its end.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    #[error("XML error near byte {position}: {reason}")]
    Syntax { position: u64, reason: String },
    #[error(
        "the XML declares entities (<!ENTITY …>); refusing a possible entity-expansion attack"
    )]
    EntityDeclaration,
}

pub(crate) struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    pending_close: Option<String>,
}

impl<'a> XmlReader<'a> {
    pub(crate) fn new(xml: &'a str) -> Self {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = false;
        Self {
            reader,
            pending_close: None,
        }
    }

    pub(crate) fn next(&mut self) -> Result<Node<'a>, XmlError> {
        if let Some(name) = self.pending_close.take() {
            return Ok(Node::Close(name));
        }
        loop {
            let position = self.reader.buffer_position();
            let event = self.reader.read_event().map_err(|e| XmlError::Syntax {
                position,
                reason: e.to_string(),
            })?;
            return Ok(match event {
                Event::Start(e) => Node::Open(e),
                Event::Empty(e) => {
                    self.pending_close = Some(qname(&e));
                    Node::Open(e)
                }
                Event::End(e) => Node::Close(e.name().as_ref().to_string()),
                Event::Text(t) => Node::Text(t.xml_content(XmlVersion::Implicit1_0).into_owned()),
                Event::CData(t) => Node::Text(t.xml_content(XmlVersion::Implicit1_0).into_owned()),
                Event::GeneralRef(r) => {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        Node::Text(c.to_string())
                    } else {
                        let name = r.xml_content(XmlVersion::Implicit1_0);
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => Node::Text(s.to_string()),
                            // HTML's no-break space is the one named entity
                            // EDGAR pages commonly carry; others are dropped.
                            None if name == "nbsp" => Node::Text("\u{a0}".into()),
                            None => continue,
                        }
                    }
                }
                Event::DocType(d) => {
                    let declaration = d.xml_content(XmlVersion::Implicit1_0);
                    if declaration.to_ascii_uppercase().contains("<!ENTITY") {
                        return Err(XmlError::EntityDeclaration);
                    }
                    continue;
                }
                Event::Eof => Node::End,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }
}

/// The qualified name of an opened element (`xbrli:context`).
pub(crate) fn qname(e: &BytesStart<'_>) -> String {
    e.name().as_ref().to_string()
}

/// The local part of a qualified name.
pub(crate) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
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

/// Runs of whitespace (no-break spaces included) as one space, trimmed.
pub(crate) fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_and_entity_declarations_are_refused() {
        let mut r = XmlReader::new("<a:b x='1'>A &amp;&nbsp;&#xAC00;&bogus;<c/></a:b>");
        let mut text = String::new();
        let mut closed = Vec::new();
        loop {
            match r.next().expect("xml") {
                Node::Text(t) => text.push_str(&t),
                Node::Close(n) => closed.push(n),
                Node::End => break,
                Node::Open(_) => {}
            }
        }
        assert_eq!(text, "A &\u{a0}가");
        assert_eq!(closed, ["c", "a:b"]);
        let bomb = "<!DOCTYPE l [<!ENTITY a 'a'>]><l>&a;</l>";
        let mut r = XmlReader::new(bomb);
        assert!(matches!(r.next(), Err(XmlError::EntityDeclaration)));
    }
}
