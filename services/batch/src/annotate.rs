//! XLSX output that keeps the questions sheet as its owner formatted it.
//!
//! Rather than writing a new workbook, the input package is copied part for
//! part and four parts are edited: the questions sheet gets the answer
//! cells appended to its rows (with widths for the new columns and, unless
//! it has one, a frozen header), the styles get one wrapped-text style, the
//! workbook and its relationships get a Sources sheet. Fonts, fills,
//! borders, widths, merged cells, other sheets, conditional formats and
//! validation stay as they were. A package this editor does not follow
//! (strict OOXML, no styles part, a part too large) is an
//! [`AnnotateError`]; the caller then writes a fresh workbook instead.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};

use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};

use crate::table::XlsxOrigin;
use crate::workbook::{SourceCell, SOURCE_COLUMNS};

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const WORKSHEET_TYPE: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet";
const WORKSHEET_CONTENT: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
/// Largest part inflated for editing: a question sheet, not a data dump.
const MAX_PART_BYTES: u64 = 256 << 20;
/// Excel's limit on one cell's text.
const MAX_CELL_CHARS: usize = 32_767;
/// Widths (characters) of the answer, grounded, confidence, citations and
/// error columns.
const ADDED_WIDTHS: [f64; 5] = [60.0, 10.0, 11.0, 60.0, 30.0];

#[derive(Debug, thiserror::Error)]
pub(crate) enum AnnotateError {
    #[error("the workbook package: {0}")]
    Zip(zip::result::ZipError),
    #[error("{part}: {reason}")]
    Part { part: String, reason: String },
    #[error("writing the workbook: {0}")]
    Io(std::io::Error),
}

// The causes are in the messages, so they are not `#[from]` sources too
// (which would print them twice under `{:#}`).
impl From<zip::result::ZipError> for AnnotateError {
    fn from(e: zip::result::ZipError) -> Self {
        AnnotateError::Zip(e)
    }
}

impl From<std::io::Error> for AnnotateError {
    fn from(e: std::io::Error) -> Self {
        AnnotateError::Io(e)
    }
}

fn part_error(part: &str, reason: impl ToString) -> AnnotateError {
    AnnotateError::Part {
        part: part.to_string(),
        reason: reason.to_string(),
    }
}

/// What goes into the workbook.
pub(crate) struct Annotation<'a> {
    pub origin: &'a XlsxOrigin,
    /// Columns of the table as read.
    pub input_columns: usize,
    /// Names of the added columns.
    pub header: &'a [String; 5],
    /// The added cells of each data row, in row order.
    pub rows: &'a [[String; 5]],
    pub sources: &'a [[SourceCell<'a>; 8]],
}

