//! S9's source table: what the scan reads, generated once per process and
//! the same every run. Column by column, over `SLICES × rows` rows; a batch
//! is one slice of `rows` rows.
//!
//! Four columns (`id` i64, `price` f64, `qty` i32, `name` text with one
//! NULL in eight), or sixteen: those four plus [`EXTRA`] (eight more fixed
//! columns of each width and a second text column). Text columns average
//! the shape's width in bytes a row (lengths uniform on `1..=2·width−1`).
//!
//! Besides the values, each text column keeps per slice what a batch holds
//! in arrow's layout (offsets from 0, the validity bitmap, the NULL count;
//! the bytes are [`Text::slice_str`]), so that `copy-floor` makes a batch
//! with memcpy alone (the physical limit) and the bulk scan
//! ([`super::Scan::Bulk`]) fills every contender's batch column at a time
//! from the same buffers.

use crate::strings::{push_text, splitmix, text_len};
use chunkpool::FieldType;

/// Batches the table holds (cycled through).
pub const SLICES: usize = 8;
/// The scan's first four columns: `id`, `price`, `qty`, `name`.
pub const BASE: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::UTF8,
];
/// The twelve more columns of the 16-column shape.
pub const EXTRA: [FieldType; 12] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::I64,
    FieldType::F64,
    FieldType::UTF8,
];
/// The filter: `qty <= QTY_MAX` (`qty` is uniform on 1..=50: about half pass).
pub const QTY_MAX: i32 = 25;
/// The column the filter reads and the one the kernel sums.
pub const QTY: usize = 2;
pub const PRICE: usize = 1;

/// One column of the source.
pub enum SrcCol {
    I64(Vec<i64>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    Text(Text),
}

/// A text column: every value back to back, plus each slice as a batch
/// holds it.
pub struct Text {
    /// Every value, back to back (ASCII).
    text: String,
    /// Row `r` is `text[off[r]..off[r + 1]]` (global offsets).
    off: Vec<usize>,
    /// NULL rows.
    null: Vec<bool>,
    /// Per slice, `rows + 1` offsets from 0 (what a batch's offsets hold).
    pub slice_off: Vec<Vec<i64>>,
    /// Per slice, the validity bitmap (bit set = value present), LSB first.
    pub slice_valid: Vec<Vec<u8>>,
    /// Per slice, NULL rows.
    pub slice_nulls: Vec<usize>,
}

impl Text {
    /// Row `r` (`None` for NULL).
    #[inline]
    pub fn get(&self, r: usize) -> Option<&str> {
        if self.null[r] {
            return None;
        }
        Some(&self.text[self.off[r]..self.off[r + 1]])
    }

    /// The bytes of slice `k` (values back to back).
    pub fn slice_bytes(&self, k: usize, rows: usize) -> &[u8] {
        self.slice_str(k, rows).as_bytes()
    }

