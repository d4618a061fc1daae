//! TiDB's chunk calls that reshape a chunk in place, copy it or read it
//! whole ([`ReshapeOp`]), against the model: `set_num_virtual_rows`,
//! `merge_nulls`, `copy_construct_sel`, `swap_column` and
//! `swap_column_within` (which keep `make_ref` groups), `swap_columns`,
//! `compact` and `retain`, `ListRows` and `display`.
//!
//! The model predicts every outcome before the call, as in `rows.rs`. A
//! column `compact` or `retain` gathers anew (rows kept out of order or
//! twice) gives its old buffer back to the chunk's pool, which the sink
//! records; an in-place rewrite keeps the buffer (and its identity).

use crate::input::{ColIdx, ReshapeOp};
use crate::model::{release, Live, MChunk, MCol, Sink};
use crate::rows::{check_sel, equal_rows, num_rows, outcome, physical_rows};
use crate::verify::verify;
use crate::world::{pick, two_mut};
use chunkpool::{Chunk, Error, ListRows};
use std::sync::Arc;

/// Runs one [`ReshapeOp`] on the live chunks.
pub fn reshape_op(live: &mut [Live], op: &ReshapeOp, sink: &mut dyn Sink) {
    let one = |c: u8| pick(c, live.len());
    match *op {
        ReshapeOp::VirtualRows {
            chunk,
            rows,
            panicking,
        } => {
            if let Some(k) = one(chunk) {
                virtual_rows(&mut live[k], usize::from(rows), panicking);
            }
        }
        ReshapeOp::MergeNulls {
            chunk,
            dst,
            ref srcs,
            panicking,
        } => {
            if let Some(k) = one(chunk) {
                merge_nulls(&mut live[k], dst, srcs, panicking);
            }
        }
        ReshapeOp::CopySel { chunk, panicking } => {
            if let Some(k) = one(chunk) {
                copy_sel(&mut live[k], panicking);
            }
        }
        ReshapeOp::SwapGroup {
            a,
            i,
            b,
            j,
            panicking,
        } => {
            if let (Some(a), Some(b)) = (one(a), one(b)) {
                swap_group(live, a, i, b, j, panicking);
            }
        }
        ReshapeOp::SwapSets { a, b } => {
            if let (Some(a), Some(b)) = (one(a), one(b)) {
                if a != b {
                    let (x, y) = two_mut(live, a, b);
                    x.chunk.swap_columns(&mut y.chunk);
                    std::mem::swap(&mut x.m.slots, &mut y.m.slots);
                    std::mem::swap(&mut x.m.sel, &mut y.m.sel);
                    std::mem::swap(&mut x.m.virtual_rows, &mut y.m.virtual_rows);
                    x.m.pristine = false;
                    y.m.pristine = false;
                }
            }
        }
        ReshapeOp::Compact { chunk, panicking } => {
            if let Some(k) = one(chunk) {
                compact(&mut live[k], panicking, sink);
            }
        }
        ReshapeOp::Retain {
            chunk,
            mask,
            panicking,
        } => {
            if let Some(k) = one(chunk) {
                retain(&mut live[k], mask, panicking, sink);
            }
        }
        ReshapeOp::ListRows { ref chunks, back } => list_rows(live, chunks, back),
        ReshapeOp::Display { chunk, max } => {
            if let Some(k) = one(chunk) {
                display(&live[k], usize::from(max));
            }
        }
    }
}

/// `set_num_virtual_rows(rows)`: refused with columns, and a selection
/// must name rows below the count.
fn virtual_rows(live: &mut Live, rows: usize, panicking: bool) {
    let m = &live.m;
    let want = if m.slots.is_empty() {
        m.sel.as_deref().map_or(Ok(()), |s| check_sel(s, rows))
    } else {
        Err(Error::HasColumns {
            columns: m.slots.len(),
        })
    };
    let got = if panicking && want.is_ok() {
        live.chunk.set_num_virtual_rows(rows);
        Ok(())
    } else {
        live.chunk.try_set_num_virtual_rows(rows)
    };
    let c = &mut live.chunk;
    let mut call = || c.set_num_virtual_rows(rows);
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        live.m.virtual_rows = rows;
    }
}

