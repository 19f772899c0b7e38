//! The public-sector connector: statutes in the law.go.kr 법령 XML become
//! one document per article with citations (`「…」 제3조`); government
//! documents (공고, 보도자료, 공문, 질의회신 …) in HWP/HWPX/PDF/DOCX get
//! their 문서번호, 기관, 날짜, 제목 and 종류 as metadata; public-data CSVs
//! (data.go.kr) get their 제공기관/기준일자; and a stated security grade
//! (공개/부분공개/비공개) sets the ACL of every document of the file.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod classification;
mod dataset;
mod govdoc;
mod statute;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use seogo_docs::{content_hash, Acl, DocError, Document, Domain, Refined, SourceFile};

pub use statute::{citation, StatuteError};

use classification::{Classifier, GRADES};

/// Options under `[[sources]] options = { … }` were not understood.
#[derive(Debug, thiserror::Error)]
#[error("public connector options: {0}")]
pub struct OptionsError(String);

/// The label a 공문 states its grade under, unless configured.
const DEFAULT_LABEL: &str = "공개여부";

#[derive(Debug)]
pub struct PublicConnector {
    classifier: Classifier,
}

impl PublicConnector {
    /// `{"classification": {"공개": ["public"], "부분공개": ["staff"],
    /// "비공개": ["restricted"]}, "classification_label": "공개여부"}`; both
    /// optional. Without `classification`, 부분공개 maps to `staff` and
    /// 비공개 to `restricted` (a stated restriction is never widened to
    /// everyone) and 공개 to `public`; a grade left out of a configured
    /// map keeps the ingest ACL.
    pub fn from_options(options: &serde_json::Value) -> Result<Self, OptionsError> {
        let empty = serde_json::Map::new();
        let map = match options {
            serde_json::Value::Null => &empty,
            serde_json::Value::Object(map) => map,
            other => return Err(OptionsError(format!("expected a table, got {other}"))),
        };
        if let Some(key) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "classification" | "classification_label"))
        {
            return Err(OptionsError(format!(
                "unknown option `{key}` (expected classification, classification_label)"
            )));
        }
        let label = match map.get("classification_label") {
            None => DEFAULT_LABEL,
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim(),
            Some(other) => {
                return Err(OptionsError(format!(
                    "classification_label must be a non-empty string, got {other}"
                )))
            }
        };
        let groups = match map.get("classification") {
            None => default_groups(),
            Some(value) => groups_option(value)?,
        };
        let classifier = Classifier::new(groups, label)
            .map_err(|e| OptionsError(format!("classification_label: {e}")))?;
        Ok(Self { classifier })
    }
}

fn default_groups() -> BTreeMap<String, Vec<String>> {
    [
        ("공개", "public"),
        ("부분공개", "staff"),
        ("비공개", "restricted"),
    ]
    .into_iter()
    .map(|(g, group)| (g.to_string(), vec![group.to_string()]))
    .collect()
}

/// `{"비공개": ["restricted"], "부분공개": "staff"}`: a list or one group.
fn groups_option(value: &serde_json::Value) -> Result<BTreeMap<String, Vec<String>>, OptionsError> {
    let serde_json::Value::Object(map) = value else {
        return Err(OptionsError(format!(
            "classification must map 공개/부분공개/비공개 to groups, got {value}"
        )));
    };
    let mut out = BTreeMap::new();
    for (grade, groups) in map {
        let grade_key: String = grade.split_whitespace().collect();
        if !GRADES.contains(&grade_key.as_str()) {
            return Err(OptionsError(format!(
                "classification: unknown grade `{grade}` (expected 공개, 부분공개 or 비공개)"
            )));
        }
        let groups: Vec<String> = match groups {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .map(|g| match g {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Err(OptionsError(format!(
                        "classification.{grade}: groups are strings, got {other}"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(OptionsError(format!(
                    "classification.{grade}: expected a group or a list of groups, got {other}"
                )))
            }
        };
        out.insert(grade_key, groups);
    }
    Ok(out)
}

impl seogo_docs::Connector for PublicConnector {
    fn name(&self) -> &'static str {
        "public"
    }

    fn domain(&self) -> Domain {
        Domain::Public
    }

    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError> {
        if statute::is_statute(file.bytes) {
            return statute_documents(&file).map(|documents| Refined {
                documents,
                facts: Vec::new(),
            });
        }
        let format = file.parsed.format;
        let mut documents = file.parsed.documents;
        for doc in &mut documents {
            match format {
                "CSV" | "TSV" => dataset::annotate(doc),
                "HWP 5.0" | "HWPX" | "PDF" | "DOCX" | "ODT" | "RTF" | "plain text" => {
                    govdoc::annotate(doc)
                }
                _ => {}
            }
        }
        self.classifier.apply(&mut documents);
        Ok(Refined {
            documents,
            facts: Vec::new(),
        })
    }
}

/// The statute's articles, keyed under the file's id, with the source,
/// hash, domain and ACL the generic parse gave the file.
fn statute_documents(file: &SourceFile<'_>) -> Result<Vec<Document>, DocError> {
    let base = match file.parsed.documents.first() {
        Some(doc) => Document {
            id: file.doc_id.to_string(),
            sections: Vec::new(),
            metadata: BTreeMap::new(),
            ..doc.clone()
        },
        None => Document {
            id: file.doc_id.to_string(),
            title: String::new(),
            source: file.path.display().to_string(),
            content_hash: content_hash(file.bytes),
            domain: Domain::Public,
            acl: Acl::public(),
            metadata: BTreeMap::new(),
            sections: Vec::new(),
        },
    };
    let malformed = |reason: String| DocError::Malformed {
        path: file.path.into(),
        format: "statute XML",
        reason,
    };
    let text = statute::text_of(file.bytes).ok_or_else(|| malformed("not UTF-8".into()))?;
    let documents = statute::documents(text, &base).map_err(|e| match e {
        StatuteError::Entities => DocError::LimitExceeded {
            path: file.path.into(),
            reason: e.to_string(),
        },
        other => malformed(other.to_string()),
    })?;
    if documents.is_empty() {
        return Err(DocError::Empty {
            path: file.path.into(),
        });
    }
    Ok(documents)
}
