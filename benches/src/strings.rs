//! Text of realistic widths for the string scenarios: S7 of `benches/README.md` (the S1
//! cycle with the variable-width columns filled) and the width sweep of S5's
//! `name` and `comment` columns.
//!
//! Lengths follow a fixed pseudo-random sequence around a mean (uniform on
//! `1..=2·mean−1`), so a column's data buffer grows the way real text makes
//! it grow (doubling past its first 8 KiB) and every run appends the same
//! bytes.

use crate::shapes::{touch, Work};
use chunkpool::{Chunk, Column};
use std::hint::black_box;

/// The mean bytes a row that S7 and S5's width sweep measure (real text is
/// rarely 8).
pub const WIDTHS: [usize; 4] = [8, 24, 64, 200];

/// SplitMix64: one step of the fixed pseudo-random sequence.
#[inline]
pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A string length of mean `mean` drawn from `r`: uniform on
/// `1..=2·mean−1` (just `mean` for a mean of 0 or 1).
#[inline]
pub fn text_len(r: u64, mean: usize) -> usize {
    if mean <= 1 {
        return mean;
    }
    1 + (r % (2 * mean as u64 - 1)) as usize
}

/// Appends `len` lowercase letters drawn from `state` to `buf`.
pub fn push_text(buf: &mut Vec<u8>, len: usize, state: &mut u64) {
    let mut r = 0u64;
    for k in 0..len {
        if k % 12 == 0 {
            r = splitmix(state);
        }
        buf.push(b'a' + (r % 26) as u8);
        r /= 26;
    }
}

/// `rows` strings of mean length `mean`, stored back to back: what one
/// cycle of S7 appends to a variable-width column.
#[derive(Clone, Debug)]
pub struct Texts {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Texts {
    /// `rows` strings of mean length `mean` from the sequence seeded with `seed`.
    pub fn new(rows: usize, mean: usize, seed: u64) -> Texts {
        let mut s = seed;
        let mut t = Texts {
            data: Vec::with_capacity(rows * mean),
            ends: Vec::with_capacity(rows),
        };
        for _ in 0..rows {
            let len = text_len(splitmix(&mut s), mean);
            push_text(&mut t.data, len, &mut s);
            t.ends.push(t.data.len());
        }
        t
    }

    /// Number of strings.
    pub fn rows(&self) -> usize {
        self.ends.len()
    }

    /// Bytes of all strings together.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Appends every string to `col` (a variable-width column), one
    /// `append_bytes` a row.
    #[inline]
    pub fn fill(&self, col: &mut Column) {
        let mut start = 0;
        for &end in &self.ends {
            col.append_bytes(&self.data[start..end]);
            start = end;
        }
    }
}

/// S7's work on a chunk: fill every row of each variable-width column with
/// text of one mean width (a different sequence per column), then the
/// touch of S1 on every buffer.
#[derive(Clone, Debug)]
pub struct FillTouch {
    /// Mean bytes a row.
    pub width: usize,
    texts: [Texts; 2],
}

impl FillTouch {
    /// Texts of `rows` strings of mean `width` bytes.
    pub fn new(rows: usize, width: usize) -> FillTouch {
        FillTouch {
            width,
            texts: [
                Texts::new(rows, width, 0x57a7_0001 ^ width as u64),
                Texts::new(rows, width, 0x57a7_0002 ^ width as u64),
            ],
        }
    }

    /// What [`Work::work`] returns for a chunk of `layout` handed out empty
    /// (it depends on rows and bytes written, not on buffer capacities,
    /// which a pool may have grown).
    pub fn expected(&self, layout: &[chunkpool::FieldType]) -> u64 {
        let mut chk = Chunk::new(layout, self.texts[0].rows(), self.texts[0].rows());
        self.fill_all(&mut chk)
    }

    /// Fills the variable-width columns; returns rows and bytes written as
    /// one checksum.
    #[inline]
    fn fill_all(&self, chk: &mut Chunk) -> u64 {
        let mut acc = 0u64;
        let mut j = 0;
        for i in 0..chk.num_cols() {
            let col = chk.column_mut(i);
            if col.field_type().is_var() {
                self.texts[j % 2].fill(col);
                j += 1;
                acc = acc.wrapping_mul(31).wrapping_add(col.data().len() as u64);
            }
        }
        acc.wrapping_add(chk.num_rows() as u64 * 1_000_003)
    }
}

impl Work for FillTouch {
    #[inline]
    fn work(&self, chk: &mut Chunk) -> u64 {
        let acc = self.fill_all(chk);
        // The touch's checksum depends on spare capacities, which differ
        // between a fresh and a recycled (grown) buffer: keep its reads
        // observable without making it part of the result.
        black_box(touch(chk));
        acc
    }
}
