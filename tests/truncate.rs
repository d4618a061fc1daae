//! `Column::truncate` and `Chunk::truncate` (TiDB's `TruncateTo`): rows
//! dropped in place, buffers kept, the NULL count and the bitmap's spare
//! bits right, so what is appended next reads back exactly; with a
//! selection, the selection is cut instead.

use chunkpool::{Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator};

/// A small deterministic generator (no dev-dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

/// Random appends and truncations of a text and an integer column, each
/// step checked against a `Vec` of the rows.
#[test]
fn truncate_then_append_reads_back_as_a_vec_would() {
    let mut rng = Lcg(7);
    for _round in 0..20 {
        let mut text = Column::new(FieldType::UTF8, 4);
        let mut ints = Column::new(FieldType::I64, 4);
        let (mut want_text, mut want_ints): (Vec<Option<String>>, Vec<Option<i64>>) =
            (Vec::new(), Vec::new());
        for _step in 0..60 {
            if rng.next(4) == 0 {
                let keep = rng.next(want_text.len() + 2);
                text.truncate(keep);
                ints.truncate(keep);
                want_text.truncate(keep);
                want_ints.truncate(keep);
            } else {
                let n = 1 + rng.next(9);
                for _ in 0..n {
                    if rng.next(3) == 0 {
                        text.append_option_str(None);
                        ints.append_option::<i64>(None);
                        want_text.push(None);
                        want_ints.push(None);
                    } else {
                        let s = "x".repeat(rng.next(20));
                        let v = rng.next(1000) as i64;
                        text.append_str(&s);
                        ints.append_i64(v);
                        want_text.push(Some(s));
                        want_ints.push(Some(v));
                    }
                }
            }
            assert_eq!(text.len(), want_text.len());
            let nulls = want_text.iter().filter(|v| v.is_none()).count();
            assert_eq!((text.null_count(), ints.null_count()), (nulls, nulls));
            for (r, w) in want_text.iter().enumerate() {
                assert_eq!(text.value_str(r), w.as_deref(), "row {r}");
                assert_eq!(ints.value::<i64>(r), want_ints[r], "row {r}");
            }
            // The bitmap holds exactly the rows' bits: its spare bits clear.
            if want_text.len() % 8 != 0 {
                let last = *text.null_bitmap().last().expect("rows");
                assert_eq!(last >> (want_text.len() % 8), 0, "bits past the rows");
            }
            assert_eq!(text.null_bitmap().len(), want_text.len().div_ceil(8));
        }
    }
}

#[test]
fn truncate_keeps_the_buffers_and_past_the_end_is_a_no_op() {
    let mut c = Column::new(FieldType::UTF8, 64);
    c.extend_str((0..40).map(|_| "abcdefgh"));
    let (ptr, bytes) = (c.data_ptr(), c.allocated_bytes());
    c.truncate(100);
    assert_eq!(c.len(), 40);
    c.truncate(3);
    assert_eq!(
        (c.len(), c.offsets().last(), c.data_ptr()),
        (3, Some(&24), ptr)
    );
    assert_eq!(c.allocated_bytes(), bytes);
    c.truncate(0);
    assert!(c.is_empty());
    assert_eq!(c.offsets(), &[0]);
}

#[test]
fn chunk_truncate_cuts_rows_or_the_selection() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 8, 8);
    for i in 0..5 {
        chk.column_mut(0).append_i64(i);
        chk.column_mut(1).append_str(&format!("r{i}"));
    }
    chk.truncate(3);
    assert_eq!((chk.num_rows(), chk.physical_rows()), (3, 3));
    assert_eq!(chk.column(1).value_str(2), Some("r2"));
    chk.set_sel(Some(vec![2, 0, 1]));
    chk.truncate(2);
    assert_eq!((chk.num_rows(), chk.physical_rows()), (2, 3));
    assert_eq!((chk.row(0).get_i64(0), chk.row(1).get_i64(0)), (2, 0));
    chk.truncate(5); // past the end: nothing
    assert_eq!(chk.num_rows(), 2);
}

#[test]
fn a_shared_column_refuses_and_nothing_changes() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    chk.make_ref(0, 1);
    assert_eq!(chk.try_truncate(1), Err(Error::SharedColumn { column: 0 }));
    assert_eq!(chk.num_rows(), 2);
    // Nothing to cut: no column needs to change.
    assert_eq!(chk.try_truncate(2), Ok(()));
}

/// A running top-3 over batches, in one pooled chunk: truncate, append
/// the next batch behind the kept rows, keep the best three. The chunk is
/// never replaced, and goes back to the cache whole.
#[test]
fn a_running_top_k_reuses_one_chunk() {
    let pool = LockFreeAllocator::new();
    let fields = [FieldType::I64];
    let mut top = pool.alloc(&fields, 16, 16);
    let mut batch = pool.alloc(&fields, 16, 16);
    let mut all = Vec::new();
    for b in 0..10i64 {
        batch.reset();
        let values: Vec<i64> = (0..8).map(|i| (b * 37 + i * 11) % 101).collect();
        batch.column_mut(0).extend_from_slice(&values);
        all.extend_from_slice(&values);
        top.append_chunk(&batch);
        let mut rows: Vec<i64> = top.column(0).as_slice::<i64>().to_vec();
        rows.sort_unstable_by(|a, b| b.cmp(a));
        top.truncate(0);
        top.column_mut(0)
            .extend_from_slice(&rows[..3.min(rows.len())]);
    }
    all.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(top.column(0).as_slice::<i64>(), &all[..3]);
    let before = pool.stats();
    drop((top, batch));
    assert_eq!(pool.stats().retained_chunks, before.retained_chunks + 2);
}
