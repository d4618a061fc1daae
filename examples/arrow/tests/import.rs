//! Arrow import (issue 12, part 4; feature `arrow`): a `RecordBatch`'s
//! rows copied into a chunk (sliced arrays, NULLs, every supported type,
//! both offset widths), a pooled chunk built from a batch, a round trip
//! through export and import that keeps every cell and logical type, and
//! refusals that leave the chunk exactly as it was.

mod common {
    pub mod arrow_model;
}
use common::arrow_model;

use arrow_array::builder::{FixedSizeBinaryBuilder, LargeBinaryBuilder};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, DurationNanosecondArray, Float32Array, Int16Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, UInt8Array,
};
use arrow_schema::{DataType, Field};
use chunkpool::{
    field_type_of, Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator,
    MutexAllocator, LOGICAL_TYPE_KEY,
};
use std::collections::HashMap;
use std::sync::Arc;

/// One cell as the column stores it: `None` for NULL, else its bytes.
fn cell(col: &Column, r: usize) -> Option<Vec<u8>> {
    if col.is_null(r) {
        None
    } else if col.field_type().is_var() {
        Some(col.get_bytes(r).to_vec())
    } else {
        Some(col.get_fixed_bytes(r).to_vec())
    }
}

fn cells(chk: &Chunk) -> Vec<Vec<Option<Vec<u8>>>> {
    chk.columns()
        .map(|c| (0..c.len()).map(|r| cell(c, r)).collect())
        .collect()
}

fn types(chk: &Chunk) -> Vec<FieldType> {
    chk.columns().map(Column::field_type).collect()
}

