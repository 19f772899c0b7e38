//! The statute XML read into plain structs, one pass of a pull parser:
//! each leaf element's text goes to the field of the unit being built.
//! Unknown elements (법령키, 조문참고자료, 개정문 …) are skipped.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::StatuteError;

/// Elements nest five deep in a real file (법령/조문/조문단위/항/호/목 …);
/// far deeper is not a statute.
const MAX_DEPTH: usize = 32;

/// `<기본정보>`: what every document of the law carries.
#[derive(Debug, Default)]
pub(crate) struct LawInfo {
    pub name: String,
    pub id: String,
    pub promulgation_date: String,
    pub promulgation_no: String,
    pub effective_date: String,
    pub amendment: String,
    pub ministry: String,
    pub kind: String,
}

#[derive(Debug, Default)]
pub(crate) struct Law {
    pub info: LawInfo,
    pub units: Vec<Unit>,
}

/// The parts of a law in document order.
#[derive(Debug)]
pub(crate) enum Unit {
    /// A 편/장/절/관 heading (`<조문여부>전문</조문여부>`).
    Heading(String),
    Article(Article),
    Addendum(Addendum),
    Annex(Annex),
}

#[derive(Debug, Default)]
pub(crate) struct Article {
    /// `3`, from `<조문번호>`.
    pub number: String,
    /// `2` for 제3조의2, from `<조문가지번호>`.
    pub branch: String,
    /// `조문` or `전문`.
    pub kind: String,
    pub title: String,
    pub text: String,
    pub paragraphs: Vec<Paragraph>,
}

/// A 항; an article whose 호 are not in a numbered 항 has one without a
/// number.
#[derive(Debug, Default)]
pub(crate) struct Paragraph {
    pub number: String,
    pub text: String,
    pub items: Vec<Item>,
}

/// A 호 (`1.`, `1의2.`) with its 목 (`가.`).
#[derive(Debug, Default)]
pub(crate) struct Item {
    pub number: String,
    pub text: String,
    pub subitems: Vec<SubItem>,
}

#[derive(Debug, Default)]
pub(crate) struct SubItem {
    pub number: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub(crate) struct Addendum {
    pub date: String,
    pub number: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub(crate) struct Annex {
    pub number: String,
    pub branch: String,
    /// `별표` or `서식`.
    pub kind: String,
    pub title: String,
    pub text: String,
}

/// Reads the whole statute; errors on entities, malformed or truncated XML.
pub(crate) fn parse(xml: &str) -> Result<Law, StatuteError> {
    let mut reader = Reader::from_str(xml);
    let mut law = Law::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| StatuteError::Xml {
            position,
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                open(&mut law, &name);
                stack.push(name);
                if stack.len() > MAX_DEPTH {
                    return Err(StatuteError::TooDeep(MAX_DEPTH));
                }
                text.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                open(&mut law, &name);
                close(&mut law, &stack, &name, "");
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                close(&mut law, &stack, &name, &text);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name = r.xml_content(XmlVersion::Implicit1_0);
                    // Undeclared entities are dropped; declared ones are
                    // refused with the DTD.
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        text.push_str(s);
                    }
                }
            }
            Event::DocType(d) => {
                if d.xml_content(XmlVersion::Implicit1_0)
                    .to_ascii_uppercase()
                    .contains("<!ENTITY")
                {
                    return Err(StatuteError::Entities);
                }
            }
            Event::Eof => {
                return match stack.pop() {
                    Some(open) => Err(StatuteError::Truncated(open)),
                    None if law.info.name.is_empty() => Err(StatuteError::NoName),
                    None => Ok(law),
                };
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// A container opens: start the unit it holds.
fn open(law: &mut Law, name: &str) {
    match name {
        "조문단위" => law.units.push(Unit::Article(Article::default())),
        "부칙단위" => law.units.push(Unit::Addendum(Addendum::default())),
        "별표단위" => law.units.push(Unit::Annex(Annex::default())),
        "항" => {
            if let Some(Unit::Article(a)) = law.units.last_mut() {
                a.paragraphs.push(Paragraph::default());
            }
        }
        "호" => {
            if let Some(p) = last_paragraph(law) {
                p.items.push(Item::default());
            }
        }
        "목" => {
            if let Some(i) = last_paragraph(law).and_then(|p| p.items.last_mut()) {
                i.subitems.push(SubItem::default());
            }
        }
        _ => {}
    }
}

fn last_paragraph(law: &mut Law) -> Option<&mut Paragraph> {
    match law.units.last_mut() {
        Some(Unit::Article(a)) => {
            if a.paragraphs.is_empty() {
                // A 호 outside any 항 (seen in hand-made exports).
                a.paragraphs.push(Paragraph::default());
            }
            a.paragraphs.last_mut()
        }
        _ => None,
    }
}

/// A leaf closes: its text goes to its field. `stack` holds the parents.
fn close(law: &mut Law, stack: &[String], name: &str, text: &str) {
    let value = text.trim().to_string();
    let in_info = stack.last().is_some_and(|p| p == "기본정보");
    if in_info {
        let info = &mut law.info;
        let field = match name {
            "법령명_한글" => &mut info.name,
            "법령ID" => &mut info.id,
            "공포일자" => &mut info.promulgation_date,
            "공포번호" => &mut info.promulgation_no,
            "시행일자" => &mut info.effective_date,
            "제개정구분" => &mut info.amendment,
            "소관부처" => &mut info.ministry,
            "법종구분" => &mut info.kind,
            _ => return,
        };
        *field = value;
        return;
    }
    if name == "조문단위" {
        // A 전문 unit is a 장/절 heading, not an article.
        if let Some(Unit::Article(a)) = law.units.last() {
            if a.kind == "전문" {
                let heading = a.text.split_whitespace().collect::<Vec<_>>().join(" ");
                law.units.pop();
                if !heading.is_empty() {
                    law.units.push(Unit::Heading(heading));
                }
            }
        }
        return;
    }
    match law.units.last_mut() {
        Some(Unit::Article(a)) => {
            let field = match name {
                "조문번호" => &mut a.number,
                "조문가지번호" => &mut a.branch,
                "조문여부" => &mut a.kind,
                "조문제목" => &mut a.title,
                "조문내용" => &mut a.text,
                "항번호" | "항내용" => {
                    let Some(p) = a.paragraphs.last_mut() else {
                        return;
                    };
                    if name == "항번호" {
                        &mut p.number
                    } else {
                        &mut p.text
                    }
                }
                "호번호" | "호내용" | "목번호" | "목내용" => {
                    let Some(i) = a.paragraphs.last_mut().and_then(|p| p.items.last_mut()) else {
                        return;
                    };
                    match name {
                        "호번호" => &mut i.number,
                        "호내용" => &mut i.text,
                        _ => {
                            let Some(s) = i.subitems.last_mut() else {
                                return;
                            };
                            if name == "목번호" {
                                &mut s.number
                            } else {
                                &mut s.text
                            }
                        }
                    }
                }
                _ => return,
            };
            *field = value;
        }
        Some(Unit::Addendum(d)) => match name {
            "부칙공포일자" => d.date = value,
            "부칙공포번호" => d.number = value,
            "부칙내용" => d.text = value,
            _ => {}
        },
        Some(Unit::Annex(x)) => match name {
            "별표번호" => x.number = value,
            "별표가지번호" => x.branch = value,
            "별표구분" => x.kind = value,
            "별표제목" => x.title = value,
            "별표내용" => x.text = value,
            _ => {}
        },
        _ => {}
    }
}