/// `merge_nulls(dst, srcs)`: every index in range and of the chunk's
/// rows, `dst` unshared; then a row of `dst` is NULL where any source's
/// is (its bytes stay).
fn merge_nulls(live: &mut Live, dst: ColIdx, srcs: &[ColIdx], panicking: bool) {
    let m = &live.m;
    let (n, rows) = (m.slots.len(), physical_rows(m));
    let d = dst.resolve(n);
    let s: Vec<usize> = srcs.iter().map(|c| c.resolve(n)).collect();
    let mut want = Ok(());
    for &column in std::iter::once(&d).chain(&s) {
        let Some(slot) = m.slots.get(column) else {
            want = Err(Error::ColumnOutOfRange { column, columns: n });
            break;
        };
        if slot.rows.len() != rows {
            let len = slot.rows.len();
            want = Err(Error::RaggedChunk { column, len, rows });
            break;
        }
    }
    if want.is_ok() && Arc::strong_count(&m.slots[d]) > 1 {
        want = Err(Error::SharedColumn { column: d });
    }
    let got = if panicking && want.is_ok() {
        live.chunk.merge_nulls(d, &s);
        Ok(())
    } else {
        live.chunk.try_merge_nulls(d, &s)
    };
    let c = &mut live.chunk;
    let mut call = || c.merge_nulls(d, &s);
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        let nulls: Vec<bool> = (0..rows)
            .map(|r| s.iter().any(|&k| live.m.slots[k].rows[r].null))
            .collect();
        let col = Arc::get_mut(&mut live.m.slots[d]).expect("checked unshared");
        for (row, null) in col.rows.iter_mut().zip(nulls) {
            row.null |= null;
        }
    }
}

/// The rows a copy of the selection holds, or the error: every column
/// of one length, the selection within it.
fn picked(m: &MChunk) -> Result<Vec<usize>, Error> {
    let rows = equal_rows(m)?;
    match &m.sel {
        Some(sel) => {
            check_sel(sel, rows)?;
            Ok(sel.iter().map(|&r| r as usize).collect())
        }
        None => Ok((0..rows).collect()),
    }
}

/// A model column of `field` holding rows `rows` of `from`.
fn gathered(from: &MCol, rows: &[usize]) -> MCol {
    let mut col = MCol::new(from.field);
    col.rows = rows.iter().map(|&r| from.rows[r].clone()).collect();
    col.note_peak();
    col
}

/// `copy_construct_sel()`: a chunk of no pool with the selected rows and
/// no selection, checked in full, then dropped.
fn copy_sel(live: &mut Live, panicking: bool) {
    let m = &live.m;
    let want = picked(m);
    let c = &live.chunk;
    let got = if panicking && want.is_ok() {
        Ok(c.copy_construct_sel())
    } else {
        c.try_copy_construct_sel()
    };
    let mut call = || drop(c.copy_construct_sel());
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    let rows = want.clone().unwrap_or_default();
    let Some(copy) = outcome(want.map(drop), got, panicking_call) else {
        return;
    };
    let slots = m
        .slots
        .iter()
        .map(|s| Arc::new(gathered(s, &rows)))
        .collect();
    let virtual_rows = if m.slots.is_empty() { rows.len() } else { 0 };
    let model = MChunk {
        slots,
        capacity: m.capacity,
        required: m.required,
        home: None,
        pristine: false,
        sel: None,
        virtual_rows,
    };
    verify(&Live {
        chunk: copy,
        m: model,
    });
}

/// The slots of `m` that hold the same column as slot `i`.
fn group(m: &MChunk, i: usize) -> Vec<usize> {
    (0..m.slots.len())
        .filter(|&k| Arc::ptr_eq(&m.slots[k], &m.slots[i]))
        .collect()
}

/// Puts `col` into every slot of `group`.
fn put(m: &mut MChunk, group: &[usize], col: &Arc<MCol>) {
    for &k in group {
        m.slots[k] = Arc::clone(col);
    }
    m.pristine = false;
}

