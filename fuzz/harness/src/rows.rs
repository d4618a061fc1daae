//! Row movement between live chunks (`append_row`, `append_rows`,
//! `append_selected`, `append_selected_bitmap`, `append_chunk`), the
//! selection vector, and the chunk-level column moves (`swap_column`,
//! `set_column`, `take_column`), against the model; and the checks of a
//! chunk's selection and `Row` getters after every step.
//!
//! The model predicts every outcome before the call: the rows appended,
//! cell by cell (values, NULL flags, the bytes a NULL row keeps), or the
//! error, which must leave both chunks as they were. A column that leaves
//! a chunk through `set_column` / `take_column` belongs to no pool any
//! more; one that comes in returns with the chunk it ends up in, so the
//! pool's checks of what comes back (invariant 2) see it.

use crate::columns::{column_mut_agrees, fresh_column};
use crate::input::{ColCap, ColIdx, Field, RowIdx, RowOp, Val};
use crate::model::{append, Live, MChunk, MCol, Sink};
use crate::panics::expect_error_panic;
use crate::verify::verify_column;
use crate::world::{pick, two_mut};
use chunkpool::{Chunk, Column, Error};
use std::sync::Arc;

/// The model's `physical_rows()`: the first column's length, or the
/// count of a chunk without columns.
pub fn physical_rows(m: &MChunk) -> usize {
    m.slots.first().map_or(m.virtual_rows, |s| s.rows.len())
}

/// The model's `num_rows()`: the selected rows when there is a selection.
pub fn num_rows(m: &MChunk) -> usize {
    m.sel.as_ref().map_or_else(|| physical_rows(m), Vec::len)
}

/// The row count every column shares, or `RaggedChunk`.
pub fn equal_rows(m: &MChunk) -> Result<usize, Error> {
    let rows = physical_rows(m);
    match m.slots.iter().position(|s| s.rows.len() != rows) {
        Some(column) => Err(Error::RaggedChunk {
            column,
            len: m.slots[column].rows.len(),
            rows,
        }),
        None => Ok(rows),
    }
}

/// What every append checks first: one layout, no ragged chunk, no shared
/// destination column. The source's row count.
fn check_append(dst: &MChunk, src: &MChunk) -> Result<usize, Error> {
    for column in 0..dst.slots.len().max(src.slots.len()) {
        let d = dst.slots.get(column).map(|s| s.field);
        let s = src.slots.get(column).map(|s| s.field);
        if d != s {
            return Err(Error::LayoutMismatch {
                column,
                dst: d,
                src: s,
            });
        }
    }
    equal_rows(dst)?;
    let rows = equal_rows(src)?;
    match dst.slots.iter().position(|s| Arc::strong_count(s) > 1) {
        Some(column) => Err(Error::SharedColumn { column }),
        None => Ok(rows),
    }
}

/// The first entry of `sel` not below `rows`, as the error.
pub fn check_sel(sel: &[u32], rows: usize) -> Result<(), Error> {
    match sel.iter().find(|&&r| r as usize >= rows) {
        Some(&r) => Err(Error::RowOutOfRange {
            row: r as usize,
            len: rows,
        }),
        None => Ok(()),
    }
}

/// An append, resolved against the source's rows.
enum Append {
    Row(usize),
    Rows(usize, usize),
    Selected(Vec<u32>),
    Bitmap(Vec<u8>),
    Chunk,
}

