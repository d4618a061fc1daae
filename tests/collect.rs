//! Columns from iterators (`FromIterator`, `Extend`) and room reserved in
//! a string column (`reserve_bytes`): the field type each element type
//! collects into, `Extend`'s all-or-nothing panic on a type it does not
//! write, and reservations that let appends run without allocating.

use chunkpool::{ChunkAllocator, Column, Error, FieldType, LockFreeAllocator};
use std::panic::{catch_unwind, AssertUnwindSafe};

#[test]
fn each_element_type_collects_into_its_own_field_type() {
    let cases: Vec<(Column, FieldType)> = vec![
        ([1i8, -1].into_iter().collect(), FieldType::I8),
        ([1i16].into_iter().collect(), FieldType::I16),
        ([1i32].into_iter().collect(), FieldType::I32),
        ([1i64].into_iter().collect(), FieldType::I64),
        ([1u8].into_iter().collect(), FieldType::U8),
        ([1u16].into_iter().collect(), FieldType::U16),
        ([1u32].into_iter().collect(), FieldType::U32),
        ([1u64].into_iter().collect(), FieldType::U64),
        ([1f32].into_iter().collect(), FieldType::F32),
        ([1f64].into_iter().collect(), FieldType::F64),
        ([Some(1i64), None].into_iter().collect(), FieldType::I64),
        ([true].into_iter().collect(), FieldType::BOOL),
        ([Some(true), None].into_iter().collect(), FieldType::BOOL),
        (["a"].into_iter().collect(), FieldType::UTF8),
        ([Some("a"), None].into_iter().collect(), FieldType::UTF8),
        ([String::from("a")].into_iter().collect(), FieldType::UTF8),
        (
            [Some(String::from("a")), None].into_iter().collect(),
            FieldType::UTF8,
        ),
        ([&b"a"[..]].into_iter().collect(), FieldType::BINARY),
        (
            [Some(&b"a"[..]), None].into_iter().collect(),
            FieldType::BINARY,
        ),
    ];
    for (c, want) in cases {
        assert_eq!(c.field_type(), want);
        assert!(!c.is_empty(), "{want:?}");
        assert!(c.capacity() >= c.len(), "{want:?}");
    }
}

#[test]
fn collected_rows_and_nulls_are_the_items() {
    let ints: Column = (0..100i64).map(|i| (i % 3 != 0).then_some(i)).collect();
    assert_eq!(ints.len(), 100);
    assert_eq!(ints.null_count(), 34);
    assert_eq!(ints.value::<i64>(4), Some(4));
    assert_eq!(ints.value::<i64>(3), None);
    let text: Column = ["x", "", "yz"].into_iter().collect();
    assert_eq!(text.offsets(), &[0, 1, 1, 3]);
    assert_eq!(text.null_count(), 0);
    let owned: Column = (0..3).map(|i| Some(i.to_string())).collect();
    assert_eq!(owned.value_str(2), Some("2"));
    // An iterator whose size hint says nothing still collects every item.
    let filtered: Column = (0..1000u32).filter(|v| v % 7 == 0).collect();
    assert_eq!(filtered.len(), 143);
    assert_eq!(filtered.as_slice::<u32>()[142], 994);
}

#[test]
fn extend_writes_any_type_the_element_writes() {
    let mut ts = Column::new(FieldType::TIMESTAMP, 2);
    ts.extend([5i64, 6]);
    ts.extend([None, Some(7i64)]);
    assert_eq!(ts.field_type(), FieldType::TIMESTAMP);
    assert_eq!(
        ts.iter::<i64>().collect::<Vec<_>>(),
        [Some(5), Some(6), None, Some(7)]
    );
    let mut bin = Column::new(FieldType::BINARY, 2);
    bin.extend(["s"]);
    bin.extend([String::from("t")]);
    bin.extend([None::<&[u8]>, Some(&b"u"[..])]);
    assert_eq!(bin.len(), 4);
    assert_eq!(bin.get_bytes(3), b"u");
}

/// The message of the panic `f` raises.
fn panic_of(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
    e.downcast_ref::<String>()
        .cloned()
        .expect("a formatted panic")
}

#[test]
fn extend_of_a_type_the_column_does_not_take_panics_and_appends_nothing() {
    let mut c = Column::new(FieldType::I64, 4);
    c.append_i64(1);
    let msg = panic_of(|| c.extend([1.5f64]));
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_of(|| c.extend(["text"]));
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_of(|| c.extend([Some(true)]));
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_of(|| c.extend([&b"raw"[..]]));
    assert!(msg.contains("type mismatch"), "{msg}");
    assert_eq!(c.as_slice::<i64>(), &[1], "nothing appended");
    let mut b = Column::new(FieldType::BOOL, 4);
    let msg = panic_of(|| b.extend([1u8]));
    assert!(msg.contains("u8 (UInt8)"), "{msg}");
    assert!(b.is_empty());
}

#[test]
fn reserved_bytes_take_appends_without_a_growth() {
    for field in [FieldType::UTF8, FieldType::BINARY] {
        let mut c = Column::new(field, 0);
        c.append_str("first");
        // 101 rows of 995 bytes in all follow.
        c.reserve_bytes(101, 1000);
        assert!(c.capacity() >= 102);
        let (ptr, bytes) = (c.data_ptr(), c.allocated_bytes());
        for i in 0..100 {
            c.append_str(&"0123456789"[..i % 11]);
        }
        c.append_bytes(&[b'x'; 500]);
        assert_eq!(c.len(), 102);
        assert_eq!(
            (c.data_ptr(), c.allocated_bytes()),
            (ptr, bytes),
            "{field:?}: no growth"
        );
        assert_eq!(c.get_bytes(0), b"first");
    }
}

#[test]
fn reserve_bytes_refuses_what_it_cannot_hold_and_keeps_the_rows() {
    let mut c = Column::new(FieldType::UTF8, 2);
    c.append_str("a");
    assert_eq!(
        c.try_reserve_bytes(1, usize::MAX),
        Err(Error::OffsetOverflow)
    );
    assert!(matches!(
        c.try_reserve_bytes(usize::MAX, 0),
        Err(Error::CapacityOverflow { .. })
    ));
    // Memory that cannot be had is `OutOfMemory`: tests/alloc_errors.rs
    // (under a refusing global allocator; asking the real one for a
    // petabyte aborts under AddressSanitizer).
    assert!(matches!(
        Column::new(FieldType::F64, 1).try_reserve_bytes(1, 1),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("a")]);
    let msg = panic_of(|| c.reserve_bytes(1, usize::MAX));
    assert!(msg.contains("i64::MAX"), "{msg}");
}

#[test]
fn a_pooled_column_grown_by_reserve_bytes_comes_back_at_its_grown_size() {
    let pool = LockFreeAllocator::new();
    let mut chk = pool.alloc(&[FieldType::UTF8], 4, 4096);
    chk.column_mut(0).reserve_bytes(2048, 2048 * 8);
    let ptr = chk.column(0).data_ptr();
    drop(chk);
    let big = pool.alloc(&[FieldType::UTF8], 2048, 4096);
    assert_eq!(
        big.column(0).data_ptr(),
        ptr,
        "the reserved buffers came back"
    );
    assert!(big.column(0).capacity() >= 2048);
}
