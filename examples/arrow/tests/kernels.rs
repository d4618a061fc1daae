//! Arrow export checked by arrow itself (issue 12, part 5; feature
//! `arrow`): batches exported from pooled chunks pass arrow's full
//! validation, and arrow's own kernels (filter, take, concat, sum/min/max,
//! sort, cast, an IPC round trip) give the same results on them, whole and
//! sliced, as on the same data built with arrow's builders. The random
//! chunks, exported and dropped across threads, are `tests/property.rs`.
//!
//! The kernels come from test-only dev-dependencies (`arrow-select`,
//! `arrow-arith`, `arrow-ord`, `arrow-cast`, `arrow-ipc`), dependencies
//! of this crate only (its Cargo.toml says why).

mod common {
    pub mod arrow_model;
}
use common::arrow_model;

use arrow_model::*;

use arrow_arith::aggregate;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    DurationNanosecondType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, BooleanArray, RecordBatch, UInt32Array};
use arrow_ord::sort::{lexsort_to_indices, sort, sort_to_indices, SortColumn, SortOptions};
use arrow_schema::{DataType, TimeUnit};
use chunkpool::{arrow_type, ChunkAllocator, ExportOptions, FieldType, LockFreeAllocator};

// ---------------------------------------------------------------------------
// Kernels: exported and builder-built batches agree
// ---------------------------------------------------------------------------

const KERNEL_ROWS: usize = 200;

/// The slices every kernel also runs on: offsets that are not multiples of
/// 8 (bitmaps) nor of 64, empty ones, the whole.
fn slices(rows: usize) -> Vec<(usize, usize)> {
    vec![
        (0, rows),
        (3, rows - 10),
        (1, 1),
        (61, 70),
        (rows - 5, 5),
        (rows / 2, 0),
        (rows, 0),
    ]
}

/// Exports the model from a fresh chunk of `alloc`, builds the same batch
/// with arrow's builders, runs `f` on both, then checks that the export is
/// gone (the kernels' results with it) and the chunk is home.
fn on_both(
    alloc: &LockFreeAllocator,
    model: &[ColModel],
    opts: &ExportOptions,
    kernel: &str,
    f: impl FnOnce(&RecordBatch, &RecordBatch),
) {
    let s0 = alloc.stats();
    let (before, live) = (s0.chunks_returned, s0.exported_chunks);
    let types: Vec<FieldType> = model.iter().map(|m| m.ty).collect();
    let mut chk = alloc.alloc(&types, KERNEL_ROWS, 1024);
    fill(&mut chk, model);
    let exported = chk.into_record_batch_with(opts).unwrap();
    let built = build_batch(model, exported.schema(), is_small(opts));
    assert_eq!(
        exported, built,
        "{kernel}: the batches differ before any kernel"
    );
    assert_eq!(alloc.stats().exported_chunks, live + 1);
    f(&exported, &built);
    drop(exported);
    let s = alloc.stats();
    assert_eq!(
        s.exported_chunks, live,
        "{kernel}: an export outlived the kernel"
    );
    assert_eq!(
        s.chunks_returned,
        before + 1,
        "{kernel}: the chunk is not home"
    );
}

fn is_small(opts: &ExportOptions) -> bool {
    arrow_type(FieldType::UTF8, opts) == DataType::Utf8
}

/// The kernels' fixture: every exportable type, NULLs in most columns (one
/// without), 200 rows, for both offset widths.
fn kernel_fixture() -> Vec<(Vec<ColModel>, ExportOptions)> {
    let mut rng = Rng::new(1205);
    let types = all_types();
    let mut model = random_model(&mut rng, &types, KERNEL_ROWS);
    for (c, m) in model.iter_mut().enumerate() {
        // 1 row in 5 NULL (at different phases), except column 0: no NULL
        // at all, so exports without a validity buffer are covered too.
        for (r, v) in m.rows.iter_mut().enumerate() {
            let null = c > 0 && (r + c) % 5 == 0;
            if null {
                *v = None;
            } else if v.is_none() {
                *v = Some(random_value(&mut rng, m.ty));
            }
        }
    }
    vec![
        (model.clone(), ExportOptions::new()),
        (model, ExportOptions::new().small_offsets(true)),
    ]
}

