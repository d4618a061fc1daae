//! [`Row`]: a view of one row of a chunk, read column by column.

use super::Chunk;
#[allow(unused_imports)]
use crate::column::Column; // for the docs' links
use crate::column::FixedElem;
use crate::error::{fail, Error};

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
        Err(e) => fail(e),
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
    /// Row `row` of `chunk`, unchecked: every read checks it against the
    /// column it reads.
    #[inline]
    pub(super) fn at(chunk: &'a Chunk, row: usize) -> Row<'a> {
        Row { chunk, row }
    }

    /// The row's physical index in its chunk's columns (TiDB's
    /// `Row.Idx`): through the selection, if the chunk has one.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// assert_eq!(chk.row(0).idx(), 0);
    /// chk.set_sel(Some(vec![1]));
    /// assert_eq!(chk.row(0).idx(), 1);
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
        u64: get_u64, try_get_u64, try_get_u64, "a `u64`";
        i32: get_i32, try_get_i32, try_get_i32, "an `i32`";
        f64: get_f64, try_get_f64, try_get_f64, "an `f64`";
        f32: get_f32, try_get_f32, try_get_f32, "an `f32`";
        bool: get_bool, try_get_bool, try_get_bool, "a `bool` (NULL reads as `false`)";
        &'a [u8]: get_bytes, try_get_bytes, try_get_bytes, "bytes of a variable-width column";
    }

    /// Column `col` at this row as `Some(value)`, or `None` when it is NULL
    /// (see [`Column::value`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I32, FieldType::BOOL], 2, 2);
    /// chk.column_mut(0).append_i32(-4);
    /// chk.column_mut(1).append_null();
    /// let row = chk.row(0);
    /// assert_eq!(row.value::<i32>(0), Some(-4));
    /// assert_eq!(row.value::<u8>(1), None); // a Bool column reads as u8
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Row::try_value`] returns.
    #[track_caller]
    #[must_use]
    pub fn value<T: FixedElem>(&self, col: usize) -> Option<T> {
        unwrap(self.try_value(col))
    }

    /// Like [`Row::value`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 1, 1);
    /// chk.column_mut(0).append_i64(1);
    /// assert!(matches!(chk.row(0).try_value::<f64>(0), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `col` is out of range; otherwise those
    /// of [`Column::try_value`].
    pub fn try_value<T: FixedElem>(&self, col: usize) -> Result<Option<T>, Error> {
        self.chunk.try_column(col)?.try_value(self.row)
    }

    /// Column `col` at this row as `Some(bytes)`, or `None` when it is NULL
    /// (see [`Column::value_bytes`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::BINARY], 2, 2);
    /// chk.column_mut(0).append_bytes(b"\x00\x01");
    /// chk.column_mut(0).append_null();
    /// assert_eq!(chk.row(0).value_bytes(0), Some(&[0u8, 1][..]));
    /// assert_eq!(chk.row(1).value_bytes(0), None);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Row::try_value_bytes`] returns.
    #[track_caller]
    #[must_use]
    pub fn value_bytes(&self, col: usize) -> Option<&'a [u8]> {
        unwrap(self.try_value_bytes(col))
    }

    /// Like [`Row::value_bytes`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 1, 1);
    /// chk.column_mut(0).append_i64(1);
    /// assert!(matches!(chk.row(0).try_value_bytes(0), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `col` is out of range; otherwise those
    /// of [`Column::try_value_bytes`].
    pub fn try_value_bytes(&self, col: usize) -> Result<Option<&'a [u8]>, Error> {
        self.chunk.try_column(col)?.try_value_bytes(self.row)
    }

    /// Column `col` at this row as `Some(&str)`, or `None` when it is NULL,
    /// for a `Utf8` column (see [`Column::value_str`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 2, 2);
    /// chk.column_mut(0).append_i64(7);
    /// chk.column_mut(1).append_str("seven");
    /// let row = chk.row(0);
    /// assert_eq!((row.get_i64(0), row.value_str(1)), (7, Some("seven")));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Row::try_value_str`] returns.
    #[track_caller]
    #[must_use]
    pub fn value_str(&self, col: usize) -> Option<&'a str> {
        unwrap(self.try_value_str(col))
    }

    /// Like [`Row::value_str`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::UTF8], 1, 1);
    /// chk.column_mut(0).append_bytes(&[0xff]); // not UTF-8
    /// assert!(matches!(chk.row(0).try_value_str(0), Err(Error::InvalidUtf8 { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `col` is out of range; otherwise those
    /// of [`Column::try_value_str`].
    pub fn try_value_str(&self, col: usize) -> Result<Option<&'a str>, Error> {
        self.chunk.try_column(col)?.try_value_str(self.row)
    }
}

impl Chunk {
    /// A view of row `row` as [`Chunk::num_rows`] counts rows (TiDB's
    /// `GetRow`): the `row`-th selected row when the chunk has a
    /// selection, else the `row`-th row.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).extend_from_slice(&[4i64, 5]);
    /// assert_eq!(chk.row(0).get_i64(0), 4);
    /// chk.set_sel(Some(vec![1]));
    /// assert_eq!(chk.row(0).get_i64(0), 5);
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
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// assert_eq!(chk.try_row(0).err(), Some(Error::RowOutOfRange { row: 0, len: 0 }));
    /// chk.column_mut(0).append_i64(1);
    /// chk.set_sel(Some(vec![]));
    /// assert_eq!(chk.try_row(0).err(), Some(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= num_rows()`, or if the
    /// selection names a row past the columns (they were replaced since it
    /// was set).
    pub fn try_row(&self, row: usize) -> Result<Row<'_>, Error> {
        let len = self.num_rows();
        if row >= len {
            return Err(Error::RowOutOfRange { row, len });
        }
        match self.sel() {
            Some(sel) => self.try_physical_row(sel[row] as usize),
            None => Ok(Row { chunk: self, row }),
        }
    }

    /// A view of physical row `row` of the columns, whatever the
    /// selection.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// chk.column_mut(0).extend_from_slice(&[4i64, 5]);
    /// chk.set_sel(Some(vec![1]));
    /// assert_eq!(chk.physical_row(0).get_i64(0), 4);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::RowOutOfRange`] if `row >=
    /// physical_rows()` (see [`Chunk::try_physical_row`]).
    #[track_caller]
    #[must_use]
    pub fn physical_row(&self, row: usize) -> Row<'_> {
        unwrap(self.try_physical_row(row))
    }

    /// Like [`Chunk::physical_row`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 2, 2);
    /// assert_eq!(chk.try_physical_row(0).err(), Some(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= physical_rows()`.
    pub fn try_physical_row(&self, row: usize) -> Result<Row<'_>, Error> {
        let len = self.physical_rows();
        if row >= len {
            return Err(Error::RowOutOfRange { row, len });
        }
        Ok(Row { chunk: self, row })
    }
}
