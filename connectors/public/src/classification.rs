//! Security classification (공개/부분공개/비공개, the 정보공개법 grades a
//! 공문 states in its footer or as a stamp) turned into the document ACL.
//! Only a document that states a grade is changed: an unmarked one keeps
//! the ACL given at ingest.

use std::collections::BTreeMap;

use regex::Regex;
use seogo_docs::{Acl, Document};

/// The grades, least restrictive first: when a file states more than one
/// (a 부분공개 footer and a 비공개 stamp), the most restrictive wins, so a
/// mistake errs towards fewer readers.
pub(crate) const GRADES: [&str; 3] = ["공개", "부분공개", "비공개"];

#[derive(Debug)]
pub(crate) struct Classifier {
    /// Grade → groups; a grade without an entry leaves the ACL as given.
    groups: BTreeMap<String, Vec<String>>,
    /// `공개여부: 부분공개`, `공개 구분 : 비공개(6)` — the label configured
    /// (any spacing) or 공개구분, then the grade.
    labelled: Regex,
    /// `비공개(제9조제1항제5호)`, `부분공개(5)`: the grade with the clause of
    /// 정보공개법 제9조 that justifies it; and `대국민 공개`.
    stamp: Regex,
}

impl Classifier {
    pub(crate) fn new(
        groups: BTreeMap<String, Vec<String>>,
        label: &str,
    ) -> Result<Self, regex::Error> {
        let spaced: Vec<String> = label
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| regex::escape(&c.to_string()))
            .collect();
        let labelled = Regex::new(&format!(
            r"(?:{}|공\s*개\s*구\s*분)\s*[:：]?\s*(부분\s*공개|비\s*공개|공개)",
            spaced.join(r"\s*")
        ))?;
        let stamp = Regex::new(
            r"(부분\s*공개|비\s*공개)\s*\(\s*(?:제\s*9\s*조[^)]{0,40}|\d{1,2}(?:\s*[,·ㆍ]\s*\d{1,2})*\s*(?:호)?)\s*\)|(대국민\s*공개)",
        )?;
        Ok(Self {
            groups,
            labelled,
            stamp,
        })
    }

    /// The grade `text` states, the most restrictive if several.
    pub(crate) fn grade(&self, text: &str) -> Option<&'static str> {
        let labelled = self.labelled.captures_iter(text).filter_map(|c| c.get(1));
        let stamped = self
            .stamp
            .captures_iter(text)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)));
        labelled
            .chain(stamped)
            .filter_map(|m| grade_of(m.as_str()))
            .max_by_key(|g| GRADES.iter().position(|x| x == g))
    }

    /// Marks every document of one file with the grade any of them states,
    /// and replaces their ACL when the grade is mapped to groups.
    pub(crate) fn apply(&self, documents: &mut [Document]) {
        let grade = documents
            .iter()
            .flat_map(|d| {
                std::iter::once(d.title.as_str()).chain(d.sections.iter().map(|s| s.text.as_str()))
            })
            .filter_map(|t| self.grade(t))
            .max_by_key(|g| GRADES.iter().position(|x| x == g));
        let Some(grade) = grade else { return };
        let acl = self.groups.get(grade).map(|g| Acl::from_groups(g));
        for doc in documents {
            doc.metadata.insert("classification".into(), grade.into());
            if let Some(acl) = &acl {
                doc.acl = acl.clone();
            }
        }
    }
}

fn grade_of(found: &str) -> Option<&'static str> {
    let compact: String = found.split_whitespace().collect();
    match compact.as_str() {
        "공개" | "대국민공개" => Some("공개"),
        "부분공개" => Some("부분공개"),
        "비공개" => Some("비공개"),
        _ => None,
    }
}
