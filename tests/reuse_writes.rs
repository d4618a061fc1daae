//! A reused column is written once: a reset keeps its data blocks in use,
//! so the next batch overwrites them in place instead of zeroing them
//! first. What an earlier batch wrote there must stay out of reach: every
//! read, NULL, resize, clone, spare-capacity view and export of a reused
//! column shows only what was written since it came back.

use chunkpool::{Chunk, ChunkAllocator, Column, FieldType, LockFreeAllocator, MutexAllocator};

const ROWS: usize = 256;
const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::UTF8,
    FieldType::DECIMAL,
    FieldType::I32,
];

/// Fills every column of `chk` to `ROWS` rows of 0xAB bytes.
fn dirty(chk: &mut Chunk) {
    let long = [0xABu8; 200];
    for _ in 0..ROWS {
        chk.column_mut(0).append_i64(i64::from_ne_bytes([0xAB; 8]));
        chk.column_mut(1).append_bytes(&long);
        chk.column_mut(2).append_fixed_bytes(&[0xAB; 40]);
        chk.column_mut(3).append_i32(i32::from_ne_bytes([0xAB; 4]));
    }
}

/// A chunk of `FIELDS` that held `ROWS` dirty rows, from `alloc`'s cache:
/// the same buffers, reset.
fn reused<A: ChunkAllocator>(alloc: &A) -> Chunk {
    let mut chk = alloc.alloc(&FIELDS, ROWS, ROWS);
    dirty(&mut chk);
    let ptrs: Vec<_> = chk.columns().map(Column::data_ptr).collect();
    drop(chk);
    let chk = alloc.alloc(&FIELDS, ROWS, ROWS);
    let again: Vec<_> = chk.columns().map(Column::data_ptr).collect();
    let (mut a, mut b) = (ptrs, again);
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "the dirty buffers came back");
    chk
}

fn no_stale_byte_is_reachable<A: ChunkAllocator>(alloc: &A) {
    // Fresh rows read back as written; NULLs of fixed width read zero.
    let mut chk = reused(alloc);
    for c in chk.columns() {
        assert!(c.is_empty() && c.data().is_empty());
    }
    chk.column_mut(0).append_null();
    chk.column_mut(0).append_i64(5);
    chk.column_mut(1).append_str("ok");
    chk.column_mut(1).append_null();
    chk.column_mut(2).append_null();
    chk.column_mut(3).append_option::<i32>(None);
    assert_eq!(chk.column(0).as_slice::<i64>(), &[0, 5]);
    assert_eq!(chk.column(0).get_i64(0), 0, "a NULL's element is zero");
    assert_eq!(chk.column(1).data(), b"ok");
    assert_eq!(chk.column(1).offsets(), &[0, 2, 2]);
    assert_eq!(chk.column(2).get_fixed_bytes(0), &[0; 40]);
    assert_eq!(chk.column(3).data(), &[0; 4]);
    // A clone holds what the rows hold, and reads the same.
    let clone = chk.column(1).clone();
    assert_eq!(
        (clone.data(), clone.offsets()),
        (&b"ok"[..], &[0, 2, 2][..])
    );
    drop(chk);

    // `resize` gives zero elements, not the earlier batch's.
    let mut chk = reused(alloc);
    chk.column_mut(0).resize(ROWS, false);
    assert!(chk.column(0).as_slice::<i64>().iter().all(|&v| v == 0));
    chk.column_mut(3).resize(7, true);
    assert_eq!(chk.column(3).as_slice::<i32>(), &[0; 7]);
    drop(chk);

    // Rows moved in from another chunk bring only their own bytes.
    let mut chk = reused(alloc);
    let mut src = Chunk::new(&FIELDS, 2, 2);
    for v in 1..=2u8 {
        src.column_mut(0).append_i64(i64::from(v));
        src.column_mut(1).append_bytes(&[v; 3]);
        src.column_mut(2).append_fixed_bytes(&[v; 40]);
        src.column_mut(3).append_null();
    }
    chk.append_rows(&src, 0..2);
    assert_eq!(chk.column(0).as_slice::<i64>(), &[1, 2]);
    assert_eq!(chk.column(1).data(), &[1, 1, 1, 2, 2, 2]);
    assert_eq!(chk.column(2).data().len(), 80);
    assert_eq!(chk.column(3).data(), &[0; 8]);
    drop(chk);

    // The spare view starts right after the rows' blocks: the blocks a
    // reset kept in use are spare again, offered as uninitialised memory.
    let mut chk = reused(alloc);
    chk.column_mut(1).append_str("abc");
    let cap = chk.column(1).allocated_bytes();
    let spare = chk.column_mut(1).spare_capacity_mut().data.len() * 8;
    assert!(spare >= 200 * ROWS - 64, "{spare} of {cap} bytes spare");
    // Appends after it still read back exactly.
    for i in 0..ROWS {
        chk.column_mut(1).append_bytes(&[i as u8; 3]);
    }
    assert_eq!(&chk.column(1).data()[..6], b"abc\0\0\0");
    assert_eq!(chk.column(1).data().len(), 3 + 3 * ROWS);
}

#[test]
fn lock_free_reuse_never_shows_an_earlier_batch() {
    no_stale_byte_is_reachable(&LockFreeAllocator::new());
}

#[test]
fn mutex_reuse_never_shows_an_earlier_batch() {
    no_stale_byte_is_reachable(&MutexAllocator::new());
}

#[cfg(feature = "arrow")]
#[test]
fn an_export_of_a_reused_chunk_holds_only_its_rows() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;

    let alloc = LockFreeAllocator::new();
    let mut chk = reused(&alloc);
    chk.column_mut(0).append_i64(9);
    chk.column_mut(1).append_str("x");
    chk.column_mut(2).append_null();
    chk.column_mut(3).append_i32(3);
    let batch = chk.into_record_batch().expect("exports");
    let ids = batch.column(0).as_primitive::<Int64Type>();
    assert_eq!(ids.values().as_ref(), &[9]);
    assert_eq!(ids.values().inner().len(), 8, "the buffer ends at the rows");
    let names = batch.column(1).as_string::<i64>();
    assert_eq!(names.value_data(), b"x");
}
