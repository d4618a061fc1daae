//! A column that grew while in use is judged on return by what its
//! buffers hold then, not by the capacity it was made with: an executor
//! that starts small and grows by appends gets its grown buffers back,
//! whole or as loose columns, on both allocators, whatever path grew them.

use chunkpool::{
    Chunk, ChunkAllocator, Column, FieldType, LockFreeAllocator, MutexAllocator, Stats,
};

/// The two pooling allocators, with their counters.
trait Pool: ChunkAllocator {
    fn stats(&self) -> Stats;
}

impl Pool for LockFreeAllocator {
    fn stats(&self) -> Stats {
        LockFreeAllocator::stats(self)
    }
}

impl Pool for MutexAllocator {
    fn stats(&self) -> Stats {
        MutexAllocator::stats(self)
    }
}

const SMALL: usize = 32;
const ROWS: usize = 1024;

/// Ways an executor grows a column past the capacity it was given.
#[derive(Clone, Copy, Debug)]
enum Grow {
    /// One append per row.
    PerRow,
    /// One bulk append (`extend_*`).
    Bulk,
    /// Rows moved in from another chunk (`append_rows`).
    Moved,
    /// `resize` (fixed width only; strings take `PerRow` instead).
    Resize,
}

const GROWS: [Grow; 4] = [Grow::PerRow, Grow::Bulk, Grow::Moved, Grow::Resize];

/// A 24-byte string for row `i`.
fn text(i: usize) -> String {
    format!("row {i:>10} of text...")
}

/// Fills `chk`'s column 0 (an `I64` or `UTF8` column) to `ROWS` rows.
fn grow(chk: &mut Chunk, how: Grow) {
    let var = chk.column(0).field_type() == FieldType::UTF8;
    match (how, var) {
        (Grow::PerRow, false) => (0..ROWS as i64).for_each(|v| chk.column_mut(0).append_i64(v)),
        (Grow::PerRow | Grow::Resize, true) => {
            (0..ROWS).for_each(|i| chk.column_mut(0).append_str(&text(i)));
        }
        (Grow::Bulk, false) => {
            let values: Vec<i64> = (0..ROWS as i64).collect();
            chk.column_mut(0).extend_from_slice(&values);
        }
        (Grow::Bulk, true) => {
            let values: Vec<String> = (0..ROWS).map(text).collect();
            chk.column_mut(0)
                .extend_str(values.iter().map(String::as_str));
        }
        (Grow::Moved, _) => {
            let fields: Vec<FieldType> = (0..chk.num_cols())
                .map(|i| chk.column(i).field_type())
                .collect();
            let mut src = Chunk::new(&fields, ROWS, ROWS);
            grow(&mut src, Grow::Bulk);
            src.column_mut(1).resize(ROWS, false);
            chk.append_rows(&src, 0..ROWS);
        }
        (Grow::Resize, false) => chk.column_mut(0).resize(ROWS, false),
    }
    assert_eq!(chk.column(0).len(), ROWS);
    assert!(chk.column(0).capacity() >= ROWS, "{how:?}");
}

/// Allocates a `SMALL`-row chunk of `fields`, grows column 0 to `ROWS`
/// rows with `how`, drops it, and asks for a `ROWS`-row chunk: the grown
/// buffer must come back (and, when `whole`, the whole chunk from the
/// cache).
fn grown_buffer_comes_back<A: Pool>(alloc: &A, fields: &[FieldType], how: Grow, whole: bool) {
    let mut chk = alloc.alloc(fields, SMALL, ROWS);
    grow(&mut chk, how);
    if chk.column(1).is_empty() {
        // The other column grows too, so the whole chunk holds `ROWS` rows.
        chk.column_mut(1).resize(ROWS, false);
    }
    let (ptr, bytes) = (chk.column(0).data_ptr(), chk.column(0).allocated_bytes());
    if !whole {
        // Another column the pool must free keeps the chunk from being
        // cached whole: the grown one goes back loose.
        chk.column_mut(1).set_avoid_reusing(true);
    }
    let before = alloc.stats();
    drop(chk);
    let after_drop = alloc.stats();
    assert_eq!(
        after_drop.discarded_oversize, before.discarded_oversize,
        "{fields:?} {how:?}: a grown column is not oversize for the rows it holds"
    );
    let again = alloc.alloc(fields, ROWS, ROWS);
    let after = alloc.stats();
    assert_eq!(
        after.discarded_too_small, before.discarded_too_small,
        "{fields:?} {how:?} whole={whole}: the grown column holds {ROWS} rows"
    );
    assert_eq!(
        again.column(0).data_ptr(),
        ptr,
        "{fields:?} {how:?} whole={whole}"
    );
    assert_eq!(again.column(0).allocated_bytes(), bytes);
    assert!(again.column(0).is_empty() && again.column(0).capacity() >= ROWS);
    if whole {
        assert_eq!(after.chunks_from_cache, before.chunks_from_cache + 1);
    }
}

