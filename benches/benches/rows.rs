//! Row movement against the per-row copier it replaces (issue 11): one
//! 1024-row chunk of S5's scan shape (i64, f32, a string with NULLs, TiDB's
//! 40-byte decimal), about 41% of its rows selected in runs as a filter
//! leaves them, moved into an empty chunk by
//!
//! * `append_selected`: the crate's bulk row movement;
//! * `per-row copier`: the loop an executor wrote before it (`is_null` →
//!   `append_null`, else `append_bytes(get_bytes)` /
//!   `append_fixed_bytes(get_fixed_bytes)`), as S5's filter did.
//!
//! Then a filter over a scan chunk refilled each batch: `compact in
//! place` against `append_selected` into a second chunk.
//!
//! `cargo bench -p chunkpool-bench --bench rows -- --quick`

use chunkpool::{Chunk, FieldType};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F32,
    FieldType::UTF8,
    FieldType::DECIMAL,
];

/// The source chunk and the selection (xorshift, 41% of rows).
fn source() -> (Chunk, Vec<u32>) {
    let mut src = Chunk::new(&FIELDS, 1024, 1024);
    let (mut x, mut sel) = (12345u64, Vec::new());
    for r in 0..1024u32 {
        src.column_mut(0).append_i64(i64::from(r));
        src.column_mut(1).append_f32(r as f32);
        if r % 17 == 3 {
            src.column_mut(2).append_null();
        } else {
            src.column_mut(2).append_str("some text");
        }
        src.column_mut(3).append_fixed_bytes(&[r as u8; 40]);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x % 100 < 41 {
            sel.push(r);
        }
    }
    (src, sel)
}

/// The per-row copier S5's filter used before `append_selected`.
fn copy_rows(src: &Chunk, sel: &[u32], dst: &mut Chunk) {
    for c in 0..src.num_cols() {
        let (from, to) = (src.column(c), dst.column_mut(c));
        for &r in sel {
            let r = r as usize;
            if from.is_null(r) {
                to.append_null();
            } else if from.field_type().is_var() {
                to.append_bytes(from.get_bytes(r));
            } else {
                to.append_fixed_bytes(from.get_fixed_bytes(r));
            }
        }
    }
}

fn rows(c: &mut Criterion) {
    let (src, sel) = source();
    let mut g = c.benchmark_group("rows");
    g.throughput(Throughput::Elements(sel.len() as u64));
    let mut dst = Chunk::new(&FIELDS, 1024, 1024);
    g.bench_function("append_selected", |b| {
        b.iter(|| {
            dst.reset();
            dst.append_selected(&src, &sel);
            dst.num_rows()
        })
    });
    g.bench_function("per-row copier", |b| {
        b.iter(|| {
            dst.reset();
            copy_rows(&src, &sel, &mut dst);
            dst.num_rows()
        })
    });
    g.finish();
    // A filter over a scan chunk refilled each batch: the kept rows
    // compacted in place (TiDB's `Reconstruct`), or moved into a second
    // chunk. `compact` takes the selection as a `Vec` (a copy here).
    let mut g = c.benchmark_group("filter");
    g.throughput(Throughput::Elements(sel.len() as u64));
    let mut scan = Chunk::new(&FIELDS, 1024, 1024);
    g.bench_function("compact in place", |b| {
        b.iter(|| {
            scan.reset();
            scan.append_chunk(&src);
            scan.set_sel(Some(sel.clone()));
            scan.compact();
            scan.num_rows()
        })
    });
    g.bench_function("append_selected to a second chunk", |b| {
        b.iter(|| {
            scan.reset();
            scan.append_chunk(&src);
            dst.reset();
            dst.append_selected(&scan, &sel);
            dst.num_rows()
        })
    });
    g.finish();
    // All give the same rows.
    scan.reset();
    scan.append_chunk(&src);
    scan.set_sel(Some(sel.clone()));
    scan.compact();
    let (mut a, mut b) = (
        Chunk::new(&FIELDS, 1024, 1024),
        Chunk::new(&FIELDS, 1024, 1024),
    );
    a.append_selected(&src, &sel);
    copy_rows(&src, &sel, &mut b);
    for i in 0..FIELDS.len() {
        let (x, y) = (a.column(i), b.column(i));
        assert_eq!(
            (x.data(), x.null_bitmap(), x.offsets()),
            (y.data(), y.null_bitmap(), y.offsets())
        );
        let z = scan.column(i);
        assert_eq!(
            (x.data(), x.null_bitmap(), x.offsets()),
            (z.data(), z.null_bitmap(), z.offsets())
        );
    }
}

criterion_group!(name = benches; config = criterion::Criterion::default(); targets = rows);
criterion_main!(benches);