/// A random predicate of `len` rows, NULLs included (filter drops them).
fn predicate(rng: &mut Rng, len: usize) -> BooleanArray {
    (0..len)
        .map(|_| match rng.below(5) {
            0 => None,
            1 | 2 => Some(true),
            _ => Some(false),
        })
        .collect()
}

#[test]
fn exports_equal_builder_batches_and_validate() {
    let alloc = LockFreeAllocator::new();
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "equality", |e, b| {
            check_against_model(e, &model, 0, &opts);
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                validate(&es, "slice");
                assert_eq!(es, bs, "slice {off}+{len}");
                check_against_model(&es, &model, off, &opts);
            }
        });
    }
}

#[test]
fn filter_agrees() {
    let alloc = LockFreeAllocator::new();
    let mut rng = Rng::new(1);
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "filter", |e, b| {
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                let preds = [
                    predicate(&mut rng, len),
                    BooleanArray::from(vec![true; len]),
                    BooleanArray::from(vec![false; len]),
                ];
                for p in &preds {
                    let fe = arrow_select::filter::filter_record_batch(&es, p).unwrap();
                    let fb = arrow_select::filter::filter_record_batch(&bs, p).unwrap();
                    validate(&fe, "filter");
                    assert_eq!(fe, fb, "filter of slice {off}+{len}");
                }
            }
        });
    }
}

#[test]
fn take_agrees() {
    let alloc = LockFreeAllocator::new();
    let mut rng = Rng::new(2);
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "take", |e, b| {
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                let mut index_sets: Vec<UInt32Array> = vec![
                    (0..len as u32).rev().collect::<Vec<_>>().into(),
                    UInt32Array::from(Vec::<u32>::new()),
                ];
                if len > 0 {
                    // Random, repeated, and NULL indices.
                    index_sets.push(
                        (0..len * 2)
                            .map(|_| (!rng.chance(10)).then(|| rng.below(len) as u32))
                            .collect(),
                    );
                }
                for idx in &index_sets {
                    let te = arrow_select::take::take_record_batch(&es, idx).unwrap();
                    let tb = arrow_select::take::take_record_batch(&bs, idx).unwrap();
                    validate(&te, "take");
                    assert_eq!(te, tb, "take from slice {off}+{len}");
                    // Per array too (`take` on `dyn Array`).
                    for c in 0..es.num_columns() {
                        let ae = arrow_select::take::take(es.column(c), idx, None).unwrap();
                        let ab = arrow_select::take::take(bs.column(c), idx, None).unwrap();
                        assert_eq!(&ae, &ab, "take of column {c}");
                    }
                }
            }
        });
    }
}