    /// Slice `k`'s values back to back, as text: what
    /// [`Text::slice_off`]`[k]` indexes (its first offset is 0, its last
    /// this text's length; a NULL row has no bytes).
    pub fn slice_str(&self, k: usize, rows: usize) -> &str {
        &self.text[self.off[k * rows]..self.off[(k + 1) * rows]]
    }
}

/// The source table of one shape.
pub struct Source {
    /// Rows a batch (a slice).
    pub rows: usize,
    /// Mean text bytes a row.
    pub width: usize,
    pub fields: Vec<FieldType>,
    pub cols: Vec<SrcCol>,
    /// Per slice: (rows with `qty <= QTY_MAX`, the sum of their prices).
    expected: Vec<(u64, f64)>,
}

impl Source {
    /// The table of `columns` (4 or 16) columns, `rows` a batch, text of
    /// `width` bytes a row on average.
    pub fn generate(rows: usize, width: usize, columns: usize) -> Source {
        assert!(rows % 8 == 0 && rows > 0, "rows a multiple of 8");
        let fields: Vec<FieldType> = match columns {
            4 => BASE.to_vec(),
            16 => BASE.iter().chain(EXTRA.iter()).copied().collect(),
            _ => panic!("S9 has 4 or 16 columns, not {columns}"),
        };
        let n = SLICES * rows;
        let cols = fields
            .iter()
            .enumerate()
            .map(|(c, &f)| {
                let mut st = 0x5eed_0009_u64 ^ (c as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                match (c, f) {
                    (0, _) => SrcCol::I64((0..n as i64).collect()),
                    // Multiples of 0.25 below 10 000: sums of up to 2^40
                    // of them are exact in any order.
                    (PRICE, _) => SrcCol::F64(
                        (0..n)
                            .map(|_| (splitmix(&mut st) % 40_000) as f64 * 0.25)
                            .collect(),
                    ),
                    (QTY, _) => SrcCol::I32(
                        (0..n)
                            .map(|_| 1 + (splitmix(&mut st) % 50) as i32)
                            .collect(),
                    ),
                    (_, FieldType::I64) => {
                        SrcCol::I64((0..n).map(|_| splitmix(&mut st) as i64).collect())
                    }
                    (_, FieldType::F64) => SrcCol::F64(
                        (0..n)
                            .map(|_| (splitmix(&mut st) % 1_000_000) as f64 * 0.5)
                            .collect(),
                    ),
                    (_, FieldType::I32) => {
                        SrcCol::I32((0..n).map(|_| splitmix(&mut st) as i32).collect())
                    }
                    _ => SrcCol::Text(gen_text(rows, width, &mut st)),
                }
            })
            .collect();
        let mut s = Source {
            rows,
            width,
            fields,
            cols,
            expected: Vec::new(),
        };
        s.expected = (0..SLICES).map(|k| s.compute_expected(k)).collect();
        s
    }

    pub fn slices(&self) -> usize {
        SLICES
    }

    /// The rows of slice `k`.
    pub fn range(&self, k: usize) -> std::ops::Range<usize> {
        k * self.rows..(k + 1) * self.rows
    }

    /// Slice `k`'s checksum: (rows with `qty <= QTY_MAX`, sum of their prices).
    pub fn expected(&self, k: usize) -> (u64, f64) {
        self.expected[k]
    }

    fn compute_expected(&self, k: usize) -> (u64, f64) {
        let (SrcCol::I32(qty), SrcCol::F64(price)) = (&self.cols[QTY], &self.cols[PRICE]) else {
            unreachable!("qty is i32 and price f64");
        };
        self.range(k)
            .filter(|&r| qty[r] <= QTY_MAX)
            .fold((0, 0.0), |(n, s), r| (n + 1, s + price[r]))
    }

    /// Bytes of one batch's values (fixed columns' values plus text bytes,
    /// slice 0): the size a memcpy of the batch moves, less offsets and
    /// bitmaps.
    pub fn batch_bytes(&self) -> usize {
        self.cols
            .iter()
            .map(|c| match c {
                SrcCol::I64(_) | SrcCol::F64(_) => 8 * self.rows,
                SrcCol::I32(_) => 4 * self.rows,
                SrcCol::Text(t) => t.slice_bytes(0, self.rows).len(),
            })
            .sum()
    }
}

/// A text column of `SLICES × rows` rows: mean `width` bytes, one NULL in
/// eight.
fn gen_text(rows: usize, width: usize, st: &mut u64) -> Text {
    let n = SLICES * rows;
    let mut bytes = Vec::with_capacity(n * width);
    let mut off = Vec::with_capacity(n + 1);
    let mut null = Vec::with_capacity(n);
    off.push(0);
    for _ in 0..n {
        let x = splitmix(st);
        let is_null = x % 8 == 0;
        if !is_null {
            push_text(&mut bytes, text_len(x >> 8, width), st);
        }
        null.push(is_null);
        off.push(bytes.len());
    }
    let text = String::from_utf8(bytes).expect("push_text writes ASCII letters");
    let mut t = Text {
        text,
        off,
        null,
        slice_off: Vec::new(),
        slice_valid: Vec::new(),
        slice_nulls: Vec::new(),
    };
    for k in 0..SLICES {
        let rs = k * rows..(k + 1) * rows;
        let base = t.off[rs.start];
        t.slice_off.push(
            (rs.start..=rs.end)
                .map(|r| (t.off[r] - base) as i64)
                .collect(),
        );
        let mut valid = vec![0u8; rows / 8];
        for (i, r) in rs.clone().enumerate() {
            if !t.null[r] {
                valid[i / 8] |= 1 << (i % 8);
            }
        }
        t.slice_valid.push(valid);
        t.slice_nulls.push(rs.filter(|&r| t.null[r]).count());
    }
    t
}
