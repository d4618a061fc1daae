//! Bulk appends in Arrow's layout: a batch's worth of values (and, for
//! variable width, offsets into them) with an optional validity bitmap,
//! each copied in one pass rather than row by row. This is the fill path
//! for engines that work a column at a time: decoded pages, arrow arrays,
//! their own buffers.
//!
//! Every call checks all of its input, and on an error leaves the
//! column's rows as they were (a buffer grown for the rows keeps its
//! capacity).

use super::{Column, FixedElem};
use crate::error::unwrap_or_fail;
use crate::error::Error;

mod sealed {
    pub trait Sealed {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

/// The offset types of Arrow's variable-width layouts: `i32` (`Utf8`,
/// `Binary`) and `i64` (`LargeUtf8`, `LargeBinary`), which the bulk string
/// appends take. Sealed.
///
/// ```
/// use chunkpool::{Column, FieldType, OffsetElem};
///
/// fn fill<O: OffsetElem>(col: &mut Column, offsets: &[O], text: &str) {
///     col.extend_str_from_parts(offsets, text, None);
/// }
/// let mut c = Column::new(FieldType::UTF8, 4);
/// fill(&mut c, &[0i32, 1], "ab");
/// fill(&mut c, &[1i64, 2], "ab");
/// assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("a"), Some("b")]);
/// ```
pub trait OffsetElem: sealed::Sealed + Copy {
    /// The offset, widened.
    #[doc(hidden)]
    fn to_i64(self) -> i64;
}

impl OffsetElem for i32 {
    #[inline]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
}

impl OffsetElem for i64 {
    #[inline]
    fn to_i64(self) -> i64 {
        self
    }
}

/// The error for `offsets` that do not describe rows of `values` (one
/// negative, below the one before, or past the end), naming the first
/// such offset. Called once a fast check (the ends, then
/// `Column::push_offsets`) has refused them.
#[cold]
fn offsets_error<O: OffsetElem>(offsets: &[O], values: &[u8]) -> Error {
    let mut prev = 0;
    for (i, o) in offsets.iter().map(|o| o.to_i64()).enumerate() {
        if o < 0 {
            return invalid("a negative offset", i);
        }
        if i > 0 && o < prev {
            return invalid("an offset below the one before it", i);
        }
        if o > values.len() as i64 {
            return invalid("an offset past the values", i);
        }
        prev = o;
    }
    unreachable!("the fast checks refuse only offsets this finds bad")
}

/// Bytes a bulk string append copies before it checks the character
/// boundaries that fall in them (a few pages: well within L1).
const PIECE: usize = 16 * 1024;

/// [`Error::InvalidRows`].
#[cold]
fn invalid(reason: &'static str, at: usize) -> Error {
    Error::InvalidRows { reason, at }
}

/// Checks that `validity`, if given, has a bit for each of `rows` rows.
pub(super) fn check_validity(validity: Option<&[u8]>, rows: usize) -> Result<(), Error> {
    match validity {
        Some(v) if v.len() < rows.div_ceil(8) => Err(invalid(
            "the validity bitmap has fewer bits than there are rows",
            v.len(),
        )),
        _ => Ok(()),
    }
}

/// Whether some NULL row among the first `rows` of `bits` has a slot that
/// spans bytes (`at(i)`: row `i`'s start offset), looked at only for the
/// NULL rows, found 64 rows at a time (a word of the bitmap).
fn null_slot_with_bytes(bits: &[u8], rows: usize, at: impl Fn(usize) -> usize) -> bool {
    let mut spans = 0;
    // The NULL rows of word `w` (`valid`, its bits), lowest first; none
    // past the last row.
    let mut word = |w: usize, valid: u64| {
        let mut nulls = !valid;
        let left = rows - w * 64;
        if left < 64 {
            nulls &= (1u64 << left) - 1;
        }
        while nulls != 0 {
            let i = w * 64 + nulls.trailing_zeros() as usize;
            spans |= at(i) ^ at(i + 1);
            nulls &= nulls - 1;
        }
    };
    let bytes = &bits[..rows.div_ceil(8)];
    let words = bytes.chunks_exact(8);
    let (whole, tail) = (words.len(), words.remainder());
    for (w, chunk) in words.enumerate() {
        word(
            w,
            u64::from_le_bytes(chunk.try_into().expect("eight bytes")),
        );
    }
    if !tail.is_empty() {
        let mut last = [0xFF; 8];
        last[..tail.len()].copy_from_slice(tail);
        word(whole, u64::from_le_bytes(last));
    }
    spans != 0
}

/// The set bits of `bytes`, eight bytes at a time.
pub(super) fn count_ones(bytes: &[u8]) -> usize {
    let words = bytes.chunks_exact(8);
    let tail = words.remainder().iter().map(|b| b.count_ones() as usize);
    words
        .map(|w| u64::from_le_bytes(w.try_into().expect("eight bytes")).count_ones() as usize)
        .sum::<usize>()
        + tail.sum::<usize>()
}

/// Whether bit `i` of an LSB-first bitmap is set.
#[inline]
pub(super) fn bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] & (1 << (i % 8)) != 0
}

