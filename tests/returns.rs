//! Invariant 2 of the crate docs holds whatever safe code did to a chunk
//! before it came back: every chunk an allocator hands out has 0 rows,
//! exactly the requested field types in order, `capacity() == min(cap,
//! max)`, `required_rows() == max`, and room in every column for
//! `capacity()` rows without growing.
//!
//! A chunk's columns are public and mutable, so its user can replace one
//! (`*chk.column_mut(i) = ...`), swap it with another chunk's column, put a
//! clone in, or retype it in place, and then drop the chunk. A pool must
//! judge what actually comes back, not what it handed out. Each test here
//! alters a chunk one of those ways and drops it (on the thread that
//! altered it, or on another one), then allocates the chunk's original
//! layout, the layouts it and its partner were changed into, and the
//! partner's layout many times, from every allocator involved, and checks
//! every chunk handed out. Both pooling allocators, a narrow layout and a
//! wide one (over ten fields), one thread and three.
//!
//! For the lock-free allocator, a wide layout must also keep being reused
//! after many such returns: what came back must not sit in the cache where
//! no request finds it, holding room that well-behaved chunks need.

use chunkpool::{Chunk, ChunkAllocator, Column, FieldType, LockFreeAllocator, MutexAllocator};
use std::thread;

/// Capacity requested, and the `max_chunk_size` (so `capacity() == CAP`).
const CAP: usize = 64;
const MAX: usize = 1024;

const F16: FieldType = match FieldType::fixed(16) {
    Ok(f) => f,
    Err(_) => panic!("16 bytes is a valid element size"),
};

const NARROW: [FieldType; 4] = [
    FieldType::I64,
    FieldType::VAR,
    FieldType::DECIMAL,
    FieldType::F32,
];

/// Over ten fields: a layout too wide to be identified by its sizes packed
/// side by side, so a pool has to compare its fields.
const WIDE: [FieldType; 12] = [
    FieldType::VAR,
    FieldType::I64,
    FieldType::F32,
    FieldType::DECIMAL,
    F16,
    FieldType::VAR,
    FieldType::I64,
    FieldType::F32,
    FieldType::DECIMAL,
    F16,
    FieldType::VAR,
    FieldType::I64,
];

/// The layout of the partner chunks swaps take a column from: it has a
/// column of every type [`other_type`] returns.
const OTHER: [FieldType; 4] = [FieldType::F32, FieldType::VAR, FieldType::I64, F16];

/// Invariant 2 in full for `chk`, just handed out by `alloc(fields, cap,
/// max)`. "Room" is the spare capacity of each empty column's buffers:
/// data for `capacity()` elements (8 bytes a row for variable width),
/// `capacity()` offsets past the leading 0, and the null bitmap's bytes.
fn assert_fresh(chk: &mut Chunk, fields: &[FieldType], cap: usize, max: usize) {
    let rows = cap.min(max);
    let got: Vec<FieldType> = chk.columns().map(Column::field_type).collect();
    assert_eq!(
        got, fields,
        "field types of a chunk handed out for {fields:?}"
    );
    assert_eq!(chk.num_rows(), 0, "rows of a chunk handed out");
    assert_eq!(chk.capacity(), rows, "capacity() of alloc({cap}, {max})");
    assert_eq!(
        chk.required_rows(),
        max,
        "required_rows() of alloc({cap}, {max})"
    );
    for (i, &f) in fields.iter().enumerate() {
        let col = chk.column_mut(i);
        assert_eq!(col.len(), 0, "column {i} ({f:?}): rows");
        assert!(col.data().is_empty(), "column {i} ({f:?}): data in use");
        assert!(
            col.null_bitmap().is_empty(),
            "column {i} ({f:?}): bitmap in use"
        );
        let offsets: &[i64] = if f.is_var() { &[0] } else { &[] };
        assert_eq!(col.offsets(), offsets, "column {i} ({f:?}): offsets");
        let size = f.elem_size().unwrap_or(8);
        let spare = col.spare_capacity_mut();
        let (data, bitmap) = (spare.data.len() * 8, spare.null_bitmap.len());
        assert!(
            data >= size * rows,
            "column {i} ({f:?}): {data} data bytes of room, {rows} rows need {}",
            size * rows
        );
        if f.is_var() {
            let offsets = spare.offsets.len();
            assert!(
                offsets >= rows,
                "column {i} ({f:?}): room for {offsets} offsets, {rows} rows need {rows}"
            );
        }
        assert!(
            bitmap >= rows.div_ceil(8),
            "column {i} ({f:?}): {bitmap} bitmap bytes of room, {rows} rows need {}",
            rows.div_ceil(8)
        );
    }
}

