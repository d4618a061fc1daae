//! Columns built from iterators (`FromIterator`, `Extend`) and room
//! reserved ahead of a string column's rows (`reserve_bytes`).
//!
//! A collected column takes its field type from the element type, one
//! type each, so that a `collect` never has to guess:
//!
//! | element | field type |
//! |---|---|
//! | `i8`, `i16`, `i32`, `i64` (or `Option` of one) | `I8`, `I16`, `I32`, `I64` |
//! | `u8`, `u16`, `u32`, `u64` (or `Option` of one) | `U8`, `U16`, `U32`, `U64` |
//! | `f32`, `f64` (or `Option` of one) | `F32`, `F64` |
//! | `bool`, `Option<bool>` | `BOOL` |
//! | `&str`, `String` (or `Option` of one) | `UTF8` |
//! | `&[u8]`, `Option<&[u8]>` | `BINARY` |
//!
//! An `i64` collects as `Int64`, never `Date` or `Duration`: to build one
//! of those, make the column ([`Column::new`]) and `extend` it, which
//! writes any logical type the element type writes.

use super::typed::{BYTES_EXPECTED, STR_EXPECTED};
use super::{Column, FixedElem};
use crate::error::{unwrap_or_fail, Error};
use crate::field::FieldType;

impl Column {
    /// Reserves room for `rows` more rows of a variable-width column
    /// (`Utf8` or `Binary`) holding `bytes` more data bytes in all, in one
    /// growth of each buffer (TiDB's `ReserveString` / `ReserveBytes`,
    /// with the bytes given rather than estimated): appends within that
    /// room then allocate nothing. The rows are unchanged; the column's
    /// [`capacity`](Column::capacity) and a pool's view of it follow the
    /// grown buffers.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 0);
    /// c.reserve_bytes(3, 12);
    /// let (ptr, bytes) = (c.data_ptr(), c.allocated_bytes());
    /// c.extend_str(["tidb", "tikv", "pd"]);
    /// assert_eq!((c.data_ptr(), c.allocated_bytes()), (ptr, bytes));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_reserve_bytes`]
    /// returns.
    #[track_caller]
    pub fn reserve_bytes(&mut self, rows: usize, bytes: usize) {
        unwrap_or_fail(self.try_reserve_bytes(rows, bytes));
    }

    /// Like [`Column::reserve_bytes`], returning an error instead of
    /// panicking; the rows are unchanged either way.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 1);
    /// assert_eq!(c.try_reserve_bytes(1, usize::MAX), Err(Error::OffsetOverflow));
    /// let mut ints = Column::new(FieldType::I64, 1);
    /// assert!(matches!(ints.try_reserve_bytes(1, 8), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX`
    /// bytes; [`Error::CapacityOverflow`] when the rows' offsets do not
    /// fit in memory; [`Error::OutOfMemory`] when the allocator refuses
    /// (a buffer grown before the refusal keeps its capacity).
    pub fn try_reserve_bytes(&mut self, rows: usize, bytes: usize) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch("byte string (Utf8, Binary)"));
        }
        let data_end = self
            .data_len
            .checked_add(bytes)
            .filter(|&e| i64::try_from(e).is_ok())
            .ok_or(Error::OffsetOverflow)?;
        let total = self.len.checked_add(rows).and_then(|n| n.checked_add(1));
        if total.and_then(|n| n.checked_mul(8)).is_none() {
            return Err(Error::CapacityOverflow {
                field: self.field,
                rows: self.len.saturating_add(rows),
            });
        }
        // Through `growing`, like every reservation.
        self.reserve_rows(rows, data_end)
    }
}

/// Builds a column of `field` (the element type's, by the table above)
/// holding `values`, with room for exactly as many rows.
fn collect<V>(
    field: FieldType,
    values: impl IntoIterator<Item = V>,
    extend: impl FnOnce(&mut Column, std::vec::IntoIter<V>),
) -> Column {
    // Collected first: the lower bound of a `size_hint` may be 0.
    let values: Vec<V> = values.into_iter().collect();
    let mut c = Column::new(field, values.len());
    extend(&mut c, values.into_iter());
    c
}

/// A column of `T`'s own field type (`i64`: `Int64`, `f32`: `Float32`,
/// ...), no row NULL.
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let c: Column = (1..=3i64).collect();
/// assert_eq!(c.field_type(), FieldType::I64);
/// assert_eq!(c.as_slice::<i64>(), &[1, 2, 3]);
/// ```
impl<T: FixedElem> FromIterator<T> for Column {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Column {
        collect(T::FIELD, values, |c, v| c.extend(v))
    }
}