impl Column {
    /// Where the data ends once `bytes` more are written for `rows` more
    /// rows, or [`Error::CapacityOverflow`] past what a buffer can hold
    /// (`isize::MAX` less the 8 bytes a fixed-width read may reach past).
    pub(super) fn data_end_after(&self, bytes: usize, rows: usize) -> Result<usize, Error> {
        self.data_len
            .checked_add(bytes)
            .filter(|&end| end <= isize::MAX as usize - 8)
            .ok_or(Error::CapacityOverflow {
                field: self.field,
                rows: self.len.saturating_add(rows),
            })
    }

    /// Appends `values` to a column of a logical type `T` writes (see
    /// [`FixedElem`]), row `i` NULL where bit `i` of `validity` is clear
    /// (Arrow's validity bitmap: LSB first, a set bit is a value; `None`:
    /// no NULL). One copy for the values, one for the bits. A NULL row's
    /// element is zero, as [`Column::append_null`] writes it, whatever
    /// `values` holds there.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I32, 8);
    /// c.extend_from_parts(&[1i32, 99, 3], Some(&[0b101]));
    /// assert_eq!(c.iter::<i32>().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
    /// assert_eq!(c.as_slice::<i32>(), &[1, 0, 3]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_from_parts`]
    /// returns.
    #[track_caller]
    pub fn extend_from_parts<T: FixedElem>(&mut self, values: &[T], validity: Option<&[u8]>) {
        unwrap_or_fail(self.try_extend_from_parts(values, validity))
    }

    /// Like [`Column::extend_from_parts`], returning an error instead of
    /// panicking; on an error the column's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 8);
    /// // Nine rows need two bytes of validity.
    /// let err = c.try_extend_from_parts(&[0i64; 9], Some(&[0xff])).unwrap_err();
    /// assert!(matches!(err, Error::InvalidRows { .. }));
    /// assert!(c.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` writes the column's logical type
    /// (`u8` does not write `Bool`: see [`Column::extend_bools_from_parts`]);
    /// [`Error::InvalidRows`] when `validity` has fewer bits than
    /// `values` has rows; [`Error::CapacityOverflow`] or
    /// [`Error::OutOfMemory`] when the buffers cannot grow.
    pub fn try_extend_from_parts<T: FixedElem>(
        &mut self,
        values: &[T],
        validity: Option<&[u8]>,
    ) -> Result<(), Error> {
        self.check_write::<T>()?;
        self.extend_fixed_parts(bytemuck::cast_slice(values), validity)
    }

