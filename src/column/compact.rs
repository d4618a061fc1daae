//! Rewrites of a column's rows in place, for `Chunk`'s `compact`,
//! `retain` and `merge_nulls`: nothing grows, so the buffers (and the
//! pool's record of them, see `Column::tag`) stay as they are.

use super::buffers::move_in_blocks;
use super::build::Mark;
use super::bulk::count_ones;
use super::Column;

impl Column {
    /// Keeps only rows `keep`, in that order, moved to the front in
    /// place. The caller checks that `keep` rises strictly and lies
    /// below `len()`. Rows kept where they are (a leading run `0, 1, 2,
    /// ...`) are not touched; from the first row that moves on, row
    /// `keep[k]` lies after position `k`, so every move copies towards
    /// the front, over rows already moved or dropped, and reads nothing
    /// an earlier move wrote.
    pub(crate) fn compact_rows(&mut self, keep: &[u32]) {
        debug_assert!(keep.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(keep.last().map_or(true, |&r| (r as usize) < self.len));
        let n = keep.len();
        let same = keep
            .iter()
            .enumerate()
            .take_while(|&(k, &r)| r as usize == k)
            .count();
        let data_len = match self.field.elem_size() {
            Some(size) => {
                match size {
                    1 => move_elems::<u8>(self.data.as_elems_mut(), keep, same),
                    2 => move_elems::<u16>(self.data.as_elems_mut(), keep, same),
                    4 => move_elems::<u32>(self.data.as_elems_mut(), keep, same),
                    8 => move_elems::<u64>(self.data.as_elems_mut(), keep, same),
                    _ => {
                        let data = self.data.as_bytes_mut();
                        for (k, &r) in keep.iter().enumerate().skip(same) {
                            let r = r as usize;
                            data.copy_within(r * size..(r + 1) * size, k * size);
                        }
                    }
                }
                n * size
            }
            None => {
                let (data, offsets) = (self.data.as_bytes_mut(), &mut self.offsets);
                // Offsets rise from 0 and stay within the data (every
                // writer keeps them so). Step `k` reads `offsets[r]` and
                // `offsets[r + 1]` with `r > k`, then writes
                // `offsets[k + 1]`, which no later step reads (its row
                // lies past `k + 1`).
                let mut end = offsets[same] as usize;
                for (k, &r) in keep.iter().enumerate().skip(same) {
                    let r = r as usize;
                    let (start, stop) = (offsets[r] as usize, offsets[r + 1] as usize);
                    move_in_blocks(data, start, end, stop - start);
                    end += stop - start;
                    offsets[k + 1] = end as i64;
                }
                end
            }
        };
        let nulls = if self.nulls == 0 {
            // Every row is valid: the bits of rows `0..n` are set already
            // (`shorten` clears those past them).
            0
        } else {
            self.move_bits(keep, same);
            let mut valid = count_ones(&self.bitmap[..n / 8]);
            if n % 8 != 0 {
                valid += (self.bitmap[n / 8] & ((1u8 << (n % 8)) - 1)).count_ones() as usize;
            }
            n - valid
        };
        let offsets = if self.field.is_var() { n + 1 } else { 0 };
        self.shorten(Mark {
            len: n,
            data_len,
            offsets,
            nulls,
        });
    }

    /// The validity bits of [`Column::compact_rows`], gathered 64 at a
    /// time into a word that is then written as whole bytes. Started on
    /// the byte boundary at or below `same` (rows there are kept in place:
    /// rewritten as they are), so a word's bits `[a, a + 64)` are bytes
    /// of their own; the rows it reads lie at or after `a`, past every
    /// byte written before it.
    fn move_bits(&mut self, keep: &[u32], same: usize) {
        let from = same & !7;
        for (w, rows) in keep[from..].chunks(64).enumerate() {
            let mut word = 0u64;
            for (j, &r) in rows.iter().enumerate() {
                let r = r as usize;
                word |= u64::from((self.bitmap[r / 8] >> (r % 8)) & 1) << j;
            }
            let at = from / 8 + w * 8;
            let bytes = rows.len().div_ceil(8);
            self.bitmap[at..at + bytes].copy_from_slice(&word.to_le_bytes()[..bytes]);
        }
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

/// [`Column::compact_rows`] of a fixed-width column of `T`: element
/// `keep[k]` moved to `k` for every `k` from `same` on (where
/// `keep[k] > k`, so each read is of an element not yet written).
fn move_elems<T: Copy>(elems: &mut [T], keep: &[u32], same: usize) {
    for (k, &r) in keep.iter().enumerate().skip(same) {
        elems[k] = elems[r as usize];
    }
}

#[cfg(test)]
mod tests {
    use crate::{Column, FieldType};

    #[test]
    fn compacted_and_truncated_columns_keep_their_data_blocks_in_use() {
        // The rows written next overwrite the blocks in place; had they
        // gone out of use, refilling would zero them again first.
        for field in [FieldType::UTF8, FieldType::I64] {
            let mut c = Column::new(field, 256);
            for r in 0..256 {
                if field.is_var() {
                    c.append_str(&"t".repeat(r % 50));
                } else {
                    c.append_i64(r as i64);
                }
            }
            let in_use = c.data.in_use();
            let keep: Vec<u32> = (0..256).filter(|r| r % 3 == 1).collect();
            c.compact_rows(&keep);
            assert_eq!((c.len(), c.data.in_use()), (keep.len(), in_use));
            c.truncate(5);
            assert_eq!((c.len(), c.data.in_use()), (5, in_use));
            c.reset();
            assert_eq!(c.data.in_use(), in_use);
        }
    }
}