/// A chunk of every type with a pattern of values and NULLs.
fn patterned(alloc: &dyn ChunkAllocator, rows: usize) -> Chunk {
    let mut fields = arrow_model::all_types();
    fields.push(FieldType::VAR);
    fields.push(FieldType::fixed(5).unwrap());
    let mut chk = alloc.alloc(&fields, rows.max(1), 1024);
    for (c, &ty) in fields.iter().enumerate() {
        let col = chk.column_mut(c);
        for r in 0..rows {
            if (r * 3 + c) % 5 == 2 {
                col.append_null();
            } else if ty == FieldType::UTF8 {
                col.append_str(&"ü".repeat(r % 4));
            } else if ty.is_var() {
                col.append_bytes(&vec![r as u8; r % 3]);
            } else if ty == FieldType::BOOL {
                col.append_bool(r % 2 == 1);
            } else {
                let size = ty.elem_size().unwrap();
                col.append_fixed_bytes(
                    &(0..size)
                        .map(|i| (r * 31 + i * 7) as u8)
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    chk
}

#[test]
fn export_then_import_keeps_every_cell_and_type() {
    for rows in [0, 1, 8, 13, 200] {
        for small in [false, true] {
            let src = LockFreeAllocator::new();
            let dst = MutexAllocator::new();
            let want = patterned(&src, rows);
            let (want_cells, want_types) = (cells(&want), types(&want));
            let opts = chunkpool::ExportOptions::new().small_offsets(small);
            let batch = patterned(&src, rows).into_record_batch_with(&opts).unwrap();
            let back = Chunk::from_record_batch(&dst, &batch);
            assert!(back.is_pooled());
            assert_eq!(
                types(&back),
                want_types,
                "logical types ride in the metadata"
            );
            assert_eq!(
                cells(&back),
                want_cells,
                "rows {rows}, small offsets {small}"
            );
            for c in back.columns() {
                assert_eq!(
                    c.null_count(),
                    (0..c.len()).filter(|&r| c.is_null(r)).count()
                );
            }
            // Appending again doubles the rows, the first copy unchanged.
            let mut twice = back;
            twice.append_record_batch(&batch);
            assert_eq!(twice.num_rows(), 2 * rows);
            let doubled = cells(&twice);
            for (col, want) in doubled.iter().zip(&want_cells) {
                assert_eq!(&col[..rows], &want[..]);
                assert_eq!(&col[rows..], &want[..]);
            }
            drop((want, twice, batch));
            assert_eq!(src.stats().exported_chunks, 0);
        }
    }
}

#[test]
fn batches_built_with_arrow_builders_and_slices_import() {
    let mut fsb = FixedSizeBinaryBuilder::new(3);
    fsb.append_value(b"abc").unwrap();
    fsb.append_null();
    fsb.append_value(b"xyz").unwrap();
    fsb.append_value(b"123").unwrap();
    let mut lb = LargeBinaryBuilder::new();
    lb.append_value(b"\x00");
    lb.append_value(b"");
    lb.append_null();
    lb.append_value(b"\xff\xfe");
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "i16",
            Arc::new(Int16Array::from(vec![Some(-1), None, Some(3), Some(4)])),
        ),
        ("i64", Arc::new(Int64Array::from(vec![10, 20, 30, 40]))),
        (
            "f32",
            Arc::new(Float32Array::from(vec![Some(0.5), Some(1.5), None, None])),
        ),
        ("u8", Arc::new(UInt8Array::from(vec![1, 2, 3, 4]))),
        (
            "b",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
            ])),
        ),
        (
            "d",
            Arc::new(DurationNanosecondArray::from(vec![
                Some(-5),
                Some(6),
                None,
                Some(8),
            ])),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![
                Some("a"),
                Some("ß"),
                None,
                Some(""),
            ])),
        ),
        (
            "ls",
            Arc::new(LargeStringArray::from(vec![
                None,
                Some("x"),
                Some("yz"),
                Some("é"),
            ])),
        ),
        (
            "bin",
            Arc::new(BinaryArray::from(vec![
                Some(&b"q"[..]),
                None,
                Some(b""),
                Some(b"rs"),
            ])),
        ),
        ("lb", Arc::new(lb.finish())),
        ("fsb", Arc::new(fsb.finish())),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let want_types = [
        FieldType::I16,
        FieldType::I64,
        FieldType::F32,
        FieldType::U8,
        FieldType::BOOL,
        FieldType::DURATION,
        FieldType::UTF8,
        FieldType::UTF8,
        FieldType::BINARY,
        FieldType::BINARY,
        FieldType::fixed(3).unwrap(),
    ];
    let alloc = LockFreeAllocator::new();
    // A slice starting past a byte boundary of the validity bitmaps.
    let sliced = batch.slice(1, 3);
    let chk = Chunk::from_record_batch(&alloc, &sliced);
    assert_eq!(types(&chk), want_types);
    assert_eq!(chk.num_rows(), 3);
    assert_eq!(chk.column(0).value::<i16>(0), None);
    assert_eq!(chk.column(0).value::<i16>(2), Some(4));
    assert_eq!(chk.column(1).as_slice::<i64>(), &[20, 30, 40]);
    assert_eq!(chk.column(2).value::<f32>(0), Some(1.5));
    assert_eq!(chk.column(3).as_slice::<u8>(), &[2, 3, 4]);
    let bools: Vec<_> = (0..3).map(|r| chk.column(4).value_bool(r)).collect();
    assert_eq!(bools, [None, Some(false), Some(true)]);
    assert_eq!(chk.column(5).value::<i64>(0), Some(6));
    let strs: Vec<_> = chk.column(6).iter_str().collect();
    assert_eq!(strs, [Some("ß"), None, Some("")]);
    let lstrs: Vec<_> = chk.column(7).iter_str().collect();
    assert_eq!(lstrs, [Some("x"), Some("yz"), Some("é")]);
    assert_eq!(chk.column(8).value_bytes(0), None);
    assert_eq!(chk.column(8).value_bytes(2), Some(&b"rs"[..]));
    assert_eq!(chk.column(9).value_bytes(1), None);
    assert_eq!(chk.column(9).value_bytes(2), Some(&b"\xff\xfe"[..]));
    assert!(chk.column(10).is_null(0));
    assert_eq!(chk.column(10).get_fixed_bytes(2), b"123");
    for (i, c) in chk.columns().enumerate() {
        let nulls = sliced.column(i).null_count();
        assert_eq!(c.null_count(), nulls, "column {i}");
    }
}

