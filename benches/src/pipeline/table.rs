//! S5's data: the generated table and the operators (scan, filter,
//! project, sink) that run on its morsels.

use crate::shapes::F8;
use crate::strings::{push_text, splitmix, text_len};
use chunkpool::{Chunk, FieldType};
use std::ops::Range;

/// The scanned table's layout (F8 in `benches/README.md`): name, comment, discount,
/// amount (decimal), id, qty, price, flags.
pub const SCAN: [FieldType; 8] = F8;
const NAME: usize = 0;
const COMMENT: usize = 1;
const DISCOUNT: usize = 2;
const AMOUNT: usize = 3;
const ID: usize = 4;
const QTY: usize = 5;
const PRICE: usize = 6;
const FLAGS: usize = 7;

/// The projection's layout: id, revenue, name prefix, amount.
pub const OUT: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::UTF8,
    FieldType::DECIMAL,
];

/// Variable-width values stored back to back.
#[derive(Default)]
struct Strings {
    data: Vec<u8>,
    ends: Vec<usize>,
    null: Vec<bool>,
}

impl Strings {
    fn push(&mut self, v: Option<&[u8]>) {
        self.data.extend_from_slice(v.unwrap_or_default());
        self.ends.push(self.data.len());
        self.null.push(v.is_none());
    }
    fn get(&self, i: usize) -> Option<&[u8]> {
        if self.null[i] {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..self.ends[i]])
    }
}

/// A generated table, held column by column like a storage layer's blocks.
pub struct Table {
    pub rows: usize,
    name: Strings,
    comment: Strings,
    discount: Vec<f32>,
    amount: Vec<[u8; 40]>,
    id: Vec<i64>,
    qty: Vec<i64>,
    price: Vec<f64>,
    flags: Vec<u64>,
}

impl Table {
    /// `rows` rows from a fixed seed. `name` and every non-NULL `comment`
    /// (one in 13 is NULL) have lengths uniform on `1..=2·str_bytes−1`, so
    /// they average `str_bytes` bytes a row: at 8 a variable-width column
    /// mostly fits its initial 8 KiB (sometimes it grows once, to 16 KiB,
    /// which is still cached); wider text makes it grow further. The other
    /// columns do not depend on `str_bytes`.
    pub fn generate(rows: usize, str_bytes: usize) -> Table {
        let mut s = 0x5eed_u64;
        // Letters come from a sequence of their own, so the numeric columns
        // (and which rows pass the filter) are the same at every width.
        let mut text = 0x7e47_u64;
        let mut t = Table {
            rows,
            name: Strings::default(),
            comment: Strings::default(),
            discount: Vec::with_capacity(rows),
            amount: Vec::with_capacity(rows),
            id: Vec::with_capacity(rows),
            qty: Vec::with_capacity(rows),
            price: Vec::with_capacity(rows),
            flags: Vec::with_capacity(rows),
        };
        let mut buf = Vec::with_capacity(2 * str_bytes);
        for i in 0..rows {
            let r = splitmix(&mut s);
            buf.clear();
            push_text(&mut buf, text_len(r, str_bytes), &mut text);
            t.name.push(Some(&buf));
            let r2 = splitmix(&mut s);
            if i % 13 == 0 {
                t.comment.push(None);
            } else {
                buf.clear();
                push_text(&mut buf, text_len(r2 >> 7, str_bytes), &mut text);
                t.comment.push(Some(&buf));
            }
            t.discount.push((r2 % 100) as f32 / 1000.0);
            let mut dec = [0u8; 40];
            dec[..8].copy_from_slice(&r.to_le_bytes());
            t.amount.push(dec);
            t.id.push(i as i64);
            t.qty.push(1 + (r >> 20) as i64 % 50);
            t.price
                .push(1.0 + (r >> 32) as f64 / u32::MAX as f64 * 99.0);
            t.flags.push(r2);
        }
        t
    }
}

/// Scan: fill `chk` with rows `r` of the table.
pub(super) fn scan(t: &Table, r: Range<usize>, chk: &mut Chunk) {
    let n = r.len();
    {
        let c = chk.column_mut(NAME);
        for i in r.clone() {
            c.append_bytes(t.name.get(i).unwrap_or_default());
        }
    }
    {
        let c = chk.column_mut(COMMENT);
        for i in r.clone() {
            match t.comment.get(i) {
                Some(b) => c.append_bytes(b),
                None => c.append_null(),
            }
        }
    }
    {
        let c = chk.column_mut(AMOUNT);
        for v in &t.amount[r.clone()] {
            c.append_fixed_bytes(v);
        }
    }
    macro_rules! copy {
        ($col:expr, $ty:ty, $src:expr) => {{
            let c = chk.column_mut($col);
            c.resize(n, false);
            c.as_mut_slice::<$ty>().copy_from_slice(&$src[r.clone()]);
        }};
    }
    copy!(DISCOUNT, f32, t.discount);
    copy!(ID, i64, t.id);
    copy!(QTY, i64, t.qty);
    copy!(PRICE, f64, t.price);
    copy!(FLAGS, u64, t.flags);
}

