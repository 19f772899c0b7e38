//! XBRL facts, from an instance document (`<us-gaap:X contextRef unitRef
//! decimals>value</…>`) or from inline XBRL in an EDGAR page
//! (`ix:nonFraction`, contexts and units in `ix:resources`): one streaming
//! pass that keeps contexts, units, numeric facts and the `dei:` cover
//! facts (company, ticker, form, fiscal period). A document that breaks off
//! keeps what was read before the break, with the reason.

use std::collections::{BTreeMap, HashMap};

use crate::value::{instance_value, ix_value, measure};
use crate::xml::{attr, local, qname, squash, Node, XmlReader};

/// A context: who, when, and the dimension members that qualify it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Context {
    pub identifier: String,
    /// `2023-09-30` or `2022-09-25/2023-09-30` (or `forever`).
    pub period: String,
    /// `(axis, member)`, sorted.
    pub dimensions: Vec<(String, String)>,
}

/// A numeric fact as read: concept, context and unit ids, the normalised
/// value, and how it was displayed.
#[derive(Debug, Clone)]
pub(crate) struct RawFact {
    pub concept: String,
    pub context: String,
    pub unit: String,
    pub value: String,
    pub scale: i32,
    pub decimals: Option<String>,
}

/// What one pass over an XBRL or iXBRL document found.
#[derive(Debug, Default)]
pub(crate) struct Filing {
    pub contexts: HashMap<String, Context>,
    /// Unit id → normalised unit (`USD`, `USD/shares`).
    pub units: HashMap<String, String>,
    pub facts: Vec<RawFact>,
    /// `dei:` facts by local name (`TradingSymbol` → `AAPL`), first wins.
    pub dei: BTreeMap<String, String>,
    /// In an iXBRL page, the row label a concept's first undimensioned
    /// fact sits on ("Total net sales"): the filer's words when no label
    /// linkbase is at hand.
    pub row_labels: HashMap<String, String>,
    /// The taxonomy schema it references (`aapl-20230930.xsd`).
    pub schema_ref: Option<String>,
    /// Why reading stopped early, when it did.
    pub error: Option<String>,
}

/// Elements collected at once: every text goes to each, so a hostile
/// document nesting thousands of facts would cost quadratic time.
const MAX_CAPTURES: usize = 32;

/// An element whose text is being collected.
struct Capture {
    depth: usize,
    kind: CaptureKind,
    text: String,
}

enum CaptureKind {
    /// A numeric fact; `inline` says to read `format`, `scale`, `sign`.
    Number {
        concept: String,
        context: String,
        unit: String,
        decimals: Option<String>,
        format: Option<String>,
        scale: i32,
        negate: bool,
        inline: bool,
    },
    Dei(String),
    /// A leaf inside a context or unit (`identifier`, `startDate`,
    /// `measure`, `explicitMember dimension=…`).
    Part(String, Option<String>),
}

#[derive(Default)]
struct UnitState {
    id: String,
    numerator: Vec<String>,
    denominator: Vec<String>,
    in_denominator: bool,
}

#[derive(Default)]
struct ContextState {
    id: String,
    context: Context,
    start: Option<String>,
    end: Option<String>,
    instant: Option<String>,
}