/// A column of `T`'s own field type, `None` as NULL.
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let c: Column = [Some(0.5f64), None].into_iter().collect();
/// assert_eq!(c.field_type(), FieldType::F64);
/// assert_eq!(c.iter::<f64>().collect::<Vec<_>>(), [Some(0.5), None]);
/// ```
impl<T: FixedElem> FromIterator<Option<T>> for Column {
    fn from_iter<I: IntoIterator<Item = Option<T>>>(values: I) -> Column {
        collect(T::FIELD, values, |c, v| c.extend(v))
    }
}

/// Appends each value to a column of a logical type `T` writes (see
/// [`FixedElem`]: an `i64` goes into `Int64`, `Date`, ... columns).
///
/// # Panics
/// As [`Column::extend_options`]: if `T` does not write the column's
/// logical type (no row is appended then), or the memory cannot be had.
/// [`Column::try_extend_options`] of `values.map(Some)` is the fallible
/// form.
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let mut c = Column::new(FieldType::DATE, 4);
/// c.extend([19_000i64, 19_001]);
/// assert_eq!(c.as_slice::<i64>(), &[19_000, 19_001]);
/// assert!(std::panic::catch_unwind(move || c.extend([1.5f64])).is_err());
/// ```
impl<T: FixedElem> Extend<T> for Column {
    #[track_caller]
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        self.extend_options(values.into_iter().map(Some));
    }
}

/// Appends each item, `None` as a NULL, as [`Column::extend_options`]
/// does (and panicking as it does: [`Column::try_extend_options`] is the
/// fallible form).
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let mut c = Column::new(FieldType::U16, 4);
/// c.extend([Some(7u16), None]);
/// assert_eq!(c.null_count(), 1);
/// ```
impl<T: FixedElem> Extend<Option<T>> for Column {
    #[track_caller]
    fn extend<I: IntoIterator<Item = Option<T>>>(&mut self, values: I) {
        self.extend_options(values);
    }
}

macro_rules! collect_impls {
    ($($item:ty, $field:ident, $extend:ident, $map:expr, $doc_collect:literal, $doc_extend:literal;)*) => {$(
        #[doc = $doc_collect]
        impl<'a> FromIterator<$item> for Column {
            fn from_iter<I: IntoIterator<Item = $item>>(values: I) -> Column {
                collect(FieldType::$field, values, |c, v| c.extend(v))
            }
        }
        #[doc = $doc_extend]
        impl<'a> Extend<$item> for Column {
            #[track_caller]
            fn extend<I: IntoIterator<Item = $item>>(&mut self, values: I) {
                #[allow(clippy::redundant_closure_call)]
                self.$extend(values.into_iter().map($map));
            }
        }
    )*};
}

