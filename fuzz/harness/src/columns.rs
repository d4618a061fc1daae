//! Steps that change which column buffers a live chunk holds, through the
//! safe API: replace a column with a new one, swap columns between chunks
//! (or within one), put a clone of a column in. A dropped chunk gives its
//! pool whatever it holds then, not what the pool handed out, and the next
//! allocation of the old layout must still get exactly the requested types
//! with room for its capacity (checked by
//! [`check_new_chunk`](crate::fresh::check_new_chunk) in `admit`).
//!
//! A column that leaves a chunk this way is not given back to any pool:
//! replaced and overwritten columns are freed, and swapped ones return with
//! the chunk they end up in. The model follows: the slot gets the new
//! column's model, and the chunk is no longer pristine.

use crate::input::{ColCap, Field};
use crate::model::{expected_alloc, Live, MCol};
use crate::verify::verify_column;
use crate::world::{pick, two_mut};
use chunkpool::{Column, Error, FieldType};
use std::sync::Arc;

/// Whether `try_column_mut(c)` on `live` agrees with the model (it fails
/// exactly while the column is shared); true when it succeeded.
pub fn column_mut_agrees(live: &mut Live, c: usize) -> bool {
    let got = live.chunk.try_column_mut(c).map(|_| ());
    let unique = Arc::get_mut(&mut live.m.slots[c]).is_some();
    match got {
        Ok(()) if unique => true,
        Err(e) if !unique => {
            assert_eq!(e, Error::SharedColumn { column: c }, "try_column_mut({c})");
            false
        }
        got => panic!(
            "try_column_mut({c}): got {got:?}, model says shared = {}",
            !unique
        ),
    }
}

/// `Column::try_new(field, rows)`, or `None` where it fails as the model
/// says it must (a capacity whose byte size overflows), or as no model can
/// rule out (`OutOfMemory`: a size within the address range that the
/// allocator refuses, such as `isize::MAX / 2` bytes).
pub fn fresh_column(field: FieldType, rows: usize) -> Option<Column> {
    // A request the model allows but no machine can meet (a chunk of no
    // columns may have a capacity near `isize::MAX`, and `SetColumn` sizes
    // its column from it) is not made: under libFuzzer a malloc that large
    // is itself a crash. 1 GiB is far past anything the targets need.
    let per_row = field.elem_size().unwrap_or(16);
    if expected_alloc(&[field], rows, rows).is_ok() && rows.saturating_mul(per_row) > 1 << 30 {
        return None;
    }
    match Column::try_new(field, rows) {
        Ok(new) => Some(new),
        Err(Error::OutOfMemory {
            field: f, rows: r, ..
        }) => {
            assert_eq!((f, r), (field, rows), "OutOfMemory names the request");
            assert!(
                expected_alloc(&[field], rows, rows).is_ok(),
                "OutOfMemory where the model expects CapacityOverflow: {field:?} x {rows}"
            );
            None
        }
        Err(e) => {
            let want = expected_alloc(&[field], rows, rows)
                .expect_err("Column::try_new failed where the model expects a column");
            assert_eq!(e, want, "Column::try_new({field:?}, {rows})");
            None
        }
    }
}

/// `std::mem::replace(column_mut(col), Column::new(field, cap))` on a live
/// chunk picked by `chunk`; `cap` is relative to that chunk's capacity. The
/// column that comes out must hold what the model says; it is then
/// dropped (freed: it belongs to no pool).
pub fn replace_column(live: &mut [Live], chunk: u8, col: u8, field: Field, cap: ColCap) {
    let Some(k) = pick(chunk, live.len()) else {
        return;
    };
    let live = &mut live[k];
    let Some(c) = pick(col, live.m.slots.len()) else {
        return;
    };
    let (field, rows) = (field.ty(), cap.rows(live.m.capacity));
    let Some(new) = fresh_column(field, rows) else {
        return;
    };
    if column_mut_agrees(live, c) {
        let out = std::mem::replace(live.chunk.column_mut(c), new);
        let old = std::mem::replace(&mut live.m.slots[c], Arc::new(MCol::new(field)));
        live.m.pristine = false;
        verify_column(&out, &Arc::into_inner(old).expect("checked unshared"));
    }
}

/// Two (chunk, column) positions of live chunks picked by `[chunk, col,
/// chunk, col]`, or `None` when there are no chunks or no columns.
fn pick_two_columns(live: &[Live], picks: [u8; 4]) -> Option<[usize; 4]> {
    let [a, i, b, j] = picks;
    let (a, b) = (pick(a, live.len())?, pick(b, live.len())?);
    let i = pick(i, live[a].m.slots.len())?;
    let j = pick(j, live[b].m.slots.len())?;
    Some([a, i, b, j])
}

/// `std::mem::swap` of two columns picked by `[a, i, b, j]` (chunk, column,
/// chunk, column); nothing when they name one column twice.
pub fn swap_columns(live: &mut [Live], picks: [u8; 4]) {
    let Some([a, i, b, j]) = pick_two_columns(live, picks) else {
        return;
    };
    if a == b {
        if i == j {
            return;
        }
        let l = &mut live[a];
        // Both checks run whatever the first says: each must agree.
        let (ok_i, ok_j) = (column_mut_agrees(l, i), column_mut_agrees(l, j));
        if ok_i && ok_j {
            // Two `column_mut` of one chunk cannot be borrowed at once:
            // swap through a placeholder, as safe code would.
            let placeholder = Column::new(FieldType::BINARY, 0);
            let ci = std::mem::replace(l.chunk.column_mut(i), placeholder);
            let cj = std::mem::replace(l.chunk.column_mut(j), ci);
            *l.chunk.column_mut(i) = cj;
            l.m.slots.swap(i, j);
            l.m.pristine = false;
        }
        return;
    }
    let (x, y) = two_mut(live, a, b);
    let (ok_x, ok_y) = (column_mut_agrees(x, i), column_mut_agrees(y, j));
    if ok_x && ok_y {
        std::mem::swap(x.chunk.column_mut(i), y.chunk.column_mut(j));
        std::mem::swap(&mut x.m.slots[i], &mut y.m.slots[j]);
        x.m.pristine = false;
        y.m.pristine = false;
    }
}

/// `*dst.column_mut(dst_col) = src.column(src_col).clone()`, picked by
/// `[src_chunk, src_col, dst_chunk, dst_col]`.
pub fn clone_column_into(live: &mut [Live], picks: [u8; 4]) {
    let Some([s, sc, d, dc]) = pick_two_columns(live, picks) else {
        return;
    };
    let clone = live[s].chunk.column(sc).clone();
    let model = {
        let src = &live[s].m.slots[sc];
        let mut m = MCol::new(src.field);
        m.rows = src.rows.clone();
        m.avoid = src.avoid;
        // A clone's buffers hold what it holds, no more.
        m.peak_data = m.data_len();
        m
    };
    let dst = &mut live[d];
    if column_mut_agrees(dst, dc) {
        *dst.chunk.column_mut(dc) = clone;
        dst.m.slots[dc] = Arc::new(model);
        dst.m.pristine = false;
    }
}
