//! Tables whose cells span rows and columns (DOCX, PPTX, HTML), laid out
//! on a grid: a merged cell's text is repeated into every cell it covers,
//! so each row of the resulting [`Table`] reads on its own.

use seogo_types::Table;

/// Spans beyond this are clamped: a `colspan="100000"` must not allocate a
/// hundred thousand cells per row.
const MAX_SPAN: usize = 256;
/// Cells per table; more are dropped (and the table marked truncated).
const MAX_CELLS: usize = 200_000;

#[derive(Debug, Default)]
pub(crate) struct Grid {
    rows: Vec<Vec<Option<String>>>,
    /// The row being filled; rows below it may already hold cells spanning
    /// down into them.
    current: Option<usize>,
    header_rows: usize,
    cells: usize,
    pub(crate) truncated: bool,
}

impl Grid {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn start_row(&mut self) {
        let next = self.current.map_or(0, |r| r + 1);
        if self.rows.len() <= next {
            self.rows.push(Vec::new());
        }
        self.current = Some(next);
    }

    /// Marks the rows so far (the current one included) as header rows.
    pub(crate) fn header_row(&mut self) {
        self.header_rows = self.current.map_or(0, |r| r + 1);
    }

    /// The next cell of the current row, at its first free column (cells
    /// spanning down from rows above take theirs).
    pub(crate) fn cell(&mut self, text: String, col_span: usize, row_span: usize) {
        let r = match self.current {
            Some(r) => r,
            None => {
                self.start_row();
                0
            }
        };
        let (col_span, row_span) = (col_span.clamp(1, MAX_SPAN), row_span.clamp(1, MAX_SPAN));
        if self.cells + col_span * row_span > MAX_CELLS {
            self.truncated = true;
            return;
        }
        self.cells += col_span * row_span;
        let c = self.rows[r]
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.rows[r].len());
        for rr in r..r + row_span {
            if rr >= self.rows.len() {
                self.rows.push(Vec::new());
            }
            let row = &mut self.rows[rr];
            if row.len() < c + col_span {
                row.resize(c + col_span, None);
            }
            for slot in &mut row[c..c + col_span] {
                *slot = Some(text.clone());
            }
        }
    }

    /// A cell that continues the one above it (DOCX `vMerge`, PPTX
    /// `vMerge="1"`): repeats the text of the cell above at this column.
    pub(crate) fn continue_above(&mut self, col_span: usize) {
        let r = self.current.unwrap_or(0);
        let c = self.rows.get(r).map_or(0, |row| {
            row.iter().position(Option::is_none).unwrap_or(row.len())
        });
        let above = r
            .checked_sub(1)
            .and_then(|a| self.rows.get(a))
            .and_then(|row| row.get(c))
            .cloned()
            .flatten()
            .unwrap_or_default();
        self.cell(above, col_span, 1);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.iter().flatten().all(String::is_empty))
    }

    /// The table, with the first row as header when none was marked.
    pub(crate) fn finish(self) -> Table {
        let header_rows = if self.header_rows > 0 {
            self.header_rows
        } else {
            usize::from(self.rows.len() > 1)
        };
        let rows = self
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
            .collect();
        Table {
            header_rows,
            rows: drop_spanned_columns(rows),
            caption: None,
        }
    }
}

/// Rows without the columns that repeat their left neighbour in every row:
/// a grid laid out on a fine layout (HWP forms use 30-odd columns) repeats
/// each merged cell across all of them, which says nothing more.
pub(crate) fn drop_spanned_columns(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    fn cell(row: &[String], c: usize) -> &str {
        row.get(c).map_or("", String::as_str)
    }
    let keep: Vec<bool> = (0..width)
        .map(|c| c == 0 || rows.iter().any(|row| cell(row, c) != cell(row, c - 1)))
        .collect();
    if keep.iter().all(|&k| k) {
        return rows;
    }
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .filter(|(c, _)| keep.get(*c).copied().unwrap_or(true))
                .map(|(_, v)| v)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_fill_the_cells_they_cover() {
        let mut g = Grid::new();
        g.start_row();
        g.cell("구분".into(), 1, 2);
        g.cell("2023".into(), 2, 1);
        g.start_row();
        g.cell("상반기".into(), 1, 1);
        g.cell("하반기".into(), 1, 1);
        g.start_row();
        g.cell("매출".into(), 1, 1);
        g.cell("10".into(), 1, 1);
        g.continue_above(1);
        let t = g.finish();
        assert_eq!(t.rows[0], ["구분", "2023", "2023"]);
        assert_eq!(t.rows[1], ["구분", "상반기", "하반기"]);
        assert_eq!(t.rows[2], ["매출", "10", "하반기"]);
    }

    #[test]
    fn columns_that_only_repeat_a_span_are_dropped() {
        // An HWP form laid out on a fine grid: labels over 2 columns,
        // values over 3.
        let row = |label: &str, value: &str| {
            let mut r = vec![label.to_string(); 2];
            r.extend(vec![value.to_string(); 3]);
            r
        };
        let rows =
            drop_spanned_columns(vec![row("[ 제 목 ]", "포스타권"), row("[ 요 지 ]", "과세")]);
        assert_eq!(rows, [["[ 제 목 ]", "포스타권"], ["[ 요 지 ]", "과세"]]);
        let distinct = vec![vec!["a".to_string(), "b".to_string()]];
        assert_eq!(drop_spanned_columns(distinct.clone()), distinct);
    }
}
