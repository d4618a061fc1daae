//! Rows copied in bulk from another column of the same type, for
//! `Chunk`'s row movement (`append_rows`, `append_selected` and friends):
//! reserve for the rows picked, then copy them. Rows are picked as runs of
//! consecutive rows, copied a run at a time, or as a selection of row
//! indices (in any order, repeats allowed), gathered a row at a time:
//! finding runs in a selection cost more than the copies it saved.
//!
//! The caller checks that `src` has this column's field type and that
//! every row picked lies within `src`; a refused reservation leaves the
//! rows as they were.

use super::blocks::Blocks;
use super::buffers::{copy_in_blocks, out_of_memory};
use super::bulk::count_ones;
use super::Column;
use crate::error::Error;
use std::ops::Range;

/// The rows of a source column to append, in order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pick<'a> {
    /// Runs of consecutive rows.
    Runs(&'a [Range<usize>]),
    /// Row indices (a selection vector).
    Rows(&'a [u32]),
}

impl<'a> Pick<'a> {
    /// How many rows are picked.
    pub(crate) fn rows(self) -> usize {
        match self {
            Pick::Runs(runs) => runs.iter().map(ExactSizeIterator::len).sum(),
            Pick::Rows(rows) => rows.len(),
        }
    }

    /// The rows picked as ranges of consecutive rows: the runs, or each
    /// selected row on its own.
    fn runs(self) -> Runs<'a> {
        match self {
            Pick::Runs(runs) => Runs::Given(runs.iter()),
            Pick::Rows(rows) => Runs::Single(rows.iter()),
        }
    }
}

/// Iterator of [`Pick::runs`].
enum Runs<'a> {
    Given(std::slice::Iter<'a, Range<usize>>),
    Single(std::slice::Iter<'a, u32>),
}

impl Iterator for Runs<'_> {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        match self {
            Runs::Given(runs) => runs.next().cloned(),
            Runs::Single(rows) => rows.next().map(|&r| r as usize..r as usize + 1),
        }
    }
}

impl Column {
    /// The bytes `src`'s rows in `run` hold (variable width).
    fn span(&self, run: &Range<usize>) -> (usize, usize) {
        (
            self.offsets[run.start] as usize,
            self.offsets[run.end] as usize,
        )
    }

    /// Reserves room, fallibly, for the `rows` rows `pick` takes from
    /// `src` (same field type), and brings the data blocks they need into
    /// use (zeroed where new): afterwards [`Column::extend_pick`] neither
    /// allocates nor counts the bytes again. Blocks in use past the data
    /// are what a reset leaves too, so a later refusal (of another
    /// column) leaves this one valid.
    pub(crate) fn try_reserve_pick(
        &mut self,
        src: &Column,
        pick: Pick<'_>,
        rows: usize,
    ) -> Result<(), Error> {
        debug_assert_eq!(self.field, src.field);
        debug_assert_eq!(rows, pick.rows());
        let bytes = match self.field.elem_size() {
            Some(size) => rows * size,
            None => pick
                .runs()
                .map(|r| {
                    let (a, b) = src.span(&r);
                    b - a
                })
                .sum(),
        };
        let data_end = self
            .data_len
            .checked_add(bytes)
            .filter(|&e| !self.field.is_var() || i64::try_from(e).is_ok())
            .ok_or(Error::OffsetOverflow)?;
        let total = self.len + rows;
        let field = self.field;
        let oom = |_| out_of_memory(field, total, data_end + total.div_ceil(8));
        self.growing(|c| {
            c.data.try_reserve_total(data_end).map_err(oom)?;
            if c.field.is_var() {
                c.offsets.try_reserve(rows).map_err(oom)?;
            }
            c.bitmap
                .try_reserve(total.div_ceil(8) - c.bitmap.len())
                .map_err(oom)
        })?;
        self.data.grow_to(data_end);
        Ok(())
    }

