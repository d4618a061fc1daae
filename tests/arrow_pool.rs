//! Claimed exports (issue 21, part 1; feature `arrow-pool`): an exported
//! chunk is claimed into arrow's `MemoryPool` at its pooled capacity
//! (`Chunk::allocated_bytes`), counted once whatever the engine claims
//! again or keeps, and released when the chunk is home.
#![cfg(feature = "arrow-pool")]

use arrow_array::{Array, RecordBatch};
use arrow_buffer::{MemoryPool, TrackingMemoryPool};
use arrow_schema::SchemaRef;
use chunkpool::{
    export_schema, Chunk, ChunkAllocator, ExportOptions, FieldType, LockFreeAllocator,
};
use std::sync::Arc;

const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::UTF8,
    FieldType::DECIMAL,
    FieldType::F64,
];

fn schema(fields: &[FieldType]) -> SchemaRef {
    Arc::new(export_schema(fields, &ExportOptions::new()).unwrap())
}

/// A pooled chunk of `FIELDS` with a few rows (NULLs in the strings, so
/// their validity bitmap is exported too), far below its capacity.
fn filled(alloc: &LockFreeAllocator) -> Chunk {
    let mut chk = alloc.alloc(&FIELDS, 512, 1024);
    for r in 0..10 {
        chk.column_mut(0).append_i64(r);
        if r % 3 == 0 {
            chk.column_mut(1).append_null();
        } else {
            chk.column_mut(1).append_str("some text");
        }
        chk.column_mut(2).append_fixed_bytes(&[0u8; 40]);
        chk.column_mut(3).append_f64(r as f64);
    }
    chk
}

#[test]
fn the_pool_sees_the_capacity_once_until_the_chunk_is_home() {
    let alloc = LockFreeAllocator::new();
    let pool = TrackingMemoryPool::default();
    let chk = filled(&alloc);
    let bytes = chk.allocated_bytes();
    let batch = chk
        .into_record_batch_claimed(&schema(&FIELDS), &pool)
        .unwrap();
    assert!(
        batch.get_array_memory_size() < bytes / 4,
        "arrow sees the used bytes only"
    );
    assert_eq!(pool.used(), bytes);
    // The engine claims what it holds, as DataFusion-style code does.
    batch.claim(&pool);
    for c in batch.columns() {
        c.claim(&pool);
    }
    assert_eq!(pool.used(), bytes, "claimed again, counted once");
    let copy = batch.clone();
    let slice = batch.slice(2, 3);
    slice.claim(&pool);
    assert_eq!(pool.used(), bytes);
    drop((batch, copy));
    assert_eq!(pool.used(), bytes, "the slice holds the chunk");
    assert_eq!(alloc.stats().exported_chunks, 1);
    drop(slice);
    assert_eq!(pool.used(), 0);
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 1), "{s:?}");
}

#[test]
fn arrays_kept_apart_keep_the_whole_chunk_counted() {
    let alloc = LockFreeAllocator::new();
    let pool = TrackingMemoryPool::default();
    let chk = filled(&alloc);
    let bytes = chk.allocated_bytes();
    let batch = chk
        .into_record_batch_claimed(&schema(&FIELDS), &pool)
        .unwrap();
    let kept = Arc::clone(batch.column(1)); // a projection keeps one column
    drop(batch);
    assert_eq!(pool.used(), bytes, "one array holds every buffer's memory");
    // Dropped on another thread, the chunk goes home there.
    std::thread::spawn(move || drop(kept)).join().unwrap();
    assert_eq!(pool.used(), 0);
    assert_eq!(alloc.stats().exported_chunks, 0);
}