/// Filter: rows with `qty <= 25 and discount < 0.08` (about 40%), copied
/// into `out` (same layout) by the row-movement API: the passing rows'
/// indices go into `sel` (a buffer the worker keeps), then one
/// `append_selected` moves them, every column, NULLs and bytes included.
pub(super) fn filter(inp: &Chunk, out: &mut Chunk, sel: &mut Vec<u32>) {
    sel.clear();
    {
        let qty = inp.column(QTY).as_slice::<i64>();
        let disc = inp.column(DISCOUNT).as_slice::<f32>();
        sel.extend(
            (0..inp.num_rows())
                .filter(|&i| qty[i] <= 25 && disc[i] < 0.08)
                .map(|i| i as u32),
        );
    }
    out.append_selected(inp, sel);
}

/// Project: id, revenue = price * qty * (1 - discount), the name's first 4
/// bytes, amount. Only revenue and the prefix are computed; `id` and
/// `amount` pass through unchanged, so their columns move from `inp` into
/// `out` (`swap_column`: `inp` gets `out`'s empty ones, and both chunks go
/// back to their allocator whole when dropped). `inp` is left ragged: it
/// is consumed.
pub(super) fn project(inp: &mut Chunk, out: &mut Chunk) {
    let n = inp.num_rows();
    {
        let (p, q, d) = (
            inp.column(PRICE).as_slice::<f64>(),
            inp.column(QTY).as_slice::<i64>(),
            inp.column(DISCOUNT).as_slice::<f32>(),
        );
        let dst = out.column_mut(1);
        dst.resize(n, false);
        for (i, v) in dst.as_mut_slice::<f64>().iter_mut().enumerate() {
            *v = p[i] * q[i] as f64 * (1.0 - f64::from(d[i]));
        }
    }
    {
        let src = inp.column(NAME);
        out.column_mut(2).extend_bytes((0..n).map(|i| {
            let b = src.get_bytes(i);
            &b[..b.len().min(4)]
        }));
    }
    out.swap_column(0, inp, ID);
    out.swap_column(3, inp, AMOUNT);
}

/// Sink: what a client would receive, folded into a checksum.
pub(super) fn sink(out: &Chunk) -> u64 {
    let ids: i64 = out.column(0).as_slice::<i64>().iter().sum();
    let rev: f64 = out.column(1).as_slice::<f64>().iter().sum();
    let names = out.column(2).data().len() as u64;
    (ids as u64) ^ rev.to_bits().rotate_left(17) ^ names
}

#[cfg(test)]
mod tests {
    use super::*;
    use chunkpool::{ChunkAllocator, Column, LockFreeAllocator};

    /// The filter as S5 had it before it used the row-movement API
    /// (4ed301c): hand-written copiers, kept as the reference.
    fn filter_copiers(inp: &Chunk, out: &mut Chunk, sel: &mut Vec<usize>) {
        sel.clear();
        {
            let qty = inp.column(QTY).as_slice::<i64>();
            let disc = inp.column(DISCOUNT).as_slice::<f32>();
            sel.extend((0..inp.num_rows()).filter(|&i| qty[i] <= 25 && disc[i] < 0.08));
        }
        for col in [NAME, COMMENT] {
            let (src, dst) = (inp.column(col), out.column_mut(col));
            for &i in sel.iter() {
                if src.is_null(i) {
                    dst.append_null();
                } else {
                    dst.append_bytes(src.get_bytes(i));
                }
            }
        }
        {
            let (src, dst) = (inp.column(AMOUNT), out.column_mut(AMOUNT));
            for &i in sel.iter() {
                dst.append_fixed_bytes(src.get_fixed_bytes(i));
            }
        }
        macro_rules! gather {
            ($col:expr, $ty:ty) => {{
                let src = inp.column($col).as_slice::<$ty>();
                let dst = out.column_mut($col);
                dst.resize(sel.len(), false);
                for (d, &i) in dst.as_mut_slice::<$ty>().iter_mut().zip(sel.iter()) {
                    *d = src[i];
                }
            }};
        }
        gather!(DISCOUNT, f32);
        gather!(ID, i64);
        gather!(QTY, i64);
        gather!(PRICE, f64);
        gather!(FLAGS, u64);
    }