/// Reads every context, unit and numeric fact of `xml`.
pub(crate) fn read(xml: &str) -> Filing {
    let mut filing = Filing::default();
    let mut reader = XmlReader::new(xml);
    let mut depth = 0usize;
    let mut captures: Vec<Capture> = Vec::new();
    let mut context: Option<ContextState> = None;
    let mut unit: Option<UnitState> = None;
    let mut row = RowLabel::default();
    loop {
        let node = match reader.next() {
            Ok(node) => node,
            Err(e) => {
                filing.error = Some(e.to_string());
                break;
            }
        };
        match node {
            Node::End => {
                if depth > 0 {
                    filing.error = Some(format!(
                        "the document ends with {depth} elements open (truncated?)"
                    ));
                }
                break;
            }
            Node::Text(t) => {
                for c in &mut captures {
                    c.text.push_str(&t);
                }
                if row.in_first_cell {
                    row.text.push_str(&t);
                }
            }
            Node::Open(e) => {
                depth += 1;
                let name = qname(&e);
                let local_name = local(&name);
                let room = captures.len() < MAX_CAPTURES;
                match local_name {
                    "tr" => row = RowLabel::default(),
                    "td" | "th" => {
                        row.cells += 1;
                        row.in_first_cell = row.cells == 1;
                    }
                    "context" if context.is_none() => {
                        context = Some(ContextState {
                            id: attr(&e, "id").unwrap_or_default(),
                            ..ContextState::default()
                        });
                    }
                    "unit" if unit.is_none() && attr(&e, "id").is_some() => {
                        unit = Some(UnitState {
                            id: attr(&e, "id").unwrap_or_default(),
                            ..UnitState::default()
                        });
                    }
                    "unitDenominator" => {
                        if let Some(u) = unit.as_mut() {
                            u.in_denominator = true;
                        }
                    }
                    "schemaRef" => filing.schema_ref = attr(&e, "href"),
                    "identifier" | "startDate" | "endDate" | "instant" | "forever"
                    | "explicitMember" | "typedMember"
                        if context.is_some() && room =>
                    {
                        captures.push(Capture {
                            depth,
                            kind: CaptureKind::Part(local_name.into(), attr(&e, "dimension")),
                            text: String::new(),
                        });
                    }
                    "measure" if unit.is_some() && room => captures.push(Capture {
                        depth,
                        kind: CaptureKind::Part("measure".into(), None),
                        text: String::new(),
                    }),
                    _ => {
                        if let Some(kind) = fact_kind(&e, &name).filter(|_| room) {
                            captures.push(Capture {
                                depth,
                                kind,
                                text: String::new(),
                            });
                        }
                    }
                }
            }
            Node::Close(name) => {
                while captures.last().is_some_and(|c| c.depth >= depth) {
                    if let Some(done) = captures.pop() {
                        let row_label = squash(&row.text);
                        let at = Place {
                            context: context.as_mut(),
                            unit: unit.as_mut(),
                            row_label: &row_label,
                        };
                        finish(done, &mut filing, at);
                    }
                }
                match local(&name) {
                    "td" | "th" => row.in_first_cell = false,
                    "context" => {
                        if let Some(done) = context.take() {
                            close_context(done, &mut filing);
                        }
                    }
                    "unit" => {
                        if let Some(done) = unit.take() {
                            let mut text = done.numerator.join("*");
                            if !done.denominator.is_empty() {
                                text = format!("{text}/{}", done.denominator.join("*"));
                            }
                            filing.units.insert(done.id, text);
                        }
                    }
                    _ => {}
                }
                depth = depth.saturating_sub(1);
            }
        }
    }
    filing
}

/// What to collect for an element that may be a fact: inline
/// `ix:nonFraction` (numeric) and `ix:nonNumeric` (kept for `dei:` only);
/// in an instance, any element with a `contextRef` (numeric when it has a
/// `unitRef`).
fn fact_kind(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<CaptureKind> {
    let context = attr(e, "contextRef")?;
    let inline = name.starts_with("ix:") || name == "nonFraction" || name == "nonNumeric";
    let concept = if inline {
        attr(e, "name")?
    } else {
        name.to_string()
    };
    if attr(e, "nil").as_deref() == Some("true") {
        return None;
    }
    match attr(e, "unitRef") {
        Some(unit) if !inline || local(name) == "nonFraction" => Some(CaptureKind::Number {
            concept,
            context,
            unit,
            decimals: attr(e, "decimals"),
            format: attr(e, "format"),
            scale: attr(e, "scale")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
            negate: attr(e, "sign").as_deref() == Some("-"),
            inline,
        }),
        _ => concept
            .strip_prefix("dei:")
            .map(|l| CaptureKind::Dei(l.to_string())),
    }
}

/// The first cell of the table row being read.
#[derive(Default)]
struct RowLabel {
    cells: usize,
    in_first_cell: bool,
    text: String,
}

/// Where a finished capture belongs: an open context or unit, a row.
struct Place<'a> {
    context: Option<&'a mut ContextState>,
    unit: Option<&'a mut UnitState>,
    row_label: &'a str,
}

fn finish(done: Capture, filing: &mut Filing, at: Place<'_>) {
    let Place {
        context: open_context,
        unit: open_unit,
        row_label,
    } = at;
    let text = squash(&done.text);
    match done.kind {
        CaptureKind::Number {
            concept,
            context,
            unit,
            decimals,
            format,
            scale,
            negate,
            inline,
        } => {
            let value = if inline {
                ix_value(&text, format.as_deref(), scale, negate)
            } else {
                instance_value(&text)
            };
            // An instance states no display scale; its precision does.
            let scale = if inline {
                scale
            } else {
                decimals
                    .as_deref()
                    .and_then(|d| d.trim().parse::<i32>().ok())
                    .filter(|d| *d < 0)
                    .map_or(0, |d| -d)
            };
            let plain = filing
                .contexts
                .get(&context)
                .is_some_and(|c| c.dimensions.is_empty());
            let label = row_label.trim_end_matches(':').trim();
            // A long first cell is a sentence that happens to hold the fact.
            let worded = label.chars().any(char::is_alphabetic) && label.len() <= 100;
            if inline && plain && worded {
                filing
                    .row_labels
                    .entry(concept.clone())
                    .or_insert_with(|| label.to_string());
            }
            if let Some(value) = value {
                filing.facts.push(RawFact {
                    concept,
                    context,
                    unit,
                    value,
                    scale,
                    decimals,
                });
            }
        }
        CaptureKind::Dei(name) => {
            if !text.is_empty() {
                filing.dei.entry(name).or_insert(text);
            }
        }
        CaptureKind::Part(part, dimension) => {
            if let Some(c) = open_context {
                match part.as_str() {
                    "identifier" => c.context.identifier = text,
                    "startDate" => c.start = Some(text),
                    "endDate" => c.end = Some(text),
                    "instant" => c.instant = Some(text),
                    "forever" => c.context.period = "forever".into(),
                    _ => c
                        .context
                        .dimensions
                        .push((dimension.unwrap_or_default(), text)),
                }
            } else if let Some(u) = open_unit {
                let m = measure(&text);
                if u.in_denominator {
                    u.denominator.push(m);
                } else {
                    u.numerator.push(m);
                }
            }
        }
    }
}