impl Append {
    /// The physical source rows appended, in order, or the error.
    fn predict(&self, dst: &MChunk, src: &MChunk) -> Result<Vec<usize>, Error> {
        let rows = check_append(dst, src)?;
        let oob = |row| Error::RowOutOfRange { row, len: rows };
        match self {
            Append::Row(r) if *r >= rows => Err(oob(*r)),
            Append::Row(r) => Ok(vec![*r]),
            Append::Rows(a, b) if a > b => Err(Error::RowOutOfRange { row: *a, len: *b }),
            Append::Rows(a, b) if *b > rows => Err(oob(*a.max(&rows))),
            Append::Rows(a, b) => Ok((*a..*b).collect()),
            Append::Selected(sel) => {
                check_sel(sel, rows)?;
                Ok(sel.iter().map(|&r| r as usize).collect())
            }
            Append::Bitmap(mask) => {
                let set = |i: usize| mask[i / 8] & (1 << (i % 8)) != 0;
                match (rows..mask.len() * 8).find(|&i| set(i)) {
                    Some(r) => Err(oob(r)),
                    None => Ok((0..rows.min(mask.len() * 8)).filter(|&i| set(i)).collect()),
                }
            }
            Append::Chunk => match &src.sel {
                Some(sel) => {
                    check_sel(sel, rows)?;
                    Ok(sel.iter().map(|&r| r as usize).collect())
                }
                None => Ok((0..rows).collect()),
            },
        }
    }

    fn call(&self, dst: &mut Chunk, src: &Chunk, panicking: bool) -> Result<(), Error> {
        if panicking {
            match self {
                Append::Row(r) => dst.append_row(src, *r),
                Append::Rows(a, b) => dst.append_rows(src, *a..*b),
                Append::Selected(sel) => dst.append_selected(src, sel),
                Append::Bitmap(mask) => dst.append_selected_bitmap(src, mask),
                Append::Chunk => dst.append_chunk(src),
            }
            return Ok(());
        }
        match self {
            Append::Row(r) => dst.try_append_row(src, *r),
            Append::Rows(a, b) => dst.try_append_rows(src, *a..*b),
            Append::Selected(sel) => dst.try_append_selected(src, sel),
            Append::Bitmap(mask) => dst.try_append_selected_bitmap(src, mask),
            Append::Chunk => dst.try_append_chunk(src),
        }
    }
}

/// With the `arrow` feature, an `append_chunk`, `append_rows` or
/// `append_row` of `rows` rows done through `append_record_batch` where
/// [`crate::arrays::append_as_batch`] takes it; `None`: the caller makes
/// the call itself.
#[cfg(feature = "arrow")]
fn via_arrow(
    op: &Append,
    dst: &mut Chunk,
    src: &Chunk,
    rows: usize,
    panicking: bool,
) -> Option<Result<(), Error>> {
    use crate::arrays::append_as_batch;
    match op {
        Append::Chunk => append_as_batch(dst, src, None, rows, panicking),
        Append::Row(r) => append_as_batch(dst, src, Some(*r..*r + 1), rows, panicking),
        Append::Rows(a, b) => append_as_batch(dst, src, Some(*a..*b), rows, panicking),
        _ => None,
    }
}

#[cfg(not(feature = "arrow"))]
fn via_arrow(_: &Append, _: &mut Chunk, _: &Chunk, _: usize, _: bool) -> Option<Result<(), Error>> {
    None
}

/// Runs one append from live chunk `src` into `dst` (distinct; `how`
/// resolves the rows against the source's row count).
fn append_rows(
    live: &mut [Live],
    [dst, src]: [u8; 2],
    panicking: bool,
    how: impl FnOnce(usize) -> Append,
) {
    let (Some(d), Some(s)) = (pick(dst, live.len()), pick(src, live.len())) else {
        return;
    };
    if d == s {
        return;
    }
    let (dl, sl) = two_mut(live, d, s);
    let op = how(physical_rows(&sl.m));
    match op.predict(&dl.m, &sl.m) {
        Ok(rows) => {
            via_arrow(&op, &mut dl.chunk, &sl.chunk, rows.len(), panicking)
                .unwrap_or_else(|| op.call(&mut dl.chunk, &sl.chunk, panicking))
                .expect("an append the model accepts");
            // Rows appended to a chunk with a selection join it.
            let before = physical_rows(&dl.m);
            if let Some(sel) = &mut dl.m.sel {
                sel.extend((before..before + rows.len()).map(|r| r as u32));
            }
            for (slot, from) in dl.m.slots.iter_mut().zip(&sl.m.slots) {
                let m = Arc::get_mut(slot).expect("checked unshared");
                m.rows.extend(rows.iter().map(|&r| from.rows[r].clone()));
                m.note_peak();
            }
            if dl.m.slots.is_empty() {
                dl.m.virtual_rows = before + rows.len();
            }
        }
        Err(want) => {
            let got = op.call(&mut dl.chunk, &sl.chunk, false);
            assert_eq!(got, Err(want.clone()), "append error");
            if panicking {
                expect_error_panic(&want, || {
                    let _ = op.call(&mut dl.chunk, &sl.chunk, true);
                });
            }
        }
    }
}