collect_impls! {
    bool, BOOL, extend_option_bools, Some,
    "A `Bool` column, no row NULL.\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet c: Column = [true, false].into_iter().collect();\nassert_eq!(c.field_type(), FieldType::BOOL);\nassert_eq!(c.as_slice::<u8>(), &[1, 0]);\n```",
    "Appends each value to a `Bool` column, as [`Column::extend_option_bools`] does (and panicking as it does, on a column of another type: [`Column::try_extend_option_bools`] is the fallible form).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::BOOL, 2);\nc.extend([false, true]);\nassert!(c.get_bool(1));\n```";
    Option<bool>, BOOL, extend_option_bools, |v| v,
    "A `Bool` column, `None` as NULL.\n\n```\nuse chunkpool::Column;\n\nlet c: Column = [Some(true), None].into_iter().collect();\nassert_eq!(c.iter_bool().collect::<Vec<_>>(), [Some(true), None]);\n```",
    "Appends each item to a `Bool` column, `None` as a NULL, as [`Column::extend_option_bools`] does (panicking as it does).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::BOOL, 2);\nc.extend([None, Some(false)]);\nassert_eq!(c.null_count(), 1);\n```";
    &'a str, UTF8, extend_option_strs, Some,
    "A `Utf8` column, no row NULL.\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet c: Column = \"a b\".split(' ').collect();\nassert_eq!(c.field_type(), FieldType::UTF8);\nassert_eq!(c.value_str(1), Some(\"b\"));\n```",
    "Appends each string to a variable-width column (`Utf8` or `Binary`), as [`Column::extend_str`] does.\n\n# Panics\nOn a fixed-width column (no row is appended then), past `i64::MAX` bytes of data, or when the memory cannot be had; [`Column::try_extend_str`] is the fallible form.\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::UTF8, 2);\nc.extend([\"x\", \"y\"]);\nassert_eq!(c.len(), 2);\nlet mut ints = Column::new(FieldType::I64, 1);\nassert!(std::panic::catch_unwind(move || ints.extend([\"1\"])).is_err());\n```";
    Option<&'a str>, UTF8, extend_option_strs, |v| v,
    "A `Utf8` column, `None` as NULL.\n\n```\nuse chunkpool::Column;\n\nlet c: Column = [Some(\"a\"), None].into_iter().collect();\nassert_eq!(c.iter_str().collect::<Vec<_>>(), [Some(\"a\"), None]);\n```",
    "Appends each item to a variable-width column, `None` as a NULL (panicking as the `&str` form does).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::UTF8, 2);\nc.extend([None, Some(\"z\")]);\nassert_eq!(c.value_str(1), Some(\"z\"));\n```";
    String, UTF8, extend_option_strings, Some,
    "A `Utf8` column of owned strings, no row NULL.\n\n```\nuse chunkpool::Column;\n\nlet c: Column = (1..=2).map(|i| i.to_string()).collect();\nassert_eq!(c.value_str(0), Some(\"1\"));\n```",
    "Appends each string to a variable-width column (panicking as the `&str` form does).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::UTF8, 1);\nc.extend([String::from(\"s\")]);\nassert_eq!(c.value_str(0), Some(\"s\"));\n```";
    Option<String>, UTF8, extend_option_strings, |v| v,
    "A `Utf8` column of owned strings, `None` as NULL.\n\n```\nuse chunkpool::Column;\n\nlet c: Column = [None, Some(String::from(\"b\"))].into_iter().collect();\nassert_eq!(c.value_str(0), None);\n```",
    "Appends each item to a variable-width column, `None` as a NULL (panicking as the `&str` form does).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::BINARY, 1);\nc.extend([Some(String::from(\"b\"))]);\nassert_eq!(c.get_bytes(0), b\"b\");\n```";
    &'a [u8], BINARY, extend_option_byte_rows, Some,
    "A `Binary` column, no row NULL.\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet c: Column = [&b\"\\x00\"[..], b\"ab\"].into_iter().collect();\nassert_eq!(c.field_type(), FieldType::BINARY);\nassert_eq!(c.offsets(), &[0, 1, 3]);\n```",
    "Appends each byte string to a variable-width column (`Utf8` or `Binary`; not checked to be UTF-8), as [`Column::extend_bytes`] does.\n\n# Panics\nOn a fixed-width column (no row is appended then), past `i64::MAX` bytes of data, or when the memory cannot be had; [`Column::try_extend_bytes`] is the fallible form.\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::BINARY, 1);\nc.extend([&[1u8, 2][..]]);\nassert_eq!(c.get_bytes(0), &[1, 2]);\n```";
    Option<&'a [u8]>, BINARY, extend_option_byte_rows, |v| v,
    "A `Binary` column, `None` as NULL.\n\n```\nuse chunkpool::Column;\n\nlet c: Column = [None, Some(&b\"k\"[..])].into_iter().collect();\nassert_eq!(c.value_bytes(1), Some(&b\"k\"[..]));\n```",
    "Appends each item to a variable-width column, `None` as a NULL (panicking as the `&[u8]` form does).\n\n```\nuse chunkpool::{Column, FieldType};\n\nlet mut c = Column::new(FieldType::BINARY, 1);\nc.extend([None::<&[u8]>]);\nassert!(c.is_null(0));\n```";
}

impl Column {
    /// `Extend` of `&str` items: all or nothing, panicking on the error.
    #[track_caller]
    fn extend_option_strs<'a>(&mut self, values: impl Iterator<Item = Option<&'a str>>) {
        unwrap_or_fail(self.try_extend_option_strs(values));
    }

    /// `Extend` of `String` items.
    #[track_caller]
    fn extend_option_strings(&mut self, values: impl Iterator<Item = Option<String>>) {
        unwrap_or_fail(self.check_var(STR_EXPECTED).and_then(|()| {
            self.all_or_nothing(values, |c, v| c.try_append_option_str(v.as_deref()))
        }));
    }

    /// `Extend` of `&[u8]` items.
    #[track_caller]
    fn extend_option_byte_rows<'a>(&mut self, values: impl Iterator<Item = Option<&'a [u8]>>) {
        unwrap_or_fail(
            self.check_var(BYTES_EXPECTED)
                .and_then(|()| self.all_or_nothing(values, Column::try_append_option_bytes)),
        );
    }

    fn try_extend_option_strs<'a>(
        &mut self,
        values: impl Iterator<Item = Option<&'a str>>,
    ) -> Result<(), Error> {
        self.check_var(STR_EXPECTED)?;
        self.all_or_nothing(values, Column::try_append_option_str)
    }

    /// [`Error::TypeMismatch`] on a fixed-width column, before any item is
    /// read, naming what the items need (`expected`: the same words the
    /// one-row and `extend_*` calls use, so the panicking `Extend` and the
    /// `try_` call report one error).
    fn check_var(&self, expected: &'static str) -> Result<(), Error> {
        if self.field.is_var() {
            Ok(())
        } else {
            Err(self.mismatch(expected))
        }
    }
}