/// The input workbook with the answers in it, as package bytes.
pub(crate) fn annotate(note: &Annotation<'_>) -> Result<Vec<u8>, AnnotateError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(&note.origin.bytes[..]))?;
    let names: BTreeSet<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();

    let workbook_part = "xl/workbook.xml";
    let rels_part = "xl/_rels/workbook.xml.rels";
    let types_part = "[Content_Types].xml";
    let workbook = read_part(&mut archive, workbook_part)?;
    let book = survey_workbook(&workbook).map_err(|e| part_error(workbook_part, e))?;
    let rels = read_part(&mut archive, rels_part)?;
    let relations = relationships(&rels).map_err(|e| part_error(rels_part, e))?;
    let sheet_part = relations
        .iter()
        .find(|r| r.id == book.first_sheet_rel)
        .map(|r| r.part.clone())
        .ok_or_else(|| part_error(rels_part, "the first sheet has no part"))?;
    let styles_part = relations
        .iter()
        .find(|r| r.kind.ends_with("/styles"))
        .map(|r| r.part.clone())
        .ok_or_else(|| part_error(rels_part, "the workbook has no styles part"))?;
    let sheet = read_part(&mut archive, &sheet_part)?;
    let styles = read_part(&mut archive, &styles_part)?;
    let types = read_part(&mut archive, types_part)?;

    let (styles, wrap_style) = add_wrap_style(&styles).map_err(|e| part_error(&styles_part, e))?;
    let header_row = note.origin.header_row + 1;
    let survey = survey_sheet(&sheet, header_row, header_row + note.rows.len() as u32)
        .map_err(|e| part_error(&sheet_part, e))?;
    let first_new = (note.origin.first_column + note.input_columns as u32)
        .max(survey.max_column.map_or(0, |c| c + 1));
    let header_style = survey
        .style_at
        .get(&(note.origin.first_column + note.input_columns as u32).saturating_sub(1))
        .or(survey.style_at.values().next_back())
        .cloned();
    let edit = SheetEdit {
        header_row,
        first_new,
        header_style: header_style.clone(),
        wrap_style,
        header: note.header,
        rows: note.rows,
        existing_rows: &survey.rows,
        has_pane: survey.has_pane,
    };
    let sheet = edit_sheet(&sheet, &edit).map_err(|e| part_error(&sheet_part, e))?;

    let sources_part = (1..)
        .map(|n| format!("xl/worksheets/seogo-sources{n}.xml"))
        .find(|p| !names.contains(p))
        .unwrap_or_default();
    let sources_rel = (1..)
        .map(|n| format!("rIdSeogo{n}"))
        .find(|id| relations.iter().all(|r| &r.id != id))
        .unwrap_or_default();
    let sources_name = [
        "Sources",
        "Seogo Sources",
        "Seogo Sources 2",
        "Seogo Sources 3",
    ]
    .into_iter()
    .find(|n| !book.names.iter().any(|b| b.eq_ignore_ascii_case(n)))
    .ok_or_else(|| part_error(workbook_part, "every Sources sheet name is taken"))?;
    let workbook = insert_before_close(
        &workbook,
        &format!("{}sheets", book.prefix),
        &format!(
            "<{p}sheet name=\"{sources_name}\" sheetId=\"{id}\" {r}:id=\"{sources_rel}\"/>",
            p = book.prefix,
            id = book.max_sheet_id + 1,
            r = book.rel_prefix,
        ),
    )
    .map_err(|e| part_error(workbook_part, e))?;
    let target = sources_part.trim_start_matches("xl/");
    let rels = insert_before_close(
        &rels,
        "Relationships",
        &format!(
            "<Relationship Id=\"{sources_rel}\" Type=\"{WORKSHEET_TYPE}\" Target=\"{target}\"/>"
        ),
    )
    .map_err(|e| part_error(rels_part, e))?;
    let types = insert_before_close(
        &types,
        "Types",
        &format!("<Override PartName=\"/{sources_part}\" ContentType=\"{WORKSHEET_CONTENT}\"/>"),
    )
    .map_err(|e| part_error(types_part, e))?;
    let sources = sources_sheet(note.sources, header_style.as_deref(), wrap_style);

    let edited = [
        (workbook_part, workbook),
        (rels_part, rels),
        (types_part, types),
        (sheet_part.as_str(), sheet),
        (styles_part.as_str(), styles),
    ];
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i)?;
        let name = file.name()?.into_owned();
        match edited.iter().find(|(edited, _)| *edited == name) {
            Some((name, text)) => {
                drop(file);
                out.start_file(*name, options)?;
                out.write_all(text.as_bytes())?;
            }
            None => out.raw_copy_file(file)?,
        }
    }
    out.start_file(sources_part, options)?;
    out.write_all(sources.as_bytes())?;
    Ok(out.finish()?.into_inner())
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<String, AnnotateError> {
    let file = archive.by_name(name)?;
    let mut text = String::new();
    file.take(MAX_PART_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| part_error(name, e))?;
    if text.len() as u64 >= MAX_PART_BYTES {
        return Err(part_error(name, "larger than a question sheet may be"));
    }
    Ok(text)
}

/// `name:` when `qualified` has a prefix, else nothing.
fn prefix_of(name: &str) -> String {
    name.rfind(':')
        .map_or(String::new(), |i| name[..=i].to_string())
}

/// The value of the attribute whose local name is `local`.
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.value.clone().into_owned())
}

struct WorkbookSurvey {
    /// Element prefix (`x:` or empty).
    prefix: String,
    /// The relationships namespace's prefix.
    rel_prefix: String,
    first_sheet_rel: String,
    names: Vec<String>,
    max_sheet_id: u32,
}