/// Checks a call's outcome against the model's prediction `want`; with
/// `panicking`, a predicted error is also raised by the panicking form
/// (`panicking_call`), which must change nothing either.
pub fn outcome<T: std::fmt::Debug>(
    want: Result<(), Error>,
    got: Result<T, Error>,
    panicking_call: Option<&mut dyn FnMut()>,
) -> Option<T> {
    match (want, got) {
        (Ok(()), Ok(v)) => Some(v),
        (Err(w), Err(e)) => {
            assert_eq!(e, w, "error");
            if let Some(f) = panicking_call {
                expect_error_panic(&w, f);
            }
            None
        }
        (w, g) => panic!("expected {w:?}, got {g:?}"),
    }
}

/// `set_sel` on live chunk `chunk`.
fn set_sel(live: &mut Live, sel: Option<&[RowIdx]>, panicking: bool) {
    if sel.is_none() && panicking {
        // Dropping the selection through `take_sel`, which hands it back
        // (the same input format: `SetSel { sel: None, panicking: true }`).
        let got = live.chunk.take_sel();
        assert_eq!(got, live.m.sel.take(), "take_sel hands back the selection");
        return;
    }
    let rows = physical_rows(&live.m);
    let sel: Option<Vec<u32>> = sel.map(|s| s.iter().map(|r| r.resolve_u32(rows)).collect());
    let want = sel.as_deref().map_or(Ok(()), |s| check_sel(s, rows));
    let got = if panicking && want.is_ok() {
        live.chunk.set_sel(sel.clone());
        Ok(())
    } else {
        live.chunk.try_set_sel(sel.clone())
    };
    let c = &mut live.chunk;
    let again = sel.clone();
    let mut call = move || c.set_sel(again.clone());
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        live.m.sel = sel;
    }
}

/// The model's prediction for `try_column_mut`-like access to column `i`.
fn column_mut(m: &MChunk, i: usize) -> Result<(), Error> {
    match m.slots.get(i) {
        None => Err(Error::ColumnOutOfRange {
            column: i,
            columns: m.slots.len(),
        }),
        Some(s) if Arc::strong_count(s) > 1 => Err(Error::SharedColumn { column: i }),
        Some(_) => Ok(()),
    }
}

/// `a.swap_column(i, b, j)` through the method, on distinct chunks: the
/// two `make_ref` groups trade columns (the model is `reshape.rs`'s, which
/// also covers a swap within one chunk).
fn swap(live: &mut [Live], [a, b]: [u8; 2], i: ColIdx, j: ColIdx, panicking: bool) {
    let (Some(a), Some(b)) = (pick(a, live.len()), pick(b, live.len())) else {
        return;
    };
    if a != b {
        crate::reshape::swap_group(live, a, i, b, j, panicking);
    }
}

