//! One parser per format, all producing an [`Extracted`]: sections built
//! through [`crate::outline::Outline`], metadata, warnings (a page that
//! needs OCR, a table that could not be read) and embedded files to parse
//! in turn (e-mail attachments, zip members). Parsers see bytes and a
//! [`Budget`](crate::limits::Budget) and fail with a
//! [`Failure`](crate::limits::Failure); [`crate::parse`] adds the file's
//! path and format to make the error a user reads.

use std::collections::BTreeMap;

use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::xml::{name_of, xml_text, Node, XmlReader};
use crate::zip_container::Zipped;
use seogo_types::Section;

pub(crate) mod docx;
pub(crate) mod eml;
pub(crate) mod grid;
pub(crate) mod html;
pub(crate) mod hwp;
pub(crate) mod hwpx;
pub(crate) mod odt;
pub(crate) mod pdf;
pub(crate) mod pptx;
pub(crate) mod rtf;
pub(crate) mod sheet;
pub(crate) mod text;
pub(crate) mod xml_json;
pub(crate) mod zip_archive;

/// What a parser made of one file.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    /// The document's own title (PDF /Title, DOCX core title, HTML
    /// `<title>`, e-mail subject); else its first top heading; else the
    /// file name.
    pub title: Option<String>,
    pub sections: Vec<Section>,
    pub metadata: BTreeMap<String, String>,
    /// Things the operator should know that did not stop the file.
    pub warnings: Vec<String>,
    /// Pages (PDF), slides, sheets: whatever the format counts.
    pub pages: Option<u32>,
    pub attachments: Vec<Attachment>,
}

impl Extracted {
    /// Sections from `outline`, its first top heading as the title.
    pub(crate) fn from_outline(outline: Outline) -> Self {
        let title = outline.first_top_heading().map(str::to_string);
        Self {
            title,
            sections: outline.finish(),
            ..Self::default()
        }
    }
}

/// A file inside a file, parsed on its own as `container/name`.
#[derive(Debug)]
pub(crate) struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The first `title` element of a metadata member (`dc:title` in OOXML's
/// `docProps/core.xml` and ODF's `meta.xml`), when set.
pub(crate) fn member_title(
    zip: &mut Zipped<'_>,
    member: &str,
    budget: &Budget,
) -> Result<Option<String>, Failure> {
    let Some(core) = zip.read(member)? else {
        return Ok(None);
    };
    let core = xml_text(&core);
    let mut reader = XmlReader::new(&core, budget);
    loop {
        match reader.next()? {
            Node::Open(e) if name_of(&e) == "title" => {
                let title = reader.text_until_close("title")?;
                let title = title.trim();
                return Ok((!title.is_empty()).then(|| title.to_string()));
            }
            Node::End => return Ok(None),
            _ => {}
        }
    }
}
#[cfg(test)]
mod tests;