/// `swap_column(i, other, j)` between distinct chunks, or
/// `swap_column_within(i, j)`: the two `make_ref` groups trade columns.
pub(crate) fn swap_group(
    live: &mut [Live],
    a: usize,
    i: ColIdx,
    b: usize,
    j: ColIdx,
    panicking: bool,
) {
    if a == b {
        let l = &mut live[a];
        let n = l.m.slots.len();
        let (i, j) = (i.resolve(n), j.resolve(n));
        let want = [i, j]
            .into_iter()
            .find(|&c| c >= n)
            .map_or(Ok(()), |column| {
                Err(Error::ColumnOutOfRange { column, columns: n })
            });
        let got = if panicking && want.is_ok() {
            l.chunk.swap_column_within(i, j);
            Ok(())
        } else {
            l.chunk.try_swap_column_within(i, j)
        };
        let c = &mut l.chunk;
        let mut call = || c.swap_column_within(i, j);
        let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
        if outcome(want, got, panicking_call).is_some() {
            let (gi, gj) = (group(&l.m, i), group(&l.m, j));
            if !gi.contains(&j) {
                let (ci, cj) = (Arc::clone(&l.m.slots[i]), Arc::clone(&l.m.slots[j]));
                put(&mut l.m, &gi, &cj);
                put(&mut l.m, &gj, &ci);
            }
        }
        return;
    }
    let (x, y) = two_mut(live, a, b);
    let (i, j) = (i.resolve(x.m.slots.len()), j.resolve(y.m.slots.len()));
    let want = if i >= x.m.slots.len() {
        Err(Error::ColumnOutOfRange {
            column: i,
            columns: x.m.slots.len(),
        })
    } else if j >= y.m.slots.len() {
        Err(Error::ColumnOutOfRange {
            column: j,
            columns: y.m.slots.len(),
        })
    } else if x.m.sel.is_some() || y.m.sel.is_some() {
        Err(Error::HasSelection)
    } else {
        Ok(())
    };
    let got = if panicking && want.is_ok() {
        x.chunk.swap_column(i, &mut y.chunk, j);
        Ok(())
    } else {
        x.chunk.try_swap_column(i, &mut y.chunk, j)
    };
    let (xc, yc) = (&mut x.chunk, &mut y.chunk);
    let mut call = || xc.swap_column(i, yc, j);
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        let (gx, gy) = (group(&x.m, i), group(&y.m, j));
        let (cx, cy) = (Arc::clone(&x.m.slots[i]), Arc::clone(&y.m.slots[j]));
        put(&mut x.m, &gx, &cy);
        put(&mut y.m, &gy, &cx);
    }
}

/// Each column of `m` once: its first slot and all its slots.
fn groups(m: &MChunk) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..m.slots.len() {
        if !out.iter().any(|(_, g)| g.contains(&i)) {
            out.push((i, group(m, i)));
        }
    }
    out
}

/// What `compact` and `retain` check before rewriting to rows `keep`:
/// equal columns, `keep` within them, no column shared with another
/// chunk.
fn check_keep(m: &MChunk, keep: &[u32]) -> Result<(), Error> {
    check_sel(keep, equal_rows(m)?)?;
    for (first, group) in groups(m) {
        if Arc::strong_count(&m.slots[first]) != group.len() {
            return Err(Error::SharedColumn { column: first });
        }
    }
    Ok(())
}

/// The model of keeping rows `keep`: rewritten in place when they rise
/// (the same buffers), else gathered into new columns, the old ones
/// given back to the pool. The selection goes.
fn keep_rows(live: &mut Live, keep: &[u32], sink: &mut dyn Sink) {
    let m = &mut live.m;
    let rows: Vec<usize> = keep.iter().map(|&r| r as usize).collect();
    let rising = keep.windows(2).all(|w| w[0] < w[1]);
    for (first, group) in groups(m) {
        let old = Arc::clone(&m.slots[first]);
        let placeholder = Arc::new(MCol::new(old.field));
        for &k in &group {
            m.slots[k] = Arc::clone(&placeholder);
        }
        let col = if rising {
            let mut col = Arc::try_unwrap(old).expect("checked: only this chunk holds it");
            col.rows = rows.iter().map(|&r| col.rows[r].clone()).collect();
            col
        } else {
            let col = gathered(&old, &rows);
            release(old, m.home, sink);
            m.pristine = false;
            col
        };
        let col = Arc::new(col);
        for &k in &group {
            m.slots[k] = Arc::clone(&col);
        }
    }
    m.sel = None;
    if m.slots.is_empty() {
        m.virtual_rows = rows.len();
    }
}

/// `compact()`: nothing without a selection; else its rows kept.
fn compact(live: &mut Live, panicking: bool, sink: &mut dyn Sink) {
    let keep = live.m.sel.clone();
    let want = keep.as_deref().map_or(Ok(()), |k| check_keep(&live.m, k));
    let got = if panicking && want.is_ok() {
        live.chunk.compact();
        Ok(())
    } else {
        live.chunk.try_compact()
    };
    let c = &mut live.chunk;
    let mut call = || c.compact();
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        if let Some(keep) = keep {
            keep_rows(live, &keep, sink);
        }
    }
}

