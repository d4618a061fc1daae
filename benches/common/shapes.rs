//! Chunk layouts of the scenarios and the contender-independent "touch".

use chunkpool::{Chunk, FieldType};

/// Rows per chunk (TiDB's default `max_chunk_size`); also the capacity asked for.
pub const ROWS: usize = 1024;

/// PERF.md's shape "F8": two variable-width columns (8 KiB data, 1025
/// offsets), one 4-byte, one 40-byte (decimal) and four 8-byte columns, each
/// with its null bitmap.
pub const F8: [FieldType; 8] = [
    FieldType::VAR,
    FieldType::VAR,
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
    FieldType::VAR,
    FieldType::F64,
    FieldType::F64,
    FieldType::F32,
];

/// S4's third operator.
pub const MIX_C: [FieldType; 8] = [
    FieldType::DECIMAL,
    FieldType::DECIMAL,
    FieldType::VAR,
    FieldType::I64,
    FieldType::F32,
    FieldType::F32,
    FieldType::I64,
    FieldType::VAR,
];

/// S1–S3: one F8 chunk per cycle.
pub static SINGLE: &[&[FieldType]] = &[&F8];

/// S4: three operators with different layouts, their chunks live at once.
pub static MIXED: &[&[FieldType]] = &[&F8, &MIX_B, &MIX_C];

/// The most chunks one cycle holds at once.
pub const MAX_HELD: usize = 4;

/// Bytes written as a fixed-size element wider than 8 (the 40-byte decimal).
static WIDE: [u8; 64] = [0x5a; 64];

/// The touch of a cycle, identical for every contender: through the public
/// safe API, append one element to every column, which writes the first
/// element of each of its buffers (data, null bitmap, and the second offset of
/// a variable-width column; the first offset is written by `reset`), read
/// them back (first and last byte of the element, the bitmap byte, the
/// offset), and count the rows. Fixed-width columns of every size take the
/// same path (`append_fixed_bytes`), so no contender gets a cheaper one.
///
/// Returns a checksum that depends only on the layout, so a contender that
/// hands out a chunk that was not reset (rows left over) or of the wrong
/// layout is caught by [`expected_touch`].
///
/// What it does not do: write the *last* element of each buffer. The public
/// API has no cheap way to reach row `capacity - 1` without writing every row
/// before it (`Column::resize` zeroes the whole buffer; appends fill it row
/// by row), which would turn the cycle into a 90 KiB memset and hide the
/// allocator. Lazy allocation is checked instead by counting minor page
/// faults per cycle in the harness.
#[inline]
pub fn touch(chk: &mut Chunk) -> u64 {
    let mut acc = 0u64;
    for i in 0..chk.num_cols() {
        let col = chk.column_mut(i);
        let v = match col.field_type().elem_size() {
            None => {
                col.append_bytes(b"chunkpool");
                let d = col.data();
                u64::from(d[0]) + u64::from(d[d.len() - 1]) + col.offsets()[1] as u64
            }
            Some(n) => {
                col.append_fixed_bytes(&WIDE[..n]);
                let d = col.data();
                u64::from(d[0]) + u64::from(d[n - 1]) + n as u64
            }
        };
        acc = acc
            .wrapping_mul(31)
            .wrapping_add(v + u64::from(col.null_bitmap()[0]));
    }
    acc.wrapping_add(chk.num_rows() as u64 * 1_000_003)
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
