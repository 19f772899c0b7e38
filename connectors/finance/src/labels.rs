//! Concept labels from an XBRL label linkbase (`*_lab.xml`): the filer's
//! own words for a concept ("Net sales" for
//! `us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax`), which is
//! what a user types. Terse labels are preferred, then standard ones.

use std::collections::HashMap;
use std::path::Path;

use crate::xml::{attr, local, Node, XmlReader};

/// Linkbases larger than this are not read (Apple's is 0.85 MB).
const MAX_LINKBASE_BYTES: u64 = 64 * 1024 * 1024;

/// Concept (`us-gaap:Revenues`) → label.
pub(crate) type Labels = HashMap<String, String>;

/// The labels of the linkbase beside an instance: `{stem}_lab.xml`, where
/// the stem is the referenced schema's (`aapl-20230930.xsd`) or the
/// instance's own without `_htm`. None found, or unreadable, is no labels.
pub(crate) fn beside(instance: &Path, schema_ref: Option<&str>) -> Labels {
    let dir = instance.parent().unwrap_or_else(|| Path::new("."));
    let mut stems = Vec::new();
    if let Some(schema) = schema_ref {
        let file = schema.rsplit('/').next().unwrap_or(schema);
        stems.push(file.trim_end_matches(".xsd").to_string());
    }
    if let Some(stem) = instance.file_stem().and_then(|s| s.to_str()) {
        stems.push(stem.trim_end_matches("_htm").to_string());
    }
    for stem in stems {
        let path = dir.join(format!("{stem}_lab.xml"));
        let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_LINKBASE_BYTES);
        if let (true, Ok(bytes)) = (small, std::fs::read(&path)) {
            return parse(&String::from_utf8_lossy(&bytes));
        }
    }
    Labels::new()
}

/// Reads locators, label resources and arcs, and picks one label per
/// concept.
pub(crate) fn parse(xml: &str) -> Labels {
    let mut locators: HashMap<String, String> = HashMap::new();
    let mut resources: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut arcs: Vec<(String, String)> = Vec::new();
    let mut reader = XmlReader::new(xml);
    let mut open: Option<(String, String, String)> = None;
    while let Ok(node) = reader.next() {
        match node {
            Node::End => break,
            Node::Open(e) => match local(&crate::xml::qname(&e)) {
                "loc" => {
                    if let (Some(label), Some(href)) = (attr(&e, "label"), attr(&e, "href")) {
                        if let Some(concept) = concept_of(&href) {
                            locators.insert(label, concept);
                        }
                    }
                }
                "label" => {
                    let role = attr(&e, "role").unwrap_or_default();
                    open = attr(&e, "label").map(|l| (l, role, String::new()));
                }
                "labelArc" => {
                    if let (Some(from), Some(to)) = (attr(&e, "from"), attr(&e, "to")) {
                        arcs.push((from, to));
                    }
                }
                _ => {}
            },
            Node::Text(t) => {
                if let Some((_, _, text)) = open.as_mut() {
                    text.push_str(&t);
                }
            }
            Node::Close(name) => {
                if local(&name) == "label" {
                    if let Some((label, role, text)) = open.take() {
                        resources.entry(label).or_default().push((role, text));
                    }
                }
            }
        }
    }
    let mut labels = Labels::new();
    for (from, to) in arcs {
        let (Some(concept), Some(found)) = (locators.get(&from), resources.get(&to)) else {
            continue;
        };
        let best = found
            .iter()
            .filter_map(|(role, text)| rank(role).map(|r| (r, text.trim())))
            .filter(|(_, t)| !t.is_empty())
            .min_by_key(|(r, _)| *r);
        if let Some((rank_new, text)) = best {
            let better = labels.get(concept).is_none_or(|_| rank_new == 0);
            if better {
                labels.insert(concept.clone(), text.to_string());
            }
        }
    }
    labels
}

/// Terse first, then standard; other roles (verbose, period start…) are
/// not names.
fn rank(role: &str) -> Option<u8> {
    match role.rsplit('/').next()? {
        "terseLabel" => Some(0),
        "label" => Some(1),
        _ => None,
    }
}

/// `…us-gaap-2023.xsd#us-gaap_Revenues` → `us-gaap:Revenues`.
fn concept_of(href: &str) -> Option<String> {
    let fragment = href.rsplit_once('#')?.1;
    let (prefix, name) = fragment.split_once('_')?;
    Some(format!("{prefix}:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terse_label_wins_over_standard() {
        let xml = r##"<link:linkbase><link:labelLink>
          <link:label xlink:label="lab_r" xlink:role="http://www.xbrl.org/2003/role/terseLabel">Net sales</link:label>
          <link:label xlink:label="lab_r" xlink:role="http://www.xbrl.org/2003/role/label">Revenue from Contract</link:label>
          <link:loc xlink:label="loc_r" xlink:href="x.xsd#us-gaap_Revenues"/>
          <link:labelArc xlink:from="loc_r" xlink:to="lab_r"/>
          <link:label xlink:label="lab_e" xlink:role="http://www.xbrl.org/2003/role/label">EPS</link:label>
          <link:loc xlink:label="loc_e" xlink:href="x.xsd#us-gaap_Eps"/>
          <link:labelArc xlink:from="loc_e" xlink:to="lab_e"/>
        </link:labelLink></link:linkbase>"##;
        let labels = parse(xml);
        assert_eq!(labels["us-gaap:Revenues"], "Net sales");
        assert_eq!(labels["us-gaap:Eps"], "EPS");
    }
}