/// `retain`: each row shown once, in `rows()` order, the `k`-th kept
/// where bit `k % 64` of `mask` is set; or the error, with no row shown.
fn retain(live: &mut Live, mask: u64, panicking: bool, sink: &mut dyn Sink) {
    let m = &live.m;
    let shown: Vec<u32> = match &m.sel {
        Some(sel) => sel.clone(),
        None => (0..physical_rows(m) as u32).collect(),
    };
    let want = check_keep(m, m.sel.as_deref().unwrap_or_default());
    let mut seen = Vec::new();
    let mut keep = |r: chunkpool::Row<'_>| {
        seen.push(r.idx() as u32);
        (mask >> ((seen.len() - 1) % 64)) & 1 == 1
    };
    let got = if panicking && want.is_ok() {
        live.chunk.retain(&mut keep);
        Ok(())
    } else {
        live.chunk.try_retain(&mut keep)
    };
    let c = &mut live.chunk;
    let mut call = || c.retain(|_| true);
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    let ok = outcome(want, got, panicking_call).is_some();
    if !ok {
        assert!(seen.is_empty(), "retain showed rows before refusing");
        return;
    }
    assert_eq!(seen, shown, "retain shows each row once, in order");
    let kept: Vec<u32> = (0..shown.len())
        .filter(|&k| (mask >> (k % 64)) & 1 == 1)
        .map(|k| shown[k])
        .collect();
    keep_rows(live, &kept, sink);
}

/// `ListRows` over the picked chunks against their rows, concatenated,
/// stepping from either end; the chunks are taken out for it and put
/// back.
fn list_rows(live: &mut [Live], picks: &[u8], back: u16) {
    let mut ks: Vec<usize> = Vec::new();
    for &p in picks.iter().take(8) {
        if let Some(k) = pick(p, live.len()) {
            if !ks.contains(&k) {
                ks.push(k);
            }
        }
    }
    let want: Vec<(usize, usize)> = ks
        .iter()
        .enumerate()
        .flat_map(|(pos, &k)| {
            let m = &live[k].m;
            let rows: Vec<usize> = match &m.sel {
                Some(s) => s.iter().map(|&r| r as usize).collect(),
                None => (0..physical_rows(m)).collect(),
            };
            rows.into_iter().map(move |r| (pos, r))
        })
        .collect();
    let chunks: Vec<Chunk> = ks
        .iter()
        .map(|&k| std::mem::replace(&mut live[k].chunk, Chunk::new(&[], 1, 1)))
        .collect();
    let mut it = ListRows::new(&chunks);
    let (mut front, mut end) = (0, want.len());
    for s in 0..want.len() + 2 {
        assert_eq!(it.len(), end - front, "ListRows len at step {s}");
        let from_back = (back >> (s % 16)) & 1 == 1;
        let got = if from_back { it.next_back() } else { it.next() };
        let got = got.map(|r| {
            let pos = chunks.iter().position(|c| std::ptr::eq(c, r.chunk()));
            (pos.expect("a row of a listed chunk"), r.idx())
        });
        let expected = if front == end {
            None
        } else if from_back {
            end -= 1;
            Some(want[end])
        } else {
            front += 1;
            Some(want[front - 1])
        };
        assert_eq!(got, expected, "ListRows at step {s}");
    }
    for (k, c) in ks.into_iter().zip(chunks) {
        live[k].chunk = c;
    }
}

/// `display(max)`: a header and rule lines around at most `max` rows,
/// then how many more there are; one line for a chunk without columns.
fn display(live: &Live, max: usize) {
    let (c, m) = (&live.chunk, &live.m);
    let text = c.display(max).to_string();
    let rows = num_rows(m);
    let word = |n: usize| if n == 1 { "row" } else { "rows" };
    if m.slots.is_empty() {
        assert_eq!(text, format!("({rows} {}, no columns)\n", word(rows)));
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    let shown = rows.min(max);
    let more = rows - shown;
    assert_eq!(lines.len(), 4 + shown + usize::from(more > 0), "{text}");
    for s in &m.slots {
        assert!(lines[1].contains(&s.field.to_string()), "header: {text}");
    }
    if more > 0 {
        assert_eq!(lines[4 + shown], format!("… {more} more {}", word(more)));
    }
    assert!(lines[0].starts_with('+') && lines[3 + shown].starts_with('+'));
}
