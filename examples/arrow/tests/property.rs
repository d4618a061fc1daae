//! Arrow export, property test (issue 12, part 5; feature `arrow`):
//! random chunks (1 to 12 columns of random logical types, 0 to 300 rows,
//! NULLs at random rates, multi-byte strings) from either allocator are
//! exported, validated by arrow and read back value by value; the batch, a
//! slice of it or cloned arrays are dropped on another thread; and the
//! chunk must be home, its buffers handed out again.

mod common {
    pub mod arrow_model;
}
use common::arrow_model;

use arrow_model::*;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use chunkpool::{ExportOptions, FieldType, LockFreeAllocator, MutexAllocator};
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------
// Property test
// ---------------------------------------------------------------------------

/// What crosses to the dropping thread.
enum Payload {
    Batch(RecordBatch),
    Slice(RecordBatch, usize),
    Arrays(Vec<(usize, ArrayRef)>),
}

/// One round of a case: a random chunk of `types` from `pool`, exported,
/// checked, dropped on this or another thread, and checked home.
/// What the property test's rounds went through, to check that each path
/// was taken.
#[derive(Debug, Default)]
struct Seen {
    rounds: usize,
    /// Dropped on the exporting thread / as the batch, a slice, cloned
    /// arrays on another.
    dropped_here: usize,
    dropped_there: [usize; 3],
    /// Rounds whose next allocation was checked to get the same buffers.
    same_buffers: usize,
}

fn round(rng: &mut Rng, pool: &Pool, types: &[FieldType], max_rows: usize, seen: &mut Seen) {
    seen.rounds += 1;
    let rows = rng.below(max_rows + 1);
    let model = random_model(rng, types, rows);
    let capacity = 1 + rng.below(max_rows + 1);
    let opts = ExportOptions::new().small_offsets(rng.chance(50));
    let mut chk = pool.alloc(types, capacity);
    // After the allocation: columns it freed as too small are not ours.
    let s0 = pool.stats();
    fill(&mut chk, &model);
    let ptrs = data_ptrs(&chk);
    let batch = chk.into_record_batch_with(&opts).unwrap();
    assert_eq!(pool.stats().exported_chunks, 1);
    check_against_model(&batch, &model, 0, &opts);
    let off = rng.below(rows + 1);
    let len = rng.below(rows - off + 1);
    check_against_model(&batch.slice(off, len), &model, off, &opts);

    let lock_free = matches!(pool, Pool::LockFree(_));
    let payload = match rng.below(4) {
        // Dropped here: on one thread the very buffers come back.
        0 => {
            drop(batch);
            let s = pool.stats();
            assert_eq!(s.exported_chunks, 0);
            assert_eq!(s.chunks_returned, s0.chunks_returned + 1);
            let again = pool.alloc(types, capacity);
            if discarded(&s) == discarded(&s0) {
                same_buffers(lock_free, &data_ptrs(&again), &ptrs);
                seen.same_buffers += 1;
            }
            seen.dropped_here += 1;
            return;
        }
        1 => Payload::Batch(batch),
        2 => {
            let slice = batch.slice(off, len);
            drop(batch);
            Payload::Slice(slice, off)
        }
        _ => {
            let n = 1 + rng.below(types.len());
            let arrays = (0..n)
                .map(|_| {
                    let c = rng.below(types.len());
                    (c, batch.column(c).clone())
                })
                .collect();
            drop(batch);
            Payload::Arrays(arrays)
        }
    };
    // `batch` is gone unless the payload is the batch: what crosses holds
    // the export, unless it is only Bool arrays without a validity buffer
    // (their values are a packed copy): then the chunk is home already.
    let arrays: Vec<&ArrayRef> = match &payload {
        Payload::Batch(b) | Payload::Slice(b, _) => b.columns().iter().collect(),
        Payload::Arrays(arrays) => arrays.iter().map(|(_, a)| a).collect(),
    };
    let holds = arrays.iter().any(|a| holds_the_chunk(a));
    seen.dropped_there[match &payload {
        Payload::Batch(_) => 0,
        Payload::Slice(..) => 1,
        Payload::Arrays(_) => 2,
    }] += 1;
    let s = pool.stats();
    assert_eq!(
        s.exported_chunks,
        usize::from(holds),
        "the payload holds it"
    );
    assert_eq!(s.chunks_returned, s0.chunks_returned + u64::from(!holds));

    std::thread::scope(|scope| {
        let (model, opts, ptrs, s0) = (&model, &opts, &ptrs, &s0);
        let dropper = scope.spawn(move || {
            // Read on this thread too, then drop here.
            match &payload {
                Payload::Batch(b) => check_against_model(b, model, 0, opts),
                Payload::Slice(b, off) => check_against_model(b, model, *off, opts),
                Payload::Arrays(arrays) => {
                    for (c, a) in arrays {
                        a.to_data().validate_full().unwrap();
                        for (r, v) in model[*c].rows.iter().enumerate() {
                            assert_eq!(&arrow_cell(a.as_ref(), r), v, "column {c} row {r}");
                        }
                    }
                }
            }
            drop(payload);
            let s = pool.stats();
            assert_eq!(s.exported_chunks, 0);
            assert_eq!(s.chunks_returned, s0.chunks_returned + 1);
            // The dropping thread allocates the same layout next: its own
            // cache (lock-free) or the pool's lists (mutex) hand back the
            // buffers, unless some were freed rather than cached.
            let again = pool.alloc(types, capacity);
            let checked = discarded(&s) == discarded(s0);
            if checked {
                same_buffers(lock_free, &data_ptrs(&again), ptrs);
            }
            checked
        });
        // Joined by hand: that waits for the thread's exit, where the
        // lock-free allocator's thread cache flushes to the shared depot.
        if dropper.join().unwrap() {
            seen.same_buffers += 1;
        }
    });
    let s = pool.stats();
    assert_eq!(s.exported_chunks, 0);
    assert_eq!(s.chunks_returned, s0.chunks_returned + 2);
    if lock_free && discarded(&s) == discarded(&s0) {
        assert!(s.retained_chunks >= 1, "the chunk is in the depot: {s:?}");
    }
}

