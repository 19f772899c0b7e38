//! E-mail (RFC 5322 / MIME, also an mbox export's first message): the
//! subject as title, sender/recipients/date as metadata and as a header
//! paragraph (so "메일 from 김과장" is searchable), the plain-text body — or
//! the HTML body read as HTML when there is no plain one — and every
//! attachment handed back to be parsed as a file of its own.

use mail_parser::{Address, MessageParser, MimeHeaders};

use crate::formats::{html, Attachment, Extracted};
use crate::limits::{Budget, Failure};
use crate::outline::Outline;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| Failure::malformed("no MIME message could be read"))?;
    let mut metadata = std::collections::BTreeMap::new();
    let mut header = Vec::new();
    let mut field = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            header.push(format!("{name}: {value}"));
            metadata.insert(name.to_ascii_lowercase(), value);
        }
    };
    field("From", message.from().map(addresses));
    field("To", message.to().map(addresses));
    field("Cc", message.cc().map(addresses));
    field("Date", message.date().map(|d| d.to_rfc3339()));
    let subject = message.subject().map(str::to_string);

    let mut outline = Outline::new();
    outline.paragraph(&header.join("\n"));
    let mut warnings = Vec::new();
    if message.text_body_count() > 0 {
        for i in 0..message.text_body_count() {
            if let Some(text) = message.body_text(i) {
                outline.paragraph(&text);
            }
        }
    } else if let Some(body) = message.body_html(0) {
        match html::extract(&body, budget) {
            Ok(body) => {
                for section in body.sections {
                    outline.paragraph(&section.text);
                }
            }
            Err(e) => warnings.push(format!("HTML body: {e}")),
        }
    }
    let mut attachments = Vec::new();
    for (i, part) in message.attachments().enumerate() {
        budget.check_time()?;
        let name = part
            .attachment_name()
            .map(|n| n.replace(['/', '\\'], "_"))
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        attachments.push(Attachment {
            name,
            bytes: part.contents().to_vec(),
        });
    }
    let mut extracted = Extracted::from_outline(outline);
    extracted.title = subject;
    extracted.metadata = metadata;
    extracted.warnings = warnings;
    extracted.attachments = attachments;
    Ok(extracted)
}

/// "이름 <addr>, addr2".
fn addresses(address: &Address<'_>) -> String {
    address
        .iter()
        .map(|a| match (&a.name, &a.address) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (Some(name), None) => name.to_string(),
            (None, Some(addr)) => addr.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}
