//! Arrow export checked by arrow itself (issue 12, part 5; feature
//! `arrow`): batches exported from pooled chunks pass arrow's full
//! validation, and arrow's own kernels (filter, take, concat, sum/min/max,
//! sort, cast, an IPC round trip) give the same results on them, whole and
//! sliced, as on the same data built with arrow's builders. A property test
//! exports random chunks, reads every value back through arrow's
//! accessors, drops the batch (or a slice, or cloned arrays) on another
//! thread, and checks that the chunk came home to its pool.
//!
//! The kernels come from test-only dev-dependencies (`arrow-select`,
//! `arrow-arith`, `arrow-ord`, `arrow-cast`, `arrow-ipc`); Cargo.toml says
//! why and what they cost to build.
#![cfg(feature = "arrow")]

use arrow_arith::aggregate;
use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, GenericBinaryBuilder, GenericStringBuilder,
    PrimitiveBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, DurationNanosecondType, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow_ord::sort::{lexsort_to_indices, sort, sort_to_indices, SortColumn, SortOptions};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use chunkpool::{
    arrow_type, Chunk, ChunkAllocator, Column, ExportOptions, FieldType, LockFreeAllocator,
    LogicalType, MutexAllocator, Stats,
};
use std::collections::BTreeSet;
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Random data and its model
// ---------------------------------------------------------------------------

/// xorshift64*, seeded through splitmix64 so that nearby seeds diverge.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias does not matter here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

/// Every logical type, raw fixed bytes of three widths included.
fn all_types() -> Vec<FieldType> {
    vec![
        FieldType::I8,
        FieldType::I16,
        FieldType::I32,
        FieldType::I64,
        FieldType::U8,
        FieldType::U16,
        FieldType::U32,
        FieldType::U64,
        FieldType::F32,
        FieldType::F64,
        FieldType::BOOL,
        FieldType::DATE,
        FieldType::DATETIME,
        FieldType::TIMESTAMP,
        FieldType::DURATION,
        FieldType::DECIMAL,
        FieldType::UTF8,
        FieldType::BINARY,
        FieldType::fixed(1).unwrap(),
        FieldType::fixed(3).unwrap(),
        FieldType::fixed(1024).unwrap(),
    ]
}

/// A random logical type, fixed widths of 1 to 64 bytes (and now and then
/// the largest, 1024) among them.
fn random_type(rng: &mut Rng) -> FieldType {
    let types = all_types();
    match rng.below(types.len() + 2) {
        i if i < types.len() => types[i],
        i if i == types.len() => FieldType::fixed(1 + rng.below(64)).unwrap(),
        _ => FieldType::fixed(1024).unwrap(),
    }
}

/// Pieces strings are made of: empty, ASCII, 2-, 3- and 4-byte UTF-8, NUL.
const PIECES: &[&str] = &[
    "", "a", "Zz", "é", "ß", "日本", "語", "🦀", "\u{0}", " ", "0.5", "42",
];

/// One random non-NULL value of `ty`, as the column stores it.
fn random_value(rng: &mut Rng, ty: FieldType) -> Vec<u8> {
    // Small values now and then, so that sorts and min/max meet ties.
    let small = rng.chance(30);
    let int = if small {
        rng.below(7) as u64
    } else {
        rng.next()
    };
    match ty.logical() {
        LogicalType::Bool => vec![u8::from(rng.chance(50))],
        LogicalType::Float32 => {
            let v = match rng.below(10) {
                0 => f32::NAN,
                1 => -0.0,
                2 => f32::INFINITY,
                3 => f32::NEG_INFINITY,
                4 => int as f32,
                _ => (rng.next() as i64 as f32) / 1e12,
            };
            v.to_ne_bytes().to_vec()
        }
        LogicalType::Float64 => {
            let v = match rng.below(10) {
                0 => f64::NAN,
                1 => -0.0,
                2 => f64::INFINITY,
                3 => f64::MIN_POSITIVE,
                4 => int as f64,
                _ => (rng.next() as i64 as f64) / 1e9,
            };
            v.to_ne_bytes().to_vec()
        }
        LogicalType::Utf8 => {
            let n = rng.below(6);
            (0..n)
                .map(|_| *rng.pick(PIECES))
                .collect::<String>()
                .into_bytes()
        }
        LogicalType::Binary => {
            let n = rng.below(12);
            (0..n)
                .map(|_| if small { 0xff } else { rng.next() as u8 })
                .collect()
        }
        _ => {
            let size = ty.elem_size().unwrap();
            if size <= 8 {
                int.to_ne_bytes()[..size].to_vec()
            } else {
                (0..size).map(|_| rng.next() as u8).collect()
            }
        }
    }
}

