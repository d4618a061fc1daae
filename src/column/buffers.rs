//! The sizes a column's buffers start with, and how an append grows them:
//! every reservation is fallible, so memory the allocator refuses is an
//! [`Error::OutOfMemory`], never an abort.

use super::Column;
use crate::error::Error;
use crate::field::FieldType;

/// Bytes of data a row a new variable-width column is made with, unless
/// told more (TiDB's estimate).
pub(crate) const VAR_BYTES_PER_ROW: usize = 8;

/// Buffer sizes a column of `rows` rows of `field` starts with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnPlan {
    /// Rows the buffers are sized for.
    pub(super) rows: usize,
    /// Bytes of data.
    pub(super) data_bytes: usize,
    /// Offset entries (variable width only).
    pub(super) offsets: usize,
    /// Bytes of null bitmap.
    pub(super) bitmap: usize,
}

impl ColumnPlan {
    /// Sizes for `rows` rows, or [`Error::CapacityOverflow`] when a byte size
    /// does not fit in `isize`.
    pub(crate) fn new(field: FieldType, rows: usize) -> Result<ColumnPlan, Error> {
        ColumnPlan::with_var_bytes(field, rows, VAR_BYTES_PER_ROW)
    }

    /// [`ColumnPlan::new`] with `var_row_bytes` bytes of data a row for a
    /// variable-width field (at least [`VAR_BYTES_PER_ROW`]).
    pub(crate) fn with_var_bytes(
        field: FieldType,
        rows: usize,
        var_row_bytes: usize,
    ) -> Result<ColumnPlan, Error> {
        let overflow = || Error::CapacityOverflow { field, rows };
        let data_bytes = match field.elem_size() {
            Some(size) => rows.checked_mul(size).ok_or_else(overflow)?,
            None => {
                (rows.checked_mul(var_row_bytes.max(VAR_BYTES_PER_ROW))).ok_or_else(overflow)?
            }
        };
        let offsets = if field.is_var() {
            let n = rows.checked_add(1).ok_or_else(overflow)?;
            n.checked_mul(8).ok_or_else(overflow)?;
            n
        } else {
            0
        };
        // Room to round up to whole 64-byte blocks.
        if data_bytes > isize::MAX as usize - 64 {
            return Err(overflow());
        }
        Ok(ColumnPlan {
            rows,
            data_bytes,
            offsets,
            bitmap: rows.div_ceil(8),
        })
    }

    /// Bytes of all buffers (saturating; the parts each fit in `isize`).
    pub(super) fn bytes(&self) -> usize {
        self.data_bytes
            .saturating_add(self.offsets.saturating_mul(8))
            .saturating_add(self.bitmap)
    }
}

/// [`Error::OutOfMemory`]: the allocator refused memory for `rows` rows of
/// `field`, which need `bytes` bytes of buffers in all. Kept out of line so
/// the paths that reserve carry only a call.
#[cold]
#[inline(never)]
pub(super) fn out_of_memory(field: FieldType, rows: usize, bytes: usize) -> Error {
    Error::OutOfMemory { field, rows, bytes }
}