#[test]
fn concat_agrees_exported_with_exported_and_with_built() {
    let alloc = LockFreeAllocator::new();
    for (model, opts) in kernel_fixture() {
        // A second export of the same data, from another chunk, alive
        // across the whole kernel.
        let before = alloc.stats().chunks_returned;
        let types: Vec<FieldType> = model.iter().map(|m| m.ty).collect();
        let mut chk = alloc.alloc(&types, KERNEL_ROWS, 1024);
        fill(&mut chk, &model);
        let other = chk.into_record_batch_with(&opts).unwrap();
        on_both(&alloc, &model, &opts, "concat", |e, b| {
            assert_eq!(alloc.stats().exported_chunks, 2);
            let schema = e.schema();
            let cuts = [(0, KERNEL_ROWS), (3, 50), (61, 70), (KERNEL_ROWS, 0)];
            for &(o1, l1) in &cuts {
                for &(o2, l2) in &cuts {
                    let (e1, e2, b1, b2) = (
                        e.slice(o1, l1),
                        other.slice(o2, l2),
                        b.slice(o1, l1),
                        b.slice(o2, l2),
                    );
                    let want = arrow_select::concat::concat_batches(&schema, [&b1, &b2]).unwrap();
                    let ee = arrow_select::concat::concat_batches(&schema, [&e1, &e2]).unwrap();
                    let eb = arrow_select::concat::concat_batches(&schema, [&e1, &b2]).unwrap();
                    let be = arrow_select::concat::concat_batches(&schema, [&b1, &e2]).unwrap();
                    validate(&ee, "concat");
                    validate(&eb, "concat");
                    assert_eq!(ee, want, "exported {o1}+{l1} ++ exported {o2}+{l2}");
                    assert_eq!(eb, want, "exported {o1}+{l1} ++ built {o2}+{l2}");
                    assert_eq!(be, want, "built {o1}+{l1} ++ exported {o2}+{l2}");
                }
            }
            // Three pieces, one array at a time (`concat`).
            for c in 0..e.num_columns() {
                let parts_e = [e.slice(5, 20), other.slice(0, 9), e.slice(150, 50)];
                let parts_b = [b.slice(5, 20), b.slice(0, 9), b.slice(150, 50)];
                let ae: Vec<&dyn Array> = parts_e.iter().map(|p| p.column(c).as_ref()).collect();
                let ab: Vec<&dyn Array> = parts_b.iter().map(|p| p.column(c).as_ref()).collect();
                let ce = arrow_select::concat::concat(&ae).unwrap();
                let cb = arrow_select::concat::concat(&ab).unwrap();
                assert_eq!(&ce, &cb, "concat of column {c}");
            }
        });
        drop(other);
        let s = alloc.stats();
        assert_eq!((s.exported_chunks, s.chunks_returned), (0, before + 2));
    }
}

/// `sum`, `min`, `max` of column `a` of both batches, as text (floats
/// compare by their exact debug form, NaN included).
fn aggregates(e: &dyn Array, b: &dyn Array) -> (String, String) {
    macro_rules! num {
        ($t:ty) => {{
            let f = |a: &dyn Array| {
                let p = a.as_primitive::<$t>();
                format!(
                    "sum {:?} min {:?} max {:?}",
                    aggregate::sum(p),
                    aggregate::min(p),
                    aggregate::max(p)
                )
            };
            (f(e), f(b))
        }};
    }
    macro_rules! text {
        ($as:ident, $min:ident, $max:ident $(, $o:ty)?) => {{
            let f = |a: &dyn Array| {
                let p = a.$as$(::<$o>)?();
                format!("min {:?} max {:?}", aggregate::$min(p), aggregate::$max(p))
            };
            (f(e), f(b))
        }};
    }
    match e.data_type() {
        DataType::Int8 => num!(Int8Type),
        DataType::Int16 => num!(Int16Type),
        DataType::Int32 => num!(Int32Type),
        DataType::Int64 => num!(Int64Type),
        DataType::UInt8 => num!(UInt8Type),
        DataType::UInt16 => num!(UInt16Type),
        DataType::UInt32 => num!(UInt32Type),
        DataType::UInt64 => num!(UInt64Type),
        DataType::Float32 => num!(Float32Type),
        DataType::Float64 => num!(Float64Type),
        DataType::Duration(TimeUnit::Nanosecond) => num!(DurationNanosecondType),
        DataType::Boolean => {
            let f = |a: &dyn Array| {
                let p = a.as_boolean();
                format!(
                    "min {:?} max {:?} and {:?} or {:?}",
                    aggregate::min_boolean(p),
                    aggregate::max_boolean(p),
                    aggregate::bool_and(p),
                    aggregate::bool_or(p)
                )
            };
            (f(e), f(b))
        }
        DataType::Utf8 => text!(as_string, min_string, max_string, i32),
        DataType::LargeUtf8 => text!(as_string, min_string, max_string, i64),
        DataType::Binary => text!(as_binary, min_binary, max_binary, i32),
        DataType::LargeBinary => text!(as_binary, min_binary, max_binary, i64),
        DataType::FixedSizeBinary(_) => {
            text!(
                as_fixed_size_binary,
                min_fixed_size_binary,
                max_fixed_size_binary
            )
        }
        other => panic!("no aggregate for {other:?}"),
    }
}