    /// The body of [`Column::try_extend_from_parts`], the type checked:
    /// `bytes` holds whole elements of the column's size.
    pub(super) fn extend_fixed_parts(
        &mut self,
        bytes: &[u8],
        validity: Option<&[u8]>,
    ) -> Result<(), Error> {
        let size = self.field.elem_size().unwrap_or(1);
        debug_assert_eq!(bytes.len() % size, 0);
        let rows = bytes.len() / size;
        check_validity(validity, rows)?;
        // Rows cannot overflow where their bytes (at least one a row) do not.
        let end = self.data_end_after(bytes.len(), rows)?;
        self.reserve_rows(rows, end)?;
        let first = self.len;
        self.push_data(bytes);
        match validity {
            None => self.push_valid_bits(rows),
            Some(bits) => {
                self.push_bits(bits, rows);
                if self.nulls > 0 {
                    let data = &mut self.data.as_bytes_mut()[first * size..];
                    for (i, elem) in data.chunks_exact_mut(size).take(rows).enumerate() {
                        if !bit(bits, i) {
                            elem.fill(0);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Appends `offsets.len() - 1` rows of byte strings given in Arrow's
    /// variable-width layout to a variable-width column (`Utf8` or
    /// `Binary`): row `i` is `values[offsets[i]..offsets[i + 1]]`, NULL
    /// where bit `i` of `validity` is clear (`None`: no NULL). Offsets
    /// start anywhere (a slice of an array) and never fall. The bytes are
    /// copied in one piece and the offsets rebased in one pass, unless a
    /// NULL row has bytes (Arrow allows it): then the rows are copied one
    /// by one, so that a NULL row stays empty as in every other write.
    /// The bytes are not checked to be UTF-8 (as with
    /// [`Column::append_bytes`]); [`Column::extend_str_from_parts`] takes
    /// a `&str`.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 4);
    /// c.extend_bytes_from_parts(&[2i32, 4, 4, 7], b"xxabcde", Some(&[0b101]));
    /// let rows: Vec<_> = c.iter_bytes().collect();
    /// assert_eq!(rows, [Some(&b"ab"[..]), None, Some(&b"cde"[..])]);
    /// assert_eq!(c.offsets(), &[0, 2, 2, 5]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error
    /// [`Column::try_extend_bytes_from_parts`] returns.
    #[track_caller]
    pub fn extend_bytes_from_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &[u8],
        validity: Option<&[u8]>,
    ) {
        unwrap_or_fail(self.try_extend_bytes_from_parts(offsets, values, validity))
    }

    /// Like [`Column::extend_bytes_from_parts`], returning an error
    /// instead of panicking; on an error the column's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 4);
    /// let falling = c.try_extend_bytes_from_parts(&[0i64, 3, 2], b"abc", None);
    /// assert!(matches!(falling, Err(Error::InvalidRows { at: 2, .. })));
    /// let past = c.try_extend_bytes_from_parts(&[0i64, 4], b"abc", None);
    /// assert!(matches!(past, Err(Error::InvalidRows { at: 1, .. })));
    /// assert!(c.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::InvalidRows`] when an offset is negative, falls, or lies
    /// past `values`, or `validity` has fewer bits than there are rows;
    /// [`Error::OffsetOverflow`] or [`Error::OutOfMemory`] when the
    /// buffers cannot grow.
    pub fn try_extend_bytes_from_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &[u8],
        validity: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch("byte string (Utf8, Binary)"));
        }
        self.extend_var_parts(offsets, values, validity, None)
    }

    /// [`Column::extend_bytes_from_parts`] of a `&str`: every offset must
    /// fall on a character boundary, so each row is valid UTF-8 and the
    /// column keeps vouching for its UTF-8 (the Arrow export then skips
    /// arrow's check).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// c.extend_str_from_parts(&[0i32, 3, 6], "héllo", None);
    /// assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("hé"), Some("llo")]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_str_from_parts`]
    /// returns.
    #[track_caller]
    pub fn extend_str_from_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &str,
        validity: Option<&[u8]>,
    ) {
        unwrap_or_fail(self.try_extend_str_from_parts(offsets, values, validity))
    }

    /// Like [`Column::extend_str_from_parts`], returning an error instead
    /// of panicking; on an error the column's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// // Offset 1 splits the two bytes of 'é'.
    /// let split = c.try_extend_str_from_parts(&[0i32, 1], "é", None);
    /// assert!(matches!(split, Err(Error::InvalidRows { at: 1, .. })));
    /// assert!(c.is_empty());
    /// ```
    ///
    /// # Errors
    /// As [`Column::try_extend_bytes_from_parts`], and
    /// [`Error::InvalidRows`] when an offset splits a character.
    pub fn try_extend_str_from_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &str,
        validity: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch("str (Utf8, Binary)"));
        }
        self.extend_var_parts(offsets, values.as_bytes(), validity, Some(values))
    }

    /// The body of the two variable-width bulk appends; `text` is `values`
    /// as a `&str` when the rows are to be vouched for as UTF-8.
    fn extend_var_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &[u8],
        validity: Option<&[u8]>,
        text: Option<&str>,
    ) -> Result<(), Error> {
        let rows = offsets.len().saturating_sub(1);
        check_validity(validity, rows)?;
        let (Some(first), Some(last)) = (offsets.first(), offsets.last()) else {
            return Ok(());
        };
        let (first, last, len) = (first.to_i64(), last.to_i64(), values.len() as i64);
        // The ends first: the rows span `values[first..last]`. The offsets
        // between them are checked in the pass that rebases them, below.
        if first < 0 || first > last || last > len {
            return Err(offsets_error(offsets, values));
        }
        // An index once the offsets are checked.
        let at = |i: usize| offsets[i].to_i64() as usize;
        // The first offset in `from..` below byte `limit` that splits a
        // character, if one does; else where the offsets below `limit` end.
        let split_below = |from: usize, limit: usize| -> Result<usize, Error> {
            let Some(t) = text else {
                return Ok(from);
            };
            let mut i = from;
            while i < offsets.len() && at(i) < limit {
                if !t.is_char_boundary(at(i)) {
                    return Err(invalid("an offset inside a UTF-8 character", i));
                }
                i += 1;
            }
            Ok(i)
        };
        let (first, last) = (first as usize, last as usize);
        let bytes = &values[first..last];
        let end = self.reserve_var_rows(rows, bytes.len())?;
        let mark = self.mark();
        let base = self.data_len as i64 - first as i64;
        // Copied a piece at a time, each piece's offsets checked for
        // character boundaries right after it (while it is in cache: read
        // from memory one by one, the checks cost as much as the copy).
        let dst = &mut self.data.as_bytes_mut()[self.data_len..end];
        let mut checked = Ok(0);
        // Short rows: testing the bytes for ASCII (then every byte starts
        // a character) costs less than testing each offset; the offsets
        // are tested one by one after all only if some byte is not ASCII.
        let short_rows = text.is_some() && rows > 0 && bytes.len() / rows < 64;
        let mut ascii = short_rows;
        for (k, (d, s)) in dst.chunks_mut(PIECE).zip(bytes.chunks(PIECE)).enumerate() {
            d.copy_from_slice(s);
            if short_rows {
                ascii = ascii && s.is_ascii();
            } else if let Ok(from) = checked {
                checked = split_below(from, first + (k + 1) * PIECE);
            }
        }
        if !self.push_offsets(offsets, base, len) {
            self.rollback(mark);
            return Err(offsets_error(offsets, values));
        }
        // A NULL row whose slot spans bytes: the rows are appended one by
        // one instead, which empties it. Looked for in the offsets just
        // written (in cache) rather than in the caller's, read before
        // anything else was.
        let new = &self.offsets[mark.offsets - 1..];
        if validity.is_some_and(|bits| null_slot_with_bytes(bits, rows, |i| new[i] as usize)) {
            self.rollback(mark);
            split_below(0, usize::MAX)?;
            return self.all_or_nothing(0..rows, |c, i| {
                let valid = validity.map_or(true, |bits| bit(bits, i));
                let (a, b) = (at(i), at(i + 1));
                match text {
                    _ if !valid => c.push_null_row(0, true),
                    Some(t) => c.push_str_row(&t[a..b]),
                    None => c.push_row(&values[a..b], true),
                }
            });
        }
        // A split character is the one error left.
        if ascii {
            // Only the offsets at the end of the bytes remain to test.
            checked = Ok(offsets.partition_point(|o| (o.to_i64() as usize) < last));
        }
        if let Err(e) = checked.and_then(|from| split_below(from, usize::MAX)) {
            self.rollback(mark);
            return Err(e);
        }
        self.data_len = end;
        self.finish_var_rows(rows, validity, text.is_none());
        Ok(())
    }

    /// Rows of an arrow byte array (`utf8`: a string array), appended
    /// without checking its offsets: arrow checked when it built the array
    /// that they rise within `values` and, for a string array, that the
    /// rows are UTF-8 (the column vouches for them on that word, as arrow
    /// itself reads them unchecked). Only the NULL slots are looked at: a
    /// slot with bytes sends the rows through the checked path, which
    /// empties it. The import's path.
    #[cfg(feature = "arrow")]
    pub(crate) fn extend_arrow_parts<O: OffsetElem>(
        &mut self,
        offsets: &[O],
        values: &[u8],
        validity: Option<&[u8]>,
        utf8: bool,
    ) -> Result<(), Error> {
        debug_assert!(self.field.is_var());
        let rows = offsets.len().saturating_sub(1);
        check_validity(validity, rows)?;
        let at = |i: usize| offsets[i].to_i64() as usize;
        if rows == 0 {
            return Ok(());
        }
        let bytes = &values[at(0)..at(rows)];
        debug_assert!(!utf8 || std::str::from_utf8(bytes).is_ok(), "arrow's UTF-8");
        let end = self.reserve_var_rows(rows, bytes.len())?;
        let mark = self.mark();
        let base = self.data_len as i64 - at(0) as i64;
        self.data.as_bytes_mut()[self.data_len..end].copy_from_slice(bytes);
        let rebased = self.push_offsets(offsets, base, values.len() as i64);
        debug_assert!(rebased, "arrow's offsets");
        // Looked for in the offsets just written, as in `extend_var_parts`.
        let new = &self.offsets[mark.offsets - 1..];
        if validity.is_some_and(|bits| null_slot_with_bytes(bits, rows, |i| new[i] as usize)) {
            self.rollback(mark);
            let text = utf8
                .then(|| std::str::from_utf8(&values[..at(rows)]).ok())
                .flatten();
            return self.extend_var_parts(offsets, values, validity, text);
        }
        self.data_len = end;
        self.finish_var_rows(rows, validity, !utf8);
        Ok(())
    }

    /// Makes room for `rows` more variable-width rows of `bytes` bytes in
    /// all, the data blocks brought into use up to their end, which it
    /// returns ([`Error::OffsetOverflow`] past `i64::MAX` bytes).
    fn reserve_var_rows(&mut self, rows: usize, bytes: usize) -> Result<usize, Error> {
        let end = self
            .data_len
            .checked_add(bytes)
            .filter(|&e| i64::try_from(e).is_ok())
            .ok_or(Error::OffsetOverflow)?;
        self.reserve_rows(rows, end)?;
        self.data.grow_to(end);
        Ok(end)
    }

    /// Appends `offsets[1..]` rebased by `base` (room reserved) and checks
    /// them in the same pass, with no branch: whether every one is in
    /// `0..=len` and none is below the one before, given that the first is
    /// in `0..=len` (the caller checks it). On `false` the appended offsets
    /// are garbage for the caller to roll back.
    ///
    /// By induction, with `a`, the offset before `b`, in `0..=len`: the
    /// sign bit of `b - a | len - b` (wrapping) is set for `b` past `len`
    /// (`len - b` is exact there) and for `b` below `a`: exact and negative
    /// unless `b` is so far below zero that it wraps, and then `len - b`,
    /// at least `a - b`, wraps too. So a `b` that leaves both clear is in
    /// `a..=len`.
    fn push_offsets<O: OffsetElem>(&mut self, offsets: &[O], base: i64, len: i64) -> bool {
        let mut signs = 0;
        let rebased = offsets
            .iter()
            .zip(offsets.get(1..).unwrap_or_default())
            .map(|(a, b)| {
                let (a, b) = (a.to_i64(), b.to_i64());
                signs |= b.wrapping_sub(a) | len.wrapping_sub(b);
                b.wrapping_add(base)
            });
        self.offsets.extend(rebased);
        signs >= 0
    }

    /// The end of a bulk variable-width append of `rows` rows, data and
    /// offsets in place: whether the rows are `raw` bytes, the validity.
    fn finish_var_rows(&mut self, rows: usize, validity: Option<&[u8]>, raw: bool) {
        self.raw_bytes |= raw;
        match validity {
            None => self.push_valid_bits(rows),
            Some(bits) => self.push_bits(bits, rows),
        }
    }

    /// Appends `n` validity bits from `bits` (LSB first, from bit 0; room
    /// reserved) and counts the NULLs among them.
    pub(super) fn push_bits(&mut self, bits: &[u8], n: usize) {
        let total = self.len + n;
        let (base, shift) = (self.len / 8, self.len % 8);
        let valid = if shift == 0 {
            // Byte-aligned (the bitmap holds exactly `base` bytes): whole
            // bytes copied, then the last one's bits past the rows cleared.
            debug_assert_eq!(self.bitmap.len(), base);
            let whole = n / 8;
            self.bitmap.extend_from_slice(&bits[..whole]);
            let mut valid = count_ones(&bits[..whole]);
            if n % 8 != 0 {
                let b = bits[whole] & ((1u8 << (n % 8)) - 1);
                self.bitmap.push(b);
                valid += b.count_ones() as usize;
            }
            valid
        } else {
            self.bitmap.resize(total.div_ceil(8), 0);
            let mut valid = 0;
            for (i, &b) in bits[..n.div_ceil(8)].iter().enumerate() {
                // Bits past the last row stay clear.
                let b = if i == n / 8 {
                    b & ((1u8 << (n % 8)) - 1)
                } else {
                    b
                };
                valid += b.count_ones() as usize;
                self.bitmap[base + i] |= b << shift;
                if let Some(next) = self.bitmap.get_mut(base + i + 1) {
                    *next |= b >> (8 - shift);
                }
            }
            valid
        };
        self.nulls += n - valid;
        self.len = total;
    }
}