/// A generated column: its type and its rows (`None` for NULL), each value
/// as the column stores it.
#[derive(Clone, Debug)]
struct ColModel {
    ty: FieldType,
    rows: Vec<Option<Vec<u8>>>,
}

/// `rows` random rows of each of `types`, with NULLs at a random rate per
/// column (none, few, half, all).
fn random_model(rng: &mut Rng, types: &[FieldType], rows: usize) -> Vec<ColModel> {
    types
        .iter()
        .map(|&ty| {
            let null_pct = *rng.pick(&[0, 5, 50, 100]);
            let rows = (0..rows)
                .map(|_| (!rng.chance(null_pct)).then(|| random_value(rng, ty)))
                .collect();
            ColModel { ty, rows }
        })
        .collect()
}

/// Appends the model's rows to the chunk's (empty) columns.
fn fill(chk: &mut Chunk, model: &[ColModel]) {
    for (c, m) in model.iter().enumerate() {
        let col = chk.column_mut(c);
        assert_eq!(col.field_type(), m.ty);
        for v in &m.rows {
            match (m.ty.logical(), v) {
                (_, None) => col.append_null(),
                (LogicalType::Bool, Some(b)) => col.append_bool(b[0] != 0),
                (LogicalType::Utf8, Some(b)) => col.append_str(std::str::from_utf8(b).unwrap()),
                (LogicalType::Binary, Some(b)) => col.append_bytes(b),
                (_, Some(b)) => col.append_fixed_bytes(b),
            }
        }
    }
}