/// Whether an exported array keeps its chunk out of the pool: every array
/// does but a Bool one without NULLs, whose one buffer (the values, packed
/// a bit a row) is a copy.
fn holds_the_chunk(a: &ArrayRef) -> bool {
    a.data_type() != &DataType::Boolean || a.nulls().is_some()
}

/// The buffers of a chunk allocated after a return are those returned: in
/// the same columns for the lock-free allocator (whole chunks), in some
/// order for the mutex allocator (columns by size class).
fn same_buffers(lock_free: bool, got: &[usize], want: &[usize]) {
    if lock_free {
        assert_eq!(got, want, "the lock-free allocator hands back the chunk");
    } else {
        let got: BTreeSet<_> = got.iter().collect();
        let want: BTreeSet<_> = want.iter().collect();
        assert_eq!(got, want, "the mutex allocator hands back the columns");
    }
}

#[test]
fn random_chunks_export_read_back_and_come_home_from_other_threads() {
    // Under Miri (not run by CI for this file, but kept cheap): a few
    // small cases.
    let (cases, max_rows) = if cfg!(miri) { (3, 20) } else { (300, 300) };
    let mut seen = Seen::default();
    for seed in 0..cases {
        let mut rng = Rng::new(seed);
        let pool = if rng.chance(20) {
            Pool::Mutex(MutexAllocator::new())
        } else {
            Pool::LockFree(LockFreeAllocator::new())
        };
        let types: Vec<FieldType> = (0..1 + rng.below(12))
            .map(|_| random_type(&mut rng))
            .collect();
        // Several rounds on one pool: later ones export recycled buffers
        // that held other data (and more rows) before.
        for _ in 0..3 {
            round(&mut rng, &pool, &types, max_rows, &mut seen);
        }
    }
    // Every path taken, and the buffer check most of the time (a column
    // is freed rather than cached only when a limit says so).
    if !cfg!(miri) {
        assert!(
            seen.dropped_here > 0 && seen.dropped_there.iter().all(|&n| n > 0),
            "{seen:?}"
        );
        assert!(seen.same_buffers * 10 >= seen.rounds * 9, "{seen:?}");
    }
}