fn close_context(mut done: ContextState, filing: &mut Filing) {
    if let Some(instant) = done.instant {
        done.context.period = instant;
    } else if let (Some(start), Some(end)) = (done.start, done.end) {
        done.context.period = format!("{start}/{end}");
    }
    done.context.dimensions.sort();
    filing.contexts.insert(done.id, done.context);
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE: &str = r#"<xbrl xmlns:us-gaap="x" xmlns:dei="d">
      <context id="D"><entity><identifier scheme="s">0000320193</identifier></entity>
        <period><startDate>2022-09-25</startDate><endDate>2023-09-30</endDate></period></context>
      <context id="M"><entity><identifier scheme="s">0000320193</identifier>
        <segment><xbrldi:explicitMember dimension="srt:ProductOrServiceAxis">us-gaap:ProductMember</xbrldi:explicitMember></segment></entity>
        <period><instant>2023-09-30</instant></period></context>
      <unit id="usd"><measure>iso4217:USD</measure></unit>
      <unit id="eps"><divide><unitNumerator><measure>iso4217:USD</measure></unitNumerator>
        <unitDenominator><measure>xbrli:shares</measure></unitDenominator></divide></unit>
      <dei:TradingSymbol contextRef="D">AAPL</dei:TradingSymbol>
      <us-gaap:Revenues contextRef="D" unitRef="usd" decimals="-6">383285000000</us-gaap:Revenues>
      <us-gaap:Eps contextRef="D" unitRef="eps" decimals="2">6.13</us-gaap:Eps>
      <us-gaap:Revenues contextRef="M" unitRef="usd" decimals="-6">-5</us-gaap:Revenues>
      <us-gaap:Note contextRef="D">long text</us-gaap:Note>
    </xbrl>"#;

    #[test]
    fn instance_contexts_units_and_facts() {
        let f = read(INSTANCE);
        assert!(f.error.is_none(), "{:?}", f.error);
        assert_eq!(f.contexts["D"].period, "2022-09-25/2023-09-30");
        assert_eq!(f.contexts["M"].period, "2023-09-30");
        assert_eq!(
            f.contexts["M"].dimensions,
            [(
                "srt:ProductOrServiceAxis".to_string(),
                "us-gaap:ProductMember".to_string()
            )]
        );
        assert_eq!(f.units["eps"], "USD/shares");
        assert_eq!(f.dei["TradingSymbol"], "AAPL");
        assert_eq!(f.facts.len(), 3);
        assert_eq!(
            (f.facts[0].value.as_str(), f.facts[0].scale),
            ("383285000000", 6)
        );
        assert_eq!(f.facts[2].value, "-5");
    }

    #[test]
    fn inline_facts_and_truncation() {
        let html = r#"<html><body><div style="display:none"><ix:header><ix:hidden>
          <ix:nonNumeric name="dei:DocumentType" contextRef="c">10-K</ix:nonNumeric></ix:hidden>
          <ix:resources><xbrli:context id="c"><xbrli:entity><xbrli:identifier>1</xbrli:identifier></xbrli:entity>
          <xbrli:period><xbrli:instant>2024-09-28</xbrli:instant></xbrli:period></xbrli:context>
          <xbrli:unit id="u"><xbrli:measure>iso4217:USD</xbrli:measure></xbrli:unit></ix:resources></ix:header></div>
          <td>(<ix:nonFraction name="us-gaap:Other" contextRef="c" unitRef="u" scale="6" sign="-" format="ixt:num-dot-decimal" decimals="-6">1,234</ix:nonFraction>)</td>
          <ix:nonFraction name="us-gaap:Cut" contextRef="c" unitRef="u">9"#;
        let f = read(html);
        assert_eq!(f.dei["DocumentType"], "10-K");
        assert_eq!(f.facts.len(), 1, "{:?}", f.facts);
        assert_eq!(f.facts[0].value, "-1234000000");
        assert!(f.row_labels.is_empty(), "a cell without words is no label");
        assert_eq!(f.units["u"], "USD");
    }
}
