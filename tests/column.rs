//! Columns and chunks: typed appends and reads, NULLs, views, reset,
//! make_ref, and every bad input of the crate docs' "Bad input".

mod common {
    pub mod panics;
}
use chunkpool::{Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, PoolConfig};
use common::panics::panic_message;

#[test]
fn fixed_columns_round_trip_every_type() {
    let mut c = Column::new(FieldType::I64, 4);
    c.append_i64(i64::MIN);
    c.append_null();
    c.append_i64(i64::MAX);
    assert_eq!((c.get_i64(0), c.get_i64(2)), (i64::MIN, i64::MAX));
    assert_eq!(c.get_i64(1), 0, "a fixed NULL occupies one zeroed element");
    assert!(c.is_null(1) && !c.is_null(0));
    assert_eq!(c.null_count(), 1);
    assert_eq!(c.null_bitmap(), &[0b101]);
    assert_eq!(c.data().len(), 24);

    let mut u = Column::new(FieldType::U64, 2);
    u.append_u64(u64::MAX);
    assert_eq!(u.get_u64(0), u64::MAX);
    // Same 8 bytes, other logical type: `i64` does not read a `UInt64`.
    assert!(u.try_get_i64(0).is_err());
    assert_eq!(u.get_fixed_bytes(0), &[0xff; 8]);

    let mut f = Column::new(FieldType::F64, 2);
    f.append_f64(1.5);
    assert_eq!(f.get_f64(0), 1.5);

    let mut g = Column::new(FieldType::F32, 3);
    for v in [0.25f32, -2.0, 8.0] {
        g.append_f32(v);
    }
    assert_eq!(g.as_slice::<f32>(), &[0.25, -2.0, 8.0]);
    let mut i = Column::new(FieldType::I32, 1);
    i.append_i32(-7);
    let mut u = Column::new(FieldType::U32, 1);
    u.append_u32(7);
    assert_eq!((i.get_i32(0), u.get_u32(0)), (-7, 7));

    let mut d = Column::new(FieldType::DECIMAL, 2);
    let dec: Vec<u8> = (0..40).collect();
    d.append_fixed_bytes(&dec);
    d.append_null();
    assert_eq!(d.get_fixed_bytes(0), &dec[..]);
    assert_eq!(d.get_fixed_bytes(1), &[0u8; 40]);
    assert_eq!(d.len(), 2);
}

#[test]
fn var_columns_round_trip() {
    let mut c = Column::new(FieldType::VAR, 2);
    c.append_str("ab");
    c.append_null();
    c.append_bytes(b"");
    c.append_bytes(&[0xff; 100]); // grows past the reserved 16 bytes
    assert_eq!(c.offsets(), &[0, 2, 2, 2, 102]);
    assert_eq!(c.get_bytes(0), b"ab");
    assert!(c.is_null(1) && !c.is_null(2));
    assert_eq!(c.get_bytes(2), b"");
    assert_eq!(c.get_bytes(3).len(), 100);
    assert_eq!(c.len(), 4);
}

#[test]
fn bitmap_crosses_byte_boundaries() {
    let mut c = Column::new(FieldType::I64, 20);
    for r in 0..20 {
        if r % 3 == 0 {
            c.append_null();
        } else {
            c.append_i64(r);
        }
    }
    for r in 0..20usize {
        assert_eq!(c.is_null(r), r % 3 == 0, "row {r}");
    }
    assert_eq!(c.null_bitmap().len(), 3);
    assert_eq!(c.null_count(), 7);
}

#[test]
fn resize_and_mutable_views() {
    let mut c = Column::new(FieldType::I64, 16);
    c.resize(10, false);
    assert_eq!(c.len(), 10);
    assert_eq!(c.null_count(), 0);
    assert_eq!(
        c.null_bitmap(),
        &[0xff, 0b11],
        "no bits set past the length"
    );
    for (i, v) in c.as_mut_slice::<i64>().iter_mut().enumerate() {
        *v = i as i64 * 2;
    }
    assert_eq!(c.get_i64(9), 18);
    c.resize(3, true);
    assert_eq!(c.null_count(), 3);
    assert_eq!(c.as_slice::<i64>(), &[0, 0, 0]);
    c.append_i64(4);
    assert_eq!(c.len(), 4);
    assert!(!c.is_null(3));
}

#[test]
fn reset_and_reset_as() {
    let mut c = Column::new(FieldType::VAR, 4);
    c.append_str("x");
    c.set_avoid_reusing(true);
    let bytes = c.allocated_bytes();
    c.reset();
    assert_eq!((c.len(), c.offsets(), c.data()), (0, &[0i64][..], &[][..]));
    assert!(c.avoid_reusing(), "reset keeps the flag");
    assert_eq!(c.allocated_bytes(), bytes, "reset keeps capacity");
    c.reset_as(FieldType::F64);
    assert_eq!(c.field_type(), FieldType::F64);
    assert!(c.offsets().is_empty());
    c.append_f64(2.0);
    assert_eq!(c.get_f64(0), 2.0);
}