/// `take_column(i)`: the column taken and its model, or `None` on the
/// (checked) error.
fn take(live: &mut Live, i: usize, panicking: bool) -> Option<(Column, MCol)> {
    let mut want = column_mut(&live.m, i);
    if want.is_ok() {
        // The replacement is a new column of the chunk's capacity.
        let (field, cap) = (live.m.slots[i].field, live.m.capacity);
        if let Err(e) = crate::model::expected_alloc(&[field], cap, cap) {
            want = Err(e);
        }
    }
    let got = if panicking && want.is_ok() {
        Ok(live.chunk.take_column(i))
    } else {
        live.chunk.try_take_column(i)
    };
    let c = &mut live.chunk;
    let mut call = || drop(c.take_column(i));
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    let col = outcome(want, got, panicking_call)?;
    let field = live.m.slots[i].field;
    let old = std::mem::replace(&mut live.m.slots[i], Arc::new(MCol::new(field)));
    live.m.pristine = false;
    let old = Arc::into_inner(old).expect("checked unshared");
    verify_column(&col, &old);
    let fresh = live.chunk.column(i);
    assert!(
        fresh.capacity() >= live.m.capacity,
        "take_column left a column with room for {} rows, not {}",
        fresh.capacity(),
        live.m.capacity
    );
    Some((col, old))
}

/// `set_column(i, col)`: the column that came out and its model, or
/// `None` on the (checked) error, where `col` is dropped.
fn set(
    live: &mut Live,
    i: usize,
    (col, m): (Column, MCol),
    panicking: bool,
) -> Option<(Column, MCol)> {
    let want = column_mut(&live.m, i);
    if want.is_err() && panicking {
        let w = want.clone().unwrap_err();
        let c = &mut live.chunk;
        expect_error_panic(&w, || drop(c.set_column(i, col)));
        return None;
    }
    let got = if panicking {
        Ok(live.chunk.set_column(i, col))
    } else {
        live.chunk.try_set_column(i, col)
    };
    let out = outcome(want, got, None)?;
    let old = std::mem::replace(&mut live.m.slots[i], Arc::new(m));
    live.m.pristine = false;
    let old = Arc::into_inner(old).expect("checked unshared");
    verify_column(&out, &old);
    Some((out, old))
}

/// A new column of `field` for chunk `live` (capacity relative to the
/// chunk's), holding `fill % 17` generated values.
fn new_column(
    live: &Live,
    field: Field,
    cap: ColCap,
    fill: u8,
    seed: u8,
) -> Option<(Column, MCol)> {
    let field = field.ty();
    let mut col = fresh_column(field, cap.rows(live.m.capacity))?;
    let mut m = MCol::new(field);
    for i in 0..u64::from(fill % 17) {
        let v = if seed % 5 == 0 && i % 3 == 2 {
            Val::Null
        } else {
            Val::Elem(seed)
        };
        append(&mut col, &mut m, &v, i).expect("generated values fit the column");
    }
    m.note_peak();
    Some((col, m))
}