#[test]
fn an_int64_array_goes_into_the_time_columns() {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("b", Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef),
    ])
    .unwrap();
    let mut chk = Chunk::new(&[FieldType::DATE, FieldType::TIMESTAMP], 2, 2);
    chk.append_record_batch(&batch);
    assert_eq!(chk.column(0).as_slice::<i64>(), &[1, 2]);
    assert_eq!(chk.column(1).field_type(), FieldType::TIMESTAMP);
}

#[test]
fn refusals_leave_the_chunk_unchanged() {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("s", Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef),
    ])
    .unwrap();
    let fresh = || {
        let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
        chk.column_mut(0).append_i64(9);
        chk.column_mut(1).append_str("kept");
        chk
    };
    let unchanged = |chk: &Chunk| {
        assert_eq!(chk.num_rows(), 1);
        assert_eq!(chk.column(0).as_slice::<i64>(), &[9]);
        assert_eq!(chk.column(1).value_str(0), Some("kept"));
    };
    // Another column count.
    let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    assert!(matches!(
        chk.try_append_record_batch(&batch),
        Err(Error::Arrow { column: None, .. })
    ));
    // A type that does not go in (the second column), checked before anything is copied.
    let mut chk2 = Chunk::new(&[FieldType::I64, FieldType::BINARY], 4, 4);
    chk2.column_mut(0).append_i64(9);
    chk2.column_mut(1).append_bytes(b"kept");
    assert!(matches!(
        chk2.try_append_record_batch(&batch),
        Err(Error::Arrow {
            column: Some(1),
            ..
        })
    ));
    assert_eq!(chk2.column(0).as_slice::<i64>(), &[9]);
    assert_eq!(chk2.num_rows(), 1);
    // F64 into I64: same width, another type.
    let floats = RecordBatch::try_from_iter([
        (
            "f",
            Arc::new(arrow_array::Float64Array::from(vec![1.0])) as ArrayRef,
        ),
        ("s", Arc::new(StringArray::from(vec!["z"])) as ArrayRef),
    ])
    .unwrap();
    let mut c = fresh();
    assert!(matches!(
        c.try_append_record_batch(&floats),
        Err(Error::Arrow {
            column: Some(0),
            ..
        })
    ));
    unchanged(&c);
    // A shared destination column.
    let mut c = fresh();
    c.make_ref(1, 1); // no-op: not shared
    let mut other = Chunk::new(&[FieldType::UTF8], 1, 1);
    other.make_ref_to(0, &mut c, 1);
    assert_eq!(
        c.try_append_record_batch(&batch),
        Err(Error::SharedColumn { column: 1 })
    );
    unchanged(&c);
    drop(other);
    // A ragged destination.
    let mut c = fresh();
    c.column_mut(0).append_i64(10);
    assert!(matches!(
        c.try_append_record_batch(&batch),
        Err(Error::RaggedChunk { .. })
    ));
    // The panicking form panics with the message.
    let mut c = fresh();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.append_record_batch(&floats)
    }));
    assert!(caught.is_err());
    unchanged(&c);
    // And a good append after all that works.
    let mut c = fresh();
    c.append_record_batch(&batch);
    assert_eq!(c.column(0).as_slice::<i64>(), &[9, 1, 2]);
}

