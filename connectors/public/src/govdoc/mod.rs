//! Government documents (공고, 보도자료, 공문, 제안요청서, 국세청 질의회신)
//! as the generic HWP/HWPX/PDF/DOCX parse read them: what the document
//! states about itself — 문서번호, 기관, 날짜, 제목, 종류 — becomes
//! metadata (`doc_number`, `agency`, `date`, `title`, `doc_type`), the
//! title also `Document.title`. Only what the text states is recorded;
//! nothing is guessed from the file name.
//!
//! The text is read as "units": each paragraph line, and each cell of a
//! Markdown table line (header boxes of 보도자료 and 공문 are tables).

mod patterns;
#[cfg(test)]
mod tests;

use seogo_docs::Document;

pub(crate) use patterns::normalise_date;

/// What a government document states about itself.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Stated {
    pub doc_type: Option<&'static str>,
    pub doc_number: Option<String>,
    pub agency: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
}

pub(crate) fn annotate(doc: &mut Document) {
    let text: Vec<&str> = doc.sections.iter().map(|s| s.text.as_str()).collect();
    let units = units(&text);
    let stated = patterns::read(&units);
    let Stated {
        doc_type,
        doc_number,
        agency,
        date,
        title,
    } = stated;
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            doc.metadata.insert(key.to_string(), v);
        }
    };
    put("doc_type", doc_type.map(str::to_string));
    put("doc_number", doc_number);
    put("agency", agency);
    put("date", date);
    put("title", title.clone());
    if let Some(title) = title {
        doc.title = title;
    }
}

/// The paragraphs' lines and the tables' cells, trimmed, in order; the
/// Markdown rule lines of tables left out; runs of spaces collapsed.
fn units(texts: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for text in texts {
        for line in text.lines() {
            let line = line.trim();
            let cells: Vec<&str> = if line.starts_with('|') && line.ends_with('|') {
                line.trim_matches('|').split(" | ").collect()
            } else {
                vec![line]
            };
            for cell in cells {
                let cell = cell.split_whitespace().collect::<Vec<_>>().join(" ");
                if cell.is_empty() || cell.chars().all(|c| matches!(c, '-' | '|' | ' ')) {
                    continue;
                }
                if out.last() != Some(&cell) {
                    out.push(cell);
                }
            }
        }
    }
    out
}