/// Runs one [`RowOp`] on the live chunks.
pub fn row_op(live: &mut [Live], op: &RowOp, sink: &mut dyn Sink) {
    match op {
        RowOp::Reshape(op) => crate::reshape::reshape_op(live, op, sink),
        RowOp::AppendRow {
            dst,
            src,
            row,
            panicking,
        } => append_rows(live, [*dst, *src], *panicking, |n| {
            Append::Row(row.resolve(n))
        }),
        RowOp::AppendRows {
            dst,
            src,
            start,
            end,
            panicking,
        } => append_rows(live, [*dst, *src], *panicking, |n| {
            Append::Rows(start.resolve(n), end.resolve(n))
        }),
        RowOp::AppendSelected {
            dst,
            src,
            rows,
            panicking,
        } => append_rows(live, [*dst, *src], *panicking, |n| {
            Append::Selected(rows.iter().map(|r| r.resolve_u32(n)).collect())
        }),
        RowOp::AppendBitmap {
            dst,
            src,
            mask,
            panicking,
        } => append_rows(live, [*dst, *src], *panicking, |_| {
            Append::Bitmap(mask.clone())
        }),
        RowOp::AppendChunk {
            dst,
            src,
            panicking,
        } => append_rows(live, [*dst, *src], *panicking, |_| Append::Chunk),
        RowOp::SetSel {
            chunk,
            sel,
            panicking,
        } => {
            if let Some(k) = pick(*chunk, live.len()) {
                set_sel(&mut live[k], sel.as_deref(), *panicking);
            }
        }
        RowOp::Swap {
            a,
            i,
            b,
            j,
            panicking,
        } => swap(live, [*a, *b], *i, *j, *panicking),
        RowOp::SetColumn {
            chunk,
            col,
            field,
            cap,
            fill,
            seed,
            panicking,
        } => {
            if let Some(k) = pick(*chunk, live.len()) {
                let l = &mut live[k];
                if let Some(new) = new_column(l, *field, *cap, *fill, *seed) {
                    let i = col.resolve(l.m.slots.len());
                    set(l, i, new, *panicking);
                }
            }
        }
        RowOp::TakeColumn {
            chunk,
            col,
            panicking,
        } => {
            if let Some(k) = pick(*chunk, live.len()) {
                let l = &mut live[k];
                let i = col.resolve(l.m.slots.len());
                take(l, i, *panicking);
            }
        }
        RowOp::Move {
            src,
            src_col,
            dst,
            dst_col,
            back,
        } => {
            let (Some(s), Some(d)) = (pick(*src, live.len()), pick(*dst, live.len())) else {
                return;
            };
            let si = src_col.resolve(live[s].m.slots.len());
            let Some(taken) = take(&mut live[s], si, false) else {
                return;
            };
            let di = dst_col.resolve(live[d].m.slots.len());
            let Some(out) = set(&mut live[d], di, taken, false) else {
                return;
            };
            if *back {
                set(&mut live[s], si, out, false).expect("the slot just taken from is unshared");
            }
        }
        RowOp::Fill { chunk, n, seed } => {
            if let Some(k) = pick(*chunk, live.len()) {
                fill(&mut live[k], *n, *seed);
            }
        }
        RowOp::AppendPartialRow {
            dst,
            src,
            col_off,
            row,
            panicking,
        } => {
            let off = usize::from(col_off % 4);
            partial_row(live, [*dst, *src], *row, *panicking, |src_cols, _| {
                (0..src_cols).map(|i| (off + i, i)).collect()
            });
        }
        RowOp::AppendByColIdxs {
            dst,
            src,
            row,
            idxs,
            panicking,
        } => {
            let idxs = idxs.clone();
            partial_row(live, [*dst, *src], *row, *panicking, move |src_cols, _| {
                idxs.iter()
                    .enumerate()
                    .map(|(d, s)| (d, s.resolve(src_cols)))
                    .collect()
            });
        }
        RowOp::Truncate {
            chunk,
            rows,
            panicking,
        } => {
            if let Some(k) = pick(*chunk, live.len()) {
                let l = &mut live[k];
                let n = rows.resolve(num_rows(&l.m));
                truncate(l, n, *panicking);
            }
        }
    }
}