/// The model's column as arrow's builders make it, of the type the docs
/// name for `ty` (decided here, not by [`arrow_type`], so a mismatch shows).
fn build_array(m: &ColModel, small_offsets: bool) -> ArrayRef {
    fn prim<T: ArrowPrimitiveType>(m: &ColModel, decode: impl Fn(&[u8]) -> T::Native) -> ArrayRef {
        let mut b = PrimitiveBuilder::<T>::with_capacity(m.rows.len());
        for v in &m.rows {
            b.append_option(v.as_deref().map(&decode));
        }
        Arc::new(b.finish())
    }
    macro_rules! ne {
        ($t:ty) => {
            |b: &[u8]| <$t>::from_ne_bytes(b.try_into().unwrap())
        };
    }
    fn strings<O: arrow_array::OffsetSizeTrait>(m: &ColModel) -> ArrayRef {
        let mut b = GenericStringBuilder::<O>::new();
        for v in &m.rows {
            b.append_option(v.as_deref().map(|s| std::str::from_utf8(s).unwrap()));
        }
        Arc::new(b.finish())
    }
    fn binaries<O: arrow_array::OffsetSizeTrait>(m: &ColModel) -> ArrayRef {
        let mut b = GenericBinaryBuilder::<O>::new();
        for v in &m.rows {
            b.append_option(v.as_deref());
        }
        Arc::new(b.finish())
    }
    match m.ty.logical() {
        LogicalType::Int8 => prim::<Int8Type>(m, ne!(i8)),
        LogicalType::Int16 => prim::<Int16Type>(m, ne!(i16)),
        LogicalType::Int32 => prim::<Int32Type>(m, ne!(i32)),
        LogicalType::Int64 | LogicalType::Date | LogicalType::Datetime | LogicalType::Timestamp => {
            prim::<Int64Type>(m, ne!(i64))
        }
        LogicalType::UInt8 => prim::<UInt8Type>(m, ne!(u8)),
        LogicalType::UInt16 => prim::<UInt16Type>(m, ne!(u16)),
        LogicalType::UInt32 => prim::<UInt32Type>(m, ne!(u32)),
        LogicalType::UInt64 => prim::<UInt64Type>(m, ne!(u64)),
        LogicalType::Float32 => prim::<Float32Type>(m, ne!(f32)),
        LogicalType::Float64 => prim::<Float64Type>(m, ne!(f64)),
        LogicalType::Duration => prim::<DurationNanosecondType>(m, ne!(i64)),
        LogicalType::Bool => {
            let mut b = BooleanBuilder::with_capacity(m.rows.len());
            for v in &m.rows {
                b.append_option(v.as_ref().map(|v| v[0] != 0));
            }
            Arc::new(b.finish())
        }
        LogicalType::Decimal | LogicalType::FixedBytes(_) => {
            let size = m.ty.elem_size().unwrap() as i32;
            let mut b = FixedSizeBinaryBuilder::with_capacity(m.rows.len(), size);
            for v in &m.rows {
                match v {
                    Some(v) => b.append_value(v).unwrap(),
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        LogicalType::Utf8 if small_offsets => strings::<i32>(m),
        LogicalType::Utf8 => strings::<i64>(m),
        LogicalType::Binary if small_offsets => binaries::<i32>(m),
        LogicalType::Binary => binaries::<i64>(m),
        other => panic!("a logical type this test does not know: {other:?}"),
    }
}

/// The model as a batch built with arrow's builders, under `schema` (the
/// exported batch's: names and metadata; `try_new` checks the types).
fn build_batch(model: &[ColModel], schema: SchemaRef, small_offsets: bool) -> RecordBatch {
    let arrays = model
        .iter()
        .map(|m| build_array(m, small_offsets))
        .collect();
    RecordBatch::try_new(schema, arrays).expect("the builders' types match the export's")
}

/// The bytes arrow shows for row `r`, as the column stored them.
fn arrow_cell(a: &dyn Array, r: usize) -> Option<Vec<u8>> {
    if a.is_null(r) {
        return None;
    }
    macro_rules! prim {
        ($t:ty) => {
            a.as_primitive::<$t>().value(r).to_ne_bytes().to_vec()
        };
    }
    Some(match a.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        DataType::Duration(TimeUnit::Nanosecond) => prim!(DurationNanosecondType),
        DataType::Boolean => vec![u8::from(a.as_boolean().value(r))],
        DataType::FixedSizeBinary(_) => a.as_fixed_size_binary().value(r).to_vec(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(r).as_bytes().to_vec(),
        DataType::Utf8 => a.as_string::<i32>().value(r).as_bytes().to_vec(),
        DataType::LargeBinary => a.as_binary::<i64>().value(r).to_vec(),
        DataType::Binary => a.as_binary::<i32>().value(r).to_vec(),
        other => panic!("unexpected arrow type {other:?}"),
    })
}

/// Checks `batch` (rows `off..off + len` of the model) with arrow's full
/// validation and reads every value and NULL back through its accessors.
fn check_against_model(batch: &RecordBatch, model: &[ColModel], off: usize, opts: &ExportOptions) {
    assert_eq!(batch.num_columns(), model.len());
    for (c, m) in model.iter().enumerate() {
        let a = batch.column(c);
        assert_eq!(a.data_type(), &arrow_type(m.ty, opts), "column {c}");
        a.to_data()
            .validate_full()
            .unwrap_or_else(|e| panic!("column {c} ({:?}) at {off}: {e}", m.ty));
        let want = &m.rows[off..off + batch.num_rows()];
        let nulls = want.iter().filter(|v| v.is_none()).count();
        assert_eq!(a.null_count(), nulls, "column {c} ({:?}) at {off}", m.ty);
        for (r, v) in want.iter().enumerate() {
            assert_eq!(
                &arrow_cell(a.as_ref(), r),
                v,
                "column {c} ({:?}) row {}",
                m.ty,
                off + r
            );
        }
    }
}

/// Runs arrow's full validation on every array of `batch`.
fn validate(batch: &RecordBatch, what: &str) {
    for (c, a) in batch.columns().iter().enumerate() {
        a.to_data()
            .validate_full()
            .unwrap_or_else(|e| panic!("{what}: column {c}: {e}"));
    }
}

// ---------------------------------------------------------------------------
// The pools
// ---------------------------------------------------------------------------

/// Either allocator, for tests that run on both.
enum Pool {
    LockFree(LockFreeAllocator),
    Mutex(MutexAllocator),
}

impl Pool {
    fn alloc(&self, types: &[FieldType], capacity: usize) -> Chunk {
        match self {
            Pool::LockFree(a) => a.alloc(types, capacity, 1024),
            Pool::Mutex(a) => a.alloc(types, capacity, 1024),
        }
    }

    fn stats(&self) -> Stats {
        match self {
            Pool::LockFree(a) => a.stats(),
            Pool::Mutex(a) => a.stats(),
        }
    }
}

/// Columns freed rather than cached, of any cause: while none is, every
/// buffer of a returned chunk is in the pool.
fn discarded(s: &Stats) -> u64 {
    s.discarded_over_limit + s.discarded_oversize + s.discarded_avoid_reuse + s.discarded_too_small
}

/// The addresses of a chunk's data buffers.
fn data_ptrs(chk: &Chunk) -> Vec<usize> {
    chk.columns()
        .map(|c| Column::data_ptr(c) as usize)
        .collect()
}

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

// ---------------------------------------------------------------------------
// Property test
// ---------------------------------------------------------------------------

/// What crosses to the dropping thread.
enum Payload {
    Batch(RecordBatch),
    Slice(RecordBatch, usize),
    Arrays(Vec<(usize, ArrayRef)>),
}

/// One round of a case: a random chunk of `types` from `pool`, exported,
/// checked, dropped on this or another thread, and checked home.
/// What the property test's rounds went through, to check that each path
/// was taken.
#[derive(Debug, Default)]
struct Seen {
    rounds: usize,
    /// Dropped on the exporting thread / as the batch, a slice, cloned
    /// arrays on another.
    dropped_here: usize,
    dropped_there: [usize; 3],
    /// Rounds whose next allocation was checked to get the same buffers.
    same_buffers: usize,
}

fn round(rng: &mut Rng, pool: &Pool, types: &[FieldType], max_rows: usize, seen: &mut Seen) {
    seen.rounds += 1;
    let rows = rng.below(max_rows + 1);
    let model = random_model(rng, types, rows);
    let capacity = 1 + rng.below(max_rows + 1);
    let opts = ExportOptions::new().small_offsets(rng.chance(50));
    let mut chk = pool.alloc(types, capacity);
    // After the allocation: columns it freed as too small are not ours.
    let s0 = pool.stats();
    fill(&mut chk, &model);
    let ptrs = data_ptrs(&chk);
    let batch = chk.into_record_batch_with(&opts).unwrap();
    assert_eq!(pool.stats().exported_chunks, 1);
    check_against_model(&batch, &model, 0, &opts);
    let off = rng.below(rows + 1);
    let len = rng.below(rows - off + 1);
    check_against_model(&batch.slice(off, len), &model, off, &opts);

    let lock_free = matches!(pool, Pool::LockFree(_));
    let payload = match rng.below(4) {
        // Dropped here: on one thread the very buffers come back.
        0 => {
            drop(batch);
            let s = pool.stats();
            assert_eq!(s.exported_chunks, 0);
            assert_eq!(s.chunks_returned, s0.chunks_returned + 1);
            let again = pool.alloc(types, capacity);
            if discarded(&s) == discarded(&s0) {
                same_buffers(lock_free, &data_ptrs(&again), &ptrs);
                seen.same_buffers += 1;
            }
            seen.dropped_here += 1;
            return;
        }
        1 => Payload::Batch(batch),
        2 => {
            let slice = batch.slice(off, len);
            drop(batch);
            Payload::Slice(slice, off)
        }
        _ => {
            let n = 1 + rng.below(types.len());
            let arrays = (0..n)
                .map(|_| {
                    let c = rng.below(types.len());
                    (c, batch.column(c).clone())
                })
                .collect();
            drop(batch);
            Payload::Arrays(arrays)
        }
    };
    // `batch` is gone unless the payload is the batch: what crosses holds
    // the export, unless it is only Bool arrays without a validity buffer
    // (their values are a packed copy): then the chunk is home already.
    let arrays: Vec<&ArrayRef> = match &payload {
        Payload::Batch(b) | Payload::Slice(b, _) => b.columns().iter().collect(),
        Payload::Arrays(arrays) => arrays.iter().map(|(_, a)| a).collect(),
    };
    let holds = arrays.iter().any(|a| holds_the_chunk(a));
    seen.dropped_there[match &payload {
        Payload::Batch(_) => 0,
        Payload::Slice(..) => 1,
        Payload::Arrays(_) => 2,
    }] += 1;
    let s = pool.stats();
    assert_eq!(
        s.exported_chunks,
        usize::from(holds),
        "the payload holds it"
    );
    assert_eq!(s.chunks_returned, s0.chunks_returned + u64::from(!holds));

    std::thread::scope(|scope| {
        let (model, opts, ptrs, s0) = (&model, &opts, &ptrs, &s0);
        let dropper = scope.spawn(move || {
            // Read on this thread too, then drop here.
            match &payload {
                Payload::Batch(b) => check_against_model(b, model, 0, opts),
                Payload::Slice(b, off) => check_against_model(b, model, *off, opts),
                Payload::Arrays(arrays) => {
                    for (c, a) in arrays {
                        a.to_data().validate_full().unwrap();
                        for (r, v) in model[*c].rows.iter().enumerate() {
                            assert_eq!(&arrow_cell(a.as_ref(), r), v, "column {c} row {r}");
                        }
                    }
                }
            }
            drop(payload);
            let s = pool.stats();
            assert_eq!(s.exported_chunks, 0);
            assert_eq!(s.chunks_returned, s0.chunks_returned + 1);
            // The dropping thread allocates the same layout next: its own
            // cache (lock-free) or the pool's lists (mutex) hand back the
            // buffers, unless some were freed rather than cached.
            let again = pool.alloc(types, capacity);
            let checked = discarded(&s) == discarded(s0);
            if checked {
                same_buffers(lock_free, &data_ptrs(&again), ptrs);
            }
            checked
        });
        // Joined by hand: that waits for the thread's exit, where the
        // lock-free allocator's thread cache flushes to the shared depot.
        if dropper.join().unwrap() {
            seen.same_buffers += 1;
        }
    });
    let s = pool.stats();
    assert_eq!(s.exported_chunks, 0);
    assert_eq!(s.chunks_returned, s0.chunks_returned + 2);
    if lock_free && discarded(&s) == discarded(&s0) {
        assert!(s.retained_chunks >= 1, "the chunk is in the depot: {s:?}");
    }
}

/// Whether an exported array keeps its chunk out of the pool: every array
/// does but a Bool one without NULLs, whose one buffer (the values, packed
/// a bit a row) is a copy.
fn holds_the_chunk(a: &ArrayRef) -> bool {
    a.data_type() != &DataType::Boolean || a.nulls().is_some()
}

/// The buffers of a chunk allocated after a return are those returned: in
/// the same columns for the lock-free allocator (whole chunks), in some
/// order for the mutex allocator (columns by size class).
fn same_buffers(lock_free: bool, got: &[usize], want: &[usize]) {
    if lock_free {
        assert_eq!(got, want, "the lock-free allocator hands back the chunk");
    } else {
        let got: BTreeSet<_> = got.iter().collect();
        let want: BTreeSet<_> = want.iter().collect();
        assert_eq!(got, want, "the mutex allocator hands back the columns");
    }
}

#[test]
fn random_chunks_export_read_back_and_come_home_from_other_threads() {
    // Under Miri (not run by CI for this file, but kept cheap): a few
    // small cases.
    let (cases, max_rows) = if cfg!(miri) { (3, 20) } else { (300, 300) };
    let mut seen = Seen::default();
    for seed in 0..cases {
        let mut rng = Rng::new(seed);
        let pool = if rng.chance(20) {
            Pool::Mutex(MutexAllocator::new())
        } else {
            Pool::LockFree(LockFreeAllocator::new())
        };
        let types: Vec<FieldType> = (0..1 + rng.below(12))
            .map(|_| random_type(&mut rng))
            .collect();
        // Several rounds on one pool: later ones export recycled buffers
        // that held other data (and more rows) before.
        for _ in 0..3 {
            round(&mut rng, &pool, &types, max_rows, &mut seen);
        }
    }
    // Every path taken, and the buffer check most of the time (a column
    // is freed rather than cached only when a limit says so).
    if !cfg!(miri) {
        assert!(
            seen.dropped_here > 0 && seen.dropped_there.iter().all(|&n| n > 0),
            "{seen:?}"
        );
        assert!(seen.same_buffers * 10 >= seen.rounds * 9, "{seen:?}");
    }
}
