//! Making one batch column at a time and exporting it, from source arrays
//! already in Arrow's layout (a decoded page, another operator's output):
//! 8192 rows of `id` i64, `price` f64, `qty` i32 and `name` text (24 or
//! 200 bytes a row on average, one in eight NULL), then dropped.
//!
//! * `chunkpool bulk`: a pooled chunk filled with `extend_from_slice` and
//!   `extend_str_from_parts`, exported with `into_record_batch_as`;
//! * `chunkpool per row`: the same chunk, the text appended row by row
//!   with `append_option_str`;
//! * `chunkpool append_record_batch`: the pooled chunk filled from the
//!   source as an arrow `RecordBatch` (the import, which trusts arrow's
//!   own checks of its arrays), then exported;
//! * `arrow append_array`: arrow's builders sized exactly, filled with
//!   `append_slice` and `append_array`: fresh buffers every batch.
//!
//! And the text column alone, no pool and no export: `owned chunk, text
//! bulk only` (`extend_str_from_parts` into a chunk the bench owns and
//! resets: parts of unknown origin, checked), `owned chunk, text from
//! array only` (`Column::extend_from_array` of the source array, on the
//! word of arrow's checks), `arrow append_array, text only`, and `owned
//! Vec, text memcpy only` (the bytes copied into a reused `Vec`: the
//! physical floor).
//!
//! `cargo bench -p chunkpool-bench --bench fill -- --quick`

use arrow_array::builder::{Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::SchemaRef;
use chunkpool::{export_schema, ChunkAllocator, ExportOptions, FieldType, LockFreeAllocator};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;

const ROWS: usize = 8192;
const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::UTF8,
];

/// The source columns.
struct Source {
    id: Vec<i64>,
    price: Vec<f64>,
    qty: Vec<i32>,
    name: LargeStringArray,
}

fn source(avg: usize) -> Source {
    let mut x = 0x5eed_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let text = "abcdefghijklmnopqrstuvwxyz".repeat(2 * avg / 26 + 1);
    let name = (0..ROWS)
        .map(|_| {
            let len = (next() % (2 * avg as u64 + 1)) as usize;
            (next() % 8 != 0).then(|| &text[..len])
        })
        .collect();
    Source {
        id: (0..ROWS as i64).collect(),
        price: (0..ROWS).map(|r| r as f64 * 0.25).collect(),
        qty: (0..ROWS).map(|_| (next() % 50) as i32 + 1).collect(),
        name,
    }
}

fn pooled(
    pool: &LockFreeAllocator,
    s: &Source,
    schema: &SchemaRef,
    text: &str,
    bulk: bool,
) -> RecordBatch {
    let mut chk = pool.alloc(&FIELDS, ROWS, ROWS);
    chk.column_mut(0).extend_from_slice(&s.id);
    chk.column_mut(1).extend_from_slice(&s.price);
    chk.column_mut(2).extend_from_slice(&s.qty);
    let validity = s.name.nulls().map(|n| n.validity());
    if bulk {
        chk.column_mut(3)
            .extend_str_from_parts(s.name.value_offsets(), text, validity);
    } else {
        let col = chk.column_mut(3);
        for v in s.name.iter() {
            col.append_option_str(v);
        }
    }
    chk.into_record_batch_as(schema).expect("export")
}

fn builders(s: &Source, schema: &SchemaRef) -> RecordBatch {
    let mut id = Int64Builder::with_capacity(ROWS);
    let mut price = Float64Builder::with_capacity(ROWS);
    let mut qty = Int32Builder::with_capacity(ROWS);
    let mut name = LargeStringBuilder::with_capacity(ROWS, s.name.values().len());
    id.append_slice(&s.id);
    price.append_slice(&s.price);
    qty.append_slice(&s.qty);
    name.append_array(&s.name).expect("append_array");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(price.finish()),
        Arc::new(qty.finish()),
        Arc::new(name.finish()),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns).expect("batch")
}

fn fill(c: &mut Criterion) {
    let schema: SchemaRef =
        Arc::new(export_schema(&FIELDS, &ExportOptions::new()).expect("schema"));
    for avg in [24, 200] {
        let s = source(avg);
        let text = std::str::from_utf8(s.name.values()).expect("ASCII");
        let pool = LockFreeAllocator::new();
        let mut g = c.benchmark_group(format!("fill 8192 rows, {avg} B text"));
        g.throughput(Throughput::Elements(ROWS as u64));
        g.bench_function("chunkpool bulk", |b| {
            b.iter(|| drop(black_box(pooled(&pool, &s, &schema, text, true))));
        });
        g.bench_function("owned chunk, text bulk only", |b| {
            let mut chk = chunkpool::Chunk::new(&FIELDS[3..], ROWS, ROWS);
            let validity = s.name.nulls().map(|n| n.validity());
            b.iter(|| {
                chk.reset();
                chk.column_mut(0)
                    .extend_str_from_parts(s.name.value_offsets(), text, validity);
                black_box(&chk);
            });
        });
        g.bench_function("owned chunk, text from array only", |b| {
            let mut chk = chunkpool::Chunk::new(&FIELDS[3..], ROWS, ROWS);
            b.iter(|| {
                chk.reset();
                chk.column_mut(0).extend_from_array(&s.name);
                black_box(&chk);
            });
        });
        g.bench_function("owned Vec, text memcpy only", |b| {
            let mut v: Vec<u8> = Vec::with_capacity(4 << 20);
            b.iter(|| {
                v.clear();
                v.extend_from_slice(s.name.values());
                black_box(&v);
            });
        });
        g.bench_function("arrow append_array, text only", |b| {
            b.iter(|| {
                let mut name = LargeStringBuilder::with_capacity(ROWS, s.name.values().len());
                name.append_array(&s.name).expect("append_array");
                black_box(name.finish())
            });
        });
        g.bench_function("chunkpool per row", |b| {
            b.iter(|| drop(black_box(pooled(&pool, &s, &schema, text, false))));
        });
        let source_batch = builders(&s, &schema);
        g.bench_function("chunkpool append_record_batch", |b| {
            b.iter(|| {
                let mut chk = pool.alloc(&FIELDS, ROWS, ROWS);
                chk.append_record_batch(&source_batch);
                drop(black_box(
                    chk.into_record_batch_as(&schema).expect("export"),
                ));
            });
        });
        g.bench_function("arrow append_array", |b| {
            b.iter(|| drop(black_box(builders(&s, &schema))));
        });
        g.finish();
    }
}

criterion_group!(benches, fill);
criterion_main!(benches);