#[test]
fn a_column_in_two_slots_is_claimed_once() {
    let alloc = LockFreeAllocator::new();
    let pool = TrackingMemoryPool::default();
    let fields = [FieldType::I64, FieldType::I64];
    let mut chk = alloc.alloc(&fields, 256, 256);
    // Full: the two slots show more bytes together than the column holds.
    let full: Vec<i64> = (0..chk.column(0).capacity() as i64).collect();
    chk.column_mut(0).extend_from_slice(&full);
    chk.column_mut(1).extend_from_slice(&full);
    chk.make_ref(0, 1);
    let bytes = chk.allocated_bytes();
    assert_eq!(bytes, chk.column(0).allocated_bytes());
    let batch = chk
        .into_record_batch_claimed(&schema(&fields), &pool)
        .unwrap();
    assert_eq!(pool.used(), bytes);
    batch.claim(&pool);
    assert_eq!(pool.used(), bytes);
    drop(batch);
    assert_eq!(pool.used(), 0);
}

#[test]
fn what_arrow_allocates_for_the_batch_counts_on_top() {
    // Bool values are packed into a buffer arrow allocates: it is claimed
    // at its own capacity, beside the chunk's.
    let alloc = LockFreeAllocator::new();
    let pool = TrackingMemoryPool::default();
    let fields = [FieldType::BOOL, FieldType::I64];
    let mut chk = alloc.alloc(&fields, 64, 64);
    for r in 0..20 {
        chk.column_mut(0).append_bool(r % 2 == 0);
        chk.column_mut(1).append_i64(r);
    }
    let bytes = chk.allocated_bytes();
    let batch = chk
        .into_record_batch_claimed(&schema(&fields), &pool)
        .unwrap();
    let packed = batch.column(0).to_data().buffers()[0].capacity();
    assert!(packed > 0);
    assert_eq!(pool.used(), bytes + packed);
    drop(batch);
    assert_eq!(pool.used(), 0);
}

#[test]
fn claiming_into_another_pool_moves_only_the_visible_bytes() {
    let alloc = LockFreeAllocator::new();
    let (ours, theirs) = (TrackingMemoryPool::default(), TrackingMemoryPool::default());
    let chk = filled(&alloc);
    let bytes = chk.allocated_bytes();
    let batch = chk
        .into_record_batch_claimed(&schema(&FIELDS), &ours)
        .unwrap();
    batch.claim(&theirs);
    assert!(theirs.used() > 0 && ours.used() < bytes);
    assert_eq!(ours.used() + theirs.used(), bytes);
    drop(batch);
    assert_eq!((ours.used(), theirs.used()), (0, 0));
}

#[test]
fn a_refused_export_claims_nothing_and_sends_the_chunk_home() {
    let alloc = LockFreeAllocator::new();
    let pool = TrackingMemoryPool::default();
    // Not UTF-8 in a Utf8 column: refused while the arrays are built.
    let mut chk = alloc.alloc(&[FieldType::UTF8], 8, 8);
    chk.column_mut(0).append_bytes(&[0xff, 0xfe]);
    let err = chk.into_record_batch_claimed(&schema(&[FieldType::UTF8]), &pool);
    assert!(err.is_err());
    assert_eq!(pool.used(), 0);
    // A selection: refused before anything is built.
    let mut chk = filled(&alloc);
    chk.set_sel(Some(vec![1]));
    assert!(chk
        .into_record_batch_claimed(&schema(&FIELDS), &pool)
        .is_err());
    assert_eq!(pool.used(), 0);
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 2), "{s:?}");
}

#[test]
fn a_batch_of_no_pool_is_claimed_the_same_way() {
    let pool = TrackingMemoryPool::default();
    let mut chk = Chunk::new(&FIELDS, 100, 100);
    chk.column_mut(0).append_i64(1);
    chk.column_mut(1).append_str("x");
    chk.column_mut(2).append_fixed_bytes(&[0u8; 40]);
    chk.column_mut(3).append_f64(1.0);
    let bytes = chk.allocated_bytes();
    let batch: RecordBatch = chk
        .into_record_batch_claimed(&schema(&FIELDS), &pool)
        .unwrap();
    assert_eq!(pool.used(), bytes);
    assert_eq!(batch.column(1).len(), 1);
    drop(batch);
    assert_eq!(pool.used(), 0);
}