    /// The projection as S5 had it before (4ed301c), kept as the reference.
    fn project_copiers(inp: &Chunk, out: &mut Chunk) {
        let n = inp.num_rows();
        {
            let dst = out.column_mut(0);
            dst.resize(n, false);
            dst.as_mut_slice::<i64>()
                .copy_from_slice(inp.column(ID).as_slice::<i64>());
        }
        {
            let (p, q, d) = (
                inp.column(PRICE).as_slice::<f64>(),
                inp.column(QTY).as_slice::<i64>(),
                inp.column(DISCOUNT).as_slice::<f32>(),
            );
            let dst = out.column_mut(1);
            dst.resize(n, false);
            for (i, v) in dst.as_mut_slice::<f64>().iter_mut().enumerate() {
                *v = p[i] * q[i] as f64 * (1.0 - f64::from(d[i]));
            }
        }
        {
            let (src, dst) = (inp.column(NAME), out.column_mut(2));
            for i in 0..n {
                let b = src.get_bytes(i);
                dst.append_bytes(&b[..b.len().min(4)]);
            }
        }
        {
            let (src, dst) = (inp.column(AMOUNT), out.column_mut(3));
            for i in 0..n {
                dst.append_fixed_bytes(src.get_fixed_bytes(i));
            }
        }
    }

    /// Every row of two columns alike: type, length, NULL count, each row's
    /// NULL bit and value bytes, and for variable-width columns the offsets
    /// and the data buffer itself.
    fn assert_same_column(new: &Column, old: &Column, what: &str) {
        assert_eq!(new.field_type(), old.field_type(), "{what}: type");
        assert_eq!(new.len(), old.len(), "{what}: rows");
        assert_eq!(new.null_count(), old.null_count(), "{what}: NULLs");
        for r in 0..old.len() {
            assert_eq!(
                new.is_null(r),
                old.is_null(r),
                "{what}: NULL bit of row {r}"
            );
            if old.field_type().elem_size().is_some() {
                assert_eq!(
                    new.get_fixed_bytes(r),
                    old.get_fixed_bytes(r),
                    "{what}: row {r}"
                );
            } else {
                assert_eq!(new.get_bytes(r), old.get_bytes(r), "{what}: row {r}");
            }
        }
        if old.field_type().elem_size().is_none() {
            assert_eq!(new.offsets(), old.offsets(), "{what}: offsets");
            assert_eq!(new.data(), old.data(), "{what}: data");
        }
    }

    fn assert_same_chunk(new: &Chunk, old: &Chunk, what: &str) {
        assert_eq!(new.num_cols(), old.num_cols(), "{what}: columns");
        for (c, (n, o)) in new.columns().zip(old.columns()).enumerate() {
            assert_same_column(n, o, &format!("{what}, column {c}"));
        }
    }

    /// The filter and projection on the row-movement API give exactly the
    /// rows the hand-written copiers gave, and the same checksum, on every
    /// morsel of generated tables (NULL comments, a short last morsel,
    /// several string widths). The new operators run on chunks a pool
    /// recycles from morsel to morsel, as in S5; the reference on fresh
    /// chunks.
    #[test]
    fn operators_match_the_copiers() {
        let rows_per = 1024;
        for (rows, str_bytes) in [(5 * rows_per + 317, 8), (3 * rows_per, 24), (2100, 200)] {
            let table = Table::generate(rows, str_bytes);
            let pool = LockFreeAllocator::new();
            let (mut sel, mut sel_old) = (Vec::new(), Vec::new());
            let (mut sum, mut sum_old, mut passed_rows) = (0u64, 0u64, 0usize);
            for m in 0..rows.div_ceil(rows_per) {
                let range = m * rows_per..((m + 1) * rows_per).min(rows);
                let what = format!("{rows} rows at {str_bytes} B, morsel {m}");

                let mut scanned_old = Chunk::new(&SCAN, rows_per, rows_per);
                scan(&table, range.clone(), &mut scanned_old);
                let mut passed_old = Chunk::new(&SCAN, rows_per, rows_per);
                filter_copiers(&scanned_old, &mut passed_old, &mut sel_old);
                let mut out_old = Chunk::new(&OUT, rows_per, rows_per);
                project_copiers(&passed_old, &mut out_old);

                let mut scanned = pool.alloc(&SCAN, rows_per, rows_per);
                scan(&table, range.clone(), &mut scanned);
                let mut passed = pool.alloc(&SCAN, rows_per, rows_per);
                filter(&scanned, &mut passed, &mut sel);
                assert_same_chunk(&passed, &passed_old, &format!("{what}, filter"));
                drop(scanned);
                let mut out = pool.alloc(&OUT, rows_per, rows_per);
                project(&mut passed, &mut out);
                assert_same_chunk(&out, &out_old, &format!("{what}, project"));

                passed_rows += out.num_rows();
                sum = sum.wrapping_add(sink(&out));
                sum_old = sum_old.wrapping_add(sink(&out_old));
            }
            assert_eq!(sum, sum_old, "{rows} rows at {str_bytes} B: checksum");
            // The filter passes some rows but not all (about 40%).
            assert!(
                passed_rows > rows / 4 && passed_rows < rows / 2,
                "{passed_rows} of {rows}"
            );
            // Chunks went back whole and came out again.
            assert!(pool.stats().chunks_from_cache > 0);
        }
    }
}