/// Copies `src` into `dst`, which has its length. A row's value is
/// usually short, and a call to `memcpy` (which the compiler emits for a
/// copy of unknown length) costs more than the copy itself at 8 to 32
/// bytes; so values up to 32 bytes are copied inline with two overlapping
/// loads and stores of the widest word that fits, and longer ones with
/// `copy_from_slice`.
#[inline(always)]
pub(super) fn copy_value(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let dst = &mut dst[..n];
    if n > 32 {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        let (a, b) = (word::<16>(src, 0), word::<16>(src, n - 16));
        dst[..16].copy_from_slice(&a);
        dst[n - 16..].copy_from_slice(&b);
    } else if n >= 8 {
        let (a, b) = (word::<8>(src, 0), word::<8>(src, n - 8));
        dst[..8].copy_from_slice(&a);
        dst[n - 8..].copy_from_slice(&b);
    } else if n >= 4 {
        let (a, b) = (word::<4>(src, 0), word::<4>(src, n - 4));
        dst[..4].copy_from_slice(&a);
        dst[n - 4..].copy_from_slice(&b);
    } else if n > 0 {
        // 1 to 3 bytes: the first, the middle and the last cover them.
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// Copies the `n` bytes of `src` from `a` to `dst` from `at`, both the
/// data blocks in use of a column (initialised to their end, past the
/// column's data too). A value of up to 32 bytes, where both sides have
/// 32 bytes from there, is copied as 32 bytes, with no branch on its
/// length: the bytes past `n` land where the next value goes (and are
/// overwritten) or past the column's data, where no read reaches. So
/// gathering short values costs two loads and stores each.
#[inline(always)]
pub(super) fn copy_in_blocks(dst: &mut [u8], at: usize, src: &[u8], a: usize, n: usize) {
    if n <= 32 && at + 32 <= dst.len() && a + 32 <= src.len() {
        let w = word::<32>(src, a);
        dst[at..at + 32].copy_from_slice(&w);
    } else {
        copy_value(&mut dst[at..at + n], &src[a..a + n]);
    }
}

/// Moves the `n` bytes of `data` from `a` to `at`, towards the front
/// (`at <= a`), within one column's data blocks in use: the in-place
/// form of [`copy_in_blocks`], for compaction. The 32-byte copy of a
/// short value is taken only when the gap is 32 bytes or more, so the
/// bytes it writes past `at + n` lie before `a`: over rows already
/// moved or dropped, never over bytes still to be read.
#[inline(always)]
pub(super) fn move_in_blocks(data: &mut [u8], a: usize, at: usize, n: usize) {
    debug_assert!(at <= a);
    if n <= 32 && a - at >= 32 && a + 32 <= data.len() {
        let w = word::<32>(data, a);
        data[at..at + 32].copy_from_slice(&w);
    } else {
        data.copy_within(a..a + n, at);
    }
}

/// The `W` bytes of `src` from `at` (in bounds: the caller's length check).
#[inline(always)]
fn word<const W: usize>(src: &[u8], at: usize) -> [u8; W] {
    let mut w = [0u8; W];
    w.copy_from_slice(&src[at..at + W]);
    w
}

impl Column {
    /// Appends one not-NULL row whose data is `bytes`, and its end offset
    /// on a variable-width column (`var`); the caller has checked that
    /// `bytes` suits the column's type. The common case, room in every
    /// buffer and a data block already in use, is three comparisons and
    /// the copies; growing is out of line. On error nothing changes.
    /// On a variable-width column the bytes may be anything: the column
    /// no longer vouches for UTF-8 (see [`Column::push_str_row`]).
    #[inline(always)]
    pub(super) fn push_row(&mut self, bytes: &[u8], var: bool) -> Result<(), Error> {
        self.push_row_bytes(bytes, var)?;
        self.raw_bytes |= var;
        Ok(())
    }

    /// [`Column::push_row`] of a `&str` to a variable-width column: valid
    /// UTF-8, so what the column vouches for is unchanged.
    #[inline(always)]
    pub(super) fn push_str_row(&mut self, s: &str) -> Result<(), Error> {
        self.push_row_bytes(s.as_bytes(), true)
    }

    /// The writes of [`Column::push_row`], leaving `raw_bytes` to the
    /// caller.
    #[inline(always)]
    fn push_row_bytes(&mut self, bytes: &[u8], var: bool) -> Result<(), Error> {
        self.push_one(bytes.len(), var, true, |data| copy_value(data, bytes))
    }

    /// Appends one NULL row: `size` zero bytes of data on a fixed-width
    /// column (written: the bytes past the data may be an earlier row's),
    /// an empty value on a variable-width one (`size` 0, `var`).
    #[inline(always)]
    pub(super) fn push_null_row(&mut self, size: usize, var: bool) -> Result<(), Error> {
        self.push_one(size, var, false, |data| data.fill(0))
    }

    /// Appends one row of `n` data bytes, which `write` fills, with its
    /// end offset if `var` and its validity bit.
    #[inline(always)]
    fn push_one(
        &mut self,
        n: usize,
        var: bool,
        not_null: bool,
        write: impl FnOnce(&mut [u8]),
    ) -> Result<(), Error> {
        let start = self.data_len;
        // Both terms are at most `isize::MAX`: no wrap.
        let end = start + n;
        if !self.has_room(end, var) {
            self.grow_for_append(end, var)?;
        }
        write(&mut self.data.as_bytes_mut()[start..end]);
        self.data_len = end;
        if var {
            // `end` lies within the allocation, so it fits `i64`.
            self.offsets.push(end as i64);
        }
        self.push_bit(not_null);
        Ok(())
    }

    /// Whether one more row whose data ends at byte `data_end` (with one
    /// more offset if `var`) fits the buffers as they are, data blocks in
    /// use included.
    #[inline(always)]
    fn has_room(&self, data_end: usize, var: bool) -> bool {
        data_end <= self.data.in_use()
            && (!var || self.offsets.len() < self.offsets.capacity())
            && (self.len % 8 != 0 || self.bitmap.len() < self.bitmap.capacity())
    }

    /// The growing half of [`Column::push_row`]: refuses data past
    /// `i64::MAX` bytes on a variable-width column, grows the buffers
    /// (amortised, like the pushes it stands in for, and fallibly), and
    /// brings the data blocks in use up to `data_end` at least (zeroed).
    /// A refusal leaves the rows as they were (a buffer grown before it
    /// keeps its new capacity).
    #[cold]
    #[inline(never)]
    fn grow_for_append(&mut self, data_end: usize, var: bool) -> Result<(), Error> {
        if var && i64::try_from(data_end).is_err() {
            return Err(Error::OffsetOverflow);
        }
        let rows = self.len + 1;
        let (field, offsets) = (self.field, self.offsets.len() + usize::from(var));
        let oom = |_| {
            let bytes = data_end
                .saturating_add(offsets.saturating_mul(8))
                .saturating_add(rows.div_ceil(8));
            out_of_memory(field, rows, bytes)
        };
        self.growing(|c| {
            c.data.try_reserve_total(data_end).map_err(oom)?;
            if var {
                c.offsets.try_reserve(1).map_err(oom)?;
            }
            if c.len % 8 == 0 {
                c.bitmap.try_reserve(1).map_err(oom)?;
            }
            Ok(())
        })?;
        // Rows are small and many: bring twice the blocks into use (within
        // capacity), so this runs a few times a batch, not every block.
        let doubled = self.data.in_use().saturating_mul(2);
        self.data
            .grow_to(data_end.max(doubled.min(self.data.capacity())));
        Ok(())
    }

    /// Appends `bytes` to a fixed-width column's data, growing by whole
    /// blocks.
    pub(super) fn push_data(&mut self, bytes: &[u8]) {
        debug_assert!(
            !self.field.is_var(),
            "variable-width data goes through push_row"
        );
        let start = self.data_len;
        let end = start + bytes.len();
        self.data.grow_to(end);
        self.data.as_bytes_mut()[start..end].copy_from_slice(bytes);
        self.data_len = end;
    }

    /// Sets row `self.len`'s validity bit (a bitmap byte for every 8 rows;
    /// room reserved) and counts the row.
    #[inline(always)]
    pub(super) fn push_bit(&mut self, not_null: bool) {
        let i = self.len;
        let bit = u8::from(not_null) << (i % 8);
        if i % 8 == 0 {
            self.bitmap.push(bit);
        } else if let Some(last) = self.bitmap.last_mut() {
            // The bitmap holds `ceil(len / 8)` bytes: the last is row i's.
            *last |= bit;
        }
        self.nulls += usize::from(!not_null);
        self.len = i + 1;
    }
}
