//! Decimal precision and scale as part of the field type
//! (`FieldType::decimal`), how pools treat decimals of different
//! precisions, and mutable access to a fixed-width element
//! (`fixed_bytes_mut`, TiDB's `GetDecimal` pointer).

use chunkpool::{
    Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, LogicalType, MutexAllocator,
};

fn dec(p: u8, s: u8) -> FieldType {
    FieldType::decimal(p, s).unwrap()
}

#[test]
fn precision_and_scale_read_back_for_every_valid_pair() {
    for p in 1..=65u8 {
        for s in 0..=p.min(30) {
            let f = dec(p, s);
            assert_eq!(f.decimal_precision_scale(), Some((p, s)));
            assert_eq!(f.logical(), LogicalType::Decimal);
            assert_eq!(f.elem_size(), Some(40));
            assert!(!f.is_var());
            assert_eq!(f.to_string(), format!("Decimal({p}, {s})"));
            assert_ne!(f, FieldType::DECIMAL);
            assert_eq!(std::mem::size_of_val(&f), 4, "one word");
        }
    }
    assert_ne!(dec(4, 2), dec(4, 1));
    assert_ne!(dec(4, 2), dec(5, 2));
    assert_eq!(FieldType::DECIMAL.decimal_precision_scale(), None);
    assert_eq!(
        FieldType::fixed(40).unwrap().decimal_precision_scale(),
        None
    );
    assert_eq!(FieldType::I64.decimal_precision_scale(), None);
}

#[test]
fn out_of_range_precision_or_scale_is_refused() {
    for (p, s) in [(0, 0), (66, 0), (10, 11), (65, 31), (31, 31), (255, 255)] {
        assert_eq!(
            FieldType::decimal(p, s),
            Err(Error::InvalidDecimal {
                precision: p,
                scale: s
            })
        );
    }
    let msg = FieldType::decimal(66, 0).unwrap_err().to_string();
    assert!(msg.contains("decimal(66, 0)"), "{msg}");
}

#[test]
fn a_decimal_column_keeps_its_type_through_reset_and_clone() {
    let mut c = Column::new(dec(4, 2), 2);
    c.append_fixed_bytes(&[1; 40]);
    assert_eq!(c.clone().field_type(), dec(4, 2));
    c.reset();
    assert_eq!(c.field_type(), dec(4, 2));
    c.reset_as(dec(12, 0));
    assert_eq!(c.field_type(), dec(12, 0));
    let chk = Chunk::new(&[dec(4, 2), FieldType::DECIMAL], 2, 2);
    assert_eq!(chk.fields(), vec![dec(4, 2), FieldType::DECIMAL]);
}

#[test]
fn rows_move_only_between_decimals_of_one_precision_and_scale() {
    let mut src = Chunk::new(&[dec(4, 2)], 2, 2);
    src.column_mut(0).append_fixed_bytes(&[3; 40]);
    let mut same = Chunk::new(&[dec(4, 2)], 2, 2);
    same.append_rows(&src, 0..1);
    assert_eq!(same.column(0).get_fixed_bytes(0), &[3; 40]);
    let mut other = Chunk::new(&[dec(5, 2)], 2, 2);
    assert!(matches!(
        other.try_append_rows(&src, 0..1),
        Err(Error::LayoutMismatch { column: 0, .. })
    ));
}

#[test]
fn whole_chunks_are_never_handed_out_for_another_precision() {
    let pool = LockFreeAllocator::new();
    drop(pool.alloc(&[dec(4, 2)], 8, 8));
    let before = pool.stats().chunks_from_cache;
    let other = pool.alloc(&[dec(4, 1)], 8, 8);
    assert_eq!(other.column(0).field_type(), dec(4, 1));
    assert_eq!(
        pool.stats().chunks_from_cache,
        before,
        "not the decimal(4, 2) chunk"
    );
    drop(other);
    let same = pool.alloc(&[dec(4, 2)], 8, 8);
    assert_eq!(same.column(0).field_type(), dec(4, 2));
    assert_eq!(pool.stats().chunks_from_cache, before + 1);
}

