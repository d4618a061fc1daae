//! Chunk layouts of the scenarios and the contender-independent "touch"
//! (the [`Work`] a cycle does to each chunk, unless a scenario does more).

use chunkpool::{Chunk, FieldType};
use std::hint::black_box;
use std::mem::MaybeUninit;

/// Rows per chunk (TiDB's default `max_chunk_size`); also the capacity asked for.
pub const ROWS: usize = 1024;

/// The shape "F8" of `benches/README.md`: two variable-width columns (8 KiB data, 1025
/// offsets), one 4-byte, one 40-byte (decimal) and four 8-byte columns, each
/// with its null bitmap.
pub const F8: [FieldType; 8] = [
    FieldType::UTF8,
    FieldType::UTF8,
    FieldType::F32,
    FieldType::DECIMAL,
    FieldType::I64,
    FieldType::I64,
    FieldType::F64,
    FieldType::U64,
];

/// S4's second operator: same column count as F8, different layout.
pub const MIX_B: [FieldType; 8] = [
    FieldType::I64,
    FieldType::I64,
    FieldType::I64,
    FieldType::I64,
    FieldType::UTF8,
    FieldType::F64,
    FieldType::F64,
    FieldType::F32,
];

/// S4's third operator.
pub const MIX_C: [FieldType; 8] = [
    FieldType::DECIMAL,
    FieldType::DECIMAL,
    FieldType::UTF8,
    FieldType::I64,
    FieldType::F32,
    FieldType::F32,
    FieldType::I64,
    FieldType::UTF8,
];

/// S1–S3: one F8 chunk per cycle.
pub static SINGLE: &[&[FieldType]] = &[&F8];

/// S4: three operators with different layouts, their chunks live at once.
pub static MIXED: &[&[FieldType]] = &[&F8, &MIX_B, &MIX_C];

/// The most chunks one cycle holds at once.
pub const MAX_HELD: usize = 4;

/// The touch of a cycle, identical for every contender (`benches/README.md`): write the
/// first and the last element of every buffer of every column (data words,
/// offsets, null bitmap) and read them back, through the public safe API
/// ([`chunkpool::Column::spare_capacity_mut`]), so a pool that hands out
/// buffers whose memory is not really there (lazy allocation) pays for it
/// here. The reads go through `black_box` so they are real loads.
///
/// Returns a checksum of what it read, the spare lengths and the row count:
/// it depends only on the layout, so a contender that hands out a chunk
/// that was not reset (rows or offsets left over) or of the wrong layout is
/// caught by [`expected_touch`].
#[inline]
pub fn touch(chk: &mut Chunk) -> u64 {
    let mut acc = 0u64;
    for i in 0..chk.num_cols() {
        let spare = chk.column_mut(i).spare_capacity_mut();
        let v = ends(spare.data, 0x5a5a_5a5a_5a5a_5a5a, |x| x)
            .wrapping_add(ends(spare.offsets, 9, |x| x as u64))
            .wrapping_add(ends(spare.null_bitmap, 0xa5, u64::from));
        acc = acc.wrapping_mul(31).wrapping_add(v);
    }
    acc.wrapping_add(chk.num_rows() as u64 * 1_000_003)
}

/// What a cycle does to each chunk between getting it and giving it back.
pub trait Work: Sync {
    /// Works on `chk`; returns a checksum that depends only on the layout
    /// (so a contender handing out wrong chunks is caught).
    fn work(&self, chk: &mut Chunk) -> u64;
}

/// The touch of `benches/README.md` (S1–S6).
#[derive(Clone, Copy, Debug, Default)]
pub struct Touch;

impl Work for Touch {
    #[inline(always)]
    fn work(&self, chk: &mut Chunk) -> u64 {
        touch(chk)
    }
}

/// Writes `v` to the first and the last element of `buf`, reads both back,
/// and sums what it read and the length.
#[inline(always)]
fn ends<T: Copy>(buf: &mut [MaybeUninit<T>], v: T, to_u64: impl Fn(T) -> u64) -> u64 {
    let n = buf.len() as u64;
    match buf {
        [] => 0,
        [only] => to_u64(*black_box(only.write(v))) + n,
        [first, .., last] => {
            let a = to_u64(*black_box(first.write(v)));
            let b = to_u64(*black_box(last.write(v)));
            a.wrapping_add(b).wrapping_add(n)
        }
    }
}

/// What [`touch`] returns for a fresh chunk of `layout`.
pub fn expected_touch(layout: &[FieldType]) -> u64 {
    touch(&mut Chunk::new(layout, ROWS, ROWS))
}

/// Checks that `chk` is what a cycle asked for: the layout, 0 rows,
/// capacity `ROWS`, and buffers at least as large as a fresh chunk's.
pub fn check_fresh(chk: &Chunk, layout: &[FieldType]) -> Result<(), String> {
    if chk.num_rows() != 0 {
        return Err(format!("handed out with {} rows", chk.num_rows()));
    }
    if chk.capacity() != ROWS || chk.num_cols() != layout.len() {
        return Err(format!(
            "capacity {} / {} columns, wanted {ROWS} / {}",
            chk.capacity(),
            chk.num_cols(),
            layout.len()
        ));
    }
    let fresh = Chunk::new(layout, ROWS, ROWS);
    for (i, (a, b)) in chk.columns().zip(fresh.columns()).enumerate() {
        if a.field_type() != b.field_type() {
            return Err(format!(
                "column {i} is {:?}, wanted {:?}",
                a.field_type(),
                b.field_type()
            ));
        }
        if a.allocated_bytes() < b.allocated_bytes() {
            return Err(format!(
                "column {i} holds {} bytes, a fresh one {}",
                a.allocated_bytes(),
                b.allocated_bytes()
            ));
        }
    }
    Ok(())
}
