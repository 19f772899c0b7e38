//! HWP 5.0 records: every DocInfo and BodyText stream is a run of records,
//! each a 32-bit header (tag id: 10 bits, level: 10 bits, size: 12 bits,
//! 0xFFF meaning a 32-bit size follows) and its data. A record's level
//! nests it under the nearest earlier record of a lower level, which is how
//! a table's cells and their paragraphs hang under the table's control.

use crate::limits::{Budget, Failure};

pub(crate) const HWPTAG_BEGIN: u16 = 0x10;
pub(crate) const PARA_SHAPE: u16 = HWPTAG_BEGIN + 9;
pub(crate) const PARA_HEADER: u16 = HWPTAG_BEGIN + 50;
pub(crate) const PARA_TEXT: u16 = HWPTAG_BEGIN + 51;
pub(crate) const CTRL_HEADER: u16 = HWPTAG_BEGIN + 55;
pub(crate) const LIST_HEADER: u16 = HWPTAG_BEGIN + 56;
pub(crate) const TABLE: u16 = HWPTAG_BEGIN + 61;

/// One record with the indexes of the records nested under it.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub tag: u16,
    pub level: u16,
    pub data: &'a [u8],
    pub children: Vec<usize>,
}

/// A stream's records, and the indexes of those at the top (not nested).
#[derive(Debug)]
pub(crate) struct Records<'a> {
    pub all: Vec<Record<'a>>,
    pub roots: Vec<usize>,
    /// Set when the stream ends inside a record: what came before is kept.
    pub truncated: bool,
}

impl<'a> Records<'a> {
    pub(crate) fn get(&self, index: usize) -> Option<&Record<'a>> {
        self.all.get(index)
    }
}

/// Splits `stream` into records and nests them by level.
pub(crate) fn read<'a>(stream: &'a [u8], budget: &Budget) -> Result<Records<'a>, Failure> {
    let mut all: Vec<Record<'a>> = Vec::new();
    let mut roots = Vec::new();
    // Indexes of the records that are still open to children.
    let mut open: Vec<usize> = Vec::new();
    let mut rest = stream;
    let mut truncated = false;
    while !rest.is_empty() {
        if all.len().is_multiple_of(4096) {
            budget.check_time()?;
        }
        let Some((header, after)) = split_u32(rest) else {
            truncated = true;
            break;
        };
        let tag = (header & 0x3FF) as u16;
        let level = ((header >> 10) & 0x3FF) as u16;
        let mut size = (header >> 20) as usize;
        let mut body = after;
        if size == 0xFFF {
            let Some((long, after)) = split_u32(body) else {
                truncated = true;
                break;
            };
            size = long as usize;
            body = after;
        }
        let Some(data) = body.get(..size) else {
            truncated = true;
            break;
        };
        rest = body.get(size..).unwrap_or_default();
        while open
            .last()
            .and_then(|&i| all.get(i))
            .is_some_and(|r| r.level >= level)
        {
            open.pop();
        }
        let index = all.len();
        match open.last().and_then(|&i| all.get_mut(i)) {
            Some(parent) => parent.children.push(index),
            None => roots.push(index),
        }
        open.push(index);
        all.push(Record {
            tag,
            level,
            data,
            children: Vec::new(),
        });
    }
    Ok(Records {
        all,
        roots,
        truncated,
    })
}

fn split_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head), rest))
}

/// The little-endian u16 at `offset`, if the data is long enough.
pub(crate) fn u16_at(data: &[u8], offset: usize) -> Option<u16> {
    let (word, _) = data.get(offset..)?.split_first_chunk::<2>()?;
    Some(u16::from_le_bytes(*word))
}

/// The little-endian u32 at `offset`, if the data is long enough.
pub(crate) fn u32_at(data: &[u8], offset: usize) -> Option<u32> {
    let (word, _) = data.get(offset..)?.split_first_chunk::<4>()?;
    Some(u32::from_le_bytes(*word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn header(tag: u32, level: u32, size: u32) -> [u8; 4] {
        (tag | (level << 10) | (size << 20)).to_le_bytes()
    }

    #[test]
    fn records_nest_by_level_and_truncation_is_flagged() {
        let budget = Budget::new(&Limits::default());
        let mut bytes = Vec::new();
        bytes.extend(header(66, 0, 2));
        bytes.extend([1, 2]);
        bytes.extend(header(67, 1, 0));
        bytes.extend(header(66, 0, 0xFFF));
        bytes.extend(3u32.to_le_bytes());
        bytes.extend([7, 8, 9]);
        bytes.extend(header(67, 1, 10));
        let records = read(&bytes, &budget).expect("records");
        assert_eq!(records.roots, [0, 2]);
        assert_eq!(records.all[0].children, [1]);
        assert_eq!(records.all[2].data, [7, 8, 9]);
        assert!(records.truncated);
        assert_eq!(u16_at(&[1, 2, 3], 1), Some(0x0302));
        assert_eq!(u32_at(&[1, 2, 3], 0), None);
    }
}