#[test]
fn unsupported_fields_are_refused_before_allocating() {
    let alloc = LockFreeAllocator::new();
    let batch = RecordBatch::try_from_iter([
        ("ok", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        (
            "no",
            Arc::new(arrow_array::Date32Array::from(vec![1])) as ArrayRef,
        ),
    ])
    .unwrap();
    let err = Chunk::try_from_record_batch(&alloc, &batch).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Arrow {
                column: Some(1),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(alloc.stats().chunks_allocated, 0);
    // Metadata naming a type that does not fit the arrow type is ignored.
    let f = Field::new("x", DataType::Int32, true).with_metadata(HashMap::from([(
        LOGICAL_TYPE_KEY.to_owned(),
        "Date".to_owned(),
    )]));
    assert_eq!(field_type_of(&f), Ok(FieldType::I32));
    let f = Field::new("x", DataType::FixedSizeBinary(40), true).with_metadata(HashMap::from([(
        LOGICAL_TYPE_KEY.to_owned(),
        "Decimal".to_owned(),
    )]));
    assert_eq!(field_type_of(&f), Ok(FieldType::DECIMAL));
    let f = Field::new("x", DataType::FixedSizeBinary(40), true);
    assert_eq!(field_type_of(&f), Ok(FieldType::fixed(40).unwrap()));
    let wide = Field::new("x", DataType::FixedSizeBinary(2000), true);
    assert!(field_type_of(&wide).is_err());
    // An empty batch makes an empty chunk with room for a row.
    let empty = RecordBatch::new_empty(batch.schema().project(&[0]).unwrap().into());
    let chk = Chunk::from_record_batch(&alloc, &empty);
    assert_eq!((chk.num_rows(), chk.capacity()), (0, 1));
}

#[test]
fn decimal128_imports_into_decimal_columns_and_round_trips() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Decimal128Type;
    use arrow_array::Decimal128Array;
    let values = [
        Some(12_345i128),
        None,
        Some(-7),
        Some(0),
        Some(10i128.pow(37)),
    ];
    let array = Decimal128Array::from(values.to_vec())
        .with_precision_and_scale(38, 3)
        .unwrap();
    let batch = RecordBatch::try_from_iter([("d", Arc::new(array) as ArrayRef)]).unwrap();
    // The array's precision and scale become the column's.
    let d38_3 = FieldType::decimal(38, 3).unwrap();
    assert_eq!(field_type_of(batch.schema().field(0)), Ok(d38_3));
    let alloc = LockFreeAllocator::new();
    let chk = Chunk::from_record_batch(&alloc, &batch);
    assert_eq!(chk.column(0).field_type(), d38_3);
    // 12.345 in TiDB's layout: 2 integer digits, 3 fraction digits.
    let b = chk.column(0).get_fixed_bytes(0);
    assert_eq!((b[0], b[1], b[3]), (2, 3, 0));
    assert_eq!(&b[4..8], &12i32.to_le_bytes(), "integer word");
    assert_eq!(&b[8..12], &345_000_000i32.to_le_bytes(), "fraction word");
    assert!(chk.column(0).is_null(1));
    // Exported as Decimal128(38, 3) again, with no option: the type says so.
    let back = chk.into_record_batch().unwrap();
    let got: Vec<Option<i128>> = back
        .column(0)
        .as_primitive::<Decimal128Type>()
        .iter()
        .collect();
    assert_eq!(got, values);
    // A scale TiDB's decimal cannot hold is refused, the chunk unchanged.
    let wide = Decimal128Array::from(vec![1i128])
        .with_precision_and_scale(38, 31)
        .unwrap();
    let wide = RecordBatch::try_from_iter([("d", Arc::new(wide) as ArrayRef)]).unwrap();
    let mut c = Chunk::new(&[FieldType::DECIMAL], 1, 1);
    assert!(matches!(
        c.try_append_record_batch(&wide),
        Err(Error::Arrow {
            column: Some(0),
            ..
        })
    ));
    assert_eq!(c.num_rows(), 0);
}

/// Arrow lets a NULL slot span bytes; imported, it is an empty NULL like
/// every NULL the column writes, and the rows around it keep their bytes.
/// A primitive NULL imports as a zero element whatever arrow stored.
#[test]
fn null_slots_holding_bytes_import_as_empty_nulls() {
    use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
    let offsets = OffsetBuffer::new(ScalarBuffer::from(vec![0i32, 2, 6, 7]));
    let values = Buffer::from(b"abgone!".to_vec());
    let nulls = NullBuffer::from(vec![true, false, true]);
    let strings = StringArray::new(offsets, values, Some(nulls.clone()));
    let ints = Int64Array::new(ScalarBuffer::from(vec![5i64, 99, 7]), Some(nulls));
    let batch = RecordBatch::try_from_iter([
        ("s", Arc::new(strings) as ArrayRef),
        ("i", Arc::new(ints) as ArrayRef),
    ])
    .unwrap();
    let chk = Chunk::from_record_batch(&LockFreeAllocator::new(), &batch);
    let s = chk.column(0);
    assert_eq!(
        s.iter_str().collect::<Vec<_>>(),
        [Some("ab"), None, Some("!")]
    );
    assert_eq!((s.offsets(), s.data()), (&[0, 2, 2, 3][..], &b"ab!"[..]));
    assert_eq!(chk.column(1).as_slice::<i64>(), &[5, 0, 7]);
    assert_eq!(chk.column(1).null_count(), 1);
}

/// `Column::extend_from_array` gives each column exactly what importing
/// the whole batch gives it: every type, both offset widths, arrays sliced
/// at any row, appended after rows already there. A NULL slot holding
/// bytes is emptied there too (the rows after it keep theirs); a refused
/// type changes nothing.
#[test]
fn one_array_into_one_column_as_the_batch_import_does() {
    let src = LockFreeAllocator::new();
    for small in [false, true] {
        let opts = chunkpool::ExportOptions::new().small_offsets(small);
        let batch = patterned(&src, 40).into_record_batch_with(&opts).unwrap();
        for (start, len) in [(0, 40), (3, 17), (8, 0), (39, 1)] {
            let slice = batch.slice(start, len);
            let prefix = Chunk::from_record_batch(&MutexAllocator::new(), &batch.slice(0, 2));
            let mut whole = prefix.clone();
            whole.append_record_batch(&slice);
            let want = cells(&whole);
            for (c, array) in slice.columns().iter().enumerate() {
                let mut col = prefix.column(c).clone();
                col.extend_from_array(array.as_ref());
                let got: Vec<_> = (0..col.len()).map(|r| cell(&col, r)).collect();
                assert_eq!(
                    got, want[c],
                    "column {c}, rows {start}+{len}, small {small}"
                );
                assert_eq!(
                    col.null_count(),
                    (0..col.len()).filter(|&r| col.is_null(r)).count()
                );
            }
        }
    }
    // NULL slots with bytes, the path that appends row by row.
    use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
    let offsets = OffsetBuffer::new(ScalarBuffer::from(vec![0i64, 2, 6, 7]));
    let values = Buffer::from(b"abgone!".to_vec());
    let nulls = NullBuffer::from(vec![true, false, true]);
    let strings = arrow_array::LargeStringArray::new(offsets, values, Some(nulls));
    let mut s = Column::new(FieldType::UTF8, 2);
    s.append_str("x");
    s.extend_from_array(&strings);
    assert_eq!(
        s.iter_str().collect::<Vec<_>>(),
        [Some("x"), Some("ab"), None, Some("!")]
    );
    assert_eq!(
        (s.offsets(), s.data()),
        (&[0, 1, 3, 3, 4][..], &b"xab!"[..])
    );
    // A refusal leaves the column as it was.
    let mut ints = Column::new(FieldType::I64, 2);
    ints.append_i64(7);
    let err = ints.try_extend_from_array(&strings).unwrap_err();
    assert!(matches!(err, Error::Arrow { column: None, .. }), "{err}");
    assert_eq!(ints.as_slice::<i64>(), &[7]);
}

/// A pooled chunk's columns grown by `extend_from_array` far past the
/// capacity they were handed out with are judged on return as they are:
/// the next request for that many rows gets the same chunk whole, with
/// room for them (the pool trusts nothing it handed out; here it must
/// see the growth). The text is 8 bytes a row: a variable-width column
/// counts the rows its data holds at 8 bytes each (`Column::capacity`).
#[test]
fn columns_grown_from_arrays_are_judged_as_they_came_back() {
    let pool = LockFreeAllocator::new();
    let fields = [FieldType::I64, FieldType::UTF8];
    let n = 3000;
    let mut chk = pool.alloc(&fields, 4, 4);
    chk.column_mut(0)
        .extend_from_array(&Int64Array::from((0..n as i64).collect::<Vec<_>>()));
    chk.column_mut(1)
        .extend_from_array(&LargeStringArray::from(vec!["abcdefgh"; n]));
    let ptrs = (chk.column(0).data_ptr(), chk.column(1).data_ptr());
    drop(chk);
    let again = pool.alloc(&fields, n, n);
    let st = pool.stats();
    assert_eq!(
        (st.chunks_from_cache, st.discarded_too_small),
        (1, 0),
        "{st:?}"
    );
    assert_eq!(
        (again.column(0).data_ptr(), again.column(1).data_ptr()),
        ptrs
    );
    assert!(again.column(0).capacity() >= n && again.column(1).capacity() >= n);
    assert_eq!(again.num_rows(), 0);
}

/// A batch's rows go in as `append_chunk` puts a chunk's: into a chunk
/// with a selection they join it (so `num_rows` counts them), and a chunk
/// without columns counts them; a refused batch leaves the selection as it
/// was. Both failed before the import counted its rows (they were in the
/// columns, outside the selection).
#[test]
fn batch_rows_join_the_selection_and_count_without_columns_as_chunk_rows_do() {
    let alloc = LockFreeAllocator::new();
    let src = patterned(&alloc, 7);
    let fields = types(&src);
    let batch = src.clone().into_record_batch().unwrap();
    for sel in [None, Some(vec![]), Some(vec![3, 0]), Some(vec![1, 1, 4])] {
        let start = || {
            let mut c = patterned(&alloc, 5);
            c.set_sel(sel.clone());
            c
        };
        let (mut by_batch, mut by_chunk) = (start(), start());
        by_batch.append_record_batch(&batch);
        by_chunk.append_chunk(&src);
        assert_eq!(by_batch.sel(), by_chunk.sel(), "selection {sel:?}");
        assert_eq!(
            by_batch.num_rows(),
            by_chunk.num_rows(),
            "selection {sel:?}"
        );
        assert_eq!(cells(&by_batch), cells(&by_chunk), "selection {sel:?}");
        assert_eq!(types(&by_batch), fields);
        if let Some(s) = &sel {
            let joined: Vec<u32> = s.iter().copied().chain(5..12).collect();
            assert_eq!(by_batch.sel(), Some(&joined[..]));
        }
        // Refused (a shared column): the selection as it was.
        // (Shared first: a chunk with a selection shares no column.)
        let mut refused = patterned(&alloc, 5);
        let mut other = Chunk::new(&[fields[0]], 1, 1);
        other.make_ref_to(0, &mut refused, 0);
        refused.set_sel(sel.clone());
        assert_eq!(
            refused.try_append_record_batch(&batch),
            Err(Error::SharedColumn { column: 0 })
        );
        assert_eq!(refused.sel(), sel.as_deref());
        assert_eq!(refused.physical_rows(), 5);
    }
    // No columns: the batch's rows are counted, as a chunk's are.
    let rows_only = RecordBatch::try_new_with_options(
        Arc::new(arrow_schema::Schema::empty()),
        vec![],
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(5)),
    )
    .unwrap();
    let mut none = Chunk::new(&[], 4, 8);
    none.append_record_batch(&rows_only);
    none.append_record_batch(&rows_only.slice(1, 3));
    assert_eq!(none.num_rows(), 8);
    let mut counted = Chunk::new(&[], 4, 8);
    counted.append_chunk(&none);
    assert_eq!(counted.num_rows(), 8);
    // And back out: a chunk without columns exports its rows.
    assert_eq!(none.into_record_batch().unwrap().num_rows(), 8);
}
