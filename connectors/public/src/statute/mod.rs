//! Statutes in the 국가법령정보센터 (law.go.kr) 법령 본문 XML: `<법령>` with
//! `<기본정보>`, `<조문>/<조문단위>` (articles, and the 장/절 headings as
//! units whose `<조문여부>` is 전문), `<항>/<호>/<목>` inside an article,
//! `<부칙>/<부칙단위>` and `<별표>/<별표단위>`.
//!
//! Read with quick-xml directly (the core crate's reader is private) and a
//! DTD that declares entities is refused outright: the service never
//! writes one, so a file that has one is hostile or not a statute.

mod model;
mod refs;
mod render;
#[cfg(test)]
mod tests;

pub use render::citation;
pub(crate) use render::documents;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Events read while looking for the root element: a prolog longer than
/// this (comments, processing instructions) is not a law.go.kr export.
const SNIFF_EVENTS: usize = 64;

/// Why a statute XML could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatuteError {
    #[error(
        "the statute XML declares entities (<!ENTITY …>): none are expanded, \
         refusing a possible entity-expansion or external-entity attack"
    )]
    Entities,
    #[error("XML error near byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("the statute XML ends inside <{0}> (truncated?)")]
    Truncated(String),
    #[error("elements nested deeper than {0}")]
    TooDeep(usize),
    #[error("no <법령명_한글> in <기본정보>")]
    NoName,
}

/// The text of `bytes` when it is UTF-8 (with or without a BOM), as the
/// service writes it; anything else is not read as a statute.
pub(crate) fn text_of(bytes: &[u8]) -> Option<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).ok()
}

/// Whether the root element is `<법령>` — decided by content, not by the
/// file's extension, and before any entity is expanded.
pub(crate) fn is_statute(bytes: &[u8]) -> bool {
    let Some(text) = text_of(bytes) else {
        return false;
    };
    let mut reader = Reader::from_str(text);
    for _ in 0..SNIFF_EVENTS {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return e.local_name().as_ref() == "법령",
            Ok(Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_)) => {}
            Ok(Event::Text(t))
                if t.xml_content(quick_xml::XmlVersion::Implicit1_0)
                    .trim()
                    .is_empty() => {}
            _ => return false,
        }
    }
    false
}