#[test]
fn chunk_rows_reset_and_required_rows() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::VAR], 4, 8);
    assert!(!chk.is_full());
    for r in 0..8 {
        chk.column_mut(0).append_i64(r);
        chk.column_mut(1).append_str("v");
    }
    assert_eq!(chk.num_rows(), 8);
    assert!(chk.is_full());
    chk.set_required_rows(100, 16);
    assert_eq!(chk.required_rows(), 16);
    chk.reset();
    assert_eq!(chk.num_rows(), 0);
    assert_eq!(chk.column(1).offsets(), &[0]);
    assert_eq!(chk.capacity(), 4);
    let empty = Chunk::new(&[], 4, 4);
    assert_eq!((empty.num_cols(), empty.num_rows()), (0, 0));
}

/// TiDB's `SetRequiredRows`: a non-positive request means `maxChunkSize`,
/// a larger one is capped at it.
#[test]
fn set_required_rows_zero_asks_for_max_chunk_size() {
    let mut chk = Chunk::new(&[FieldType::I64], 4, 1024);
    chk.set_required_rows(10, 1024);
    assert_eq!(chk.required_rows(), 10);
    chk.set_required_rows(0, 1024);
    assert_eq!(chk.required_rows(), 1024, "0 is no particular number");
    chk.set_required_rows(0, 32);
    assert_eq!(chk.required_rows(), 32);
    chk.set_required_rows(5000, 32);
    assert_eq!(chk.required_rows(), 32);
    chk.set_required_rows(1, 32);
    assert_eq!(chk.required_rows(), 1);
    // With nothing to ask for, still one row before the chunk is full.
    chk.set_required_rows(0, 0);
    assert_eq!(chk.required_rows(), 1);
    assert!(!chk.is_full());
    chk.column_mut(0).append_i64(1);
    assert!(chk.is_full());
}

/// Appends rows up to `rows`: 8-byte strings, or elements of ones.
fn fill(c: &mut Column, rows: usize) {
    while c.len() < rows {
        match c.field_type().elem_size() {
            Some(size) => c.append_fixed_bytes(&vec![1u8; size]),
            None => c.append_bytes(b"8 bytes!"),
        }
    }
}

/// Asserts that `c` takes rows up to `capacity()` (8-byte strings for
/// variable width) without moving or growing a buffer.
fn holds_capacity_without_growing(mut c: Column) {
    let (ptr, bytes, cap) = (c.data_ptr(), c.allocated_bytes(), c.capacity());
    fill(&mut c, cap);
    assert_eq!(
        (c.data_ptr(), c.allocated_bytes(), c.capacity()),
        (ptr, bytes, cap),
        "{c:?}"
    );
}

#[test]
fn capacity_is_read_off_the_buffers() {
    for field in [
        FieldType::I64,
        FieldType::F32,
        FieldType::DECIMAL,
        FieldType::VAR,
    ] {
        let c = Column::new(field, 100);
        assert!(c.capacity() >= 100, "{field:?}");
        holds_capacity_without_growing(c);

        // Appends that grow the buffers raise it past what it was made with.
        let mut c = Column::new(field, 2);
        fill(&mut c, 50);
        assert!(c.capacity() >= 50, "{field:?}: {}", c.capacity());
        holds_capacity_without_growing(c.clone());
        holds_capacity_without_growing(c);

        // A clone's buffers are as large as its rows need.
        let mut c = Column::new(field, 1000);
        fill(&mut c, 3);
        let copy = c.clone();
        assert!(copy.capacity() >= 3 && copy.capacity() < 1000, "{field:?}");
        holds_capacity_without_growing(copy);
    }
    // reset_as: the same buffers, rows of the new size.
    let mut c = Column::new(FieldType::I64, 100);
    c.reset_as(FieldType::DECIMAL);
    let cap = c.capacity();
    assert!(
        (20..100).contains(&cap),
        "800 bytes hold 20 decimals: {cap}"
    );
    holds_capacity_without_growing(c);
    let mut c = Column::new(FieldType::DECIMAL, 10);
    c.reset_as(FieldType::F32);
    // 400 data bytes would hold 100 f32 rows; the 2-byte bitmap holds 16.
    assert!(
        (10..100).contains(&c.capacity()),
        "the bitmap bounds it: {}",
        c.capacity()
    );
    holds_capacity_without_growing(c);
}