/// A partial-row append from live chunk `src` into `dst` (distinct): the
/// pairs `(dst column, src column)` come from `pairs(src columns, dst
/// columns)`; by column offset (`AppendPartialRow`) when `by_offset`
/// names it, else by index list (`AppendRowByColIdxs`).
fn partial_row(
    live: &mut [Live],
    [dst, src]: [u8; 2],
    row: RowIdx,
    panicking: bool,
    pairs: impl FnOnce(usize, usize) -> Vec<(usize, usize)>,
) {
    let (Some(d), Some(s)) = (pick(dst, live.len()), pick(src, live.len())) else {
        return;
    };
    if d == s {
        return;
    }
    let (dl, sl) = two_mut(live, d, s);
    let pairs = pairs(sl.m.slots.len(), dl.m.slots.len());
    let row = row.resolve(physical_rows(&sl.m));
    // The model's verdict, pair by pair, as the chunk checks them.
    let mut want = Ok(());
    for &(di, si) in &pairs {
        let (dcols, scols) = (dl.m.slots.len(), sl.m.slots.len());
        let err = if di >= dcols {
            Some(Error::ColumnOutOfRange {
                column: di,
                columns: dcols,
            })
        } else if si >= scols {
            Some(Error::ColumnOutOfRange {
                column: si,
                columns: scols,
            })
        } else if dl.m.slots[di].field != sl.m.slots[si].field {
            Some(Error::LayoutMismatch {
                column: di,
                dst: Some(dl.m.slots[di].field),
                src: Some(sl.m.slots[si].field),
            })
        } else if row >= sl.m.slots[si].rows.len() {
            Some(Error::RowOutOfRange {
                row,
                len: sl.m.slots[si].rows.len(),
            })
        } else if Arc::strong_count(&dl.m.slots[di]) > 1 {
            Some(Error::SharedColumn { column: di })
        } else {
            None
        };
        if let Some(e) = err {
            want = Err(e);
            break;
        }
    }
    let by_offset = pairs.iter().enumerate().all(|(k, &(_, si))| si == k)
        && pairs.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    let off = pairs.first().map_or(0, |p| p.0);
    let idxs: Vec<usize> = pairs.iter().map(|p| p.1).collect();
    let (dc, sc) = (&mut dl.chunk, &sl.chunk);
    let mut call = |panics: bool| -> Result<(), Error> {
        match (by_offset && pairs.len() == sc.num_cols(), panics) {
            (true, true) => {
                dc.append_partial_row(off, sc, row);
                Ok(())
            }
            (true, false) => dc.try_append_partial_row(off, sc, row),
            (false, true) => {
                dc.append_row_by_col_idxs(sc, row, &idxs);
                Ok(())
            }
            (false, false) => dc.try_append_row_by_col_idxs(sc, row, &idxs),
        }
    };
    let got = call(panicking && want.is_ok());
    let mut again = || drop(call(true));
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut again);
    if outcome(want, got, panicking_call).is_some() {
        let before = physical_rows(&dl.m);
        for &(di, si) in &pairs {
            let r = sl.m.slots[si].rows[row].clone();
            let m = Arc::get_mut(&mut dl.m.slots[di]).expect("checked unshared");
            m.rows.push(r);
            m.note_peak();
        }
        if pairs.iter().any(|p| p.0 == 0) {
            if let Some(sel) = &mut dl.m.sel {
                sel.push(before as u32);
            }
        }
    }
}

/// `truncate(n)` on the chunk and the model: the selection cut when there
/// is one; else every column longer than `n` cut, refused
/// (`SharedColumn`, nothing changed) when such a column is shared.
fn truncate(live: &mut Live, n: usize, panicking: bool) {
    let m = &mut live.m;
    let want = if m.sel.is_some() {
        Ok(())
    } else {
        match m
            .slots
            .iter()
            .position(|s| s.rows.len() > n && Arc::strong_count(s) > 1)
        {
            Some(column) => Err(Error::SharedColumn { column }),
            None => Ok(()),
        }
    };
    let got = if panicking && want.is_ok() {
        live.chunk.truncate(n);
        Ok(())
    } else {
        live.chunk.try_truncate(n)
    };
    let c = &mut live.chunk;
    let mut call = || c.truncate(n);
    let panicking_call: Option<&mut dyn FnMut()> = panicking.then_some(&mut call);
    if outcome(want, got, panicking_call).is_some() {
        match &mut live.m.sel {
            Some(sel) => sel.truncate(n),
            None => {
                live.m.virtual_rows = live.m.virtual_rows.min(n);
                for slot in &mut live.m.slots {
                    if slot.rows.len() > n {
                        Arc::get_mut(slot)
                            .expect("checked unshared")
                            .rows
                            .truncate(n);
                    }
                }
            }
        }
    }
}