    /// Appends the `rows` rows `pick` takes from `src` (same field type;
    /// room reserved by [`Column::try_reserve_pick`]): the data gathered
    /// into place in one pass (element by element for a selection or
    /// short runs, a copy per longer run; byte ranges with offsets
    /// rebased for variable width), then the validity bits (all set at
    /// once when `src` has no NULL).
    pub(crate) fn extend_pick(&mut self, src: &Column, pick: Pick<'_>, rows: usize) {
        debug_assert_eq!(self.field, src.field);
        debug_assert_eq!(rows, pick.rows());
        match self.field.elem_size() {
            Some(size) => {
                let first = self.data_len / size;
                let end = self.data_len + rows * size;
                // In use up to `end` (`try_reserve_pick`).
                debug_assert!(self.data.in_use() >= end);
                match size {
                    1 => gather::<u8>(&mut self.data, first, src, pick),
                    2 => gather::<u16>(&mut self.data, first, src, pick),
                    4 => gather::<u32>(&mut self.data, first, src, pick),
                    8 => gather::<u64>(&mut self.data, first, src, pick),
                    _ => {
                        let (from, to) = (src.data(), self.data.as_bytes_mut());
                        let mut at = self.data_len;
                        for r in pick.runs() {
                            let n = r.len() * size;
                            to[at..at + n].copy_from_slice(&from[r.start * size..r.end * size]);
                            at += n;
                        }
                    }
                }
                self.data_len = end;
            }
            None => {
                // Whole rows of `src`: UTF-8 if all of its rows are.
                self.raw_bytes |= src.raw_bytes;
                if let Pick::Rows(rows) = pick {
                    self.gather_var(src, rows);
                } else {
                    self.copy_var_runs(src, pick);
                }
            }
        }
        if src.nulls == 0 {
            self.push_valid_bits(rows);
        } else {
            self.push_bits_of(src, pick, rows);
        }
    }

    /// The data and offsets of the selected `rows` of `src` (variable
    /// width), a row at a time, each value copied by [`copy_in_blocks`]
    /// (short values with no branch on their length).
    fn gather_var(&mut self, src: &Column, rows: &[u32]) {
        // The blocks are in use up to the end (`try_reserve_pick`).
        let (from, to) = (src.data.as_bytes(), self.data.as_bytes_mut());
        let mut at = self.data_len;
        for &r in rows {
            let r = r as usize;
            let (a, b) = (src.offsets[r] as usize, src.offsets[r + 1] as usize);
            copy_in_blocks(to, at, from, a, b - a);
            at += b - a;
            // `at` lies within the blocks in use: it fits `i64`.
            self.offsets.push(at as i64);
        }
        self.data_len = at;
    }

    /// The data and offsets of the runs `pick` takes from `src` (variable
    /// width): a copy per run ([`copy_in_blocks`]), its offsets rebased.
    fn copy_var_runs(&mut self, src: &Column, pick: Pick<'_>) {
        // The blocks are in use up to the end (`try_reserve_pick`).
        let (from, to) = (src.data.as_bytes(), self.data.as_bytes_mut());
        let mut at = self.data_len;
        for r in pick.runs() {
            let (a, b) = src.span(&r);
            copy_in_blocks(to, at, from, a, b - a);
            let base = at as i64 - a as i64;
            if r.len() == 1 {
                self.offsets.push(b as i64 + base);
            } else {
                let rebased = src.offsets[r.start + 1..=r.end].iter().map(|o| o + base);
                self.offsets.extend(rebased);
            }
            at += b - a;
        }
        self.data_len = at;
    }

