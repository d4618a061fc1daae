//! The physical shape of a column: fixed-width elements of some size, or
//! variable-width byte strings.

use crate::error::Error;
use std::fmt;

/// The largest element size a fixed-width column may have, in bytes.
///
/// TiDB uses 4, 8 and 40 (its decimal); anything up to this bound is accepted.
pub const MAX_ELEM_SIZE: usize = 1024;

/// The physical shape of one column: what the pool needs to know to recycle
/// its buffers.
///
/// A fixed-width column stores every row in `elem_size` bytes (a NULL still
/// occupies one element). A variable-width column stores byte strings with an
/// offsets array of `rows + 1` entries.
///
/// ```
/// use chunkpool::FieldType;
///
/// assert_eq!(FieldType::I64.elem_size(), Some(8));
/// assert_eq!(FieldType::DECIMAL.elem_size(), Some(40));
/// assert_eq!(FieldType::VAR.elem_size(), None);
/// assert_eq!(FieldType::fixed(16)?.elem_size(), Some(16));
/// assert!(FieldType::fixed(0).is_err());
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// Element size in bytes; 0 means variable width.
    size: u16,
}

impl FieldType {
    /// Variable-width byte strings (TiDB's varchar, blob, JSON, ...).
    pub const VAR: FieldType = FieldType { size: 0 };
    /// 8-byte signed integers (also the element of TiDB's datetime and duration).
    pub const I64: FieldType = FieldType { size: 8 };
    /// 8-byte unsigned integers.
    pub const U64: FieldType = FieldType { size: 8 };
    /// 8-byte floats.
    pub const F64: FieldType = FieldType { size: 8 };
    /// 4-byte floats.
    pub const F32: FieldType = FieldType { size: 4 };
    /// TiDB's 40-byte fixed-point decimal, stored as opaque bytes.
    pub const DECIMAL: FieldType = FieldType { size: 40 };

    /// A fixed-width type of `elem_size` bytes per row.
    ///
    /// # Errors
    /// [`Error::InvalidElemSize`] unless `1 <= elem_size <= MAX_ELEM_SIZE`.
    pub const fn fixed(elem_size: usize) -> Result<FieldType, Error> {
        if elem_size == 0 || elem_size > MAX_ELEM_SIZE {
            return Err(Error::InvalidElemSize { size: elem_size });
        }
        Ok(FieldType {
            size: elem_size as u16,
        })
    }

    /// Bytes per row for a fixed-width type; `None` for [`FieldType::VAR`].
    #[inline]
    #[must_use]
    pub const fn elem_size(self) -> Option<usize> {
        if self.size == 0 {
            None
        } else {
            Some(self.size as usize)
        }
    }

    /// True for variable-width columns.
    #[inline]
    #[must_use]
    pub const fn is_var(self) -> bool {
        self.size == 0
    }

    /// The raw size code: the element size, or 0 for variable width.
    #[inline]
    pub(crate) const fn code(self) -> usize {
        self.size as usize
    }

    /// The type whose [`code`](Self::code) is `code`, which came from one.
    #[inline]
    pub(crate) const fn from_code(code: usize) -> FieldType {
        debug_assert!(code <= MAX_ELEM_SIZE);
        FieldType { size: code as u16 }
    }
}

impl fmt::Debug for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.elem_size() {
            None => f.write_str("Var"),
            Some(n) => write!(f, "Fixed({n})"),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.elem_size() {
            None => f.write_str("variable-width"),
            Some(n) => write!(f, "{n}-byte fixed-width"),
        }
    }
}