fn every_growth_path<A: Pool>(make: impl Fn() -> A) {
    for field in [FieldType::I64, FieldType::UTF8] {
        for how in GROWS {
            for whole in [true, false] {
                // Another size class, so loose columns cannot trade places.
                let fields = [field, FieldType::I32];
                grown_buffer_comes_back(&make(), &fields, how, whole);
            }
        }
    }
}

#[test]
fn lock_free_reuses_columns_grown_by_every_path() {
    every_growth_path(LockFreeAllocator::new);
}

#[test]
fn mutex_reuses_columns_grown_by_every_path() {
    every_growth_path(MutexAllocator::new);
}

/// The two cases, as an executor meets them: a text column made
/// for 32 rows holding 1024 rows of 24 bytes (about 40 KiB of data) is not
/// "oversize", and an `I64` column grown from 32 to 1024 rows serves the
/// next 1024-row request.
#[test]
fn start_small_then_grow_is_reused_in_steady_state() {
    fn steady<A: Pool>(alloc: &A) {
        let fields = [FieldType::UTF8, FieldType::I64];
        for _ in 0..4 {
            let mut chk = alloc.alloc(&fields, SMALL, ROWS);
            for i in 0..ROWS {
                chk.column_mut(0).append_str(&text(i));
                chk.column_mut(1).append_i64(i as i64);
            }
        }
        let s = alloc.stats();
        assert_eq!(s.chunks_allocated, 4);
        // Only the first chunk is made: every later one is the grown one.
        assert_eq!(s.chunks_from_cache, 3, "{s:?}");
        assert_eq!(
            (s.discarded_oversize, s.discarded_too_small),
            (0, 0),
            "{s:?}"
        );
    }
    steady(&LockFreeAllocator::new());
    steady(&MutexAllocator::new());
}

/// What the pool reads off a column is what `capacity()` reports, on a
/// new column, after growth, after a clone and after a retype: a request
/// for exactly `capacity()` rows is served by the column that came back.
#[test]
fn capacity_is_what_the_pool_trusts() {
    let alloc = LockFreeAllocator::new();
    let mut chk = alloc.alloc(&[FieldType::I64], 5, 4096);
    let held = chk.column(0).capacity();
    assert!(held >= 5);
    chk.column_mut(0).extend_from_slice(&vec![1i64; held + 1]);
    let grown = chk.column(0).capacity();
    assert!(grown > held);
    let ptr = chk.column(0).data_ptr();
    drop(chk);
    let again = alloc.alloc(&[FieldType::I64], grown, 4096);
    assert_eq!(again.column(0).data_ptr(), ptr);
    drop(again);

    let mut original = Column::new(FieldType::I64, 100);
    original.extend_from_slice(&[7i64; 10]);
    let clone = original.clone();
    let (cap, ptr) = (clone.capacity(), clone.data_ptr());
    assert!(
        (10..100).contains(&cap),
        "a clone holds what its rows need: {cap}"
    );
    assert!(!ptr.is_null());
    let mut chk = alloc.alloc(&[FieldType::I64], 1, 4096);
    let _replaced = chk.set_column(0, clone);
    drop(chk);
    let again = alloc.alloc(&[FieldType::I64], cap, 4096);
    assert_eq!(again.column(0).data_ptr(), ptr, "a clone holds {cap} rows");
}
