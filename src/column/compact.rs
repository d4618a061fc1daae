//! Rewrites of a column's rows in place, for `Chunk`'s `compact`,
//! `retain` and `merge_nulls`: nothing grows, so the buffers (and the
//! pool's record of them, see `Column::tag`) stay as they are.

use super::build::Mark;
use super::Column;

impl Column {
    /// Keeps only rows `keep`, in that order, moved to the front in
    /// place. The caller checks that `keep` rises strictly and lies
    /// below `len()`: then row `keep[k]` is at or after position `k`, and
    /// every move copies towards the front over rows already moved.
    pub(crate) fn compact_rows(&mut self, keep: &[u32]) {
        debug_assert!(keep.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(keep.last().map_or(true, |&r| (r as usize) < self.len));
        let n = keep.len();
        let data_len = match self.field.elem_size() {
            Some(size) => {
                let data = self.data.as_bytes_mut();
                for (k, &r) in keep.iter().enumerate() {
                    let r = r as usize;
                    if r != k {
                        data.copy_within(r * size..(r + 1) * size, k * size);
                    }
                }
                n * size
            }
            None => {
                let (data, offsets) = (self.data.as_bytes_mut(), &mut self.offsets);
                let mut end = 0usize;
                for (k, &r) in keep.iter().enumerate() {
                    let r = r as usize;
                    // Offsets rise from 0 and stay within the data (every
                    // writer keeps them so). Step `k` reads `offsets[r]`
                    // and `offsets[r + 1]`, then writes `offsets[k + 1]`;
                    // a later step reads that entry again only when its
                    // row is `k + 1`, which means rows `0..=k + 1` are all
                    // kept and none moved: the entry was rewritten with
                    // the value it had.
                    let (start, stop) = (offsets[r] as usize, offsets[r + 1] as usize);
                    data.copy_within(start..stop, end);
                    end += stop - start;
                    offsets[k + 1] = end as i64;
                }
                end
            }
        };
        let mut nulls = 0;
        for (k, &r) in keep.iter().enumerate() {
            let r = r as usize;
            let valid = self.bitmap[r / 8] & (1 << (r % 8)) != 0;
            let (byte, bit) = (&mut self.bitmap[k / 8], 1u8 << (k % 8));
            if valid {
                *byte |= bit;
            } else {
                *byte &= !bit;
                nulls += 1;
            }
        }
        let offsets = if self.field.is_var() { n + 1 } else { 0 };
        self.rollback(Mark {
            len: n,
            data_len,
            offsets,
            nulls,
        });
    }

    /// Makes NULL every row that is NULL in `other` too (TiDB's
    /// `MergeNulls`, one column at a time): an AND of the two validity
    /// bitmaps. The caller checks that both hold the same rows.
    pub(crate) fn and_validity(&mut self, other: &Column) {
        debug_assert_eq!(self.len, other.len);
        let mut valid = 0;
        for (a, b) in self.bitmap.iter_mut().zip(&other.bitmap) {
            *a &= b;
            valid += a.count_ones() as usize;
        }
        self.nulls = self.len - valid;
    }
}