#[test]
fn sum_min_max_agree() {
    let alloc = LockFreeAllocator::new();
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "aggregates", |e, b| {
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                for (c, m) in model.iter().enumerate() {
                    let (ae, ab) = aggregates(es.column(c).as_ref(), bs.column(c).as_ref());
                    assert_eq!(ae, ab, "column {c} ({:?}) of slice {off}+{len}", m.ty);
                }
            }
            // The model agrees on one: the wrapping sum of the I32 column.
            let c = model.iter().position(|m| m.ty == FieldType::I32).unwrap();
            let want = model[c]
                .rows
                .iter()
                .flatten()
                .map(|v| i32::from_ne_bytes(v[..].try_into().unwrap()))
                .fold(0i32, i32::wrapping_add);
            let got = aggregate::sum(e.column(c).as_primitive::<Int32Type>());
            assert_eq!(got, Some(want));
        });
    }
}

#[test]
fn sort_agrees() {
    let alloc = LockFreeAllocator::new();
    let options = [
        None,
        Some(SortOptions {
            descending: true,
            nulls_first: false,
        }),
        Some(SortOptions {
            descending: false,
            nulls_first: false,
        }),
    ];
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "sort", |e, b| {
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                for c in 0..es.num_columns() {
                    for o in options {
                        let (ae, ab) = (es.column(c), bs.column(c));
                        let ie = sort_to_indices(ae, o, None).unwrap();
                        let ib = sort_to_indices(ab, o, None).unwrap();
                        assert_eq!(ie, ib, "sort_to_indices column {c} slice {off}+{len}");
                        let limited = sort_to_indices(ae, o, Some(7)).unwrap();
                        assert_eq!(limited, sort_to_indices(ab, o, Some(7)).unwrap());
                        let se = sort(ae, o).unwrap();
                        se.to_data().validate_full().unwrap();
                        assert_eq!(&se, &sort(ab, o).unwrap(), "sort column {c}");
                    }
                }
                // Several columns at once: Bool, Utf8 (descending), I16,
                // F64, Decimal, Binary.
                let keys = |batch: &RecordBatch| -> Vec<SortColumn> {
                    [
                        (FieldType::BOOL, None),
                        (FieldType::UTF8, options[1]),
                        (FieldType::I16, None),
                        (FieldType::F64, options[2]),
                        (FieldType::DECIMAL, None),
                        (FieldType::BINARY, options[1]),
                    ]
                    .iter()
                    .map(|&(ty, options)| SortColumn {
                        values: batch
                            .column(model.iter().position(|m| m.ty == ty).unwrap())
                            .clone(),
                        options,
                    })
                    .collect()
                };
                let ie = lexsort_to_indices(&keys(&es), None).unwrap();
                let ib = lexsort_to_indices(&keys(&bs), None).unwrap();
                assert_eq!(ie, ib, "lexsort of slice {off}+{len}");
                // And the sorted batch, by `take`.
                let te = arrow_select::take::take_record_batch(&es, &ie).unwrap();
                let tb = arrow_select::take::take_record_batch(&bs, &ib).unwrap();
                assert_eq!(te, tb);
            }
        });
    }
}

