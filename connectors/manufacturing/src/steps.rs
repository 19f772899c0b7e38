//! Procedures (SOPs, manuals, work instructions) cut by step: a question
//! about "the bearing check" should land on that step, cited as
//! "3.2 베어링 점검 > 단계 4", with the warning that goes with it.
//!
//! A step runs from its marker ("1.", "2)", "(3)", "①", "Step 3", "단계 3",
//! "3.2.1") to the next marker of the same kind and indentation, so what
//! follows a step — its sub-items, its table, the 경고/CAUTION after it —
//! stays with it. A warning standing just before the first step goes with
//! that step (cautions precede what they guard). Steps are never split
//! across sections; short ones are grouped up to a token budget.
//!
//! Text that lost its line breaks (PDF pages, FAA handbook page texts) is
//! cut at inline markers ("… imbalance. 3. Unscrew …") only where they
//! count up one by one after a sentence end, so numbers in prose
//! ("Figure 4. The …", "version 2. The …") do not start steps.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use seogo_docs::chunk::approx_tokens;
use seogo_docs::Section;

/// The kinds of step numbering; a procedure uses one kind at one
/// indentation, and other kinds inside it are sub-items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// 1. / 2) / (3)
    Number,
    /// 3.2.1, by depth.
    Multi(usize),
    /// ① ② ③
    Circled,
    /// Step 3, 단계 3, 3단계
    Word,
}

#[derive(Debug)]
struct Marker {
    family: Family,
    indent: usize,
    label: String,
}

/// One step: its label ("4", "3.2.1") and its text, marker included.
#[derive(Debug)]
struct Step {
    label: String,
    text: String,
}

/// The line-start marker pattern, compiled once; `None` only if the
/// pattern itself were broken, which the tests would catch (procedures
/// are then left as parsed rather than panicking at ingest).
fn line_marker() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"^(?P<indent>[ \t]*)(?:[-*+][ \t]+)?(?:\*\*)?(?:",
            r"(?P<multi>\d{1,3}(?:\.\d{1,3}){1,3})\.?(?:\*\*)?[ \t]+",
            r"|\(?(?P<num>\d{1,3})[.)](?:\*\*)?[ \t]+",
            r"|(?P<circ>[①-⑳])(?:\*\*)?[ \t]*",
            r"|(?i:step)[ \t]*(?P<step>\d{1,3})[.:)]?(?:\*\*)?(?:[ \t]+|$)",
            r"|제?[ \t]*(?P<dan>\d{1,3})[ \t]*단계[.:)]?(?:\*\*)?(?:[ \t]+|$)",
            r"|단계[ \t]*(?P<dan2>\d{1,3})[.:)]?(?:\*\*)?(?:[ \t]+|$)",
            r")(?P<rest>.*)$"
        ))
        .ok()
    })
    .as_ref()
}

/// An inline "N. " after a sentence end, before a capital or Hangul.
fn inline_marker() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[.:;!?)][ \t]+)(?P<n>\d{1,2})\.[ \t]+(?:\p{Lu}|\p{Hangul})").ok()
    })
    .as_ref()
}

fn marker(line: &str) -> Option<Marker> {
    let caps = line_marker()?.captures(line)?;
    let indent = caps.name("indent").map_or(0, |m| m.as_str().len());
    let rest_empty = caps
        .name("rest")
        .is_none_or(|m| m.as_str().trim().is_empty());
    let (family, label) = if let Some(m) = caps.name("multi") {
        (Family::Multi(m.as_str().split('.').count()), m.as_str())
    } else if let Some(m) = caps.name("num") {
        (Family::Number, m.as_str())
    } else if let Some(m) = caps.name("circ") {
        let n = m.as_str().chars().next().map_or(0, |c| c as u32 - 0x245F);
        return (!rest_empty).then(|| Marker {
            family: Family::Circled,
            indent,
            label: n.to_string(),
        });
    } else {
        let m = caps
            .name("step")
            .or_else(|| caps.name("dan"))
            .or_else(|| caps.name("dan2"))?;
        // "Step 3" may stand alone as a heading line over its content.
        return Some(Marker {
            family: Family::Word,
            indent,
            label: m.as_str().to_string(),
        });
    };
    (!rest_empty).then(|| Marker {
        family,
        indent,
        label: label.to_string(),
    })
}

/// Whether a paragraph is a warning, caution or note.
pub(crate) fn is_warning(paragraph: &str) -> bool {
    const MARKERS: &[&str] = &[
        "경고", "주의", "위험", "warning", "caution", "note", "danger", "⚠",
    ];
    let t = paragraph.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '>' | '*' | '_' | '[' | '(' | '※' | '#' | '-' | '!')
    });
    let head: String = t.chars().take(8).collect::<String>().to_lowercase();
    MARKERS.iter().any(|m| head.starts_with(m))
}

