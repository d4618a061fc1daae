//! The data model the Arrow interop tests share (feature `arrow`): a
//! seeded PRNG, random columns of every logical type with their expected
//! cells, the same data built with arrow's builders, and checks that read
//! a batch back through arrow's accessors. Included by
//! the Arrow tests as `mod common { pub mod arrow_model; }`.
#![allow(dead_code)]

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, GenericBinaryBuilder, GenericStringBuilder,
    PrimitiveBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, DurationNanosecondType, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use chunkpool::{
    arrow_type, Chunk, ChunkAllocator, Column, ExportOptions, FieldType, LockFreeAllocator,
    LogicalType, MutexAllocator, Stats,
};
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Random data and its model
// ---------------------------------------------------------------------------

/// xorshift64*, seeded through splitmix64 so that nearby seeds diverge.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias does not matter here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

/// Every logical type, raw fixed bytes of three widths included.
pub fn all_types() -> Vec<FieldType> {
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
pub fn random_type(rng: &mut Rng) -> FieldType {
    let types = all_types();
    match rng.below(types.len() + 2) {
        i if i < types.len() => types[i],
        i if i == types.len() => FieldType::fixed(1 + rng.below(64)).unwrap(),
        _ => FieldType::fixed(1024).unwrap(),
    }
}

/// Pieces strings are made of: empty, ASCII, 2-, 3- and 4-byte UTF-8, NUL.
pub const PIECES: &[&str] = &[
    "", "a", "Zz", "é", "ß", "日本", "語", "🦀", "\u{0}", " ", "0.5", "42",
];

/// One random non-NULL value of `ty`, as the column stores it.
pub fn random_value(rng: &mut Rng, ty: FieldType) -> Vec<u8> {
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
pub struct ColModel {
    pub ty: FieldType,
    pub rows: Vec<Option<Vec<u8>>>,
}

/// `rows` random rows of each of `types`, with NULLs at a random rate per
/// column (none, few, half, all).
pub fn random_model(rng: &mut Rng, types: &[FieldType], rows: usize) -> Vec<ColModel> {
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
pub fn fill(chk: &mut Chunk, model: &[ColModel]) {
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
pub fn build_array(m: &ColModel, small_offsets: bool) -> ArrayRef {
    pub fn prim<T: ArrowPrimitiveType>(
        m: &ColModel,
        decode: impl Fn(&[u8]) -> T::Native,
    ) -> ArrayRef {
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
    pub fn strings<O: arrow_array::OffsetSizeTrait>(m: &ColModel) -> ArrayRef {
        let mut b = GenericStringBuilder::<O>::new();
        for v in &m.rows {
            b.append_option(v.as_deref().map(|s| std::str::from_utf8(s).unwrap()));
        }
        Arc::new(b.finish())
    }
    pub fn binaries<O: arrow_array::OffsetSizeTrait>(m: &ColModel) -> ArrayRef {
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
pub fn build_batch(model: &[ColModel], schema: SchemaRef, small_offsets: bool) -> RecordBatch {
    let arrays = model
        .iter()
        .map(|m| build_array(m, small_offsets))
        .collect();
    RecordBatch::try_new(schema, arrays).expect("the builders' types match the export's")
}

/// The bytes arrow shows for row `r`, as the column stored them.
pub fn arrow_cell(a: &dyn Array, r: usize) -> Option<Vec<u8>> {
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
pub fn check_against_model(
    batch: &RecordBatch,
    model: &[ColModel],
    off: usize,
    opts: &ExportOptions,
) {
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
pub fn validate(batch: &RecordBatch, what: &str) {
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
pub enum Pool {
    LockFree(LockFreeAllocator),
    Mutex(MutexAllocator),
}

impl Pool {
    pub fn alloc(&self, types: &[FieldType], capacity: usize) -> Chunk {
        match self {
            Pool::LockFree(a) => a.alloc(types, capacity, 1024),
            Pool::Mutex(a) => a.alloc(types, capacity, 1024),
        }
    }

    pub fn stats(&self) -> Stats {
        match self {
            Pool::LockFree(a) => a.stats(),
            Pool::Mutex(a) => a.stats(),
        }
    }
}

/// Columns freed rather than cached, of any cause: while none is, every
/// buffer of a returned chunk is in the pool.
pub fn discarded(s: &Stats) -> u64 {
    s.discarded_over_limit + s.discarded_oversize + s.discarded_avoid_reuse + s.discarded_too_small
}

/// The addresses of a chunk's data buffers.
pub fn data_ptrs(chk: &Chunk) -> Vec<usize> {
    chk.columns()
        .map(|c| Column::data_ptr(c) as usize)
        .collect()
}