/// Only a column with a data buffer has an address; two live ones never
/// share it.
#[test]
fn data_ptr_is_null_without_a_buffer_and_distinct_with_one() {
    let (a, b) = (
        Column::new(FieldType::I64, 0),
        Column::new(FieldType::VAR, 0),
    );
    assert!(a.data_ptr().is_null() && b.data_ptr().is_null());
    // A clone of a column with no data bytes has no data buffer either.
    let empty = Column::new(FieldType::I64, 64);
    assert!(!empty.data_ptr().is_null());
    let (c, d) = (empty.clone(), empty.clone());
    assert!(c.data_ptr().is_null() && d.data_ptr().is_null());
    // Columns with a buffer: all addresses differ.
    let mut cols: Vec<Column> = (0..8).map(|_| Column::new(FieldType::I64, 1)).collect();
    let mut e = empty.clone();
    e.append_i64(1);
    cols.push(e);
    cols.push(empty);
    let ptrs: std::collections::HashSet<_> = cols.iter().map(|c| c.data_ptr()).collect();
    assert_eq!(ptrs.len(), cols.len());
    assert!(!ptrs.contains(&std::ptr::null()));
}

#[test]
fn make_ref_shares_and_reset_detaches() {
    let pool = LockFreeAllocator::new();
    let mut a = pool.alloc(&[FieldType::I64, FieldType::I64], 4, 4);
    let mut b = pool.alloc(&[FieldType::I64], 4, 4);
    a.column_mut(0).append_i64(1);
    b.make_ref_to(0, &mut a, 0);
    assert!(a.is_shared(0) && b.is_shared(0));
    assert_eq!(
        a.try_column_mut(0).unwrap_err(),
        Error::SharedColumn { column: 0 }
    );
    // Resetting one chunk must not clear the other's view.
    b.reset();
    assert_eq!(b.num_rows(), 0);
    assert!(!b.is_shared(0));
    assert_eq!(a.column(0).get_i64(0), 1);
    // With b detached, a owns its column again.
    a.column_mut(0).append_i64(2);
    assert_eq!(a.column(0).len(), 2);
    a.make_ref(1, 1); // no-op
    assert!(!a.is_shared(1));
}

#[test]
fn typed_misuse_is_an_error_or_a_named_panic() {
    let mut c = Column::new(FieldType::I64, 2);
    assert_eq!(
        c.try_append_f32(1.0),
        Err(Error::TypeMismatch {
            expected: "f32 (Float32)",
            actual: FieldType::I64
        })
    );
    assert!(c.try_append_bytes(b"x").is_err());
    assert!(c.try_append_fixed_bytes(&[0; 4]).is_err());
    assert!(c.try_get_bytes(0).is_err());
    assert!(c.try_as_slice::<f32>().is_err());
    assert_eq!(
        c.try_get_i64(0),
        Err(Error::RowOutOfRange { row: 0, len: 0 })
    );
    assert_eq!(
        c.try_is_null(5),
        Err(Error::RowOutOfRange { row: 5, len: 0 })
    );
    let mut v = Column::new(FieldType::VAR, 2);
    assert!(v.try_append_i64(1).is_err());
    assert!(v.try_resize(3, false).is_err());
    assert!(v.try_get_fixed_bytes(0).is_err());
    assert_eq!(c.len() + v.len(), 0, "failed appends leave nothing behind");

    let msg = panic_message(|| Column::new(FieldType::I64, 1).append_f32(1.0));
    assert!(
        msg.contains("type mismatch") && msg.contains("f32 (Float32)") && msg.contains("Int64"),
        "{msg}"
    );
    let msg = panic_message(|| {
        Column::new(FieldType::I64, 1).get_i64(3);
    });
    assert!(msg.contains("row 3 out of range"), "{msg}");
    let msg = panic_message(|| {
        let _ = Chunk::new(&[FieldType::I64], 1, 1).column(2);
    });
    assert!(msg.contains("column 2 out of range"), "{msg}");
    let msg = panic_message(|| Chunk::new(&[FieldType::I64], 1, 1).make_ref(0, 5));
    assert!(msg.contains("out of range"), "{msg}");
}