/// The steps of `text` at line starts: (preamble, steps), or `None` when
/// fewer than two markers of one kind and indentation are found.
fn line_steps(text: &str) -> Option<(String, Vec<Step>)> {
    let lines: Vec<(&str, Option<Marker>)> = text.lines().map(|l| (l, marker(l))).collect();
    let markers: Vec<&Marker> = lines.iter().filter_map(|(_, m)| m.as_ref()).collect();
    let same = |a: &Marker, b: &Marker| a.family == b.family && a.indent.abs_diff(b.indent) <= 1;
    let base = markers
        .iter()
        .find(|m| markers.iter().filter(|o| same(m, o)).count() >= 2)?;
    let mut preamble = String::new();
    let mut steps: Vec<Step> = Vec::new();
    for (line, m) in &lines {
        match m {
            Some(m) if same(base, m) => steps.push(Step {
                label: m.label.clone(),
                text: format!("{line}\n"),
            }),
            _ => {
                let into = steps.last_mut().map_or(&mut preamble, |s| &mut s.text);
                into.push_str(line);
                into.push('\n');
            }
        }
    }
    Some((preamble, steps))
}

/// Steps marked inline, numbered consecutively (the longest such run), or
/// `None` when there are fewer than two.
fn inline_steps(text: &str) -> Option<(String, Vec<Step>)> {
    let re = inline_marker()?;
    let found: Vec<(usize, u32)> = re
        .captures_iter(text)
        .filter_map(|c| {
            let n = c.name("n")?;
            Some((n.start(), n.as_str().parse().ok()?))
        })
        .collect();
    // Longest run n, n+1, n+2 … in text order: the latest candidate of
    // each number ends the best run through it (linear, hostile-safe).
    let mut run_end: HashMap<u32, (usize, usize)> = HashMap::new();
    let mut previous = vec![None; found.len()];
    let mut best = (0, 0);
    for (i, &(_, n)) in found.iter().enumerate() {
        let len = match n.checked_sub(1).and_then(|p| run_end.get(&p)) {
            Some(&(len, j)) => {
                previous[i] = Some(j);
                len + 1
            }
            None => 1,
        };
        run_end.insert(n, (len, i));
        if len > best.0 {
            best = (len, i);
        }
    }
    if best.0 < 2 {
        return None;
    }
    let mut chain = vec![best.1];
    while let Some(Some(p)) = chain.last().map(|&i| previous[i]) {
        chain.push(p);
    }
    chain.reverse();
    let starts: Vec<(usize, u32)> = chain.iter().map(|&i| found[i]).collect();
    let preamble = text.get(..starts[0].0).unwrap_or("").to_string();
    let steps = starts
        .iter()
        .enumerate()
        .map(|(k, &(at, n))| {
            let end = starts.get(k + 1).map_or(text.len(), |s| s.0);
            Step {
                label: n.to_string(),
                text: text.get(at..end).unwrap_or("").to_string(),
            }
        })
        .collect();
    Some((preamble, steps))
}

/// `section` cut into its preamble and step sections, or `None` when it
/// holds no procedure (or is a table).
pub(crate) fn cut(section: &Section, group_tokens: usize) -> Option<Vec<Section>> {
    if section.table.is_some() {
        return None;
    }
    let (preamble, mut steps) =
        line_steps(&section.text).or_else(|| inline_steps(&section.text))?;
    // Warnings standing just before the first step precede (and guard) it.
    let mut paragraphs: Vec<&str> = preamble
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    let mut leading = Vec::new();
    while paragraphs.last().is_some_and(|p| is_warning(p)) {
        leading.extend(paragraphs.pop());
    }
    if let Some(first) = steps.first_mut() {
        for warning in leading {
            first.text = format!("{}\n\n{}", warning.trim(), first.text);
        }
    }
    let korean = section.text.chars().any(|c| ('가'..='힣').contains(&c));
    let mut out = Vec::new();
    let preamble = paragraphs.join("\n\n");
    if !preamble.trim().is_empty() {
        out.push(Section {
            text: preamble.trim().to_string(),
            ..section.clone()
        });
    }
    for group in groups(&steps, group_tokens) {
        let (first, last) = (&group[0].label, &group[group.len() - 1].label);
        let (heading, locator) = if first == last {
            let word = if korean { "단계" } else { "Step" };
            (format!("{word} {first}"), format!("step {first}"))
        } else {
            let word = if korean { "단계" } else { "Steps" };
            (
                format!("{word} {first}–{last}"),
                format!("steps {first}–{last}"),
            )
        };
        let mut heading_path = section.heading_path.clone();
        heading_path.push(heading);
        let text: Vec<&str> = group.iter().map(|s| s.text.trim()).collect();
        out.push(Section {
            heading_path,
            page: section.page,
            text: text.join("\n\n"),
            table: None,
            locator: Some(match &section.locator {
                Some(at) => format!("{at} · {locator}"),
                None => locator,
            }),
        });
    }
    Some(out)
}

