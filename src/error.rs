//! The crate's one error type.

use crate::field::FieldType;
use std::fmt;

/// Everything that can go wrong when building a configuration, allocating a
/// chunk, or reading and writing a column through a `try_` method.
///
/// The panicking counterparts (`alloc`, `append_i64`, `get_i64`, ...) panic
/// with this error's `Display` text.
///
/// ```
/// use chunkpool::{Column, Error, FieldType};
///
/// let mut col = Column::new(FieldType::I64, 4);
/// col.append_i64(7);
/// match col.try_get_i64(3) {
///     Err(Error::RowOutOfRange { row, len }) => assert_eq!((row, len), (3, 1)),
///     other => panic!("unexpected {other:?}"),
/// }
/// let err = col.try_append_f64(1.5).unwrap_err();
/// assert!(matches!(err, Error::TypeMismatch { actual: FieldType::I64, .. }));
/// assert_eq!(err.to_string(), "type mismatch: f64 (Float64) access on a column of type Int64");
/// // It is a std error, so `?` converts it into `Box<dyn Error>` and the like.
/// let boxed: Box<dyn std::error::Error> = Box::new(Error::ZeroCapacity);
/// assert_eq!(boxed.to_string(), "chunk capacity must be at least 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A fixed element size of 0 or above [`MAX_ELEM_SIZE`](crate::MAX_ELEM_SIZE).
    InvalidElemSize {
        /// The size that was asked for.
        size: usize,
    },
    /// A decimal type ([`FieldType::decimal`]) of a precision outside
    /// 1 to 65, or a scale above 30 or above the precision.
    InvalidDecimal {
        /// The precision asked for.
        precision: u8,
        /// The scale asked for.
        scale: u8,
    },
    /// `alloc` was asked for a chunk of capacity 0.
    ZeroCapacity,
    /// `alloc` was asked for a chunk with a `max_chunk_size` of 0.
    ZeroMaxChunkSize,
    /// The bytes needed for `rows` rows of `field` do not fit in `isize`.
    CapacityOverflow {
        /// The column type.
        field: FieldType,
        /// The requested number of rows.
        rows: usize,
    },
    /// The global allocator refused the memory for `rows` rows of `field`:
    /// a request that fits the address range (not
    /// [`CapacityOverflow`](Error::CapacityOverflow)) but not the memory the
    /// process can have. Every `try_` method that makes or grows a buffer
    /// returns it instead of aborting the process, and leaves the column (or
    /// the pool) as it was.
    OutOfMemory {
        /// The column type.
        field: FieldType,
        /// The rows the column was to hold.
        rows: usize,
        /// The bytes its buffers needed in all to hold them (a growing
        /// buffer may have asked the allocator for more, to amortise).
        bytes: usize,
    },
    /// A pool limit above what the crate accepts.
    LimitTooLarge {
        /// Which limit.
        limit: &'static str,
        /// The value given.
        value: usize,
        /// The largest accepted value.
        max: usize,
    },
    /// A typed access the column's logical type does not accept (an `f64`
    /// into an `Int64` column, a string into a fixed-width one, ...).
    TypeMismatch {
        /// What the access is and the logical types it accepts, such as
        /// `"f64 (Float64)"`.
        expected: &'static str,
        /// The column's type.
        actual: FieldType,
    },
    /// A row index at or past the column's length.
    RowOutOfRange {
        /// The index asked for.
        row: usize,
        /// The column's length.
        len: usize,
    },
    /// A column index at or past the chunk's column count.
    ColumnOutOfRange {
        /// The index asked for.
        column: usize,
        /// The chunk's column count.
        columns: usize,
    },
    /// A mutable access to a column that another slot still shares
    /// (see [`Chunk::make_ref`](crate::Chunk::make_ref)).
    SharedColumn {
        /// The column index.
        column: usize,
    },
    /// Variable-width data grew past `i64::MAX` bytes (offsets are `i64`).
    OffsetOverflow,
    /// A row count given to a chunk that has columns
    /// ([`Chunk::set_num_virtual_rows`](crate::Chunk::set_num_virtual_rows)):
    /// its rows are its columns' rows.
    HasColumns {
        /// The chunk's column count.
        columns: usize,
    },
    /// Columns shared or swapped between two chunks while one of them has
    /// a selection ([`Chunk::set_sel`](crate::Chunk::set_sel)), even an
    /// empty one (TiDB's rule for `MakeRefTo` and `SwapColumn`): the
    /// selection stays with its chunk, so the column would show the other
    /// chunk rows its selection filtered out.
    HasSelection,
    /// Rows moved between chunks of different logical layouts
    /// ([`Chunk::append_rows`](crate::Chunk::append_rows) and friends): the
    /// two chunks differ at `column`, in its field type or because one of
    /// them has no such column (`None`).
    LayoutMismatch {
        /// The first column index at which the layouts differ.
        column: usize,
        /// The destination's field type there (`None`: it has fewer columns).
        dst: Option<FieldType>,
        /// The source's field type there (`None`: it has fewer columns).
        src: Option<FieldType>,
    },
    /// A chunk whose columns differ in length, where an operation needs one
    /// row count for every column (moving rows into or out of it).
    RaggedChunk {
        /// The first column whose length differs from the first column's.
        column: usize,
        /// That column's length.
        len: usize,
        /// The first column's length (the chunk's `physical_rows`).
        rows: usize,
    },
    /// Rows handed over in Arrow's layout
    /// ([`Column::extend_bytes_from_parts`](crate::Column::extend_bytes_from_parts)
    /// and its kin) that do not describe rows: an offset that is negative,
    /// falls, lies past the values or splits a UTF-8 character (`at`: its
    /// index), or a validity bitmap with fewer bits than rows (`at`: its
    /// length in bytes).
    InvalidRows {
        /// What is wrong.
        reason: &'static str,
        /// Where: the offset's index, or the bitmap's length.
        at: usize,
    },
    /// A row of a `Utf8` column read as a string whose bytes are not UTF-8
    /// (they can be put there with [`Column::append_bytes`](crate::Column::append_bytes),
    /// which does not check them).
    InvalidUtf8 {
        /// The row.
        row: usize,
    },
    /// A `Bool` column given a byte other than 0 or 1 (through
    /// [`Column::append_fixed_bytes`](crate::Column::append_fixed_bytes),
    /// the one write of a `Bool` column that takes a byte): a `Bool`
    /// column holds only 0 and 1.
    InvalidBool {
        /// The byte given.
        value: u8,
    },
    /// The allocator's [`MemoryBudget`](crate::MemoryBudget) refused the
    /// bytes new buffers needed (see
    /// [`LockFreeAllocator::with_memory_budget`](crate::LockFreeAllocator::with_memory_budget)).
    /// The allocator holds what it held before, and the budget was charged
    /// nothing for the request.
    BudgetRefused {
        /// The bytes asked for.
        bytes: usize,
        /// The budget's reason.
        reason: &'static str,
    },
    /// A conversion to or from Apache Arrow refused (feature `arrow`): the
    /// data has no form on the other side, or arrow-rs rejected it.
    /// `column` names the column when one is to blame; `cause` holds
    /// arrow-rs's own message when arrow-rs rejected the data (it ends
    /// this error's `Display`, and it is this error's
    /// [`source`](std::error::Error::source)).
    #[cfg(feature = "arrow")]
    Arrow {
        /// The column at fault, if one is.
        column: Option<usize>,
        /// What went wrong.
        reason: &'static str,
        /// arrow-rs's message, when arrow-rs rejected the data.
        cause: Option<ArrowCause>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidElemSize { size } => write!(
                f,
                "invalid element size {size}: a fixed-width column needs 1..={} bytes per row",
                crate::field::MAX_ELEM_SIZE
            ),
            Error::InvalidDecimal { precision, scale } => write!(
                f,
                "invalid decimal({precision}, {scale}): the precision must be 1..=65 and \
                 the scale at most 30 and at most the precision"
            ),
            Error::ZeroCapacity => f.write_str("chunk capacity must be at least 1"),
            Error::ZeroMaxChunkSize => f.write_str("max_chunk_size must be at least 1"),
            Error::CapacityOverflow { field, rows } => write!(
                f,
                "capacity overflow: {rows} rows of a column of type {field} do not fit in memory"
            ),
            Error::OutOfMemory { field, rows, bytes } => write!(
                f,
                "out of memory: {rows} rows of a column of type {field} need {bytes} bytes, \
                 which the allocator refused"
            ),
            Error::BudgetRefused { bytes, reason } => {
                write!(f, "the memory budget refused {bytes} bytes: {reason}")
            }
            Error::LimitTooLarge { limit, value, max } => {
                write!(f, "limit `{limit}` = {value} is above the maximum {max}")
            }
            Error::TypeMismatch { expected, actual } => {
                write!(
                    f,
                    "type mismatch: {expected} access on a column of type {actual}"
                )
            }
            Error::RowOutOfRange { row, len } => {
                write!(f, "row {row} out of range for a column of length {len}")
            }
            Error::ColumnOutOfRange { column, columns } => {
                write!(
                    f,
                    "column {column} out of range for a chunk of {columns} columns"
                )
            }
            Error::SharedColumn { column } => write!(
                f,
                "column {column} is shared with another slot (make_ref); it cannot be mutated"
            ),
            Error::OffsetOverflow => f.write_str("variable-width data exceeds i64::MAX bytes"),
            Error::HasColumns { columns } => write!(
                f,
                "a chunk of {columns} columns has its columns' rows; only a chunk without \
                 columns takes a row count"
            ),
            Error::HasSelection => f.write_str(
                "a chunk with a selection cannot share or swap columns with another chunk",
            ),
            Error::LayoutMismatch { column, dst, src } => {
                let show =
                    |t: &Option<FieldType>| t.map_or("no column".to_owned(), |t| t.to_string());
                write!(
                    f,
                    "layout mismatch at column {column}: the destination has {}, the source has {}",
                    show(dst),
                    show(src)
                )
            }
            Error::RaggedChunk { column, len, rows } => write!(
                f,
                "ragged chunk: column {column} has {len} rows, column 0 has {rows}"
            ),
            Error::InvalidRows { reason, at } => write!(f, "invalid rows: {reason} (at {at})"),
            Error::InvalidUtf8 { row } => {
                write!(f, "row {row} of a Utf8 column is not valid UTF-8")
            }
            Error::InvalidBool { value } => {
                write!(f, "a Bool column holds 0 and 1 only, not {value}")
            }
            #[cfg(feature = "arrow")]
            Error::Arrow {
                column,
                reason,
                cause,
            } => {
                f.write_str("arrow: ")?;
                if let Some(c) = column {
                    write!(f, "column {c}: ")?;
                }
                f.write_str(reason)?;
                match cause {
                    Some(cause) => write!(f, ": {cause}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    /// arrow-rs's message for an `Error::Arrow` (feature `arrow`) that
    /// has a cause; `None` for every other error (they have no underlying
    /// one).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "arrow")]
            Error::Arrow {
                cause: Some(cause), ..
            } => Some(cause),
            _ => None,
        }
    }
}

/// arrow-rs's own error message, kept as the cause of an [`Error::Arrow`]
/// (feature `arrow`): its [`source`](std::error::Error::source).
///
/// The message is kept inline, up to [`ArrowCause::CAPACITY`] bytes (a
/// longer one is cut at a character boundary and ends in `…`), not as
/// arrow's error itself: so `Error` holds no heap memory and has no
/// destructor, with the feature on as without it, and a `const` may still
/// match on a `Result<_, Error>` (such as [`FieldType::fixed`]'s).
///
/// ```
/// use chunkpool::{Column, Error, FieldType};
/// use std::error::Error as _;
///
/// let mut c = Column::new(FieldType::UTF8, 1);
/// c.append_bytes(&[0xff]); // not UTF-8: arrow-rs refuses the string array
/// let err = c.into_array().unwrap_err();
/// let Error::Arrow { cause: Some(cause), .. } = &err else { panic!("{err:?}") };
/// assert!(cause.message().contains("UTF-8"), "{cause}");
/// assert!(err.to_string().ends_with(cause.message()));
/// assert_eq!(err.source().unwrap().to_string(), cause.message());
/// ```
#[cfg(feature = "arrow")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ArrowCause {
    len: u8,
    text: [u8; ArrowCause::CAPACITY],
}

