//! Arrow export (issue 12, part 3; feature `arrow`): every logical type
//! exports to the arrow type the docs name, without a copy where they say
//! so, passes arrow's own full validation, reads back every value and NULL
//! through arrow's accessors, and goes home when the last arrow reference
//! (clones, slices, arrays on other threads) is dropped.

mod common {
    pub mod arrow_model;
}
use common::arrow_model;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, DurationNanosecondType, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chunkpool::{
    arrow_type, export_schema, Chunk, ChunkAllocator, Column, Error, ExportOptions, FieldType,
    LockFreeAllocator, MutexAllocator, LOGICAL_TYPE_KEY,
};
use std::sync::Arc;

/// Row `r` of a column of `ty` in the test pattern: `None` for NULL (on a
/// rhythm per column `c`), else the value's bytes as the column stores
/// them.
fn cell(ty: FieldType, c: usize, r: usize) -> Option<Vec<u8>> {
    if (r + c) % (3 + c % 4) == 1 {
        return None;
    }
    let v = (r * 7919 + c * 104_729) as u64;
    Some(match ty.elem_size() {
        None => format!("r{r}c{c}").repeat(r % 4).into_bytes(),
        Some(1) if ty == FieldType::BOOL => vec![(v % 2) as u8],
        Some(size) => (0..size)
            .map(|i| (v >> (i % 8 * 8)) as u8 ^ i as u8)
            .collect(),
    })
}

fn fill(chk: &mut Chunk, rows: usize) {
    for c in 0..chk.num_cols() {
        let col = chk.column_mut(c);
        let ty = col.field_type();
        for r in 0..rows {
            match cell(ty, c, r) {
                None => col.append_null(),
                Some(b) if ty.is_var() => {
                    if ty == FieldType::UTF8 {
                        col.append_str(std::str::from_utf8(&b).unwrap());
                    } else {
                        col.append_bytes(&b);
                    }
                }
                Some(b) if ty == FieldType::BOOL => col.append_bool(b[0] != 0),
                Some(b) => col.append_fixed_bytes(&b),
            }
        }
    }
}

/// Checks a batch against the pattern: types, metadata, arrow's full
/// validation, every cell, and no validity buffer where there is no NULL.
fn check_batch(batch: &RecordBatch, types: &[FieldType], rows: usize, opts: &ExportOptions) {
    assert_eq!((batch.num_columns(), batch.num_rows()), (types.len(), rows));
    for (c, &ty) in types.iter().enumerate() {
        let a = batch.column(c);
        let field = batch.schema().field(c).clone();
        assert_eq!(a.data_type(), &arrow_type(ty, opts), "column {c} ({ty:?})");
        assert_eq!(field.data_type(), a.data_type());
        assert_eq!(field.metadata()[LOGICAL_TYPE_KEY], ty.logical().to_string());
        a.to_data()
            .validate_full()
            .unwrap_or_else(|e| panic!("column {c} ({ty:?}): {e}"));
        let nulls = (0..rows).filter(|&r| cell(ty, c, r).is_none()).count();
        assert_eq!(a.null_count(), nulls, "column {c} ({ty:?})");
        assert_eq!(
            a.nulls().is_some(),
            nulls > 0,
            "column {c}: validity only with NULLs"
        );
        for r in 0..rows {
            assert_eq!(
                arrow_model::arrow_cell(a.as_ref(), r),
                cell(ty, c, r),
                "column {c} ({ty:?}) row {r}"
            );
        }
    }
}

/// The address of an array's data (values) buffer.
fn values_ptr(a: &ArrayRef) -> *const u8 {
    let data = a.to_data();
    let i = usize::from(matches!(
        a.data_type(),
        DataType::LargeUtf8 | DataType::LargeBinary | DataType::Utf8 | DataType::Binary
    ));
    data.buffers()[i].as_ptr()
}