/// Appends `v` to `col` in a form [`value_at`] reads back, whatever its type.
fn push_value(col: &mut Column, v: usize) {
    match col.field_type().elem_size() {
        None => col.append_str(&v.to_string()),
        Some(4) => col.append_f32(v as f32),
        Some(8) => col.append_i64(v as i64),
        Some(n) => {
            let mut bytes = vec![0; n];
            bytes[..8].copy_from_slice(&(v as u64).to_le_bytes());
            col.append_fixed_bytes(&bytes);
        }
    }
}

/// The value [`push_value`] wrote at `row`.
fn value_at(col: &Column, row: usize) -> usize {
    match col.field_type().elem_size() {
        None => std::str::from_utf8(col.get_bytes(row))
            .unwrap()
            .parse()
            .unwrap(),
        Some(4) => col.get_f32(row) as usize,
        Some(8) => col.get_i64(row) as usize,
        Some(_) => u64::from_le_bytes(col.get_fixed_bytes(row)[..8].try_into().unwrap()) as usize,
    }
}

/// Writes a row to every column, so a chunk comes back dirty.
fn stamp(chk: &mut Chunk) {
    for i in 0..chk.num_cols() {
        push_value(chk.column_mut(i), 7);
    }
}

fn layout_of(chk: &Chunk) -> Vec<FieldType> {
    chk.columns().map(Column::field_type).collect()
}

/// A type of another element size than `f`; [`OTHER`] has a column of it.
fn other_type(f: FieldType) -> FieldType {
    match f.elem_size() {
        None => FieldType::I64,
        Some(8) => FieldType::F32,
        Some(_) => FieldType::VAR,
    }
}

/// What safe code does to column `i` of a chunk before dropping it.
#[derive(Clone, Copy, Debug)]
enum Alteration {
    /// `*column_mut(i) = Column::new(t, CAP)`, `t` another type.
    ReplaceOtherType,
    /// `*column_mut(i) = Column::new(same type, n)`, `n` below the capacity.
    ReplaceSmall(usize),
    /// Swap with a column of another type of a chunk of another layout
    /// from the same allocator.
    SwapOtherLayout,
    /// The same, the partner chunk from another allocator.
    SwapOtherAllocator,
    /// The same, the partner an unpooled `Chunk::new` of 2 rows.
    SwapUnpooled,
    /// `*column_mut(i) = c.clone()`, `c` a column of the same type with a
    /// few rows: the clone's buffers hold only those rows.
    CloneWithRows,
    /// `column_mut(i).reset_as(t)`, `t` another type.
    ResetAs,
}

/// The victim's allocator (0) and the partner allocator of
/// [`Alteration::SwapOtherAllocator`] (1).
type Pools<A> = [A; 2];

/// A chunk to drop, with the index of the pool it came from (`None`:
/// unpooled).
type Dropped = (Option<usize>, Chunk);

/// Caches chunks of the layouts the alterations allocate, four at once of
/// each, so the chunks allocated next come out of the cache (the chunks a
/// worker loop recycles), and pool 0 is the one this thread used last.
fn warm<A: ChunkAllocator>(pools: &Pools<A>, fields: &[FieldType]) {
    let batches: [(usize, &[FieldType]); 3] = [(1, &OTHER), (0, &OTHER), (0, fields)];
    for (p, layout) in batches {
        let held: Vec<Chunk> = (0..4).map(|_| pools[p].alloc(layout, CAP, MAX)).collect();
        drop(held);
    }
}

/// Allocates a chunk of `fields` from pool 0, writes to it, applies `how`
/// to column `i`, and returns it with its partner chunk, if any.
fn alter<A: ChunkAllocator>(
    pools: &Pools<A>,
    fields: &[FieldType],
    i: usize,
    how: Alteration,
) -> Vec<Dropped> {
    let mut victim = pools[0].alloc(fields, CAP, MAX);
    stamp(&mut victim);
    let t = other_type(fields[i]);
    let mut partner = match how {
        Alteration::SwapOtherLayout => Some((Some(0), pools[0].alloc(&OTHER, CAP, MAX))),
        Alteration::SwapOtherAllocator => Some((Some(1), pools[1].alloc(&OTHER, CAP, MAX))),
        Alteration::SwapUnpooled => Some((None, Chunk::new(&OTHER, 2, MAX))),
        _ => None,
    };
    let col = victim.column_mut(i);
    match how {
        Alteration::ReplaceOtherType => *col = Column::new(t, CAP),
        Alteration::ReplaceSmall(n) => *col = Column::new(fields[i], n),
        Alteration::CloneWithRows => {
            let mut donor = Column::new(fields[i], CAP);
            (0..3).for_each(|v| push_value(&mut donor, v));
            *col = donor.clone();
        }
        Alteration::ResetAs => col.reset_as(t),
        Alteration::SwapOtherLayout | Alteration::SwapOtherAllocator | Alteration::SwapUnpooled => {
            let (_, other) = partner.as_mut().expect("swaps have a partner");
            stamp(other);
            let j = OTHER
                .iter()
                .position(|&f| f == t)
                .expect("OTHER has every other_type");
            std::mem::swap(col, other.column_mut(j));
        }
    }
    let mut out = vec![(Some(0), victim)];
    out.extend(partner);
    out
}

