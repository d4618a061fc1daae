//! [`Row`]: a view of one row of a chunk, read column by column.

use super::Chunk;
#[allow(unused_imports)]
use crate::column::Column; // for the docs' links
use crate::error::Error;

/// One row of a [`Chunk`] (TiDB's `chunk.Row`), from [`Chunk::row`]: its
/// getters read column `col` at this row through the column's typed
/// accessors, which check the column's logical type.
///
/// ```
/// use chunkpool::{Chunk, FieldType};
///
/// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
/// chk.column_mut(0).append_i64(3);
/// chk.column_mut(1).append_str("three");
/// let row = chk.row(0);
/// assert_eq!((row.idx(), row.get_i64(0), row.get_bytes(1)), (0, 3, &b"three"[..]));
/// assert!(row.try_get_f64(0).is_err()); // an Int64 column
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    chunk: &'a Chunk,
    row: usize,
}

#[track_caller]
fn unwrap<T>(r: Result<T, Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("chunkpool: {e}"),
    }
}

macro_rules! getters {
    ($($t:ty: $get:ident, $try_get:ident, $col_get:ident, $what:literal;)*) => {$(
        #[doc = concat!("Column `col` at this row as ", $what, " (see [`Column::", stringify!($col_get),
                        "`]).\n\n# Panics\nWith the message of the error [`Row::", stringify!($try_get),
                        "`] returns.\n\n```\n# use chunkpool::{Chunk, FieldType};\n",
                        "let mut chk = Chunk::new(&[FieldType::I64, FieldType::F64, FieldType::UTF8], 2, 2);\n",
                        "chk.column_mut(0).append_null();\nchk.column_mut(1).append_f64(1.5);\n",
                        "chk.column_mut(2).append_str(\"x\");\nlet row = chk.row(0);\n",
                        "assert!(row.is_null(0) && !row.is_null(1));\n",
                        "assert_eq!((row.get_i64(0), row.get_f64(1), row.get_bytes(2)), (0, 1.5, &b\"x\"[..]));\n```")]
        #[track_caller]
        #[must_use]
        pub fn $get(&self, col: usize) -> $t {
            unwrap(self.$try_get(col))
        }

        #[doc = concat!("Like [`Row::", stringify!($get), "`], returning an error instead of panicking.\n\n",
                        "# Errors\n[`Error::ColumnOutOfRange`] if `col` is out of range; otherwise those of ",
                        "[`Column::", stringify!($col_get), "`] ([`Error::TypeMismatch`], or ",
                        "[`Error::RowOutOfRange`] on a column shorter than the chunk).\n\n```\n",
                        "# use chunkpool::{Chunk, Error, FieldType};\n",
                        "let mut chk = Chunk::new(&[FieldType::I64], 2, 2);\n",
                        "chk.column_mut(0).append_i64(1);\n",
                        "assert!(matches!(chk.row(0).", stringify!($try_get),
                        "(1), Err(Error::ColumnOutOfRange { column: 1, columns: 1 })));\n```")]
        pub fn $try_get(&self, col: usize) -> Result<$t, Error> {
            self.chunk.try_column(col)?.$col_get(self.row)
        }
    )*};
}

impl<'a> Row<'a> {
    /// The row's index in its chunk.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).append_i64(1);
    /// assert_eq!(chk.row(0).idx(), 0);
    /// ```
    #[must_use]
    pub fn idx(&self) -> usize {
        self.row
    }

    /// The chunk the row belongs to.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).append_i64(1);
    /// assert_eq!(chk.row(0).chunk().num_cols(), 1);
    /// ```
    #[must_use]
    pub fn chunk(&self) -> &'a Chunk {
        self.chunk
    }

    getters! {
        bool: is_null, try_is_null, try_is_null, "a NULL test";
        i64: get_i64, try_get_i64, try_get_i64, "an `i64`";
        f64: get_f64, try_get_f64, try_get_f64, "an `f64`";
        &'a [u8]: get_bytes, try_get_bytes, try_get_bytes, "bytes of a variable-width column";
    }
}

impl Chunk {
    /// A view of row `row` (TiDB's `GetRow`).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).append_i64(4);
    /// assert_eq!(chk.row(0).get_i64(0), 4);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::RowOutOfRange`] if `row >= num_rows()`
    /// (see [`Chunk::try_row`]).
    #[track_caller]
    #[must_use]
    pub fn row(&self, row: usize) -> Row<'_> {
        unwrap(self.try_row(row))
    }

    /// Like [`Chunk::row`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// assert_eq!(chk.try_row(0).err(), Some(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= num_rows()`.
    pub fn try_row(&self, row: usize) -> Result<Row<'_>, Error> {
        let len = self.num_rows();
        if row >= len {
            return Err(Error::RowOutOfRange { row, len });
        }
        Ok(Row { chunk: self, row })
    }
}