fn survey_workbook(xml: &str) -> Result<WorkbookSurvey, String> {
    let mut reader = Reader::from_str(xml);
    let mut survey = WorkbookSurvey {
        prefix: String::new(),
        rel_prefix: String::new(),
        first_sheet_rel: String::new(),
        names: Vec::new(),
        max_sheet_id: 0,
    };
    let mut transitional = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "workbook" => {
                    survey.prefix = prefix_of(e.name().as_ref());
                    for a in e.attributes().flatten() {
                        let key = a.key.as_ref();
                        let value = &a.value;
                        if value == REL_NS {
                            if let Some(p) = key.strip_prefix("xmlns:") {
                                survey.rel_prefix = p.to_string();
                            }
                        }
                        transitional |= value == MAIN_NS;
                    }
                }
                "sheet" => {
                    if survey.first_sheet_rel.is_empty() {
                        survey.first_sheet_rel = attr(&e, "id").unwrap_or_default();
                    }
                    survey.names.extend(attr(&e, "name"));
                    let id = attr(&e, "sheetId").and_then(|i| i.parse().ok());
                    survey.max_sheet_id = survey.max_sheet_id.max(id.unwrap_or(0));
                }
                _ => {}
            },
            _ => {}
        }
    }
    if !transitional {
        return Err("not a transitional SpreadsheetML workbook".into());
    }
    if survey.rel_prefix.is_empty() || survey.first_sheet_rel.is_empty() {
        return Err("no sheet relationship".into());
    }
    Ok(survey)
}

struct Relation {
    id: String,
    kind: String,
    /// The part's name in the package (`xl/worksheets/sheet1.xml`).
    part: String,
}

fn relationships(xml: &str) -> Result<Vec<Relation>, String> {
    let mut reader = Reader::from_str(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => return Ok(found),
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let target = attr(&e, "Target").unwrap_or_default();
                let part = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                };
                found.push(Relation {
                    id: attr(&e, "Id").unwrap_or_default(),
                    kind: attr(&e, "Type").unwrap_or_default(),
                    part,
                });
            }
            _ => {}
        }
    }
}

/// `insert` placed just before the last `</tag>`.
fn insert_before_close(xml: &str, tag: &str, insert: &str) -> Result<String, String> {
    let at = xml
        .rfind(&format!("</{tag}>"))
        .ok_or_else(|| format!("no </{tag}>"))?;
    Ok(format!("{}{insert}{}", &xml[..at], &xml[at..]))
}

/// The styles with a top-aligned wrapped-text cell format added, and that
/// format's index.
fn add_wrap_style(xml: &str) -> Result<(String, u32), String> {
    let mut reader = Reader::from_str(xml);
    let mut prefix = None;
    let mut depth_in_xfs: Option<usize> = None;
    let mut formats = 0u32;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => break,
            Event::Start(e) => match depth_in_xfs.as_mut() {
                Some(depth) => {
                    if *depth == 0 && e.local_name().as_ref() == "xf" {
                        formats += 1;
                    }
                    *depth += 1;
                }
                None if e.local_name().as_ref() == "cellXfs" => {
                    prefix = Some(prefix_of(e.name().as_ref()));
                    depth_in_xfs = Some(0);
                }
                None => {}
            },
            Event::Empty(e) if depth_in_xfs == Some(0) && e.local_name().as_ref() == "xf" => {
                formats += 1;
            }
            Event::End(e) => match depth_in_xfs.as_mut() {
                Some(0) if e.local_name().as_ref() == "cellXfs" => break,
                Some(depth) => *depth -= 1,
                None => {}
            },
            _ => {}
        }
    }
    let p = prefix.ok_or("no cell formats (cellXfs)")?;
    let wrapped = format!(
        "<{p}xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" \
         applyAlignment=\"1\"><{p}alignment vertical=\"top\" wrapText=\"1\"/></{p}xf>"
    );
    let xml = insert_before_close(xml, &format!("{p}cellXfs"), &wrapped)?;
    // The count attribute, when there is one, must agree.
    let open = xml.find(&format!("<{p}cellXfs")).ok_or("no cellXfs")?;
    let close = open + xml[open..].find('>').ok_or("unclosed cellXfs")?;
    let tag = &xml[open..close];
    let tag = match tag.find("count=\"") {
        Some(at) => {
            let value = at + "count=\"".len();
            let end = value + tag[value..].find('"').ok_or("unclosed count")?;
            format!("{}{}{}", &tag[..value], formats + 1, &tag[end..])
        }
        None => tag.to_string(),
    };
    Ok((format!("{}{tag}{}", &xml[..open], &xml[close..]), formats))
}