/// Every layout to check after `altered` comes back: the victim's and the
/// partner's original layouts and what both were changed into.
fn layouts_after(fields: &[FieldType], altered: &[Dropped]) -> Vec<Vec<FieldType>> {
    let mut layouts = vec![fields.to_vec(), OTHER.to_vec()];
    for (_, chk) in altered {
        let l = layout_of(chk);
        if !layouts.contains(&l) {
            layouts.push(l);
        }
    }
    layouts
}

/// Drops each pooled chunk right after its allocator served this thread,
/// as a worker loop does.
fn drop_each<A: ChunkAllocator>(pools: &Pools<A>, fields: &[FieldType], altered: Vec<Dropped>) {
    for (p, chk) in altered {
        if let Some(p) = p {
            drop(pools[p].alloc(fields, CAP, MAX));
        }
        drop(chk);
    }
}

/// Allocations per round of [`assert_all_fresh`]: beyond a thread's
/// magazine (16), so the depot is dug into too; fewer under Miri, which
/// interprets every step.
const ROUND: usize = if cfg!(miri) { 8 } else { 64 };

/// Allocates every layout from every pool 2 × [`ROUND`] times, holding
/// every other chunk (so the cache is dug into, not just its newest
/// entry), and asserts each chunk fresh before writing to it.
fn assert_all_fresh<A: ChunkAllocator>(pools: &Pools<A>, layouts: &[Vec<FieldType>]) {
    for (p, pool) in pools.iter().enumerate() {
        for fields in layouts {
            // Captured, and shown when a check below fails.
            eprintln!("checking {fields:?} from pool {p}");
            for _ in 0..2 {
                let mut held = Vec::new();
                for k in 0..ROUND {
                    let mut chk = pool.alloc(fields, CAP, MAX);
                    assert_fresh(&mut chk, fields, CAP, MAX);
                    stamp(&mut chk);
                    if k % 2 == 0 {
                        held.push(chk);
                    }
                }
            }
        }
    }
}

/// Runs `f` on a new thread and joins it with `JoinHandle::join`, which
/// (unlike the end of a `thread::scope`) waits for the thread-local
/// destructors that hand the thread's cache back.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match thread::spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[derive(Clone, Copy, Debug)]
enum Threads {
    /// Alter, drop and allocate again on one thread.
    One,
    /// Alter on thread A; drop on thread B, which then allocates; then
    /// allocate on thread C, from what B handed back when it exited.
    Cross,
}

/// Columns altered: every one of the narrow layout; of the wide one, a
/// variable-width, a 16-byte and an 8-byte column.
fn targets(fields: &[FieldType]) -> Vec<usize> {
    if fields.len() > 10 {
        vec![0, 4, fields.len() - 1]
    } else {
        (0..fields.len()).collect()
    }
}

/// Alters a chunk of `fields` with `how`, drops it, and checks what the
/// allocators hand out afterwards; for each target column, with new
/// allocators.
fn poisoned_then_fresh<A>(
    make: fn() -> A,
    how: Alteration,
    fields: &'static [FieldType],
    threads: Threads,
) where
    A: ChunkAllocator + Clone + 'static,
{
    for i in targets(fields) {
        eprintln!("{how:?} on column {i} of {fields:?}, {threads:?}");
        let pools: Pools<A> = [make(), make()];
        match threads {
            Threads::One => {
                warm(&pools, fields);
                let altered = alter(&pools, fields, i, how);
                let layouts = layouts_after(fields, &altered);
                drop_each(&pools, fields, altered);
                assert_all_fresh(&pools, &layouts);
            }
            Threads::Cross => {
                let a = pools.clone();
                let altered = on_thread(move || {
                    warm(&a, fields);
                    alter(&a, fields, i, how)
                });
                let layouts = layouts_after(fields, &altered);
                let (b, layouts_b) = (pools.clone(), layouts.clone());
                on_thread(move || {
                    warm(&b, fields);
                    drop_each(&b, fields, altered);
                    assert_all_fresh(&b, &layouts_b);
                });
                on_thread(move || assert_all_fresh(&pools, &layouts));
            }
        }
    }
}