    /// Appends the validity bits of the rows `pick` takes from `src`:
    /// room for every new bit at once, cleared; then the valid ones ORed
    /// in, gathered 64 at a time (a long byte-aligned run copies whole
    /// bytes).
    fn push_bits_of(&mut self, src: &Column, pick: Pick<'_>, rows: usize) {
        let bit = |s: usize| (src.bitmap[s / 8] >> (s % 8)) & 1;
        let total = self.len + rows;
        self.bitmap.resize(total.div_ceil(8), 0);
        let mut bits = BitGather::new(self.len);
        match pick {
            Pick::Rows(rows) => {
                for &s in rows {
                    bits.push(bit(s as usize), &mut self.bitmap);
                }
            }
            Pick::Runs(runs) => {
                for r in runs {
                    let mut from = r.start;
                    if r.len() >= 64 && from % 8 == 0 {
                        bits.flush(&mut self.bitmap);
                        if bits.at % 8 == 0 {
                            let whole = r.len() / 8;
                            let bytes = &src.bitmap[from / 8..from / 8 + whole];
                            self.bitmap[bits.at / 8..bits.at / 8 + whole].copy_from_slice(bytes);
                            let valid = count_ones(bytes);
                            bits.skip(whole * 8, valid);
                            from += whole * 8;
                        }
                    }
                    for s in from..r.end {
                        bits.push(bit(s), &mut self.bitmap);
                    }
                }
            }
        }
        bits.flush(&mut self.bitmap);
        self.nulls += rows - bits.valid;
        self.len = total;
    }
}

/// Copies the elements `pick` takes from `src` into `dst`'s blocks from
/// element `first` on, as `T` (the element size): one load and store an
/// element for a selection or a run of one row, a slice copy for a
/// longer run.
fn gather<T: bytemuck::Pod>(dst: &mut Blocks, first: usize, src: &Column, pick: Pick<'_>) {
    let from = src.data.as_elems::<T>();
    let to = &mut dst.as_elems_mut::<T>()[first..];
    match pick {
        Pick::Rows(rows) => {
            for (d, &s) in to.iter_mut().zip(rows) {
                *d = from[s as usize];
            }
        }
        Pick::Runs(runs) => {
            let mut k = 0;
            for r in runs {
                if r.len() == 1 {
                    to[k] = from[r.start];
                    k += 1;
                } else {
                    to[k..k + r.len()].copy_from_slice(&from[r.clone()]);
                    k += r.len();
                }
            }
        }
    }
}

/// Validity bits appended to a bitmap whose bytes from bit `at` on are
/// clear: gathered into a word, then ORed in 64 at a time.
struct BitGather {
    /// Where the word's first bit goes.
    at: usize,
    word: u64,
    /// Bits in `word`.
    n: u32,
    /// Set bits written so far.
    valid: usize,
}

impl BitGather {
    fn new(at: usize) -> BitGather {
        BitGather {
            at,
            word: 0,
            n: 0,
            valid: 0,
        }
    }

    /// Appends one bit (0 or 1).
    #[inline(always)]
    fn push(&mut self, bit: u8, bitmap: &mut [u8]) {
        self.word |= u64::from(bit) << self.n;
        self.n += 1;
        if self.n == 64 {
            self.flush(bitmap);
        }
    }

    /// Moves past `n` bits written directly (`valid` of them set), with
    /// the word empty.
    fn skip(&mut self, n: usize, valid: usize) {
        debug_assert_eq!(self.n, 0);
        self.at += n;
        self.valid += valid;
    }

    /// ORs the word's bits into `bitmap` from bit `at` on.
    fn flush(&mut self, bitmap: &mut [u8]) {
        if self.n == 0 {
            return;
        }
        let shift = self.at % 8;
        let low = (self.word << shift).to_le_bytes();
        // The bits shifted out of the word land in a ninth byte.
        let high = if shift == 0 {
            0
        } else {
            (self.word >> (64 - shift)) as u8
        };
        let dst = &mut bitmap[self.at / 8..];
        for (d, s) in dst.iter_mut().zip(low.iter().chain([&high])) {
            *d |= s;
        }
        self.valid += self.word.count_ones() as usize;
        self.at += self.n as usize;
        self.word = 0;
        self.n = 0;
    }
}