#[test]
fn loose_decimal_columns_serve_any_precision_retyped() {
    let pool = MutexAllocator::new();
    let chk = pool.alloc(&[dec(4, 2)], 8, 8);
    let ptr = chk.column(0).data_ptr();
    drop(chk);
    let other = pool.alloc(&[dec(30, 10)], 8, 8);
    assert_eq!(
        other.column(0).field_type(),
        dec(30, 10),
        "exactly the type asked for"
    );
    assert_eq!(
        other.column(0).data_ptr(),
        ptr,
        "the 40-byte buffers are shared"
    );
}

#[test]
fn fixed_bytes_mut_changes_the_element_in_place() {
    let mut c = Column::new(dec(10, 2), 4);
    c.append_fixed_bytes(&[0; 40]);
    c.append_null();
    c.fixed_bytes_mut(0).copy_from_slice(&[9; 40]);
    assert_eq!(c.get_fixed_bytes(0), &[9; 40]);
    // A NULL row's element is writable, and stays NULL.
    c.fixed_bytes_mut(1)[0] = 5;
    assert!(c.is_null(1));
    assert_eq!(c.get_fixed_bytes(1)[0], 5);
    assert_eq!(
        c.try_fixed_bytes_mut(2),
        Err(Error::RowOutOfRange { row: 2, len: 2 })
    );
    // Any fixed-width type but Bool.
    let mut i = Column::new(FieldType::I32, 1);
    i.append_i32(1);
    i.fixed_bytes_mut(0).copy_from_slice(&7i32.to_ne_bytes());
    assert_eq!(i.get_i32(0), 7);
    let mut b = Column::new(FieldType::BOOL, 1);
    b.append_bool(true);
    assert!(matches!(
        b.try_fixed_bytes_mut(0),
        Err(Error::TypeMismatch { .. })
    ));
    let mut s = Column::new(FieldType::BINARY, 1);
    s.append_bytes(b"x");
    assert!(matches!(
        s.try_fixed_bytes_mut(0),
        Err(Error::TypeMismatch { .. })
    ));
    let e = std::panic::catch_unwind(move || {
        let _ = c.fixed_bytes_mut(7);
    })
    .unwrap_err();
    let msg = e.downcast_ref::<String>().expect("a formatted panic");
    assert!(msg.contains("row 7 out of range"), "{msg}");
}

#[cfg(feature = "arrow")]
mod arrow {
    use super::dec;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Decimal128Type;
    use arrow_schema::DataType;
    use chunkpool::{field_type_of, Chunk, ExportOptions, FieldType, LOGICAL_TYPE_KEY};

    /// 12.5 in TiDB's layout: 2 integer digits, 1 fraction digit.
    fn twelve_and_a_half() -> [u8; 40] {
        let mut b = [0u8; 40];
        (b[0], b[1], b[2]) = (2, 1, 1);
        b[4..8].copy_from_slice(&12i32.to_le_bytes());
        b[8..12].copy_from_slice(&500_000_000i32.to_le_bytes());
        b
    }