#[test]
fn cast_agrees() {
    use arrow_cast::cast::{can_cast_types, cast};
    let alloc = LockFreeAllocator::new();
    // (from the column of this type, to), all supported by arrow-cast.
    let casts = [
        (FieldType::I32, DataType::Int64),
        (FieldType::I64, DataType::Utf8),
        (FieldType::I16, DataType::LargeUtf8),
        (FieldType::U8, DataType::Float64),
        (FieldType::U64, DataType::Int32),
        (FieldType::F32, DataType::Float64),
        (FieldType::F64, DataType::Utf8),
        (FieldType::F64, DataType::Int16),
        (FieldType::BOOL, DataType::Int32),
        (FieldType::BOOL, DataType::Utf8),
        (FieldType::DATE, DataType::Float64),
        (FieldType::DURATION, DataType::Int64),
        (FieldType::UTF8, DataType::Utf8),
        (FieldType::UTF8, DataType::LargeUtf8),
        (FieldType::UTF8, DataType::Utf8View),
        (FieldType::UTF8, DataType::Int64),
        (FieldType::UTF8, DataType::Float32),
        (FieldType::UTF8, DataType::LargeBinary),
        (FieldType::BINARY, DataType::Binary),
        (FieldType::BINARY, DataType::LargeBinary),
        (FieldType::BINARY, DataType::Utf8),
        (FieldType::DECIMAL, DataType::Binary),
        (FieldType::fixed(3).unwrap(), DataType::LargeBinary),
    ];
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "cast", |e, b| {
            for (off, len) in slices(KERNEL_ROWS) {
                let (es, bs) = (e.slice(off, len), b.slice(off, len));
                for (ty, to) in &casts {
                    let c = model.iter().position(|m| m.ty == *ty).unwrap();
                    let (ae, ab) = (es.column(c), bs.column(c));
                    assert!(
                        can_cast_types(ae.data_type(), to),
                        "{:?} to {to:?}",
                        ae.data_type()
                    );
                    // Strings that are not numbers, bytes that are not
                    // UTF-8: NULL under the default (safe) options, or an
                    // error; both sides alike either way.
                    match (cast(ae, to), cast(ab, to)) {
                        (Ok(ce), Ok(cb)) => {
                            ce.to_data().validate_full().unwrap();
                            assert_eq!(&ce, &cb, "cast {ty:?} to {to:?} of {off}+{len}");
                        }
                        (Err(xe), Err(xb)) => assert_eq!(xe.to_string(), xb.to_string()),
                        (re, rb) => panic!("cast {ty:?} to {to:?}: {re:?} vs {rb:?}"),
                    }
                }
            }
        });
    }
}

#[test]
fn ipc_round_trip_agrees() {
    use arrow_ipc::reader::StreamReader;
    use arrow_ipc::writer::StreamWriter;
    let alloc = LockFreeAllocator::new();
    for (model, opts) in kernel_fixture() {
        on_both(&alloc, &model, &opts, "ipc", |e, b| {
            let write = |batches: &[RecordBatch]| -> Vec<u8> {
                let mut out = Vec::new();
                let mut w = StreamWriter::try_new(&mut out, &e.schema()).unwrap();
                for batch in batches {
                    w.write(batch).unwrap();
                }
                w.finish().unwrap();
                drop(w);
                out
            };
            let read = |bytes: &[u8]| -> Vec<RecordBatch> {
                StreamReader::try_new(std::io::Cursor::new(bytes), None)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            };
            let parts = |batch: &RecordBatch| -> Vec<RecordBatch> {
                slices(KERNEL_ROWS)
                    .into_iter()
                    .map(|(off, len)| batch.slice(off, len))
                    .collect()
            };
            let (pe, pb) = (parts(e), parts(b));
            let back_e = read(&write(&pe));
            let back_b = read(&write(&pb));
            assert_eq!(back_e.len(), pe.len());
            for (i, (re, rb)) in back_e.iter().zip(&back_b).enumerate() {
                validate(re, "ipc");
                assert_eq!(re.schema(), e.schema(), "the metadata travels");
                assert_eq!(re, &pb[i], "read back part {i}");
                assert_eq!(re, rb, "part {i}");
            }
        });
    }
}

