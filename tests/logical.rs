//! Logical types: every `FieldType` constant's size and name, typed access
//! checked against the logical type (not only the size), the raw-bytes
//! escape hatch, and pooling by physical size class while whole chunks go
//! by the full types.

mod common {
    pub mod panics;
}
use chunkpool::{
    Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, LogicalType,
    MutexAllocator, PoolConfig, MAX_ELEM_SIZE,
};
use common::panics::panic_message;

/// Every named constant, its element size and its name.
const NAMED: [(FieldType, Option<usize>, &str, LogicalType); 18] = [
    (FieldType::I8, Some(1), "Int8", LogicalType::Int8),
    (FieldType::I16, Some(2), "Int16", LogicalType::Int16),
    (FieldType::I32, Some(4), "Int32", LogicalType::Int32),
    (FieldType::I64, Some(8), "Int64", LogicalType::Int64),
    (FieldType::U8, Some(1), "UInt8", LogicalType::UInt8),
    (FieldType::U16, Some(2), "UInt16", LogicalType::UInt16),
    (FieldType::U32, Some(4), "UInt32", LogicalType::UInt32),
    (FieldType::U64, Some(8), "UInt64", LogicalType::UInt64),
    (FieldType::F32, Some(4), "Float32", LogicalType::Float32),
    (FieldType::F64, Some(8), "Float64", LogicalType::Float64),
    (FieldType::BOOL, Some(1), "Bool", LogicalType::Bool),
    (FieldType::DATE, Some(8), "Date", LogicalType::Date),
    (
        FieldType::DATETIME,
        Some(8),
        "Datetime",
        LogicalType::Datetime,
    ),
    (
        FieldType::TIMESTAMP,
        Some(8),
        "Timestamp",
        LogicalType::Timestamp,
    ),
    (
        FieldType::DURATION,
        Some(8),
        "Duration",
        LogicalType::Duration,
    ),
    (
        FieldType::DECIMAL,
        Some(40),
        "Decimal",
        LogicalType::Decimal,
    ),
    (FieldType::UTF8, None, "Utf8", LogicalType::Utf8),
    (FieldType::BINARY, None, "Binary", LogicalType::Binary),
];

#[test]
fn constants_have_their_sizes_names_and_logical_types() {
    for (i, &(f, size, name, logical)) in NAMED.iter().enumerate() {
        assert_eq!(f.elem_size(), size, "{name}");
        assert_eq!(f.is_var(), size.is_none(), "{name}");
        assert_eq!(format!("{f:?}"), name);
        assert_eq!(format!("{f}"), name);
        assert_eq!(f.logical(), logical, "{name}");
        assert_eq!(FieldType::new(logical), Ok(f), "{name}");
        // Every constant is its own type, whatever its size.
        for &(g, _, other, _) in &NAMED[i + 1..] {
            assert_ne!(f, g, "{name} == {other}");
        }
        assert_ne!(Some(f), size.map(|n| FieldType::fixed(n).unwrap()));
    }
    assert_eq!(FieldType::VAR, FieldType::BINARY, "VAR is an alias");
    let raw = FieldType::fixed(16).unwrap();
    assert_eq!(raw.logical(), LogicalType::FixedBytes(16));
    assert_eq!(
        (format!("{raw:?}"), raw.to_string()),
        ("FixedBytes(16)".into(), "FixedBytes(16)".into())
    );
    assert_eq!(
        FieldType::new(LogicalType::FixedBytes(MAX_ELEM_SIZE + 1)),
        Err(Error::InvalidElemSize {
            size: MAX_ELEM_SIZE + 1
        })
    );
    assert!(std::mem::size_of::<FieldType>() <= 4);
}