    #[test]
    fn precision_and_scale_flow_into_arrow_and_back() {
        let mut chk = Chunk::new(&[dec(4, 2), dec(65, 30), FieldType::DECIMAL], 2, 2);
        for i in 0..3 {
            chk.column_mut(i).append_fixed_bytes(&twelve_and_a_half());
        }
        let batch = chk.into_record_batch().unwrap();
        let schema = batch.schema();
        assert_eq!(schema.field(0).data_type(), &DataType::Decimal128(4, 2));
        assert_eq!(
            batch.column(0).as_primitive::<Decimal128Type>().value(0),
            1250
        );
        // Past arrow's 38 digits: the 40 bytes as they are.
        assert_eq!(schema.field(1).data_type(), &DataType::FixedSizeBinary(40));
        assert_eq!(schema.field(2).data_type(), &DataType::FixedSizeBinary(40));
        assert_eq!(
            schema.field(0).metadata()[LOGICAL_TYPE_KEY],
            "Decimal(4, 2)"
        );
        assert_eq!(
            schema.field(1).metadata()[LOGICAL_TYPE_KEY],
            "Decimal(65, 30)"
        );
        assert_eq!(schema.field(2).metadata()[LOGICAL_TYPE_KEY], "Decimal");
        let types: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| field_type_of(f).unwrap())
            .collect();
        assert_eq!(types, [dec(4, 2), dec(65, 30), FieldType::DECIMAL]);
        let back = Chunk::from_record_batch(&chunkpool::EmptyAllocator, &batch);
        assert_eq!(back.fields(), types);
        for i in 0..3 {
            assert_eq!(back.column(i).get_fixed_bytes(0)[4..8], 12i32.to_le_bytes());
        }
    }

    #[test]
    fn an_explicit_decimal128_option_wins_and_a_value_too_wide_is_refused() {
        let mut c = chunkpool::Column::new(dec(4, 2), 1);
        c.append_fixed_bytes(&twelve_and_a_half());
        let a = c
            .clone()
            .into_array_with(&ExportOptions::new().decimal128(10, 3))
            .unwrap();
        assert_eq!(a.data_type(), &DataType::Decimal128(10, 3));
        assert_eq!(a.as_primitive::<Decimal128Type>().value(0), 12_500);
        // 12.5 has 3 digits at scale 1, 4 at scale 2: decimal(3, 2) cannot hold it.
        let mut narrow = chunkpool::Column::new(dec(3, 2), 1);
        narrow.append_fixed_bytes(&twelve_and_a_half());
        assert!(matches!(
            narrow.into_array(),
            Err(chunkpool::Error::Arrow { reason, .. }) if reason.contains("precision")
        ));
    }

    #[test]
    fn a_decimal128_array_goes_only_into_its_own_precision_or_an_untyped_decimal() {
        let array = arrow_array::Decimal128Array::from(vec![125i128])
            .with_precision_and_scale(4, 1)
            .unwrap();
        let batch = arrow_array::RecordBatch::try_from_iter([(
            "d",
            std::sync::Arc::new(array) as arrow_array::ArrayRef,
        )])
        .unwrap();
        let mut own = Chunk::new(&[dec(4, 1)], 1, 1);
        own.append_record_batch(&batch);
        let mut untyped = Chunk::new(&[FieldType::DECIMAL], 1, 1);
        untyped.append_record_batch(&batch);
        assert_eq!(
            own.column(0).get_fixed_bytes(0),
            untyped.column(0).get_fixed_bytes(0)
        );
        let mut other = Chunk::new(&[dec(4, 2)], 1, 1);
        assert!(other.try_append_record_batch(&batch).is_err());
        assert_eq!(other.num_rows(), 0);
    }

    #[test]
    fn a_scale_no_decimal_type_holds_imports_as_a_plain_decimal() {
        for (p, s) in [(38, 31), (10, -2)] {
            let f = arrow_schema::Field::new("d", DataType::Decimal128(p, s), true);
            assert_eq!(field_type_of(&f), Ok(FieldType::DECIMAL), "({p}, {s})");
        }
        let f = arrow_schema::Field::new("d", DataType::Decimal128(38, 30), true);
        assert_eq!(field_type_of(&f), Ok(dec(38, 30)));
    }
}

#[test]
fn the_shared_depot_tells_decimal_precisions_apart() {
    let pool = LockFreeAllocator::new();
    // A chunk dropped on a thread that then exits goes to the shared
    // depot (its magazine is flushed), where layouts are found by key.
    let p = pool.clone();
    std::thread::spawn(move || drop(p.alloc(&[dec(4, 2), dec(9, 0)], 8, 8)))
        .join()
        .unwrap();
    let before = pool.stats().chunks_from_cache;
    let other = pool.alloc(&[dec(4, 1), dec(9, 0)], 8, 8);
    assert_eq!(other.fields(), vec![dec(4, 1), dec(9, 0)]);
    assert_eq!(
        pool.stats().chunks_from_cache,
        before,
        "not the other layout's chunk"
    );
    let same = pool.alloc(&[dec(4, 2), dec(9, 0)], 8, 8);
    assert_eq!(same.fields(), vec![dec(4, 2), dec(9, 0)]);
    assert_eq!(pool.stats().chunks_from_cache, before + 1, "from the depot");
}
