//! Table cells placed on a grid, shared by the HWP and HWPX readers: both
//! give each cell its row, column and spans, and [`Table`] wants a merged
//! cell's text repeated in every position it covers so each row reads on
//! its own.

use crate::formats::grid::drop_spanned_columns;
use seogo_types::Table;

/// Grids larger than this are not laid out: a hostile file can claim a cell
/// at row 65535, column 65535, and real tables stay far below it.
const MAX_GRID_CELLS: usize = 200_000;

/// The longest first-row cell still taken for a column label.
const MAX_HEADER_CELL_CHARS: usize = 40;

/// One cell as the file describes it (0-based position, spans ≥ 1).
#[derive(Debug)]
pub(crate) struct Cell {
    pub row: usize,
    pub col: usize,
    pub row_span: usize,
    pub col_span: usize,
    pub text: String,
}

/// The cells laid out on their grid, or `None` when the grid would be
/// absurdly large (the caller then keeps the cells' text as prose).
///
/// `marked_header` is the file's own "header row" flag. Without it the
/// first row is a header when the table has at least two rows and two
/// columns and every first-row cell is a short, non-numeric label — the
/// shape of a column-title row; a table whose first row is data then
/// renders with an empty header, which loses nothing.
pub(crate) fn lay_out(cells: Vec<Cell>, marked_header: bool) -> Option<Table> {
    let rows = cells
        .iter()
        .map(|c| c.row.saturating_add(c.row_span.max(1)))
        .max()?;
    let cols = cells
        .iter()
        .map(|c| c.col.saturating_add(c.col_span.max(1)))
        .max()?;
    if rows.checked_mul(cols)? > MAX_GRID_CELLS {
        return None;
    }
    let mut grid = vec![vec![String::new(); cols]; rows];
    for cell in cells {
        let text = cell.text.trim();
        let row_end = cell.row + cell.row_span.max(1);
        let col_end = cell.col + cell.col_span.max(1);
        for row in grid.iter_mut().take(row_end).skip(cell.row) {
            for slot in row.iter_mut().take(col_end).skip(cell.col) {
                if slot.is_empty() {
                    slot.push_str(text);
                }
            }
        }
    }
    let grid = drop_spanned_columns(grid);
    let header_rows = usize::from(marked_header || looks_like_header(&grid));
    Some(Table {
        header_rows,
        rows: grid,
        caption: None,
    })
}

fn looks_like_header(grid: &[Vec<String>]) -> bool {
    let Some(first) = grid.first() else {
        return false;
    };
    grid.len() >= 2
        && first.len() >= 2
        && first.iter().all(|cell| {
            let cell = cell.trim();
            !cell.is_empty()
                && cell.chars().count() <= MAX_HEADER_CELL_CHARS
                && !cell
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '%' | ' '))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(row: usize, col: usize, row_span: usize, col_span: usize, text: &str) -> Cell {
        Cell {
            row,
            col,
            row_span,
            col_span,
            text: text.into(),
        }
    }

    #[test]
    fn merged_cells_repeat_and_huge_grids_are_refused() {
        let table = lay_out(
            vec![
                cell(0, 0, 1, 2, "구분"),
                cell(0, 2, 1, 1, "금액"),
                cell(1, 0, 2, 1, "A"),
                cell(1, 1, 1, 1, "x"),
                cell(1, 2, 1, 1, "1"),
                cell(2, 1, 1, 1, "y"),
                cell(2, 2, 1, 1, "2"),
            ],
            false,
        )
        .expect("grid");
        assert_eq!(table.header_rows, 1);
        assert_eq!(table.rows[0], ["구분", "구분", "금액"]);
        assert_eq!(table.rows[2], ["A", "y", "2"]);
        assert!(lay_out(vec![cell(65535, 65535, 1, 1, "x")], false).is_none());
        assert!(lay_out(Vec::new(), false).is_none());
    }
}