#[cfg(feature = "arrow")]
impl ArrowCause {
    /// The most bytes of arrow's message kept.
    ///
    /// ```
    /// assert!(chunkpool::ArrowCause::CAPACITY >= 64);
    /// ```
    pub const CAPACITY: usize = 80;

    /// Keeps `e`'s message.
    pub(crate) fn new(e: &arrow_schema::ArrowError) -> ArrowCause {
        let full = e.to_string();
        let mut end = full.len();
        let mut cut = false;
        if end > ArrowCause::CAPACITY {
            // Room for the three bytes of '…'.
            end = ArrowCause::CAPACITY - '…'.len_utf8();
            while !full.is_char_boundary(end) {
                end -= 1;
            }
            cut = true;
        }
        let mut text = [0; ArrowCause::CAPACITY];
        text[..end].copy_from_slice(&full.as_bytes()[..end]);
        let mut len = end;
        if cut {
            let mut buf = [0; 4];
            let more = '…'.encode_utf8(&mut buf).as_bytes();
            text[end..end + more.len()].copy_from_slice(more);
            len += more.len();
        }
        ArrowCause {
            len: len as u8,
            text,
        }
    }

    /// arrow-rs's message (cut as the type's docs say).
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 1);
    /// c.append_bytes(&[0xc3]);
    /// if let Err(Error::Arrow { cause: Some(cause), .. }) = c.into_array() {
    ///     assert!(!cause.message().is_empty());
    /// } else {
    ///     panic!("arrow-rs should refuse the bytes");
    /// }
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        // Copied from a `str` and cut at a character boundary.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }
}

#[cfg(feature = "arrow")]
impl fmt::Debug for ArrowCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ArrowCause").field(&self.message()).finish()
    }
}

#[cfg(feature = "arrow")]
impl fmt::Display for ArrowCause {
    /// arrow-rs's message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(feature = "arrow")]
impl std::error::Error for ArrowCause {}

/// The panic of every panicking twin of a `try_` method (`alloc` of
/// `try_alloc`, `column_mut` of `try_column_mut`, ...): the error's
/// message, pointing at the caller. Cold and out of line, so the twins
/// inline to a test and a call.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn fail(e: Error) -> ! {
    panic!("chunkpool: {e}")
}

/// The value of `r`, or the panic of [`fail`].
#[inline]
#[track_caller]
pub(crate) fn unwrap_or_fail<T>(r: Result<T, Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => fail(e),
    }
}
