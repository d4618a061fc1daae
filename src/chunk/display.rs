//! A chunk printed as a table (as arrow's `pretty_format_batches` prints
//! a batch), bounded in rows: [`Chunk`]'s `Display`, and
//! [`Chunk::display`] to choose the bound.

use super::Chunk;
use crate::column::Column;
use crate::field::LogicalType;
use std::fmt::{self, Write};

/// The rows `Display` for [`Chunk`] prints before it says how many more
/// there are.
const DEFAULT_ROWS: usize = 20;

/// The characters of a cell past which it is cut (with `…`).
const MAX_CELL: usize = 32;

/// A chunk shown as a table of at most `max_rows` rows; see
/// [`Chunk::display`].
///
/// ```
/// # use chunkpool::{Chunk, FieldType};
/// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
/// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
/// let shown = chk.display(2).to_string();
/// assert!(shown.contains("| 2     |") && !shown.contains("| 3"));
/// assert!(shown.ends_with("… 1 more row\n"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ChunkDisplay<'a> {
    chunk: &'a Chunk,
    max_rows: usize,
}

impl Chunk {
    /// The chunk as a table of its rows as [`Chunk::rows`] yields them
    /// (through the selection), at most `max_rows` of them and then a
    /// line saying how many more there are. The header names each
    /// column's logical type; a NULL shows as `NULL`, `Binary` and
    /// fixed-size bytes as hex, and a cell longer than 32 characters is
    /// cut. `Display` for `Chunk` is `display(20)`.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).extend_options([Some(1i64), None]);
    /// chk.column_mut(1).extend_str(["one", "two"]);
    /// let table = "\
    /// +-------+------+
    /// | Int64 | Utf8 |
    /// +-------+------+
    /// | 1     | one  |
    /// | NULL  | two  |
    /// +-------+------+
    /// ";
    /// assert_eq!(chk.display(10).to_string(), table);
    /// assert_eq!(chk.to_string(), table);
    /// ```
    #[must_use]
    pub fn display(&self, max_rows: usize) -> ChunkDisplay<'_> {
        ChunkDisplay {
            chunk: self,
            max_rows,
        }
    }
}

/// Shows `chunk.display(20)`.
///
/// ```
/// # use chunkpool::{Chunk, FieldType};
/// let mut chk = Chunk::new(&[FieldType::I64], 32, 32);
/// chk.column_mut(0).extend_from_slice(&(0..25i64).collect::<Vec<_>>());
/// assert!(chk.to_string().ends_with("… 5 more rows\n"));
/// ```
impl fmt::Display for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(DEFAULT_ROWS).fmt(f)
    }
}

impl fmt::Display for ChunkDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chk = self.chunk;
        let total = chk.num_rows();
        if chk.num_cols() == 0 {
            return writeln!(f, "({total} {}, no columns)", rows_word(total));
        }
        let mut table: Vec<Vec<String>> =
            vec![chk.columns().map(|c| c.field_type().to_string()).collect()];
        for row in chk.rows().take(self.max_rows) {
            table.push(chk.columns().map(|c| cell(c, row.idx())).collect());
        }
        let widths: Vec<usize> = (0..chk.num_cols())
            .map(|i| {
                table
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let rule = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            for w in &widths {
                write!(f, "+{}", "-".repeat(w + 2))?;
            }
            writeln!(f, "+")
        };
        rule(f)?;
        for (k, cells) in table.iter().enumerate() {
            for (c, w) in cells.iter().zip(&widths) {
                write!(f, "| {c:<w$} ")?;
            }
            writeln!(f, "|")?;
            if k == 0 {
                rule(f)?;
            }
        }
        rule(f)?;
        let more = total.saturating_sub(self.max_rows);
        if more > 0 {
            writeln!(f, "… {more} more {}", rows_word(more))?;
        }
        Ok(())
    }
}

fn rows_word(n: usize) -> &'static str {
    if n == 1 {
        "row"
    } else {
        "rows"
    }
}

/// Row `row` of `col` as a table cell.
fn cell(col: &Column, row: usize) -> String {
    if row >= col.len() {
        // A selection past columns replaced since it was set.
        return "?".to_owned();
    }
    if col.is_null(row) {
        return "NULL".to_owned();
    }
    let mut s = String::new();
    let field = col.field_type();
    let raw = |size: usize| &col.data()[row * size..(row + 1) * size];
    // The writes go to a `String`, which never fails.
    let _ = match field.logical() {
        LogicalType::Int8 => write!(s, "{}", col.as_slice::<i8>()[row]),
        LogicalType::Int16 => write!(s, "{}", col.as_slice::<i16>()[row]),
        LogicalType::Int32 => write!(s, "{}", col.as_slice::<i32>()[row]),
        LogicalType::Int64 | LogicalType::Date | LogicalType::Datetime | LogicalType::Timestamp => {
            write!(s, "{}", col.as_slice::<i64>()[row])
        }
        LogicalType::Duration => write!(s, "{}ns", col.as_slice::<i64>()[row]),
        LogicalType::UInt8 => write!(s, "{}", col.as_slice::<u8>()[row]),
        LogicalType::UInt16 => write!(s, "{}", col.as_slice::<u16>()[row]),
        LogicalType::UInt32 => write!(s, "{}", col.as_slice::<u32>()[row]),
        LogicalType::UInt64 => write!(s, "{}", col.as_slice::<u64>()[row]),
        LogicalType::Float32 => write!(s, "{}", col.as_slice::<f32>()[row]),
        LogicalType::Float64 => write!(s, "{}", col.as_slice::<f64>()[row]),
        LogicalType::Bool => match col.as_slice::<u8>()[row] {
            0 => write!(s, "false"),
            1 => write!(s, "true"),
            b => write!(s, "{b}"),
        },
        LogicalType::Utf8 => match std::str::from_utf8(col.get_bytes(row)) {
            Ok(text) => {
                // Control characters escaped, so a cell stays on its line.
                for ch in text.chars() {
                    if ch.is_control() {
                        s.extend(ch.escape_debug());
                    } else {
                        s.push(ch);
                    }
                }
                Ok(())
            }
            Err(_) => hex(&mut s, col.get_bytes(row)),
        },
        LogicalType::Binary => hex(&mut s, col.get_bytes(row)),
        LogicalType::Decimal | LogicalType::FixedBytes(_) => {
            hex(&mut s, raw(field.elem_size().unwrap_or(0)))
        }
    };
    if s.chars().count() > MAX_CELL {
        s = s.chars().take(MAX_CELL - 1).chain(['…']).collect();
    }
    s
}

fn hex(s: &mut String, bytes: &[u8]) -> fmt::Result {
    s.push_str("0x");
    bytes.iter().try_for_each(|b| write!(s, "{b:02x}"))
}