struct SheetSurvey {
    /// Rows that have a `<row>` element.
    rows: BTreeSet<u32>,
    /// The rightmost column used in the rows the answers go into.
    max_column: Option<u32>,
    /// The header row's cell styles by column.
    style_at: std::collections::BTreeMap<u32, String>,
    has_pane: bool,
}

/// What the sheet already has between rows `first` and `last` (1-based).
fn survey_sheet(xml: &str, first: u32, last: u32) -> Result<SheetSurvey, String> {
    let mut reader = Reader::from_str(xml);
    let mut survey = SheetSurvey {
        rows: BTreeSet::new(),
        max_column: None,
        style_at: Default::default(),
        has_pane: false,
    };
    let mut row = 0u32;
    let mut column = 0u32;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => return Ok(survey),
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "pane" => survey.has_pane = true,
                "row" => {
                    row = attr(&e, "r")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(row + 1);
                    survey.rows.insert(row);
                    column = 0;
                }
                "c" => {
                    column = attr(&e, "r")
                        .and_then(|r| parse_ref(&r))
                        .map_or(column + 1, |(c, _)| c);
                    if (first..=last).contains(&row) {
                        survey.max_column = survey.max_column.max(Some(column));
                        if row == first {
                            if let Some(style) = attr(&e, "s") {
                                survey.style_at.insert(column, style);
                            }
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

struct SheetEdit<'a> {
    /// 1-based.
    header_row: u32,
    /// 0-based column of the first added column.
    first_new: u32,
    header_style: Option<String>,
    wrap_style: u32,
    header: &'a [String; 5],
    rows: &'a [[String; 5]],
    existing_rows: &'a BTreeSet<u32>,
    has_pane: bool,
}

impl SheetEdit<'_> {
    fn last_row(&self) -> u32 {
        self.header_row + self.rows.len() as u32
    }

    /// The added cells of sheet row `row`, if it is one of the table's.
    fn cells(&self, p: &str, row: u32) -> Option<String> {
        let (values, style) = if row == self.header_row {
            (self.header, self.header_style.clone())
        } else if row > self.header_row && row <= self.last_row() {
            (
                &self.rows[(row - self.header_row - 1) as usize],
                Some(self.wrap_style.to_string()),
            )
        } else {
            return None;
        };
        let mut xml = String::new();
        for (i, value) in values.iter().enumerate() {
            if !value.is_empty() {
                let at = cell_ref(self.first_new + i as u32, row);
                xml.push_str(&text_cell(p, &at, style.as_deref(), value));
            }
        }
        Some(xml)
    }
}

fn edit_sheet(xml: &str, edit: &SheetEdit<'_>) -> Result<String, String> {
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + edit.rows.len() * 512));
    let mut p = String::new();
    let mut columns: Option<Vec<BytesStart<'static>>> = None;
    let mut wrote_columns = false;
    let mut pane_done = edit.has_pane;
    let mut row = 0u32;
    // Rows of the table not yet written (those the sheet lacks are new).
    let mut pending = edit.header_row..=edit.last_row();
    let new_first = edit.first_new + 1;
    let new_last = edit.first_new + 5;
    let io = |e: std::io::Error| e.to_string();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    "worksheet" => {
                        p = prefix_of(e.name().as_ref());
                        writer.write_event(event.borrow()).map_err(io)?;
                    }
                    "dimension" if empty => {
                        let range = attr(e, "ref").unwrap_or_default();
                        let start = range.split(':').next().unwrap_or("A1");
                        let end = range.split(':').nth(1).and_then(parse_ref);
                        let (end_column, end_row) = end.unwrap_or((0, 1));
                        let end = cell_ref(
                            end_column.max(edit.first_new + 4),
                            end_row.max(edit.last_row()),
                        );
                        let mut tag = BytesStart::new(name_of(e));
                        tag.push_attribute(("ref", format!("{start}:{end}").as_str()));
                        writer.write_event(Event::Empty(tag)).map_err(io)?;
                    }
                    "sheetView" if !pane_done => {
                        pane_done = true;
                        writer.write_event(Event::Start(e.borrow())).map_err(io)?;
                        write_raw(&mut writer, &pane(&p, edit.header_row));
                        if empty {
                            writer
                                .write_event(Event::End(BytesEnd::new(name_of(e))))
                                .map_err(io)?;
                        }
                    }
                    "cols" => columns = Some(Vec::new()),
                    "col" if columns.is_some() => {
                        let (Some(min), Some(max)) = (
                            attr(e, "min").and_then(|m| m.parse::<u32>().ok()),
                            attr(e, "max").and_then(|m| m.parse::<u32>().ok()),
                        ) else {
                            continue;
                        };
                        let list = columns.as_mut().expect("inside cols");
                        // Keep what lies outside the added columns.
                        if min < new_first {
                            list.push(with_span(e, min, max.min(new_first - 1)));
                        }
                        if max > new_last {
                            list.push(with_span(e, min.max(new_last + 1), max));
                        }
                    }
                    "sheetData" => {
                        if !wrote_columns {
                            write_raw(&mut writer, &format!("<{p}cols>"));
                            write_raw(&mut writer, &added_columns(&p, new_first));
                            write_raw(&mut writer, &format!("</{p}cols>"));
                            wrote_columns = true;
                        }
                        writer.write_event(Event::Start(e.borrow())).map_err(io)?;
                        if empty {
                            for r in pending.by_ref() {
                                write_raw(&mut writer, &new_row(&p, r, edit));
                            }
                            write_raw(&mut writer, &format!("</{p}sheetData>"));
                        }
                    }
                    "row" => {
                        row = attr(e, "r").and_then(|r| r.parse().ok()).unwrap_or(row + 1);
                        while let Some(r) = pending.clone().next().filter(|r| *r < row) {
                            pending.next();
                            if !edit.existing_rows.contains(&r) {
                                write_raw(&mut writer, &new_row(&p, r, edit));
                            }
                        }
                        if pending.clone().next() == Some(row) {
                            pending.next();
                        }
                        // `spans` is a hint that would now be wrong.
                        let mut tag = BytesStart::new(name_of(e));
                        for a in e.attributes().flatten() {
                            if a.key.as_ref() != "spans" {
                                tag.push_attribute(a);
                            }
                        }
                        writer.write_event(Event::Start(tag)).map_err(io)?;
                        if empty {
                            if let Some(cells) = edit.cells(&p, row) {
                                write_raw(&mut writer, &cells);
                            }
                            writer
                                .write_event(Event::End(BytesEnd::new(name_of(e))))
                                .map_err(io)?;
                        }
                    }
                    _ => writer.write_event(event.borrow()).map_err(io)?,
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "cols" => {
                    let mut list = columns.take().unwrap_or_default();
                    list.sort_by_key(|c| attr(c, "min").and_then(|m| m.parse::<u32>().ok()));
                    write_raw(&mut writer, &format!("<{p}cols>"));
                    let mut added = false;
                    for c in list {
                        let min = attr(&c, "min").and_then(|m| m.parse::<u32>().ok());
                        if !added && min > Some(new_last) {
                            write_raw(&mut writer, &added_columns(&p, new_first));
                            added = true;
                        }
                        writer.write_event(Event::Empty(c)).map_err(io)?;
                    }
                    if !added {
                        write_raw(&mut writer, &added_columns(&p, new_first));
                    }
                    write_raw(&mut writer, &format!("</{p}cols>"));
                    wrote_columns = true;
                }
                "col" if columns.is_some() => {}
                "row" => {
                    if let Some(cells) = edit.cells(&p, row) {
                        write_raw(&mut writer, &cells);
                    }
                    writer.write_event(event.borrow()).map_err(io)?;
                }
                "sheetData" => {
                    for r in pending.by_ref() {
                        if !edit.existing_rows.contains(&r) {
                            write_raw(&mut writer, &new_row(&p, r, edit));
                        }
                    }
                    writer.write_event(event.borrow()).map_err(io)?;
                }
                _ => writer.write_event(event.borrow()).map_err(io)?,
            },
            _ if columns.is_some() => {}
            _ => writer.write_event(event.borrow()).map_err(io)?,
        }
    }
    String::from_utf8(writer.into_inner()).map_err(|e| e.to_string())
}