#[test]
fn typed_access_of_another_logical_type_is_a_mismatch() {
    let mismatch = |expected: &'static str, actual| Err(Error::TypeMismatch { expected, actual });
    let mut i = Column::new(FieldType::I64, 4);
    assert_eq!(
        i.try_append_f64(1.5),
        mismatch("f64 (Float64)", FieldType::I64)
    );
    assert_eq!(
        i.try_append_u64(1),
        mismatch("u64 (UInt64)", FieldType::I64)
    );
    let mut f = Column::new(FieldType::F64, 4);
    assert_eq!(
        f.try_append_i64(1),
        mismatch(
            "i64 (Int64, Date, Datetime, Timestamp, Duration)",
            FieldType::F64
        )
    );
    let mut f32 = Column::new(FieldType::F32, 4);
    assert_eq!(
        f32.try_append_i32(1),
        mismatch("i32 (Int32)", FieldType::F32)
    );
    assert_eq!(
        f32.try_append_u32(1),
        mismatch("u32 (UInt32)", FieldType::F32)
    );
    let mut raw8 = Column::new(FieldType::fixed(8).unwrap(), 4);
    assert!(
        raw8.try_append_i64(1).is_err(),
        "raw bytes have no typed access"
    );
    let mut dec = Column::new(FieldType::DECIMAL, 4);
    assert!(dec.try_append_u64(1).is_err());
    let mut i8c = Column::new(FieldType::I8, 4);
    assert_eq!(i8c.try_append_u8(1), mismatch("u8 (UInt8)", FieldType::I8));
    // A read names Bool too: u8 reads it, and does not write it.
    assert_eq!(
        i8c.try_get_u8(0),
        Err(Error::TypeMismatch {
            expected: "u8 (UInt8, Bool)",
            actual: FieldType::I8
        })
    );
    assert!(Column::new(FieldType::U8, 1).try_append_bool(true).is_err());
    assert!(i.try_append_bytes(b"x").is_err());
    assert!(Column::new(FieldType::UTF8, 1).try_append_i64(1).is_err());
    // Nothing was appended.
    assert_eq!(
        i.len() + f.len() + f32.len() + raw8.len() + dec.len() + i8c.len(),
        0
    );

    // Reads and slices too, with rows there.
    i.append_i64(4_609_434_218_613_702_656);
    f.append_f64(1.5);
    assert!(matches!(i.try_get_f64(0), Err(Error::TypeMismatch { .. })));
    assert!(matches!(i.try_get_u64(0), Err(Error::TypeMismatch { .. })));
    assert!(matches!(f.try_get_i64(0), Err(Error::TypeMismatch { .. })));
    assert!(matches!(
        i.try_as_slice::<f64>(),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        i.try_as_slice::<u64>(),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        f.try_as_mut_slice::<i64>(),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        f32.try_as_slice::<i32>(),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        f.try_get_bytes(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(i.as_slice::<i64>(), &[4_609_434_218_613_702_656]);
    assert_eq!(f.as_slice::<f64>(), &[1.5]);
}

/// A misuse that panics.
type Misuse = Box<dyn FnOnce()>;

#[test]
fn panicking_forms_name_both_types() {
    let cases: [(Misuse, &str, &str); 6] = [
        (
            Box::new(|| Column::new(FieldType::I64, 1).append_f64(1.5)),
            "f64",
            "Int64",
        ),
        (
            Box::new(|| Column::new(FieldType::F64, 1).append_i64(1)),
            "i64",
            "Float64",
        ),
        (
            Box::new(|| Column::new(FieldType::I64, 1).append_u64(1)),
            "u64",
            "Int64",
        ),
        (
            Box::new(|| Column::new(FieldType::F32, 1).append_i32(1)),
            "i32",
            "Float32",
        ),
        (
            Box::new(|| Column::new(FieldType::I64, 1).append_str("x")),
            "str",
            "Int64",
        ),
        (
            Box::new(|| {
                let mut c = Column::new(FieldType::I64, 1);
                c.append_i64(1);
                let _ = c.as_slice::<f64>();
            }),
            "f64",
            "Int64",
        ),
    ];
    for (f, access, column) in cases {
        let msg = panic_message(f);
        assert!(
            msg.contains("type mismatch") && msg.contains(access) && msg.contains(column),
            "{msg}"
        );
    }
    let msg = panic_message(|| {
        let _ = Column::new(FieldType::DATE, 1).get_bool(0);
    });
    assert!(msg.contains("Bool") && msg.contains("Date"), "{msg}");
}

#[test]
fn each_rust_type_reads_its_logical_types() {
    for f in [
        FieldType::I64,
        FieldType::DATE,
        FieldType::DATETIME,
        FieldType::TIMESTAMP,
        FieldType::DURATION,
    ] {
        let mut c = Column::new(f, 2);
        c.append_i64(-3);
        assert_eq!(
            (c.get_i64(0), c.as_slice::<i64>()),
            (-3, &[-3][..]),
            "{f:?}"
        );
    }
    let mut c = Column::new(FieldType::I8, 2);
    c.append_i8(-1);
    assert_eq!(c.get_i8(0), -1);
    let mut c = Column::new(FieldType::I16, 2);
    c.append_i16(-300);
    assert_eq!(c.as_slice::<i16>(), &[-300]);
    let mut c = Column::new(FieldType::U8, 2);
    c.append_u8(200);
    assert_eq!(c.get_u8(0), 200);
    let mut c = Column::new(FieldType::U16, 2);
    c.append_u16(60_000);
    assert_eq!(c.get_u16(0), 60_000);
    let mut c = Column::new(FieldType::U32, 2);
    c.append_u32(7);
    assert_eq!(c.get_u32(0), 7);
    let mut c = Column::new(FieldType::U64, 2);
    c.append_u64(u64::MAX);
    assert_eq!(c.get_u64(0), u64::MAX);
    let mut b = Column::new(FieldType::BOOL, 2);
    b.append_bool(true);
    b.append_null();
    b.append_bool(false);
    assert_eq!(
        (b.get_bool(0), b.get_bool(1), b.get_bool(2)),
        (true, false, false)
    );
    assert_eq!(b.as_slice::<u8>(), &[1, 0, 0]);
    // Strings go into both variable-width types.
    for f in [FieldType::UTF8, FieldType::BINARY] {
        let mut s = Column::new(f, 2);
        s.append_str("tidb");
        s.append_bytes(&[0xff, 0]);
        assert_eq!(
            (s.get_bytes(0), s.get_bytes(1)),
            (&b"tidb"[..], &[0xff, 0][..])
        );
    }
}

#[test]
fn raw_bytes_work_on_every_fixed_type_of_their_size() {
    let fixed = NAMED
        .iter()
        .map(|&(f, ..)| f)
        .chain([1, 3, 8, 16, MAX_ELEM_SIZE].map(|n| FieldType::fixed(n).unwrap()))
        .filter(|f| !f.is_var());
    for f in fixed {
        let n = f.elem_size().unwrap();
        let bytes: Vec<u8> = (0..n).map(|i| i as u8 | 1).collect();
        let mut c = Column::new(f, 2);
        c.append_fixed_bytes(&bytes);
        assert_eq!(c.get_fixed_bytes(0), &bytes[..], "{f:?}");
        assert!(
            c.try_append_fixed_bytes(&bytes[1..]).is_err(),
            "{f:?}: wrong length"
        );
        assert_eq!(c.len(), 1);
    }
    assert!(Column::new(FieldType::UTF8, 1)
        .try_append_fixed_bytes(&[])
        .is_err());
    // The raw bytes are the typed value's in-memory form.
    let mut c = Column::new(FieldType::F64, 1);
    c.append_fixed_bytes(&1.5f64.to_ne_bytes());
    assert_eq!(c.get_f64(0), 1.5);
}

/// An `Int64` column returned loose is handed out again, retyped, for a
/// `Float64` request: same buffer, new type, no rows.
fn loose_column_is_reused_under_another_type(pool: &dyn ChunkAllocator) {
    let mut chk = pool.alloc(&[FieldType::I64], 16, 16);
    chk.column_mut(0).append_i64(42);
    let ptr = chk.column(0).data_ptr();
    drop(chk);
    let mut chk = pool.alloc(&[FieldType::F64], 16, 16);
    let col = chk.column(0);
    assert_eq!(col.data_ptr(), ptr, "the 8-byte class is shared");
    assert_eq!((col.field_type(), col.len()), (FieldType::F64, 0));
    assert!(chk.column_mut(0).try_append_i64(1).is_err());
    chk.column_mut(0).append_f64(2.5);
    assert_eq!(chk.column(0).as_slice::<f64>(), &[2.5]);
}

#[test]
fn loose_columns_pool_by_size_class_lockfree() {
    let cfg = PoolConfig::builder().max_free_chunks(0).build().unwrap();
    loose_column_is_reused_under_another_type(&LockFreeAllocator::with_config(cfg));
}

#[test]
fn loose_columns_pool_by_size_class_mutex() {
    let cfg = PoolConfig::builder().max_free_chunks(0).build().unwrap();
    loose_column_is_reused_under_another_type(&MutexAllocator::with_config(cfg));
}

fn types(chk: &Chunk) -> Vec<FieldType> {
    chk.columns().map(Column::field_type).collect()
}

/// A cached `[Int64, Utf8]` chunk is never handed out for
/// `[Float64, Binary]`: whatever buffers come back, the chunk has exactly
/// the requested types and no rows.
fn whole_chunk_keeps_its_types(pool: &dyn ChunkAllocator) {
    let a = [FieldType::I64, FieldType::UTF8];
    let b = [FieldType::F64, FieldType::BINARY];
    let mut chk = pool.alloc(&a, 8, 8);
    chk.column_mut(0).append_i64(1);
    chk.column_mut(1).append_str("x");
    drop(chk);
    let mut chk = pool.alloc(&b, 8, 8);
    assert_eq!(types(&chk), b);
    assert_eq!(chk.num_rows(), 0);
    assert!(chk.column(1).offsets() == [0]);
    chk.column_mut(0).append_f64(0.5);
    chk.column_mut(1).append_bytes(&[0xff]);
    drop(chk);
    // And back: each layout gets its own types.
    let chk = pool.alloc(&a, 8, 8);
    assert_eq!((types(&chk), chk.num_rows()), (a.to_vec(), 0));
    let chk2 = pool.alloc(&b, 8, 8);
    assert_eq!((types(&chk2), chk2.num_rows()), (b.to_vec(), 0));
}

#[test]
fn whole_chunks_go_by_logical_types_lockfree() {
    let pool = LockFreeAllocator::new();
    whole_chunk_keeps_its_types(&pool);
    // The `[Int64, Utf8]` chunk stayed cached for its own layout.
    let before = pool.stats().chunks_from_cache;
    drop(pool.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8));
    drop(pool.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8));
    assert!(pool.stats().chunks_from_cache > before);
}

#[test]
fn whole_chunks_go_by_logical_types_mutex() {
    whole_chunk_keeps_its_types(&MutexAllocator::new());
}
