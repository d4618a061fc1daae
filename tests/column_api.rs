//! Issue 11, parts 3 and 4: NULL-aware reads (`value`, `value_bytes`,
//! `value_str`, the iterators), the kept null count, and NULL-aware and bulk
//! writes (`append_option*`, `set_null`, `extend_*`), with their bad input.

mod common {
    pub mod panics;
}
use chunkpool::{ChunkAllocator, Column, Error, FieldType, LockFreeAllocator};
use common::panics::panic_message;

/// Recounts the NULL rows from the bitmap, to check the kept count against.
fn recount(c: &Column) -> usize {
    (0..c.len()).filter(|&r| c.is_null(r)).count()
}

#[track_caller]
fn assert_nulls(c: &Column, expected: usize) {
    assert_eq!(c.null_count(), expected, "kept count");
    assert_eq!(recount(c), expected, "bitmap");
}

#[test]
fn value_tells_null_from_stored_element() {
    let mut c = Column::new(FieldType::I64, 4);
    c.append_i64(7);
    c.append_null();
    c.append_i64(0);
    assert_eq!(c.value::<i64>(0), Some(7));
    assert_eq!(c.value::<i64>(1), None);
    assert_eq!(c.value::<i64>(2), Some(0), "a stored 0 is a value");
    assert_eq!(c.get_i64(1), 0, "get_i64 still reads the NULL's element");

    // Other Rust types reading the same logical types.
    let mut d = Column::new(FieldType::DATE, 1);
    d.append_i64(19_000);
    assert_eq!(d.value::<i64>(0), Some(19_000));
    let mut b = Column::new(FieldType::BOOL, 2);
    b.append_bool(true);
    b.append_null();
    assert_eq!((b.value::<u8>(0), b.value::<u8>(1)), (Some(1), None));

    // Bad input: wrong logical type (same size too), row out of range.
    assert!(matches!(
        c.try_value::<u64>(0),
        Err(Error::TypeMismatch { actual, .. }) if actual == FieldType::I64
    ));
    assert!(matches!(
        c.try_value::<f64>(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        c.try_value::<i64>(3),
        Err(Error::RowOutOfRange { row: 3, len: 3 })
    );
    let s = Column::new(FieldType::UTF8, 1);
    assert!(matches!(
        s.try_value::<i64>(0),
        Err(Error::TypeMismatch { .. })
    ));
    let msg = panic_message(|| {
        let _ = c.value::<f64>(0);
    });
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_message(|| {
        let _ = c.value::<i64>(9);
    });
    assert!(msg.contains("row 9 out of range"), "{msg}");
}

#[test]
fn value_bytes_and_get_str() {
    let mut s = Column::new(FieldType::UTF8, 4);
    s.append_str("");
    s.append_null();
    s.append_str("héllo");
    assert_eq!(s.value_bytes(0), Some(&b""[..]));
    assert_eq!(s.value_bytes(1), None);
    assert_eq!(s.get_bytes(1), b"", "get_bytes reads a NULL as empty");
    assert_eq!(s.value_str(0), Some(""));
    assert_eq!(s.value_str(1), None);
    assert_eq!(s.value_str(2), Some("héllo"));

    let mut bin = Column::new(FieldType::BINARY, 1);
    bin.append_bytes(&[0xff, 0]);
    assert_eq!(bin.value_bytes(0), Some(&[0xff, 0][..]));
    // Bad input: value_str is for Utf8 only; rows past the length.
    assert!(matches!(
        bin.try_value_str(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        Column::new(FieldType::I64, 1).try_value_str(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        s.try_value_str(3),
        Err(Error::RowOutOfRange { row: 3, len: 3 })
    );
    assert_eq!(
        s.try_value_bytes(3),
        Err(Error::RowOutOfRange { row: 3, len: 3 })
    );
    assert!(matches!(
        Column::new(FieldType::F64, 1).try_value_bytes(0),
        Err(Error::TypeMismatch { .. })
    ));

    // Bytes that are not UTF-8, put in by append_bytes.
    s.append_bytes(&[b'a', 0xc3]);
    assert_eq!(s.try_value_str(3), Err(Error::InvalidUtf8 { row: 3 }));
    assert_eq!(s.value_bytes(3), Some(&[b'a', 0xc3][..]));
    let msg = panic_message(|| {
        let _ = s.value_str(3);
    });
    assert!(
        msg.contains("row 3 of a Utf8 column is not valid UTF-8"),
        "{msg}"
    );
    // A NULL row is not checked: its bytes (none) are not read.
    s.set_null(3, true);
    assert_eq!(s.try_value_str(3), Ok(None));
}

#[test]
fn iterators() {
    let mut c = Column::new(FieldType::I16, 2);
    for v in [Some(1i16), None, Some(-3), None, Some(5)] {
        c.append_option(v);
    }
    let it = c.iter::<i16>();
    assert_eq!(it.len(), 5);
    assert_eq!(
        it.collect::<Vec<_>>(),
        [Some(1), None, Some(-3), None, Some(5)]
    );
    assert_eq!(c.iter::<i16>().next_back(), Some(Some(5)));
    assert_eq!(c.try_iter::<i16>().unwrap().flatten().sum::<i16>(), 3);
    assert!(matches!(
        c.try_iter::<u16>(),
        Err(Error::TypeMismatch { .. })
    ));
    let msg = panic_message(|| {
        let _ = c.iter::<i64>();
    });
    assert!(msg.contains("type mismatch"), "{msg}");
    assert_eq!(Column::new(FieldType::I16, 0).iter::<i16>().len(), 0);

    let mut s = Column::new(FieldType::UTF8, 2);
    s.append_str("a");
    s.append_null();
    s.append_str("");
    assert_eq!(s.iter_str().len(), 3);
    assert_eq!(
        s.iter_str().collect::<Vec<_>>(),
        [Some("a"), None, Some("")]
    );
    assert_eq!(
        s.iter_bytes().collect::<Vec<_>>(),
        [Some(&b"a"[..]), None, Some(&b""[..])]
    );
    assert_eq!(s.iter_bytes().next_back(), Some(Some(&b""[..])));

    // Invalid UTF-8: try_iter_str reports it at the row; iter_str panics
    // when it reaches the row, not before.
    s.append_bytes(&[0xe2, 0x82]);
    let rows: Vec<_> = s.try_iter_str().unwrap().collect();
    assert_eq!(rows[..3], [Ok(Some("a")), Ok(None), Ok(Some(""))]);
    assert_eq!(rows[3], Err(Error::InvalidUtf8 { row: 3 }));
    assert_eq!(s.iter_str().take(3).count(), 3);
    let msg = panic_message(|| {
        let _ = s.iter_str().count();
    });
    assert!(
        msg.contains("row 3 of a Utf8 column is not valid UTF-8"),
        "{msg}"
    );

    // Type checks at the call.
    let bin = Column::new(FieldType::BINARY, 1);
    assert!(matches!(
        bin.try_iter_str(),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(bin.try_iter_bytes().unwrap().len(), 0);
    let fixed = Column::new(FieldType::I64, 1);
    assert!(matches!(
        fixed.try_iter_bytes(),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        fixed.try_iter_str(),
        Err(Error::TypeMismatch { .. })
    ));
    let msg = panic_message(|| {
        let _ = fixed.iter_bytes();
    });
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_message(|| {
        let _ = bin.iter_str();
    });
    assert!(msg.contains("type mismatch"), "{msg}");
}

#[test]
fn append_option_every_kind() {
    let mut f = Column::new(FieldType::F32, 1);
    f.append_option(Some(1.5f32));
    f.append_option::<f32>(None);
    assert_eq!(f.iter::<f32>().collect::<Vec<_>>(), [Some(1.5), None]);
    assert_nulls(&f, 1);
    // The type is checked for None too; a refusal changes nothing.
    assert!(matches!(
        f.try_append_option::<i32>(None),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        f.try_append_option(Some(1i32)),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(f.len(), 2);
    assert_nulls(&f, 1);
    let msg = panic_message(|| Column::new(FieldType::F32, 1).append_option::<f64>(None));
    assert!(msg.contains("type mismatch"), "{msg}");

    let mut s = Column::new(FieldType::UTF8, 1);
    s.append_option_str(Some("x"));
    s.append_option_str(None);
    s.append_option_bytes(Some(b"yz"));
    s.append_option_bytes(None);
    assert_eq!(
        s.iter_str().collect::<Vec<_>>(),
        [Some("x"), None, Some("yz"), None]
    );
    assert_eq!(s.offsets(), &[0, 1, 1, 3, 3]);
    assert_nulls(&s, 2);
    let mut i = Column::new(FieldType::I64, 1);
    assert!(matches!(
        i.try_append_option_str(None),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        i.try_append_option_str(Some("1")),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        i.try_append_option_bytes(None),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        i.try_append_option_bytes(Some(b"1")),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(i.len(), 0);
    let msg = panic_message(|| i.append_option_str(None));
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_message(|| i.append_option_bytes(None));
    assert!(msg.contains("type mismatch"), "{msg}");
}

#[test]
fn set_null_keeps_the_element() {
    let mut c = Column::new(FieldType::I64, 16);
    c.extend_from_slice(&(0..10i64).collect::<Vec<_>>());
    assert_nulls(&c, 0);
    c.set_null(3, true);
    c.set_null(9, true);
    assert_nulls(&c, 2);
    c.set_null(3, true); // already NULL: no change
    assert_nulls(&c, 2);
    assert_eq!((c.value::<i64>(3), c.get_i64(3)), (None, 3));
    c.set_null(3, false);
    c.set_null(4, false); // already not NULL
    assert_nulls(&c, 1);
    assert_eq!(c.value::<i64>(3), Some(3));
    assert_eq!(c.null_bitmap(), &[0xff, 0b01]);

    let mut s = Column::new(FieldType::UTF8, 1);
    s.append_str("kept");
    s.set_null(0, true);
    assert_eq!((s.value_str(0), s.get_bytes(0)), (None, &b"kept"[..]));
    s.set_null(0, false);
    assert_eq!(s.value_str(0), Some("kept"));

    assert_eq!(
        c.try_set_null(10, true),
        Err(Error::RowOutOfRange { row: 10, len: 10 })
    );
    assert_nulls(&c, 1);
    let msg = panic_message(|| c.set_null(11, false));
    assert!(msg.contains("row 11 out of range"), "{msg}");
}

#[test]
fn extend_from_slice_one_reservation() {
    for start in 0..9usize {
        // Start at every bit offset within a bitmap byte.
        let mut c = Column::new(FieldType::U8, 0);
        for _ in 0..start {
            c.append_null();
        }
        let vals: Vec<u8> = (0..19).collect();
        c.extend_from_slice(&vals);
        assert_eq!(c.len(), start + 19);
        assert_nulls(&c, start);
        assert_eq!(&c.as_slice::<u8>()[start..], &vals[..]);
        assert_eq!(c.null_bitmap().len(), (start + 19).div_ceil(8));
        let last_bits = (start + 19) % 8;
        if last_bits != 0 {
            assert_eq!(
                c.null_bitmap().last().unwrap() >> last_bits,
                0,
                "bits past len"
            );
        }
        c.append_u8(99);
        assert_eq!(c.value::<u8>(start + 19), Some(99));
    }
    let mut c = Column::new(FieldType::I64, 0);
    c.extend_from_slice::<i64>(&[]);
    assert!(c.is_empty());
    c.extend_from_slice(&[1i64, 2, 3]);
    let before = (c.allocated_bytes(), c.data_ptr());
    assert!(c.capacity() >= 3);
    assert!(matches!(
        c.try_extend_from_slice(&[1u64]),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        c.try_extend_from_slice(&[1.0f64]),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        (c.len(), c.allocated_bytes(), c.data_ptr()),
        (3, before.0, before.1)
    );
    let msg = panic_message(|| Column::new(FieldType::BINARY, 0).extend_from_slice(&[1i64]));
    assert!(msg.contains("type mismatch"), "{msg}");
}

#[test]
fn extend_options_strings_and_bytes() {
    let mut c = Column::new(FieldType::U32, 2);
    c.extend_options([Some(1u32), None, None, Some(4)]);
    assert_eq!(
        c.iter::<u32>().collect::<Vec<_>>(),
        [Some(1), None, None, Some(4)]
    );
    assert_nulls(&c, 2);
    c.extend_options((0..20u32).map(|i| (i % 3 == 0).then_some(i)));
    assert_nulls(&c, 2 + 13);
    // The type is checked before any item is read.
    let mut read = false;
    let r = c.try_extend_options(std::iter::from_fn(|| {
        read = true;
        Some(None::<i32>)
    }));
    assert!(matches!(r, Err(Error::TypeMismatch { .. })));
    assert!(!read);
    assert_eq!(c.len(), 24);
    let msg = panic_message(|| Column::new(FieldType::U32, 0).extend_options([Some(1u8)]));
    assert!(msg.contains("type mismatch"), "{msg}");

    let mut s = Column::new(FieldType::UTF8, 1);
    s.extend_str(["a", "", "ccc"]);
    s.extend_str(Vec::<&str>::new());
    s.extend_bytes([&b"\x00"[..], b"ee"]);
    assert_eq!(s.offsets(), &[0, 1, 1, 4, 5, 7]);
    assert_eq!(s.data(), b"accc\x00ee");
    assert_nulls(&s, 0);
    assert_eq!(s.value_str(2), Some("ccc"));
    let mut b = Column::new(FieldType::BINARY, 1);
    b.extend_str(["x"]);
    assert_eq!(b.value_bytes(0), Some(&b"x"[..]));

    let mut i = Column::new(FieldType::I64, 1);
    assert!(matches!(
        i.try_extend_str(["1"]),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        i.try_extend_bytes([&b"1"[..]]),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(i.is_empty());
    let msg = panic_message(|| i.extend_str(["1"]));
    assert!(msg.contains("type mismatch"), "{msg}");
    let msg = panic_message(|| i.extend_bytes([&b"1"[..]]));
    assert!(msg.contains("type mismatch"), "{msg}");
}

/// The kept null count, after every kind of mutation.
#[test]
fn null_count_after_every_mutation() {
    let mut c = Column::new(FieldType::I64, 4);
    assert_nulls(&c, 0);
    c.append_null();
    assert_nulls(&c, 1);
    c.append_i64(1);
    c.append_option::<i64>(None);
    assert_nulls(&c, 2);
    c.extend_options([None, Some(2i64), None]);
    assert_nulls(&c, 4);
    c.extend_from_slice(&[5i64; 9]);
    assert_nulls(&c, 4);
    c.set_null(1, true);
    assert_nulls(&c, 5);
    c.set_null(0, false);
    assert_nulls(&c, 4);

    let copy = c.clone();
    assert_nulls(&copy, 4);
    assert!(format!("{copy:?}").contains("nulls: 4"), "{copy:?}");

    c.resize(13, true);
    assert_nulls(&c, 13);
    c.resize(10, false);
    assert_nulls(&c, 0);
    c.set_null(9, true);
    assert_nulls(&c, 1);
    c.reset();
    assert_nulls(&c, 0);
    c.append_null();
    assert_nulls(&c, 1);
    c.reset_as(FieldType::UTF8);
    assert_nulls(&c, 0);
    c.append_option_str(None);
    c.append_option_bytes(None);
    c.extend_str(["a"]);
    assert_nulls(&c, 2);
    c.reset_as(FieldType::I64);
    c.resize(5, true);
    assert_nulls(&c, 5);
    // The copy kept its own count.
    assert_nulls(&copy, 4);

    // A column back from the pool starts with no NULLs.
    let pool = LockFreeAllocator::new();
    let mut chk = pool.alloc(&[FieldType::I64], 8, 8);
    chk.column_mut(0).append_null();
    assert_nulls(chk.column(0), 1);
    drop(chk);
    let chk = pool.alloc(&[FieldType::I64], 8, 8);
    assert_nulls(chk.column(0), 0);
}

#[test]
fn append_str_twins_check_the_type_and_leave_the_column_unchanged() {
    let mut c = Column::new(FieldType::UTF8, 1);
    c.try_append_str("ça").unwrap();
    c.append_str("");
    assert_eq!(
        (c.value_str(0), c.value_str(1), c.len()),
        (Some("ça"), Some(""), 2)
    );
    for ty in [FieldType::I64, FieldType::DECIMAL, FieldType::BOOL] {
        let mut fixed = Column::new(ty, 1);
        fixed.append_null();
        let err = fixed.try_append_str("x").unwrap_err();
        assert!(matches!(err, Error::TypeMismatch { .. }), "{ty:?}: {err}");
        assert_eq!(
            (fixed.len(), fixed.null_count()),
            (1, 1),
            "{ty:?}: unchanged"
        );
        let msg = panic_message(move || fixed.append_str("x"));
        assert!(
            msg.contains("str"),
            "{ty:?}: the panicking form panics naming the type: {msg}"
        );
    }
    let mut bin = Column::new(FieldType::BINARY, 1);
    bin.try_append_str("raw").unwrap();
    assert_eq!(bin.get_bytes(0), b"raw");
}

#[test]
fn value_bool_tells_null_from_false() {
    let mut c = Column::new(FieldType::BOOL, 4);
    c.extend_option_bools([Some(true), None, Some(false)]);
    assert_eq!(
        (0..3).map(|r| c.value_bool(r)).collect::<Vec<_>>(),
        [Some(true), None, Some(false)]
    );
    assert_eq!(
        c.try_value_bool(3),
        Err(Error::RowOutOfRange { row: 3, len: 3 })
    );
    let i8s = Column::new(FieldType::I8, 1);
    assert!(matches!(
        i8s.try_value_bool(0),
        Err(Error::TypeMismatch { .. })
    ));
}