#[test]
fn bad_sizes_and_capacities_are_errors() {
    assert_eq!(FieldType::fixed(0), Err(Error::InvalidElemSize { size: 0 }));
    assert!(FieldType::fixed(chunkpool::MAX_ELEM_SIZE + 1).is_err());
    assert!(FieldType::fixed(chunkpool::MAX_ELEM_SIZE).is_ok());

    let pool = LockFreeAllocator::new();
    let f = [FieldType::I64];
    assert_eq!(pool.try_alloc(&f, 0, 10).unwrap_err(), Error::ZeroCapacity);
    assert_eq!(
        pool.try_alloc(&f, 10, 0).unwrap_err(),
        Error::ZeroMaxChunkSize
    );
    let huge = usize::MAX / 4;
    assert!(matches!(
        pool.try_alloc(&[FieldType::DECIMAL], huge, huge)
            .unwrap_err(),
        Error::CapacityOverflow { .. }
    ));
    assert!(matches!(
        pool.try_alloc(&[FieldType::VAR], usize::MAX, usize::MAX)
            .unwrap_err(),
        Error::CapacityOverflow { .. }
    ));
    assert!(Column::try_new(FieldType::DECIMAL, usize::MAX).is_err());
    assert!(Chunk::try_new(&f, 0, 1).is_err());
    let mut c = Column::new(FieldType::DECIMAL, 1);
    assert!(matches!(
        c.try_resize(usize::MAX, false),
        Err(Error::CapacityOverflow { .. })
    ));
    let msg = panic_message(|| {
        LockFreeAllocator::new().alloc(&[FieldType::I64], 0, 1);
    });
    assert!(msg.contains("capacity must be at least 1"), "{msg}");

    // A rejected request leaves the pool untouched and usable.
    drop(pool.alloc(&f, 8, 8));
    assert!(pool
        .try_alloc(&[FieldType::I64, FieldType::DECIMAL], huge, huge)
        .is_err());
    assert_eq!(pool.stats().retained_chunks, 1);
    assert_eq!(pool.alloc(&f, 8, 8).num_rows(), 0);
    assert_eq!(pool.stats().chunks_from_cache, 1);
}

#[test]
fn absurd_limits_are_errors() {
    let too_many = chunkpool::MAX_COUNT_LIMIT + 1;
    assert!(matches!(
        PoolConfig::with_limits(too_many, 1),
        Err(Error::LimitTooLarge {
            limit: "max_free_chunks",
            ..
        })
    ));
    assert!(PoolConfig::with_limits(1, usize::MAX).is_err());
    assert!(PoolConfig::builder()
        .byte_budget(usize::MAX)
        .build()
        .is_err());
    assert!(PoolConfig::builder()
        .max_cached_var_bytes(usize::MAX)
        .build()
        .is_err());
    let ok = PoolConfig::with_limits(chunkpool::MAX_COUNT_LIMIT, 0).unwrap();
    assert!(ok.reuse_enabled());
    let e = PoolConfig::with_limits(too_many, 1).unwrap_err();
    assert!(e.to_string().contains("max_free_chunks"), "{e}");
}

#[test]
fn debug_output_is_informative() {
    let pool = LockFreeAllocator::new();
    let mut chk = pool.alloc(&[FieldType::I64, FieldType::VAR], 4, 8);
    chk.column_mut(0).append_i64(1);
    let s = format!("{chk:?}");
    assert!(
        s.contains("rows: 1") && s.contains("Int64") && s.contains("Binary"),
        "{s}"
    );
    assert!(format!("{pool:?}").contains("LockFreeAllocator"));
    assert_eq!(format!("{}", FieldType::DECIMAL), "Decimal");
}

#[test]
fn data_buffers_are_64_byte_aligned_however_they_were_made() {
    let aligned = |c: &Column, what: &str| {
        let p = c.data_ptr();
        assert!(p.is_null() || p as usize % 64 == 0, "{what}: {p:?}");
    };
    let types = [
        FieldType::BOOL,
        FieldType::I16,
        FieldType::F32,
        FieldType::I64,
        FieldType::DECIMAL,
        FieldType::UTF8,
        FieldType::fixed(3).unwrap(),
        FieldType::fixed(1024).unwrap(),
    ];
    for ty in types {
        for cap in [1, 7, 9, 100] {
            let mut c = Column::new(ty, cap);
            aligned(&c, &format!("{ty:?} x {cap}: new"));
            for r in 0..cap * 2 + 5 {
                if ty.is_var() {
                    c.append_bytes(&vec![r as u8; r % 13]);
                } else {
                    // A Bool column takes only 0 and 1.
                    let byte = if ty == FieldType::BOOL { r % 2 } else { r } as u8;
                    c.append_fixed_bytes(&vec![byte; ty.elem_size().unwrap()]);
                }
                aligned(&c, &format!("{ty:?} x {cap}: grown to {} rows", r + 1));
            }
            aligned(&c.clone(), &format!("{ty:?} x {cap}: clone"));
            c.reset_as(FieldType::F64);
            aligned(&c, &format!("{ty:?} x {cap}: retyped"));
        }
    }
    let alloc = LockFreeAllocator::new();
    for _ in 0..3 {
        let chk = alloc.alloc(&types, 33, 1024);
        for (i, c) in chk.columns().enumerate() {
            aligned(c, &format!("pooled column {i}"));
        }
    }
}