#[test]
fn kernel_results_that_share_buffers_hold_the_chunk_across_threads() {
    let alloc = LockFreeAllocator::new();
    let (model, opts) = kernel_fixture().swap_remove(0);
    let types: Vec<FieldType> = model.iter().map(|m| m.ty).collect();
    let mut chk = alloc.alloc(&types, KERNEL_ROWS, 1024);
    fill(&mut chk, &model);
    let ptrs = data_ptrs(&chk);
    let batch = chk.into_record_batch_with(&opts).unwrap();
    // Results that may keep our buffers (arrow shares where it can: a
    // filter that keeps everything, a cast to the same type, a slice) and
    // results that copy.
    let all = BooleanArray::from(vec![true; KERNEL_ROWS]);
    let kept = arrow_select::filter::filter_record_batch(
        &batch.slice(2, KERNEL_ROWS - 2),
        &all.slice(2, KERNEL_ROWS - 2),
    )
    .unwrap();
    let same = arrow_cast::cast::cast(batch.column(3), &DataType::Int64).unwrap();
    let sorted = sort(batch.column(16), None).unwrap();
    drop(batch);
    let s = alloc.stats();
    assert_eq!(
        (s.exported_chunks, s.chunks_returned),
        (1, 0),
        "results hold it"
    );
    check_against_model(&kept, &model, 2, &opts);
    let other = std::thread::spawn(move || {
        assert_eq!(same.len(), KERNEL_ROWS);
        drop((kept, same, sorted));
    });
    other.join().unwrap();
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 1));
    // The other thread cached it (and flushed it to the depot as it ended).
    assert_eq!(s.retained_chunks, 1);
    let back = alloc.alloc(&types, KERNEL_ROWS, 1024);
    assert_eq!(data_ptrs(&back), ptrs, "the very buffers come back");
}

#[test]
fn arrow_never_writes_nor_takes_the_pooled_buffers() {
    // Arrow reuses a uniquely held buffer in place where it can
    // (`unary_mut`, `into_builder`, `into_mutable`, `into_vec`); a buffer
    // over pooled memory is a custom allocation, which it must refuse.
    let alloc = LockFreeAllocator::new();
    let mut chk = alloc.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8);
    chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    chk.column_mut(1).extend_str(["a", "bc", ""]);
    let ptrs = data_ptrs(&chk);
    let (_, mut arrays, _) = chk.into_record_batch().unwrap().into_parts();
    let strings = arrays.pop().unwrap().as_string::<i64>().clone();
    let ints = arrays.pop().unwrap().as_primitive::<Int64Type>().clone();
    // Each array is now the only holder of its buffers.
    let ints = ints.unary_mut(|x| x + 100).unwrap_err();
    assert_eq!(ints.values(), &[1, 2, 3], "written in place");
    let ints = ints.into_builder().unwrap_err();
    let (_, values, _) = ints.into_parts();
    let values = values.into_inner().into_vec::<i64>().unwrap_err();
    let values = values.into_mutable().unwrap_err();
    assert_eq!(values.as_ptr() as usize, ptrs[0]);
    let strings = strings.into_builder().unwrap_err();
    assert_eq!(strings.value(1), "bc");
    assert_eq!(alloc.stats().exported_chunks, 1);
    drop((values, strings));
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 1));
    let back = alloc.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8);
    assert_eq!(data_ptrs(&back), ptrs);
}

#[test]
fn a_bool_array_without_nulls_is_a_copy_and_holds_nothing() {
    // The docs' types table: Bool's values are packed (copied). Without
    // NULLs that copy is the array's only buffer, so it does not keep the
    // chunk; with NULLs the shared validity bitmap does.
    let alloc = LockFreeAllocator::new();
    let mut chk = alloc.alloc(&[FieldType::BOOL, FieldType::BOOL, FieldType::I8], 8, 8);
    for r in 0..5 {
        chk.column_mut(0).append_bool(r % 2 == 0);
        if r == 3 {
            chk.column_mut(1).append_null();
        } else {
            chk.column_mut(1).append_bool(true);
        }
        chk.column_mut(2).append_i8(r);
    }
    let batch = chk.into_record_batch().unwrap();
    let (plain, with_nulls) = (batch.column(0).clone(), batch.column(1).clone());
    drop(batch);
    assert_eq!(
        alloc.stats().exported_chunks,
        1,
        "the validity bitmap holds it"
    );
    drop(with_nulls);
    let s = alloc.stats();
    assert_eq!((s.exported_chunks, s.chunks_returned), (0, 1));
    let plain = plain.as_boolean();
    assert_eq!(
        plain.values().iter().collect::<Vec<_>>(),
        [true, false, true, false, true]
    );
}
