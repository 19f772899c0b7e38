//! Generic XML and JSON: every piece of text with the path of elements
//! (or keys) that leads to it — `country/economy/gdp: 1.2 trillion` — so a
//! data file is searchable without a schema. Each child of the root is a
//! section headed by its name (and its `name`/`id`/`title` attribute or
//! key when it has one). Both walks are iterative.

use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::xml::{attr, name_of, Node, XmlReader};

/// Attributes that name an element well enough to head its section.
const NAMING: &[&str] = &["name", "id", "title", "code", "key"];

pub(crate) fn extract(xml: &str, budget: &Budget) -> Result<Extracted, Failure> {
    let mut reader = XmlReader::new(xml, budget);
    let mut path: Vec<String> = Vec::new();
    let mut outline = Outline::new();
    let mut lines: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.next()? {
            Node::Open(e) => {
                leaf_line(&path, &mut text, &mut lines);
                let name = name_of(&e);
                if path.len() == 1 {
                    outline.paragraph(&lines.join("\n"));
                    lines.clear();
                    let label = NAMING.iter().find_map(|a| attr(&e, a));
                    match label {
                        Some(label) => outline.heading(1, &format!("{name} {label}")),
                        None => outline.heading(1, &name),
                    }
                }
                path.push(name);
            }
            Node::Text(t) => text.push_str(&t),
            Node::Close(_) => {
                leaf_line(&path, &mut text, &mut lines);
                path.pop();
            }
            Node::End => break,
        }
    }
    outline.paragraph(&lines.join("\n"));
    let mut extracted = Extracted::from_outline(outline);
    extracted.title = None;
    Ok(extracted)
}

/// Text gathered for the element at `path` becomes `a/b/c: text`.
fn leaf_line(path: &[String], text: &mut String, lines: &mut Vec<String>) {
    let value = crate::outline::clean(text);
    text.clear();
    if !value.is_empty() {
        // The root's name is the same on every line: left out.
        let shown = path.get(1..).unwrap_or(&[]).join("/");
        lines.push(if shown.is_empty() {
            value
        } else {
            format!("{shown}: {value}")
        });
    }
}

pub(crate) fn extract_json(text: &str, budget: &Budget) -> Result<Extracted, Failure> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        // JSON Lines: one value per line, read as an array.
        Err(whole) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| Failure::malformed(format!("JSON line {}: {e} ({whole})", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(serde_json::Value::Array)?,
    };
    let mut outline = Outline::new();
    let top: Vec<(String, &serde_json::Value)> = match &value {
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (label_of(v).unwrap_or_else(|| format!("[{i}]")), v))
            .collect(),
        other => vec![(String::new(), other)],
    };
    for (n, (key, value)) in top.into_iter().enumerate() {
        if n % 256 == 0 {
            budget.check_time()?;
        }
        outline.heading(1, &key);
        let mut lines = Vec::new();
        let mut stack: Vec<(String, &serde_json::Value)> = vec![(String::new(), value)];
        while let Some((path, v)) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, child) in map.iter().rev() {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        stack.push((p, child));
                    }
                }
                serde_json::Value::Array(items) => {
                    for (i, child) in items.iter().enumerate().rev() {
                        stack.push((format!("{path}[{i}]"), child));
                    }
                }
                serde_json::Value::Null => {}
                leaf => {
                    let value = match leaf {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    lines.push(if path.is_empty() {
                        value
                    } else {
                        format!("{path}: {value}")
                    });
                }
            }
        }
        outline.paragraph(&lines.join("\n"));
    }
    let extracted = Extracted::from_outline(outline);
    Ok(Extracted {
        title: None,
        ..extracted
    })
}

/// An array item's own name, for its heading.
fn label_of(value: &serde_json::Value) -> Option<String> {
    let map = value.as_object()?;
    NAMING.iter().find_map(|k| match map.get(*k)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}