/// Consecutive steps packed while they fit in `budget` tokens; a step
/// larger than the budget stands alone (never cut).
fn groups(steps: &[Step], budget: usize) -> Vec<&[Step]> {
    let mut out = Vec::new();
    let (mut start, mut tokens) = (0, 0);
    for (i, step) in steps.iter().enumerate() {
        let t = approx_tokens(&step.text);
        if i > start && tokens + t > budget {
            out.push(&steps[start..i]);
            (start, tokens) = (i, 0);
        }
        tokens += t;
    }
    if start < steps.len() {
        out.push(&steps[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> Section {
        Section::new(
            vec!["SOP".into(), "3. 점검 절차".into()],
            Some(2),
            text.into(),
        )
    }

    #[test]
    fn markers_of_every_kind() {
        let label = |l: &str| marker(l).map(|m| (m.family, m.label));
        assert_eq!(
            label("1. 밸브를 닫는다"),
            Some((Family::Number, "1".into()))
        );
        assert_eq!(label("  2) 확인"), Some((Family::Number, "2".into())));
        assert_eq!(label("(3) 기록"), Some((Family::Number, "3".into())));
        assert_eq!(label("② 잠금"), Some((Family::Circled, "2".into())));
        assert_eq!(label("Step 3: Remove"), Some((Family::Word, "3".into())));
        assert_eq!(label("단계 4"), Some((Family::Word, "4".into())));
        assert_eq!(label("5단계 재기동"), Some((Family::Word, "5".into())));
        assert_eq!(
            label("3.2.1 베어링"),
            Some((Family::Multi(3), "3.2.1".into()))
        );
        assert_eq!(label("- **6.** 체결"), Some((Family::Number, "6".into())));
        for prose in ["2024. 3. 5. 점검", "1.", "온도 1. 기록", "| 1 | a |"] {
            assert!(marker(prose).is_none(), "{prose}");
        }
    }

    #[test]
    fn warnings_follow_their_step_and_lead_the_first() {
        let s = section(
            "개요 문단.\n\n> **주의**: 회전체 접근 금지.\n\n1. 전원을 차단한다.\n2. 온도를 측정한다.\n   - 80 °C 초과: 위험\n\n> **경고**: E-1023 발생 시 재기동 금지.\n\n3. 기록한다.\n",
        );
        let cut = cut(&s, 0).expect("steps");
        assert_eq!(cut.len(), 4);
        assert_eq!(cut[0].text, "개요 문단.");
        assert_eq!(cut[0].heading_path, ["SOP", "3. 점검 절차"]);
        assert!(cut[1].text.starts_with("> **주의**") && cut[1].text.contains("1. 전원"));
        assert_eq!(cut[2].heading_path, ["SOP", "3. 점검 절차", "단계 2"]);
        assert_eq!(cut[2].locator.as_deref(), Some("step 2"));
        assert_eq!(cut[2].page, Some(2));
        assert!(cut[2].text.contains("80 °C 초과") && cut[2].text.ends_with("재기동 금지."));
        let grouped = super::cut(&s, 200).expect("steps");
        assert_eq!(grouped[1].heading_path[2], "단계 1–3");
    }

    #[test]
    fn sub_items_of_another_kind_stay_inside() {
        let s = section("1. 준비\n   ① 공구\n   ② 보호구\n2. 작업\n");
        let cut = cut(&s, 0).expect("steps");
        assert_eq!(cut.len(), 2);
        assert!(cut[0].text.contains("② 보호구"));
        assert!(super::cut(&section("1. 한 단계뿐\n본문"), 0).is_none());
    }

    #[test]
    fn inline_steps_count_up_after_sentence_ends() {
        let text = "See Figure 4. The hub. 1. Remove the nut. Caution: Hot. 2. Lift it. In 2020. 3. Store it.";
        let cut = cut(&Section::new(vec![], None, text.into()), 0).expect("inline");
        let labels: Vec<_> = cut.iter().map(|s| s.heading_path.join("/")).collect();
        assert_eq!(labels, ["", "Step 1", "Step 2", "Step 3"]);
        assert_eq!(cut[0].text, "See Figure 4. The hub.");
        assert_eq!(cut[1].text, "1. Remove the nut. Caution: Hot.");
        assert!(inline_steps("Chapter 7. Engines. 7. Props").is_none());
        // Hostile: a long run of markers stays linear and panics nowhere.
        let many: String = (1..=99)
            .cycle()
            .take(20_000)
            .map(|n| format!(". {n}. A"))
            .collect();
        assert!(inline_steps(&many).is_some());
    }
}
