//! Zip archives (and EPUB books): every member is handed back as an
//! attachment and parsed as a file of its own, inflated under the file's
//! budget. An EPUB contributes only its XHTML chapters.

use crate::formats::{Attachment, Extracted};
use crate::limits::{Budget, Failure};
use crate::zip_container::Zipped;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    if !bytes.starts_with(b"PK") {
        return Err(Failure::Unsupported(
            "a compound file of no kind Seogo reads (not HWP, XLS or DOC)".into(),
        ));
    }
    let mut zip = Zipped::open(bytes, budget)?;
    let epub = zip
        .read("mimetype")?
        .is_some_and(|m| m.starts_with(b"application/epub+zip"));
    let mut attachments = Vec::new();
    let mut warnings = Vec::new();
    for (n, name) in zip.names().into_iter().enumerate() {
        budget.check_page(n + 1)?;
        let lower = name.to_ascii_lowercase();
        if name.ends_with('/') || (epub && !(lower.ends_with(".xhtml") || lower.ends_with(".html")))
        {
            continue;
        }
        match zip.read(&name) {
            Ok(Some(bytes)) if !bytes.is_empty() => attachments.push(Attachment { name, bytes }),
            Ok(_) => {}
            Err(Failure::Limit(reason)) => return Err(Failure::Limit(reason)),
            Err(e) => warnings.push(format!("{name}: {e}")),
        }
    }
    if attachments.is_empty() {
        return Err(Failure::Unsupported(
            "an archive with no files in it".into(),
        ));
    }
    Ok(Extracted {
        warnings,
        attachments,
        ..Extracted::default()
    })
}
