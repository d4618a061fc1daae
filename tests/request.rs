//! `ChunkRequest` names the numbers of TiDB's positional `Alloc`: on every
//! allocator a request gives the chunk the positional call gives, and the
//! same error for the same bad numbers; `StatementOutcome` decides whether
//! `clear_alloc` abandons the allocator.

use chunkpool::{
    ChunkAllocator, ChunkRequest, EmptyAllocator, Error, FieldType, LockFreeAllocator,
    MutexAllocator, SessionChunkPool, StatementOutcome,
};

const FIELDS: [FieldType; 3] = [FieldType::I64, FieldType::UTF8, FieldType::F64];

/// (capacity, max_chunk_size) pairs, good and bad.
const CASES: [(usize, usize); 6] = [
    (1, 1),
    (32, 1024),
    (1024, 32),
    (0, 8),
    (8, 0),
    (usize::MAX, usize::MAX),
];

fn same_as_positional(alloc: &impl ChunkAllocator) {
    for (cap, max) in CASES {
        let positional = alloc.try_alloc(&FIELDS, cap, max);
        let named = alloc.try_alloc_with(ChunkRequest::new(&FIELDS, max).capacity(cap));
        let literal = alloc.try_alloc_with(ChunkRequest {
            fields: &FIELDS,
            capacity: cap,
            max_chunk_size: max,
        });
        match (positional, named, literal) {
            (Ok(a), Ok(b), Ok(c)) => {
                let shape = |c: &chunkpool::Chunk| {
                    (c.fields(), c.capacity(), c.required_rows(), c.num_rows())
                };
                assert_eq!(shape(&a), shape(&b), "({cap}, {max})");
                assert_eq!(shape(&a), shape(&c), "({cap}, {max})");
                assert_eq!(b.capacity(), cap.min(max));
                assert_eq!(b.required_rows(), max);
            }
            (Err(a), Err(b), Err(c)) => {
                assert_eq!(a, b, "({cap}, {max})");
                assert_eq!(a, c, "({cap}, {max})");
            }
            (a, b, c) => panic!(
                "({cap}, {max}) disagree: {:?} / {:?} / {:?}",
                a.err(),
                b.err(),
                c.err()
            ),
        }
    }
    // `new` sets both numbers.
    let chk = alloc.alloc_with(ChunkRequest::new(&FIELDS, 100));
    assert_eq!((chk.capacity(), chk.required_rows()), (100, 100));
    assert_eq!(
        alloc
            .try_alloc_with(ChunkRequest::new(&FIELDS, 0))
            .unwrap_err(),
        Error::ZeroCapacity
    );
}

#[test]
fn a_request_allocates_what_the_positional_call_does() {
    same_as_positional(&LockFreeAllocator::new());
    same_as_positional(&MutexAllocator::new());
    same_as_positional(&EmptyAllocator);
    let session = SessionChunkPool::new();
    let alloc = LockFreeAllocator::new();
    session.set_alloc(Some(&alloc));
    same_as_positional(&session.chunk_allocator());
}

#[test]
#[should_panic(expected = "capacity")]
fn alloc_with_panics_with_the_errors_message() {
    let _ = LockFreeAllocator::new().alloc_with(ChunkRequest::new(&FIELDS, 16).capacity(0));
}

#[test]
fn the_outcome_decides_whether_the_allocator_is_abandoned() {
    let session = SessionChunkPool::new();
    let mut alloc = LockFreeAllocator::new();
    let first = alloc.clone();
    let outcomes = [
        (StatementOutcome::of(&Ok::<u8, ()>(1)), true),
        (StatementOutcome::failed_if(false), true),
        (StatementOutcome::Succeeded, true),
        (StatementOutcome::of(&Err::<u8, _>("boom")), false),
    ];
    for (outcome, kept) in outcomes {
        let before = alloc.clone();
        session.set_alloc(Some(&alloc));
        drop(session.chunk_allocator().alloc(&FIELDS, 8, 8));
        session.clear_alloc(&mut alloc, outcome);
        assert!(!session.is_alloc_valid());
        assert_eq!(alloc.same_pool(&before), kept, "{outcome:?}");
        assert_eq!(alloc.config(), first.config());
    }
    assert!(!alloc.same_pool(&first));
}