#[cfg(test)]
mod tests {
    use super::null_slot_with_bytes;

    /// The plain reading of `null_slot_with_bytes`: row by row.
    fn by_rows(bits: &[u8], rows: usize, offsets: &[usize]) -> bool {
        (0..rows).any(|i| bits[i / 8] & (1 << (i % 8)) == 0 && offsets[i] != offsets[i + 1])
    }

    /// Every shape of bitmap the search has a case for: words with no NULL
    /// row and with every row NULL, a partial last word and byte, bits
    /// past the last row set or clear, the bitmap longer than the rows;
    /// bytes on the valid rows only (no), then on one more row picked at
    /// random, which turns the answer to yes where that row is NULL.
    #[test]
    fn finds_a_null_slot_with_bytes_exactly_where_a_row_by_row_search_does() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = [0usize; 2];
        // Under Miri, which interprets the test: a word and a partial
        // second, and two words and a partial third; one density a shape.
        let row_counts: Vec<usize> = if cfg!(miri) {
            (0..=66).chain([127, 128, 129]).collect()
        } else {
            (0..=200).chain([255, 256, 257, 1023, 1024]).collect()
        };
        for rows in row_counts {
            for (d, density) in [0u64, 1, 8, 64, 256].into_iter().enumerate() {
                if cfg!(miri) && d != rows % 5 {
                    continue;
                }
                // One row in 256/density is NULL (0: none, 256: all).
                let mut bits = vec![0u8; rows.div_ceil(8) + 2];
                for (i, b) in bits.iter_mut().enumerate() {
                    for k in 0..8 {
                        let valid = if i * 8 + k < rows {
                            next() % 256 >= density
                        } else {
                            // Past the last row: whatever the caller had.
                            next() % 2 == 0
                        };
                        *b |= u8::from(valid) << k;
                    }
                }
                for len in [0, 1, 2] {
                    let bits = &bits[..rows.div_ceil(8) + len];
                    // Bytes on the valid rows only, then on one row more
                    // (which may be a NULL one).
                    let mut sizes: Vec<usize> = (0..rows)
                        .map(|i| usize::from(bits[i / 8] & (1 << (i % 8)) != 0) * 3)
                        .collect();
                    let extra = (rows > 0).then(|| next() as usize % rows);
                    for round in 0..2 {
                        if round == 1 {
                            match extra {
                                Some(r) => sizes[r] += 1,
                                None => continue,
                            }
                        }
                        let offsets: Vec<usize> = std::iter::once(0)
                            .chain(sizes.iter().scan(0, |end, s| {
                                *end += s;
                                Some(*end)
                            }))
                            .collect();
                        let want = by_rows(bits, rows, &offsets);
                        let got = null_slot_with_bytes(bits, rows, |i| offsets[i]);
                        assert_eq!(got, want, "rows {rows}, density {density}, round {round}");
                        checked[usize::from(want)] += 1;
                    }
                }
            }
        }
        // Both answers were asked for, many times each.
        let least = if cfg!(miri) { 50 } else { 500 };
        assert!(checked[0] > least && checked[1] > least, "{checked:?}");
    }
}
