//! Checks made before pdf-extract interprets a page, for what it does not
//! guard against itself: a /Parent chain or a form XObject that draws
//! itself (pdf-extract recurses on both, and a stack overflow cannot be
//! caught), form XObjects nested into an exponential fan-out, and Flate
//! streams that inflate past the budget (lopdf inflates them whole).

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::limits::{Budget, Failure};

/// Deepest /Parent chain or form XObject nesting accepted.
const MAX_DEPTH: usize = 64;
/// Form XObject invocations one page may make, nesting multiplied out.
const MAX_FORMS_PER_PAGE: usize = 20_000;

/// Inflates every single-filter Flate stream through the budget, so a
/// decompression bomb stops here with a [`Failure::Limit`] instead of
/// inside lopdf. Streams that fail to inflate are left to the interpreter.
pub(super) fn bound_streams(doc: &Document, budget: &Budget) -> Result<(), Failure> {
    for (id, object) in &doc.objects {
        budget.check_time()?;
        let Object::Stream(stream) = object else {
            continue;
        };
        let flate = match stream.dict.get(b"Filter") {
            Ok(Object::Name(n)) => n == b"FlateDecode" || n == b"Fl",
            Ok(Object::Array(a)) => {
                a.len() == 1
                    && matches!(&a[0], Object::Name(n) if n == b"FlateDecode" || n == b"Fl")
            }
            _ => false,
        };
        if !flate || stream.content.is_empty() {
            continue;
        }
        let reader = flate2::read::ZlibDecoder::new(&stream.content[..]);
        let what = format!("PDF stream {} {}", id.0, id.1);
        match budget.inflate(reader, stream.content.len() as u64, &what) {
            Err(limit @ Failure::Limit(_)) => return Err(limit),
            Err(Failure::Timeout) => return Err(Failure::Timeout),
            _ => {}
        }
    }
    Ok(())
}

/// Fails when page `n`'s /Parent chain loops or its form XObjects draw
/// themselves or multiply past [`MAX_FORMS_PER_PAGE`].
pub(super) fn check_page(doc: &Document, n: u32, page: ObjectId) -> Result<(), Failure> {
    let mut seen = HashSet::new();
    let mut at = page;
    let mut resources = None;
    loop {
        if !seen.insert(at) || seen.len() > MAX_DEPTH {
            return Err(Failure::malformed(format!(
                "page {n}: the page tree's /Parent chain loops"
            )));
        }
        let Ok(dict) = doc.get_dictionary(at) else {
            break;
        };
        if resources.is_none() {
            resources = dict
                .get_deref(b"Resources", doc)
                .and_then(Object::as_dict)
                .ok();
        }
        match dict.get(b"Parent").and_then(Object::as_reference) {
            Ok(parent) => at = parent,
            Err(_) => break,
        }
    }
    if let Some(resources) = resources {
        let mut stack = Vec::new();
        let mut count = 0;
        forms(doc, n, resources, &mut stack, &mut count)?;
    }
    Ok(())
}

fn forms(
    doc: &Document,
    n: u32,
    resources: &Dictionary,
    stack: &mut Vec<ObjectId>,
    count: &mut usize,
) -> Result<(), Failure> {
    let Ok(xobjects) = resources
        .get_deref(b"XObject", doc)
        .and_then(Object::as_dict)
    else {
        return Ok(());
    };
    // The page may draw any of its XObjects; a form only those it names.
    let drawn: Option<Vec<Vec<u8>>> = stack.last().and_then(|id| {
        let stream = doc.get_object(*id).and_then(Object::as_stream).ok()?;
        let content = stream.decompressed_content().ok()?;
        let ops = lopdf::content::Content::decode(&content).ok()?.operations;
        Some(
            ops.into_iter()
                .filter(|op| op.operator == "Do")
                .filter_map(|op| op.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
                .collect(),
        )
    });
    if stack.last().is_some() && drawn.is_none() {
        return Ok(());
    }
    for (name, xobject) in xobjects.iter() {
        if drawn.as_ref().is_some_and(|d| !d.contains(name)) {
            continue;
        }
        let Ok(id) = xobject.as_reference() else {
            continue;
        };
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        if !matches!(stream.dict.get(b"Subtype"), Ok(Object::Name(s)) if s == b"Form") {
            continue;
        }
        if stack.contains(&id) {
            return Err(Failure::malformed(format!(
                "page {n}: form XObject {} {} draws itself",
                id.0, id.1
            )));
        }
        *count += 1;
        if *count > MAX_FORMS_PER_PAGE || stack.len() >= MAX_DEPTH {
            return Err(Failure::Limit(format!(
                "page {n}: form XObjects nest deeper or wider than {MAX_FORMS_PER_PAGE} \
                 drawings"
            )));
        }
        // A form without resources of its own uses its caller's.
        let inner = stream
            .dict
            .get_deref(b"Resources", doc)
            .and_then(Object::as_dict)
            .unwrap_or(resources);
        stack.push(id);
        forms(doc, n, inner, stack, count)?;
        stack.pop();
    }
    Ok(())
}