/// Wide layout, lock-free allocator: after 100 altered chunks came back,
/// batches of the layout allocated and dropped together still get whole
/// cached chunks.
///
/// Each altered chunk is allocated again under the layout it has now and
/// held: a pool that files it under that layout hands it back there, so it
/// takes no room in the cache. One filed under the layout it was handed out
/// with, where no request can find it, keeps its room for good; enough of
/// them fill the cache's chunk limit and nothing is reused any more.
fn reuse_goes_on_after_altered_returns(how: Alteration) {
    let pools: Pools<LockFreeAllocator> = [LockFreeAllocator::new(), LockFreeAllocator::new()];
    let mut taken_again = Vec::new();
    for _ in 0..100 {
        warm(&pools, &WIDE);
        let altered = alter(&pools, &WIDE, 0, how);
        let changed: Vec<_> = altered.iter().map(|(p, c)| (*p, layout_of(c))).collect();
        drop_each(&pools, &WIDE, altered);
        for (p, layout) in changed {
            if let Some(p) = p {
                taken_again.push(pools[p].alloc(&layout, CAP, MAX));
            }
        }
    }
    // Well-behaved use: four batches of 16 chunks allocated together and
    // dropped together. After the first batch, every chunk can come from
    // the cache.
    let before = pools[0].stats();
    for _ in 0..4 {
        let batch: Vec<Chunk> = (0..16).map(|_| pools[0].alloc(&WIDE, CAP, MAX)).collect();
        drop(batch);
    }
    let after = pools[0].stats();
    let reused = after.chunks_from_cache - before.chunks_from_cache;
    assert!(
        reused >= 48,
        "{how:?}: {reused} of 64 chunks allocated in batches of 16 came from the cache; \
         before {before:?}, after {after:?}"
    );
}

/// One test per alteration, layout and threading, for each allocator.
macro_rules! alteration_tests {
    ($($name:ident: $how:expr),* $(,)?) => {
        mod lockfree {
            $(mod $name {
                use super::super::*;
                cases!(LockFreeAllocator::new, $how);
                #[test]
                fn wide_reuse_goes_on() {
                    reuse_goes_on_after_altered_returns($how)
                }
            })*
        }
        mod mutex {
            $(mod $name {
                use super::super::*;
                cases!(MutexAllocator::new, $how);
            })*
        }
    };
}

macro_rules! cases {
    ($make:expr, $how:expr) => {
        cases!(@ $make, $how; narrow_one_thread: NARROW, One; narrow_cross_thread: NARROW, Cross;
               wide_one_thread: WIDE, One; wide_cross_thread: WIDE, Cross);
    };
    (@ $make:expr, $how:expr; $($test:ident: $fields:ident, $threads:ident);*) => {$(
        #[test]
        fn $test() {
            poisoned_then_fresh($make, $how, &$fields, Threads::$threads)
        }
    )*};
}

alteration_tests!(
    replace_with_other_type: Alteration::ReplaceOtherType,
    replace_with_one_row_column: Alteration::ReplaceSmall(1),
    replace_with_zero_row_column: Alteration::ReplaceSmall(0),
    swap_with_other_layout: Alteration::SwapOtherLayout,
    swap_with_other_allocator: Alteration::SwapOtherAllocator,
    swap_with_unpooled_chunk: Alteration::SwapUnpooled,
    put_in_clone_with_rows: Alteration::CloneWithRows,
    retype_in_place: Alteration::ResetAs,
);

/// A clone of a column with rows, put into an unpooled chunk, takes appends
/// up to the chunk's capacity and reads back what was written.
#[test]
fn clone_with_rows_in_new_chunk_appends_to_capacity() {
    let mut chk = Chunk::new(&NARROW, CAP, MAX);
    for (i, &f) in NARROW.iter().enumerate() {
        let mut donor = Column::new(f, CAP);
        (0..3).for_each(|v| push_value(&mut donor, v));
        *chk.column_mut(i) = donor.clone();
        for v in 3..CAP {
            push_value(chk.column_mut(i), v);
        }
        // The donor is untouched by what was appended to its clone.
        assert_eq!(donor.len(), 3, "column {i} ({f:?}): donor");
    }
    assert_eq!(chk.num_rows(), CAP);
    for (i, col) in chk.columns().enumerate() {
        assert_eq!(col.len(), CAP, "column {i}: rows");
        assert_eq!(col.null_count(), 0, "column {i}: nulls");
        for row in 0..CAP {
            assert_eq!(value_at(col, row), row, "column {i}, row {row}");
        }
    }
}