#[test]
fn every_type_exports_validates_and_reads_back() {
    let types = arrow_model::all_types();
    // Fewer shapes under Miri, which runs the export's unsafe slowly.
    let shapes: &[usize] = if cfg!(miri) {
        &[0, 9]
    } else {
        &[0, 1, 7, 8, 9, 64, 100]
    };
    for &rows in shapes {
        for opts in [
            ExportOptions::new(),
            ExportOptions::new().small_offsets(true),
        ] {
            let alloc = LockFreeAllocator::new();
            let mut chk = alloc.alloc(&types, rows.max(1), 1024);
            fill(&mut chk, rows);
            let ptrs: Vec<*const u8> = chk.columns().map(Column::data_ptr).collect();
            let batch = chk.into_record_batch_with(&opts).unwrap();
            check_batch(&batch, &types, rows, &opts);
            // Zero copy: arrow reads the columns' own data (Bool aside, packed).
            for (c, &ty) in types.iter().enumerate() {
                if ty != FieldType::BOOL && rows > 0 {
                    assert_eq!(
                        values_ptr(batch.column(c)),
                        ptrs[c],
                        "column {c} ({ty:?}) copied"
                    );
                    assert_eq!(ptrs[c] as usize % 64, 0, "column {c}: 64-byte aligned");
                }
            }
            assert_eq!(alloc.stats().exported_chunks, 1);
            drop(batch);
            let stats = alloc.stats();
            assert_eq!((stats.exported_chunks, stats.chunks_returned), (0, 1));
        }
    }
}

#[test]
fn exports_into_a_schema_made_once_match_the_per_call_ones() {
    let types = arrow_model::all_types();
    let rows = if cfg!(miri) { 9 } else { 100 };
    for opts in [
        ExportOptions::new(),
        ExportOptions::new().small_offsets(true),
    ] {
        let schema = Arc::new(export_schema(&types, &opts).unwrap());
        let alloc = LockFreeAllocator::new();
        for round in 0..3 {
            let mut a = alloc.alloc(&types, rows, 1024);
            fill(&mut a, rows);
            let ptrs: Vec<*const u8> = a.columns().map(Column::data_ptr).collect();
            let batch = a.into_record_batch_as(&schema).unwrap();
            assert!(Arc::ptr_eq(&batch.schema(), &schema), "round {round}");
            check_batch(&batch, &types, rows, &opts);
            for (c, &ty) in types.iter().enumerate() {
                if ty != FieldType::BOOL {
                    assert_eq!(values_ptr(batch.column(c)), ptrs[c], "column {c} copied");
                }
            }
            let mut b = Chunk::new(&types, rows, 1024);
            fill(&mut b, rows);
            assert_eq!(batch, b.into_record_batch_with(&opts).unwrap());
            drop(batch);
            let s = alloc.stats();
            assert_eq!((s.exported_chunks, s.chunks_returned), (0, round + 1));
        }
    }
}

