//! A `Bool` column holds only 0 and 1: every write path either takes a
//! `bool` (or a bit) or refuses a byte that is not one, `u8` reads it but
//! does not write it, and the bulk bool paths agree with one-at-a-time
//! appends.

use chunkpool::{ChunkAllocator, Column, Error, FieldType, LockFreeAllocator};

fn is_mismatch<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(
        r,
        Err(Error::TypeMismatch {
            actual: FieldType::BOOL,
            ..
        })
    )
}

/// Every byte the column stores is 0 or 1.
fn only_zero_one(c: &Column) -> bool {
    c.data().iter().all(|&b| b <= 1)
}

#[test]
fn u8_writes_are_refused_and_change_nothing() {
    let mut c = Column::new(FieldType::BOOL, 4);
    c.append_bool(true);
    assert!(is_mismatch(c.try_append_u8(2)));
    assert!(
        is_mismatch(c.try_append_u8(1)),
        "even a 1: u8 never writes Bool"
    );
    assert!(is_mismatch(c.try_append_option::<u8>(Some(2))));
    assert!(is_mismatch(c.try_append_option::<u8>(None)));
    assert!(is_mismatch(c.try_extend_from_slice(&[2u8, 3])));
    assert!(is_mismatch(c.try_extend_options([Some(2u8)])));
    assert!(is_mismatch(c.try_extend_from_parts(&[2u8], None)));
    assert!(is_mismatch(c.try_as_mut_slice::<u8>()));
    assert!(is_mismatch(c.try_fixed_bytes_mut(0)));
    assert_eq!(c.len(), 1);
    assert_eq!(c.as_slice::<u8>(), &[1]);
    // Reads as u8 still work.
    assert_eq!(c.get_u8(0), 1);
    assert_eq!(c.iter::<u8>().collect::<Vec<_>>(), [Some(1)]);
    // A UInt8 column still takes any u8.
    let mut u = Column::new(FieldType::U8, 2);
    u.append_u8(2);
    u.as_mut_slice::<u8>()[0] = 200;
    assert_eq!(u.get_u8(0), 200);
}

#[test]
fn raw_bytes_are_checked_on_bool_only() {
    let mut c = Column::new(FieldType::BOOL, 4);
    for v in 2..=u8::MAX {
        assert_eq!(
            c.try_append_fixed_bytes(&[v]),
            Err(Error::InvalidBool { value: v })
        );
    }
    assert!(c.is_empty());
    c.append_fixed_bytes(&[0]);
    c.append_fixed_bytes(&[1]);
    assert_eq!(c.iter_bool().collect::<Vec<_>>(), [Some(false), Some(true)]);
    let err = std::panic::catch_unwind(move || c.append_fixed_bytes(&[7])).unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a formatted panic");
    assert!(msg.contains("not 7"), "{msg}");
    // Other one-byte types take any byte.
    let mut i = Column::new(FieldType::I8, 1);
    i.append_fixed_bytes(&[0xff]);
    assert_eq!(i.get_i8(0), -1);
}

#[test]
fn bulk_paths_match_one_at_a_time() {
    let values: Vec<Option<bool>> = (0..70)
        .map(|i| match i % 5 {
            0 => None,
            k => Some(k % 2 == 0),
        })
        .collect();
    let mut one = Column::new(FieldType::BOOL, 0);
    for v in &values {
        one.append_option_bool(*v);
    }
    let mut ext = Column::new(FieldType::BOOL, 0);
    ext.extend_option_bools(values.iter().copied());
    // Packed bits, every value bit set: a NULL row must still store 0.
    let mut validity = vec![0u8; values.len().div_ceil(8)];
    let mut bits = vec![0xffu8; values.len().div_ceil(8)];
    for (i, v) in values.iter().enumerate() {
        if v.is_some() {
            validity[i / 8] |= 1 << (i % 8);
        }
        if *v == Some(false) {
            bits[i / 8] &= !(1 << (i % 8));
        }
    }
    let mut packed = Column::new(FieldType::BOOL, 0);
    packed.append_bool(true); // start mid-byte
    packed.extend_bools_from_parts(&bits, values.len(), Some(&validity));
    let collected: Column = values.iter().copied().collect();
    for c in [&one, &ext, &collected] {
        assert_eq!(c.iter_bool().collect::<Vec<_>>(), values);
        assert!(only_zero_one(c));
        assert_eq!(
            c.null_count(),
            values.iter().filter(|v| v.is_none()).count()
        );
    }
    assert_eq!(packed.iter_bool().skip(1).collect::<Vec<_>>(), values);
    assert_eq!(&packed.data()[1..], one.data(), "NULL rows store 0");
    assert_eq!(packed.null_count(), one.null_count());

    let plain: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
    let mut c = Column::new(FieldType::BOOL, 0);
    c.extend_bools(&plain);
    c.extend(plain.iter().copied());
    assert_eq!(c.len(), 40);
    assert!(!c.has_null());
    assert!(c
        .iter_bool()
        .zip(plain.iter().chain(&plain))
        .all(|(a, b)| a == Some(*b)));
}

#[test]
fn bulk_paths_refuse_other_types_and_short_bitmaps() {
    let mut u = Column::new(FieldType::U8, 4);
    assert!(matches!(
        u.try_extend_bools(&[true]),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        u.try_extend_bools_from_parts(&[1], 1, None),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(u.try_iter_bool(), Err(Error::TypeMismatch { .. })));
    assert!(matches!(
        u.try_set_bool(0, true),
        Err(Error::TypeMismatch { .. })
    ));
    let mut c = Column::new(FieldType::BOOL, 4);
    c.append_bool(true);
    assert!(matches!(
        c.try_extend_bools_from_parts(&[0xff], 9, None),
        Err(Error::InvalidRows { at: 1, .. })
    ));
    assert!(matches!(
        c.try_extend_bools_from_parts(&[0xff, 0xff], 9, Some(&[0xff])),
        Err(Error::InvalidRows { at: 1, .. })
    ));
    assert_eq!(c.len(), 1);
    assert_eq!(c.null_bitmap(), &[1]);
}

#[test]
fn set_bool_rewrites_in_place_and_keeps_the_null_mark() {
    let mut c = Column::new(FieldType::BOOL, 4);
    c.extend_option_bools([Some(true), None]);
    c.set_bool(0, false);
    c.set_bool(1, true);
    assert_eq!(c.as_slice::<u8>(), &[0, 1]);
    assert!(c.is_null(1));
    assert_eq!(
        c.try_set_bool(2, true),
        Err(Error::RowOutOfRange { row: 2, len: 2 })
    );
}

#[test]
fn a_bool_column_grown_by_the_bulk_paths_comes_back_grown() {
    let pool = LockFreeAllocator::new();
    for grow in 0..2 {
        let mut chk = pool.alloc(&[FieldType::BOOL], 8, 4096);
        let rows = 4096;
        match grow {
            0 => chk.column_mut(0).extend_bools(&vec![true; rows]),
            _ => chk
                .column_mut(0)
                .extend_bools_from_parts(&vec![0xaa; rows / 8], rows, None),
        }
        let ptr = chk.column(0).data_ptr();
        assert!(chk.column(0).capacity() >= rows);
        drop(chk);
        let big = pool.alloc(&[FieldType::BOOL], rows, 4096);
        assert_eq!(
            big.column(0).data_ptr(),
            ptr,
            "path {grow}: the grown buffer"
        );
    }
}