/// [`RowOp::Fill`]: `n % 17` generated rows in every unshared column,
/// row `i` NULL where bit `i % 8` of `seed` is set.
fn fill(live: &mut Live, n: u8, seed: u8) {
    for c in 0..live.m.slots.len() {
        if !column_mut_agrees(live, c) {
            continue;
        }
        let real = live.chunk.column_mut(c);
        let m = Arc::get_mut(&mut live.m.slots[c]).expect("checked unshared");
        for i in 0..n % 17 {
            let v = if (seed >> (i % 8)) & 1 == 1 {
                Val::Null
            } else {
                Val::Elem(seed.wrapping_add(c as u8))
            };
            append(real, m, &v, u64::from(i)).expect("generated values fit the column");
        }
        m.note_peak();
    }
}

/// A chunk's selection (`sel`, `selected_rows`, `num_rows`) and its `Row`
/// getters against the model: `row(i)` is physical row `sel[i]` (or `i`),
/// `physical_row(r)` is row `r` of the columns; each getter reads what the
/// column's own accessor reads at that row, and fails cleanly past the
/// columns.
pub fn verify_rows(live: &Live) {
    let (c, m) = (&live.chunk, &live.m);
    let rows = physical_rows(m);
    assert_eq!(c.sel(), m.sel.as_deref(), "sel");
    let selected: Vec<usize> = match &m.sel {
        Some(s) => s.iter().map(|&r| r as usize).collect(),
        None => (0..rows).collect(),
    };
    let it = c.selected_rows();
    assert_eq!(it.len(), selected.len(), "selected_rows len");
    assert_eq!(it.collect::<Vec<_>>(), selected, "selected_rows");
    let rows_it = c.rows();
    assert_eq!(rows_it.len(), selected.len(), "rows() len");
    let back: Vec<usize> = c.rows().rev().map(|r| r.idx()).collect();
    assert!(
        back.iter().rev().eq(selected.iter()),
        "rows() from the back"
    );
    assert!(
        rows_it.map(|r| r.idx()).eq(selected.iter().copied()),
        "rows()"
    );
    assert_eq!(
        c.num_rows(),
        selected.len(),
        "num_rows counts the selected rows"
    );
    assert_eq!(c.physical_rows(), rows, "physical_rows");
    let n = selected.len();
    assert_eq!(
        c.try_row(n).err(),
        Some(Error::RowOutOfRange { row: n, len: n }),
        "try_row past the end"
    );
    assert_eq!(
        c.try_physical_row(rows).err(),
        Some(Error::RowOutOfRange {
            row: rows,
            len: rows
        }),
        "try_physical_row past the end"
    );
    for (i, &r) in selected.iter().enumerate() {
        match c.try_row(i) {
            Ok(row) => assert_eq!(row.idx(), r, "row({i}) is selected row {r}"),
            // The selection names a row the columns no longer hold.
            Err(e) => assert_eq!(e, Error::RowOutOfRange { row: r, len: rows }),
        }
    }
    let ncols = m.slots.len();
    let past = Error::ColumnOutOfRange {
        column: ncols,
        columns: ncols,
    };
    for r in 0..rows {
        let row = c.physical_row(r);
        assert_eq!(row.idx(), r);
        assert_eq!(row.try_get_i64(ncols).err(), Some(past.clone()));
        assert_eq!(row.try_is_null(ncols).err(), Some(past.clone()));
        for (i, slot) in m.slots.iter().enumerate() {
            let col = c.column(i);
            let want_null = slot
                .rows
                .get(r)
                .map(|x| x.null)
                .ok_or(Error::RowOutOfRange {
                    row: r,
                    len: slot.rows.len(),
                });
            assert_eq!(row.try_is_null(i), want_null, "row({r}).is_null({i})");
            assert_eq!(
                row.try_get_i64(i),
                col.try_get_i64(r),
                "row({r}).get_i64({i})"
            );
            assert_eq!(
                row.try_get_f64(i).map(f64::to_bits),
                col.try_get_f64(r).map(f64::to_bits)
            );
            assert_eq!(
                row.try_get_bytes(i),
                col.try_get_bytes(r),
                "row({r}).get_bytes({i})"
            );
            if let Ok(v) = col.try_get_i64(r) {
                assert_eq!(row.get_i64(i), v);
            }
        }
    }
}