fn name_of(e: &BytesStart<'_>) -> String {
    e.name().as_ref().to_string()
}

fn write_raw(writer: &mut Writer<Vec<u8>>, xml: &str) {
    writer.get_mut().extend_from_slice(xml.as_bytes());
}

/// `col` with its span set to `min..=max` (1-based columns).
fn with_span(col: &BytesStart<'_>, min: u32, max: u32) -> BytesStart<'static> {
    let mut tag = BytesStart::new(name_of(col));
    for a in col.attributes().flatten() {
        match a.key.as_ref() {
            "min" => tag.push_attribute(("min", min.to_string().as_str())),
            "max" => tag.push_attribute(("max", max.to_string().as_str())),
            _ => tag.push_attribute(a),
        }
    }
    tag.into_owned()
}

fn added_columns(p: &str, first: u32) -> String {
    ADDED_WIDTHS
        .iter()
        .enumerate()
        .map(|(i, width)| {
            let n = first + i as u32;
            format!("<{p}col min=\"{n}\" max=\"{n}\" width=\"{width}\" customWidth=\"1\"/>")
        })
        .collect()
}

fn new_row(p: &str, row: u32, edit: &SheetEdit<'_>) -> String {
    format!(
        "<{p}row r=\"{row}\">{}</{p}row>",
        edit.cells(p, row).unwrap_or_default()
    )
}

fn pane(p: &str, header_row: u32) -> String {
    format!(
        "<{p}pane ySplit=\"{header_row}\" topLeftCell=\"A{}\" activePane=\"bottomLeft\" \
         state=\"frozen\"/>",
        header_row + 1
    )
}

fn text_cell(p: &str, at: &str, style: Option<&str>, value: &str) -> String {
    let style = style.map_or(String::new(), |s| format!(" s=\"{s}\""));
    // XML 1.0 forbids most control characters, and Excel caps a cell.
    let clean: String = value
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .take(MAX_CELL_CHARS)
        .collect();
    format!(
        "<{p}c r=\"{at}\"{style} t=\"inlineStr\"><{p}is><{p}t xml:space=\"preserve\">{}</{p}t></{p}is></{p}c>",
        quick_xml::escape::escape(clean.as_str())
    )
}

/// The Sources sheet, headed in the questions' header style.
fn sources_sheet(lines: &[[SourceCell<'_>; 8]], header_style: Option<&str>, wrap: u32) -> String {
    let wrap = wrap.to_string();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"{MAIN_NS}\"><sheetViews><sheetView workbookViewId=\"0\">{}\
         </sheetView></sheetViews><cols>",
        pane("", 1)
    );
    for (i, (_, width)) in SOURCE_COLUMNS.iter().enumerate() {
        let n = i + 1;
        xml.push_str(&format!(
            "<col min=\"{n}\" max=\"{n}\" width=\"{width}\" customWidth=\"1\"/>"
        ));
    }
    xml.push_str("</cols><sheetData><row r=\"1\">");
    for (i, (title, _)) in SOURCE_COLUMNS.iter().enumerate() {
        xml.push_str(&text_cell("", &cell_ref(i as u32, 1), header_style, title));
    }
    xml.push_str("</row>");
    for (line, cells) in lines.iter().enumerate() {
        let row = line as u32 + 2;
        xml.push_str(&format!("<row r=\"{row}\">"));
        for (i, cell) in cells.iter().enumerate() {
            let at = cell_ref(i as u32, row);
            match cell {
                SourceCell::Number(n) => xml.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                SourceCell::Text(t) => xml.push_str(&text_cell("", &at, Some(&wrap), t)),
                SourceCell::Blank => {}
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// `B7` for 0-based column 1 and 1-based row 7.
fn cell_ref(column: u32, row: u32) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{row}", String::from_utf8_lossy(&letters))
}

/// The 0-based column and 1-based row of a reference like `AB12`.
fn parse_ref(at: &str) -> Option<(u32, u32)> {
    let split = at.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = at.split_at(split);
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let column = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1));
    Some((column - 1, digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Format, Workbook};

    /// A question sheet as people make them: a merged title above the
    /// header, a styled header, set widths, a second sheet.
    fn formatted_workbook(dir: &std::path::Path) -> std::path::PathBuf {
        let mut workbook = Workbook::new();
        let title = Format::new().set_bold().set_font_size(16);
        let header = Format::new().set_bold().set_background_color(0xFFD966);
        let sheet = workbook.add_worksheet();
        sheet.set_name("점검 질문").expect("name");
        sheet
            .merge_range(0, 0, 0, 2, "2026 정기 점검", &title)
            .expect("merge");
        for (c, name) in ["번호", "질문", "담당"].iter().enumerate() {
            sheet
                .write_string_with_format(1, c as u16, *name, &header)
                .expect("cell");
        }
        sheet.set_column_width(1, 55.0).expect("width");
        for r in 0..3u32 {
            sheet
                .write_number(r + 2, 0, f64::from(r + 1))
                .expect("cell");
            sheet
                .write_string(r + 2, 1, format!("펌프 {r}번 점검 주기는?"))
                .expect("cell");
        }
        sheet.write_string(3, 2, "김").expect("cell");
        workbook
            .add_worksheet()
            .set_name("메모")
            .expect("name")
            .write_string(0, 0, "그대로 남을 것")
            .expect("cell");
        let path = dir.join("questions.xlsx");
        workbook.save(&path).expect("save");
        path
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut text = String::new();
        archive
            .by_name(name)
            .expect(name)
            .read_to_string(&mut text)
            .expect("read");
        text
    }

    #[test]
    fn answers_go_into_the_questions_own_sheet_and_its_formatting_stays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = formatted_workbook(dir.path());
        let table = crate::table::read(&input).expect("read");
        let origin = table.origin.as_ref().expect("an XLSX keeps its package");
        assert_eq!((origin.header_row, origin.first_column), (1, 0));
        let header = ["answer", "grounded", "confidence", "citations", "error"].map(String::from);
        let rows: Vec<[String; 5]> = (0..3)
            .map(|i| {
                [
                    format!("답 {i} <&> \u{1}끝"),
                    "true".into(),
                    "0.80".into(),
                    "[1] 매뉴얼".into(),
                    String::new(),
                ]
            })
            .collect();
        let sources = [[
            SourceCell::Number(3.0),
            SourceCell::Text("펌프 0번 점검 주기는?"),
            SourceCell::Number(1.0),
            SourceCell::Text("매뉴얼"),
            SourceCell::Text("3장"),
            SourceCell::Blank,
            SourceCell::Text("6,000시간마다"),
            SourceCell::Text("doc-1"),
        ]];
        let bytes = annotate(&Annotation {
            origin,
            input_columns: table.columns.len(),
            header: &header,
            rows: &rows,
            sources: &sources,
        })
        .expect("annotate");

        let before = part(&origin.bytes, "xl/worksheets/sheet1.xml");
        let after = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(after.contains("<mergeCell ref=\"A1:C1\"/>"), "{after}");
        // The header cells keep their style and the new header takes it.
        let header_style = |xml: &str, at: &str| {
            let from = xml.find(&format!("<c r=\"{at}\"")).expect(at);
            let tag = &xml[from..from + xml[from..].find('>').expect("tag")];
            attr_in(tag, "s")
        };
        assert_eq!(header_style(&after, "B2"), header_style(&before, "B2"));
        assert_eq!(header_style(&after, "D2"), header_style(&before, "C2"));
        assert!(after.contains("width=\"55.7109375\""), "B keeps its width");
        assert!(after.contains("state=\"frozen\"") && after.contains("ySplit=\"2\""));
        assert!(after.contains("<dimension ref=\"A1:H5\"/>"), "{after}");

        use calamine::Reader;
        let mut book = calamine::Xlsx::new(Cursor::new(bytes.clone())).expect("workbook");
        assert_eq!(book.sheet_names(), ["점검 질문", "메모", "Sources"]);
        let sheet = book.worksheet_range("점검 질문").expect("sheet");
        let cell = |r: u32, c: u32| sheet.get_value((r, c)).map(|v| v.to_string());
        assert_eq!(cell(0, 0).as_deref(), Some("2026 정기 점검"));
        assert_eq!(cell(1, 3).as_deref(), Some("answer"));
        assert_eq!(cell(2, 1).as_deref(), Some("펌프 0번 점검 주기는?"));
        assert_eq!(
            cell(2, 3).as_deref(),
            Some("답 0 <&> 끝"),
            "escaped, control stripped"
        );
        assert_eq!(cell(4, 6).as_deref(), Some("[1] 매뉴얼"));
        assert_eq!(cell(3, 2).as_deref(), Some("김"));
        let memo = book.worksheet_range("메모").expect("memo");
        assert_eq!(
            memo.get_value((0, 0)).map(|v| v.to_string()).as_deref(),
            Some("그대로 남을 것")
        );
        let sources = book.worksheet_range("Sources").expect("sources");
        assert_eq!(
            sources.get_value((1, 6)).map(|v| v.to_string()).as_deref(),
            Some("6,000시간마다")
        );

        // The wrap style is the last of the cell formats, and counted.
        let styles = part(&bytes, "xl/styles.xml");
        let xfs = &styles[styles.find("<cellXfs").expect("cellXfs")..];
        let xfs = &xfs[..xfs.find("</cellXfs>").expect("end")];
        let count: usize = attr_in(xfs, "count").parse().expect("count");
        assert_eq!(count, xfs.matches("<xf ").count());
        assert!(xfs.ends_with("<alignment vertical=\"top\" wrapText=\"1\"/></xf>"));
    }

    /// The value of `name="…"` in one tag's text.
    fn attr_in(tag: &str, name: &str) -> String {
        let from = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        tag[from..from + tag[from..].find('"').expect("quote")].to_string()
    }

    #[test]
    fn rows_the_sheet_lacks_are_added_in_order_and_columns_are_clipped() {
        let xml = "<worksheet xmlns=\"m\"><sheetViews><sheetView workbookViewId=\"0\">\
            <pane ySplit=\"1\" state=\"frozen\"/></sheetView></sheetViews>\
            <cols><col min=\"1\" max=\"16384\" width=\"9\"/></cols><sheetData>\
            <row r=\"1\" spans=\"1:2\"><c r=\"A1\"><v>1</v></c><c r=\"B1\" s=\"3\"/></row>\
            <row r=\"3\"><c r=\"A3\"><v>3</v></c></row><row r=\"9\"/></sheetData></worksheet>";
        let header = ["a", "b", "c", "d", "e"].map(String::from);
        let rows = vec![
            [
                "x".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new()
            ];
            3
        ];
        let survey = survey_sheet(xml, 1, 4).expect("survey");
        assert_eq!(survey.max_column, Some(1));
        assert!(survey.has_pane);
        let edit = SheetEdit {
            header_row: 1,
            first_new: 2,
            header_style: Some("3".into()),
            wrap_style: 7,
            header: &header,
            rows: &rows,
            existing_rows: &survey.rows,
            has_pane: survey.has_pane,
        };
        let out = edit_sheet(xml, &edit).expect("edit");
        assert_eq!(out.matches("<pane").count(), 1, "{out}");
        assert!(!out.contains("spans"));
        let order: Vec<&str> = [
            "r=\"C1\"", "r=\"2\"", "r=\"C2\"", "r=\"3\"", "r=\"C3\"", "r=\"4\"", "r=\"C4\"",
            "r=\"9\"",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = order.iter().map(|n| out.find(n).expect(n)).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        assert!(out.contains("<col min=\"1\" max=\"2\" width=\"9\"/><col min=\"3\" max=\"3\""));
        assert!(
            out.contains("<col min=\"8\" max=\"16384\" width=\"9\"/>"),
            "{out}"
        );
        assert!(out.contains("<c r=\"C1\" s=\"3\" t=\"inlineStr\">"));
        assert!(out.contains("<c r=\"C2\" s=\"7\" t=\"inlineStr\">"));
    }

    #[test]
    fn cell_references_round_trip() {
        for (column, row, text) in [
            (0, 1, "A1"),
            (25, 7, "Z7"),
            (26, 2, "AA2"),
            (16_383, 9, "XFD9"),
        ] {
            assert_eq!(cell_ref(column, row), text);
            assert_eq!(parse_ref(text), Some((column, row)));
        }
        assert_eq!(parse_ref("a1"), None);
    }
}