#[test]
fn a_schema_chooses_offsets_and_decimals_and_is_checked() {
    let types = [FieldType::UTF8, FieldType::DECIMAL, FieldType::BINARY];
    let field = |name: &str, ty: DataType, nullable: bool| Field::new(name, ty, nullable);
    let strict = Arc::new(Schema::new(vec![
        field("s", DataType::Utf8, false),
        field("d", DataType::Decimal128(10, 2), true),
        field("b", DataType::LargeBinary, false),
    ]));
    let alloc = LockFreeAllocator::new();
    let make = |null_string: bool| {
        let mut chk = alloc.alloc(&types, 4, 4);
        chk.column_mut(0)
            .append_option_str((!null_string).then_some("é"));
        chk.column_mut(1)
            .append_fixed_bytes(&my_decimal(2, 1, false, &[12, 500_000_000]));
        chk.column_mut(2).append_bytes(b"\xff");
        chk
    };
    let batch = make(false).into_record_batch_as(&strict).unwrap();
    assert_eq!(batch.column(0).as_string::<i32>().value(0), "é");
    assert_eq!(
        batch.column(1).as_primitive::<Decimal128Type>().value(0),
        1250
    );
    assert_eq!(batch.column(2).as_binary::<i64>().value(0), b"\xff");
    assert_eq!(batch.schema().field(0).name(), "s");
    for c in 0..3 {
        batch.column(c).to_data().validate_full().unwrap();
    }
    drop(batch);

    // Refusals name the column, and the chunk still goes home.
    let refused = |schema: Schema, null_string: bool, column: Option<usize>, says: &str| {
        let err = make(null_string)
            .into_record_batch_as(&Arc::new(schema))
            .unwrap_err();
        match err {
            Error::Arrow {
                column: c, reason, ..
            } => {
                assert_eq!(c, column, "{reason}");
                assert!(reason.contains(says), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    };
    refused((*strict).clone(), true, Some(0), "not nullable");
    let mut wrong = strict.fields().to_vec();
    wrong[2] = Arc::new(field("b", DataType::LargeUtf8, true));
    refused(Schema::new(wrong), false, Some(2), "arrow type");
    let mut wrong = strict.fields().to_vec();
    wrong[1] = Arc::new(field("d", DataType::Int64, true));
    refused(Schema::new(wrong), false, Some(1), "arrow type");
    refused(
        Schema::new(strict.fields()[..2].to_vec()),
        false,
        None,
        "number of fields",
    );
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 5));
}

#[test]
fn the_chunk_comes_home_when_the_last_reference_drops_on_another_thread() {
    let types = [FieldType::I64, FieldType::UTF8, FieldType::DECIMAL];
    let alloc = LockFreeAllocator::new();
    let mut chk = alloc.alloc(&types, 64, 64);
    fill(&mut chk, 50);
    let batch = chk.into_record_batch().unwrap();
    // A slice of one array and a clone of another outlive the batch.
    let slice = batch.column(1).slice(10, 5);
    let clone = batch.column(2).clone();
    drop(batch);
    assert_eq!(
        alloc.stats().exported_chunks,
        1,
        "the slice and clone hold it"
    );
    assert_eq!(alloc.stats().chunks_returned, 0);
    assert_eq!(
        slice.as_string::<i64>().value(0).as_bytes(),
        cell(FieldType::UTF8, 1, 10).unwrap()
    );
    let t = std::thread::spawn(move || {
        let n = slice.len() + clone.len();
        drop(slice);
        drop(clone);
        n
    });
    assert_eq!(t.join().unwrap(), 55);
    let stats = alloc.stats();
    assert_eq!((stats.exported_chunks, stats.chunks_returned), (0, 1));
    // Home and reusable: the other thread cached it, so this thread's next
    // chunk is fresh or from the depot, but in either case empty and typed.
    let again = alloc.alloc(&types, 64, 64);
    assert_eq!(again.num_rows(), 0);
    assert_eq!(
        again.columns().map(Column::field_type).collect::<Vec<_>>(),
        types
    );
    drop(again);
    // On one thread the very buffers come back.
    let mut chk = alloc.alloc(&types, 64, 64);
    fill(&mut chk, 3);
    let ptrs2: Vec<*const u8> = chk.columns().map(Column::data_ptr).collect();
    drop(chk.into_record_batch().unwrap());
    let back = alloc.alloc(&types, 64, 64);
    assert_eq!(
        back.columns().map(Column::data_ptr).collect::<Vec<_>>(),
        ptrs2
    );
    assert_eq!(back.num_rows(), 0);
}

#[test]
fn the_mutex_allocator_counts_exports_too() {
    let alloc = MutexAllocator::new();
    let mut chk = alloc.alloc(&[FieldType::F64], 8, 8);
    chk.column_mut(0).extend_from_slice(&[0.5f64, 1.5]);
    let batch = chk.into_record_batch().unwrap();
    assert_eq!(alloc.stats().exported_chunks, 1);
    assert_eq!(
        batch.column(0).as_primitive::<Float64Type>().values(),
        &[0.5, 1.5]
    );
    drop(batch);
    assert_eq!(alloc.stats().exported_chunks, 0);
    assert_eq!(alloc.stats().chunks_returned, 1);
}

#[test]
fn refusals_name_the_problem_and_still_send_the_chunk_home() {
    let alloc = LockFreeAllocator::new();
    let home = |alloc: &LockFreeAllocator, n: u64| {
        let s = alloc.stats();
        assert_eq!((s.exported_chunks, s.chunks_returned), (0, n));
    };
    // Ragged.
    let mut chk = alloc.alloc(&[FieldType::I64, FieldType::I64], 4, 4);
    chk.column_mut(0).append_i64(1);
    assert_eq!(
        chk.into_record_batch().err(),
        Some(Error::RaggedChunk {
            column: 1,
            len: 0,
            rows: 1
        })
    );
    home(&alloc, 1);
    // A selection vector.
    let mut chk = alloc.alloc(&[FieldType::I64], 4, 4);
    chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    chk.set_sel(Some(vec![1]));
    let err = chk.into_record_batch().unwrap_err();
    assert!(err.to_string().contains("selection"), "{err}");
    home(&alloc, 2);
    // Invalid UTF-8 in a Utf8 column (Binary takes it).
    let mut chk = alloc.alloc(&[FieldType::BINARY, FieldType::UTF8], 4, 4);
    chk.column_mut(0).append_bytes(&[0xff]);
    chk.column_mut(1).append_bytes(&[0xff]);
    match chk.into_record_batch() {
        Err(Error::Arrow {
            column: Some(1),
            reason,
            ..
        }) => assert!(reason.contains("UTF-8"), "{reason}"),
        other => panic!("{other:?}"),
    }
    home(&alloc, 3);
    // Names of the wrong count.
    let chk = alloc.alloc(&[FieldType::I64], 4, 4);
    let err = chk.into_record_batch_with(&ExportOptions::new().names(["a", "b"]));
    assert!(matches!(err, Err(Error::Arrow { column: None, .. })));
    home(&alloc, 4);
}

#[test]
fn shared_and_rearranged_columns_export_and_the_pool_still_checks_them() {
    let alloc = LockFreeAllocator::new();
    let layout = [FieldType::I64, FieldType::I64, FieldType::UTF8];
    let mut a = alloc.alloc(&layout, 8, 8);
    fill(&mut a, 5);
    a.make_ref(0, 1);
    let mut b = alloc.alloc(&[FieldType::UTF8], 8, 8);
    b.make_ref_to(0, &mut a, 2);
    let batch = a.into_record_batch().unwrap();
    assert_eq!(
        batch.column(1).as_primitive::<Int64Type>().values(),
        batch.column(0).as_primitive::<Int64Type>().values()
    );
    // `b` still shares column 2 and cannot change it while arrow reads it.
    assert!(b.try_column_mut(0).is_err());
    assert_eq!(
        b.column(0).get_bytes(2),
        batch.column(2).as_string::<i64>().value(2).as_bytes()
    );
    drop(b);
    drop(batch);
    // Swapped-in columns of other types go home checked, as with any drop.
    let mut c = alloc.alloc(&layout, 8, 8);
    let mut d = alloc.alloc(&[FieldType::F32], 8, 8);
    c.swap_column(0, &mut d, 0);
    c.column_mut(1).append_i64(1);
    c.column_mut(2).append_str("x");
    let err = c.into_record_batch().unwrap_err();
    assert!(matches!(err, Error::RaggedChunk { .. }), "{err}");
    drop(d);
    for _ in 0..4 {
        let chk = alloc.alloc(&layout, 8, 8);
        assert_eq!(
            chk.columns().map(Column::field_type).collect::<Vec<_>>(),
            layout
        );
        assert_eq!(chk.num_rows(), 0);
    }
    assert_eq!(alloc.stats().exported_chunks, 0);
}

#[test]
fn a_column_on_its_own_exports_and_is_freed() {
    let mut c = Column::new(FieldType::DURATION, 4);
    c.extend_options([Some(5i64), None, Some(-1)]);
    let a = c.into_array().unwrap();
    a.to_data().validate_full().unwrap();
    let d = a.as_primitive::<DurationNanosecondType>();
    assert_eq!((d.value(0), d.is_null(1), d.value(2)), (5, true, -1));
    let mut s = Column::new(FieldType::UTF8, 2);
    s.append_bytes(&[0xc3]);
    assert!(matches!(
        s.into_array(),
        Err(Error::Arrow { column: None, .. })
    ));
}

#[test]
fn small_offsets_are_converted_and_large_ones_shared() {
    let mut c = Column::new(FieldType::BINARY, 3);
    c.extend_bytes([&b"ab"[..], b"", b"cde"]);
    let small = c
        .clone()
        .into_array_with(&ExportOptions::new().small_offsets(true))
        .unwrap();
    let large = c.into_array().unwrap();
    assert_eq!(small.as_binary::<i32>().value_offsets(), &[0, 2, 2, 5]);
    assert_eq!(large.as_binary::<i64>().value_offsets(), &[0, 2, 2, 5]);
}

#[test]
fn a_character_split_across_rows_is_refused() {
    // Each row alone is not UTF-8, though the bytes together are ("é").
    let mut c = Column::new(FieldType::UTF8, 2);
    c.append_bytes(&[0xc3]);
    c.append_bytes(&[0xa9]);
    assert_eq!(std::str::from_utf8(c.data()), Ok("é"));
    let err = c.clone().into_array().unwrap_err();
    assert!(matches!(err, Error::Arrow { column: None, reason, .. } if reason.contains("UTF-8")));
    assert!(c
        .into_array_with(&ExportOptions::new().small_offsets(true))
        .is_err());
}

/// Every safe way bytes that are not UTF-8 can reach a `Utf8` column: the
/// export must check them, however they came (the export skips arrow's
/// UTF-8 check only for a column every row of which was written as a
/// `&str`).
#[test]
fn bytes_not_known_to_be_utf8_are_checked_however_they_arrived() {
    const BAD: &[u8] = &[b'a', 0xff];
    let layout = [FieldType::UTF8];
    let refused = |chk: Chunk, how: &str| {
        let small = ExportOptions::new().small_offsets(true);
        let err = chk.column(0).clone().into_array_with(&small).unwrap_err();
        assert!(
            matches!(&err, Error::Arrow { reason, .. } if reason.contains("UTF-8")),
            "{how}, i32 offsets: {err:?}"
        );
        let err = chk.into_record_batch().unwrap_err();
        assert!(
            matches!(&err, Error::Arrow { column: Some(0), reason, .. } if reason.contains("UTF-8")),
            "{how}: {err:?}"
        );
    };
    let bad = || {
        let mut chk = Chunk::new(&layout, 4, 4);
        chk.column_mut(0).append_str("ok");
        chk.column_mut(0).append_bytes(BAD);
        chk
    };
    refused(bad(), "append_bytes");
    let mut c = Chunk::new(&layout, 4, 4);
    c.column_mut(0).append_option_bytes(Some(BAD));
    refused(c, "append_option_bytes");
    let mut c = Chunk::new(&layout, 4, 4);
    c.column_mut(0).extend_bytes([&b"x"[..], BAD]);
    refused(c, "extend_bytes");

    // Copied from a column that holds them, by every row mover; the
    // destination was clean (written as `&str` only) before.
    let clean = || {
        let mut chk = Chunk::new(&layout, 8, 8);
        chk.column_mut(0).append_str("clean");
        chk
    };
    let src = bad();
    let mut c = clean();
    c.append_row(&src, 1);
    refused(c, "append_row");
    let mut c = clean();
    c.append_rows(&src, 0..2);
    refused(c, "append_rows");
    let mut c = clean();
    c.append_selected(&src, &[1]);
    refused(c, "append_selected");
    let mut c = clean();
    c.append_selected_bitmap(&src, &[0b10]);
    refused(c, "append_selected_bitmap");
    let mut c = clean();
    c.append_chunk(&src);
    refused(c, "append_chunk");

    // Moved or shared: the column carries what it knows.
    let mut c = clean();
    c.set_column(0, bad().take_column(0));
    refused(c, "set_column");
    let mut c = clean();
    let mut other = bad();
    c.swap_column(0, &mut other, 0);
    refused(c, "swap_column");
    let mut c = clean();
    *c.column_mut(0) = bad().column(0).clone();
    refused(c, "a clone assigned");
    let mut c = Chunk::new(&[FieldType::UTF8, FieldType::UTF8], 4, 4);
    c.column_mut(1).append_bytes(BAD);
    c.column_mut(0).append_str("ok");
    c.make_ref(1, 0);
    refused(c, "make_ref");
    let mut c = clean();
    let mut other = bad();
    c.make_ref_to(0, &mut other, 0);
    refused(c, "make_ref_to");

    // Bytes that are UTF-8, written as bytes, pass arrow's check.
    let mut c = Chunk::new(&layout, 4, 4);
    c.column_mut(0).append_bytes("é".as_bytes());
    let batch = c.into_record_batch().unwrap();
    assert_eq!(batch.column(0).as_string::<i64>().value(0), "é");

    // A reset forgets the bytes and what they were: the column is clean
    // again, retyped or not, and pooled columns come back clean.
    let mut c = bad();
    c.reset();
    c.column_mut(0).append_str("again");
    assert_eq!(
        c.into_record_batch()
            .unwrap()
            .column(0)
            .as_string::<i64>()
            .value(0),
        "again"
    );
    let mut c = Chunk::new(&[FieldType::BINARY], 4, 4);
    c.column_mut(0).append_bytes(BAD);
    c.column_mut(0).reset_as(FieldType::UTF8);
    c.column_mut(0).append_str("retyped");
    assert!(c.into_record_batch().is_ok());
    let alloc = LockFreeAllocator::new();
    let mut pooled = alloc.alloc(&layout, 4, 4);
    pooled.column_mut(0).append_bytes(BAD);
    refused(pooled, "a pooled column");
    let mut again = alloc.alloc(&layout, 4, 4);
    assert_eq!(alloc.stats().chunks_from_cache, 1);
    again.column_mut(0).extend_str(["a", "b"]);
    let batch = again.into_record_batch().unwrap();
    assert_eq!(batch.column(0).as_string::<i64>().value(1), "b");
}

/// TiDB's `MyDecimal` of `int_digits` / `frac_digits` and `words`.
fn my_decimal(int_digits: u8, frac_digits: u8, negative: bool, words: &[i32]) -> [u8; 40] {
    let mut b = [0u8; 40];
    (b[0], b[1], b[2], b[3]) = (int_digits, frac_digits, frac_digits, u8::from(negative));
    for (i, w) in words.iter().enumerate() {
        b[4 + 4 * i..8 + 4 * i].copy_from_slice(&w.to_le_bytes());
    }
    b
}

#[test]
fn decimals_export_as_decimal128_when_asked() {
    use arrow_array::types::Decimal128Type;
    let alloc = LockFreeAllocator::new();
    let mut chk = alloc.alloc(&[FieldType::DECIMAL, FieldType::I64], 4, 4);
    let rows = [
        Some(my_decimal(10, 1, false, &[1, 234_567_890, 500_000_000])), // 1234567890.5
        None,
        Some(my_decimal(0, 3, true, &[5_000_000])), // -0.005
        Some([0; 40]),                              // 0
    ];
    for r in &rows {
        match r {
            Some(b) => chk.column_mut(0).append_fixed_bytes(b),
            None => chk.column_mut(0).append_null(),
        }
        chk.column_mut(1).append_i64(1);
    }
    let opts = ExportOptions::new().decimal128(20, 2);
    let batch = chk.into_record_batch_with(&opts).unwrap();
    let a = batch.column(0);
    assert_eq!(a.data_type(), &DataType::Decimal128(20, 2));
    assert_eq!(batch.schema().field(0).data_type(), a.data_type());
    a.to_data().validate_full().unwrap();
    let d = a.as_primitive::<Decimal128Type>();
    assert_eq!(d.value(0), 123_456_789_050);
    assert!(d.is_null(1));
    assert_eq!(d.value(2), -1, "-0.005 rounds half away from zero to -0.01");
    assert_eq!(d.value(3), 0);
    drop(batch);
    assert_eq!(alloc.stats().exported_chunks, 0);
    // Too many digits, not a decimal, a bad precision: refused, home anyway.
    let refuse = |bytes: [u8; 40], opts: &ExportOptions| {
        let mut c = alloc.alloc(&[FieldType::DECIMAL], 1, 1);
        c.column_mut(0).append_fixed_bytes(&bytes);
        c.into_record_batch_with(opts).unwrap_err()
    };
    let big = my_decimal(10, 0, false, &[1, 234_567_890]);
    assert!(
        matches!(refuse(big, &ExportOptions::new().decimal128(9, 0)), Error::Arrow { column: Some(0), reason, .. } if reason.contains("precision"))
    );
    let junk = my_decimal(99, 0, false, &[]);
    assert!(
        matches!(refuse(junk, &opts), Error::Arrow { reason, .. } if reason.contains("not a TiDB decimal"))
    );
    assert!(matches!(
        refuse(big, &ExportOptions::new().decimal128(39, 0)),
        Error::Arrow { .. }
    ));
    assert!(matches!(
        refuse(big, &ExportOptions::new().decimal128(10, 11)),
        Error::Arrow { .. }
    ));
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 5));
}
