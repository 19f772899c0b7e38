use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The group every caller belongs to. A document ingested without an ACL is
/// readable by everyone through it; a document with an ACL is not.
pub const PUBLIC_GROUP: &str = "public";

/// Which domain connector a document belongs to; used as a search filter and
/// to report evaluation per domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    #[default]
    General,
    Manufacturing,
    Finance,
    Public,
}

impl Domain {
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::General => "general",
            Domain::Manufacturing => "manufacturing",
            Domain::Finance => "finance",
            Domain::Public => "public",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "general" => Ok(Domain::General),
            "manufacturing" => Ok(Domain::Manufacturing),
            "finance" => Ok(Domain::Finance),
            "public" => Ok(Domain::Public),
            other => Err(format!(
                "unknown domain `{other}` (expected general, manufacturing, finance or public)"
            )),
        }
    }
}

/// The groups allowed to read a document. Stored on every chunk and applied
/// as a filter inside both indexes, never after retrieval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub groups: Vec<String>,
}

impl Acl {
    /// An ACL from the groups given at ingest; none means public.
    pub fn from_groups(groups: &[String]) -> Self {
        let mut groups: Vec<String> = groups
            .iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        if groups.is_empty() {
            groups.push(PUBLIC_GROUP.to_string());
        }
        groups.sort();
        groups.dedup();
        Acl { groups }
    }

    pub fn public() -> Self {
        Self::from_groups(&[])
    }
}

impl Default for Acl {
    fn default() -> Self {
        Self::public()
    }
}

/// A piece of a document under one heading path (and on one page, where the
/// format has pages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Headings from the document's top down to this section, e.g.
    /// `["3. 점검 절차", "3.2 베어링 점검"]`.
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    pub text: String,
}

/// A parsed source document, before chunking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id within a collection: the path relative to the ingested root,
    /// or the id the source gives (BEIR `_id`).
    pub id: String,
    pub title: String,
    /// Where it came from (a file path), shown in citations.
    pub source: String,
    /// sha256 of the source bytes: unchanged content means no re-indexing.
    pub content_hash: String,
    pub domain: Domain,
    pub acl: Acl,
    pub metadata: BTreeMap<String, String>,
    pub sections: Vec<Section>,
}

/// The unit that is indexed, retrieved and cited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// `{doc_id}#{ordinal}`: unique in a collection.
    pub id: String,
    pub doc_id: String,
    pub ordinal: u32,
    pub title: String,
    pub source: String,
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    /// The chunk's own text, quoted in citations.
    pub text: String,
    pub domain: Domain,
    pub acl: Vec<String>,
    pub metadata: BTreeMap<String, String>,
}

impl Chunk {
    /// `chunk.id` for the chunk `ordinal` of `doc_id`.
    pub fn make_id(doc_id: &str, ordinal: u32) -> String {
        format!("{doc_id}#{ordinal}")
    }

    /// "3. 점검 절차 > 3.2 베어링 점검", or empty. A leading heading that
    /// is the document title is left out: citations show the title apart.
    pub fn section_label(&self) -> String {
        let path = match self.heading_path.split_first() {
            Some((first, rest)) if *first == self.title => rest,
            _ => &self.heading_path[..],
        };
        path.join(" > ")
    }

    /// What the indexes see: the title and heading path give short chunks
    /// the context a reader would have (BEIR indexes title + text too).
    pub fn indexed_text(&self) -> String {
        let mut out = String::with_capacity(self.title.len() + self.text.len() + 64);
        out.push_str(&self.title);
        for heading in &self.heading_path {
            if heading != &self.title {
                out.push('\n');
                out.push_str(heading);
            }
        }
        out.push('\n');
        out.push_str(&self.text);
        out
    }
}

/// Hex sha256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_defaults_to_public_and_normalises() {
        assert_eq!(Acl::from_groups(&[]).groups, vec!["public"]);
        let acl = Acl::from_groups(&["hr".into(), " finance ".into(), "hr".into(), "".into()]);
        assert_eq!(acl.groups, vec!["finance", "hr"]);
    }

    #[test]
    fn domain_round_trips() {
        for d in [
            Domain::General,
            Domain::Manufacturing,
            Domain::Finance,
            Domain::Public,
        ] {
            assert_eq!(d.as_str().parse::<Domain>(), Ok(d));
        }
        assert!("retail".parse::<Domain>().is_err());
    }
}
