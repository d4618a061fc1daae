//! The return path: a dropped chunk's body checked and cached whole, or
//! its columns returned one by one, or freed.
//!
//! Every column is judged as it is now, never as it was handed out
//! (crate invariant 2): owned, not marked `avoid_reusing`, variable-width
//! data within the limit, and the rows and bytes it holds.

use super::cache::{self, pool_of};
use super::depot::{body_bytes, Depot};
use super::pool::Pool;
use crate::alloc::budget::Charge;
use crate::alloc::home::Body;
use crate::column::{Column, Slot};
use crate::config::VarLimit;
use crate::stats::{Block, BlockId, Counter};
use crate::sync::{Arc, Ordering, StatCounter};

/// Takes back the body of a dropped chunk of a lock-free allocator.
#[inline]
pub(crate) fn recycle(mut body: Box<Body>) {
    let Some(pool) = pool_of(&body) else {
        return;
    };
    if pool.abandoned() {
        // Nobody can allocate from it again: free the buffers, and let go
        // of this thread's cache of it.
        cache::forget_dead();
        return;
    }
    let max_free_chunks = pool.config().max_free_chunks();
    let whole = !body.shared || keep_last_users(&mut body.columns);
    if whole && max_free_chunks > 0 && check(&mut body) {
        if let Err(body) = cache::put(body) {
            recycle_loose(body);
        }
        return;
    }
    recycle_loose(body);
}

/// Checks and resets the columns of a returned body in place, and records
/// on it what the cache needs (see [`check_all`]); false (some columns
/// possibly reset) when one must not be cached whole.
///
/// The fast case: every column still carries the provenance tag the last
/// check gave its position, so none changed what that check read (see
/// `Column::tag`), and the body's record of it still holds: the columns
/// are only reset. Debug builds check every such return in full and
/// assert that both agree.
#[inline(always)]
fn check(body: &mut Body) -> bool {
    let base = body.tag;
    if base != 0 && body.columns.len() == body.layout.len() {
        for (tag, slot) in (base..).zip(body.columns.iter_mut()) {
            match slot {
                Slot::Own(c) if c.tag() == tag => c.reset(),
                _ => return check_all(body),
            }
        }
        debug_assert!(agrees(body), "a fast return disagrees with the full check");
        body.sel = None;
        body.virtual_rows = 0;
        return true;
    }
    check_all(body)
}

/// The full check: every column owned and cacheable ([`measure`]), then
/// reset; records on the body the rows every column holds, the bytes it
/// costs cached and its layout, and gives every column a fresh provenance
/// tag.
#[cold]
#[inline(never)]
fn check_all(body: &mut Body) -> bool {
    let Some(Measure {
        rows,
        bytes,
        var_row_bytes,
    }) = var_limit(body).and_then(|var| measure(&body.columns, var))
    else {
        return false;
    };
    if body.charge.settle(bytes).is_err() {
        // The memory budget refused what the chunk grew by: free it rather
        // than keep it (the body's charge is given back as it is freed).
        if let Some(pool) = pool_of(body) {
            let n = body.columns.len() as u64;
            pool.stats
                .block(BlockId::SHARED)
                .add(Counter::DiscardedOverLimit, n);
        }
        body.columns.clear();
        return false;
    }
    if let (Some(pool), Some(widest)) = (pool_of(body), var_row_bytes) {
        pool.saw_var_row_bytes(widest);
    }
    let base = fresh_tags(body.columns.len());
    let mut layout = std::mem::take(&mut body.layout);
    layout.clear();
    for (tag, slot) in (base..).zip(body.columns.iter_mut()) {
        if let Slot::Own(c) = slot {
            c.reset();
            c.set_tag(tag);
            layout.push(c.field_type());
        }
    }
    body.layout = layout;
    body.tag = base;
    body.rows = rows;
    body.bytes = bytes + body_bytes(&body.columns, &body.layout);
    body.shared = false;
    body.sel = None;
    body.virtual_rows = 0;
    true
}

/// What [`measure`] finds of a body's columns.
struct Measure {
    /// The rows every column holds.
    rows: usize,
    /// The bytes of their buffers.
    bytes: usize,
    /// The most data bytes a row a variable-width column has room for, if
    /// one has room for a row (see `Pool::var_row_bytes`).
    var_row_bytes: Option<usize>,
}

/// Measures `columns` in one pass, or `None` when a slot is still shared or
/// a column must not be cached (marked `avoid_reusing`, or variable-width
/// data above `var`).
fn measure(columns: &[Slot], var: VarLimit) -> Option<Measure> {
    let mut m = Measure {
        rows: usize::MAX,
        bytes: 0,
        var_row_bytes: None,
    };
    for slot in columns {
        let Slot::Own(c) = slot else {
            return None;
        };
        if c.refusal(var).is_some() {
            return None;
        }
        let rows = c.rows_capacity();
        m.bytes += c.allocated_bytes();
        m.rows = m.rows.min(rows);
        if c.field_type().is_var() && rows > 0 {
            let room = c.data_capacity_bytes() / rows;
            m.var_row_bytes = Some(m.var_row_bytes.map_or(room, |w| w.max(room)));
        }
    }
    Some(m)
}

/// For debug builds: what [`check_all`] finds for a body the fast case
/// passed agrees with the record (rows, bytes, layout), and every column
/// is reset.
fn agrees(body: &Body) -> bool {
    let Some(Measure { rows, bytes, .. }) =
        var_limit(body).and_then(|var| measure(&body.columns, var))
    else {
        return false;
    };
    let layout: Vec<_> = body.columns.iter().map(|s| s.get().field_type()).collect();
    // The record's own list is what the cache holds (and counts).
    let bytes = bytes + body_bytes(&body.columns, &body.layout);
    body.columns.iter().all(|s| s.get().is_empty())
        && (rows, bytes, &layout) == (body.rows, body.bytes, &body.layout)
}

/// The variable-width limit of the pool `body` goes home to.
fn var_limit(body: &Body) -> Option<VarLimit> {
    pool_of(body).map(|pool| pool.config().var_limit())
}

/// A range of `n` provenance tags used nowhere before in this process:
/// its first. Tags start at 1 (0 is "none") and never wrap (2^64).
fn fresh_tags(n: usize) -> u64 {
    static NEXT: StatCounter = StatCounter::new(1);
    NEXT.fetch_add(n.max(1) as u64, Ordering::Relaxed)
}

/// Keeps the columns this chunk was the last user of (a column still
/// shared elsewhere is recycled by its last user); true when that is all
/// of them, so the chunk can be cached whole.
#[cold]
fn keep_last_users(columns: &mut Vec<Slot>) -> bool {
    let n = columns.len();
    columns.retain_mut(|slot| {
        let taken = std::mem::replace(slot, Slot::Own(Column::EMPTY));
        match taken.into_column() {
            Some(col) => {
                *slot = Slot::Own(col);
                true
            }
            None => false,
        }
    });
    columns.len() == n
}

/// Returns a body's columns one by one; the body itself is freed.
#[cold]
fn recycle_loose(mut body: Box<Body>) {
    let columns = std::mem::take(&mut body.columns);
    // Columns cached move their bytes out of the body's charge; what it
    // still holds after them (freed columns) goes back as it drops.
    let mut charge = std::mem::replace(&mut body.charge, Charge::NONE);
    let Some(pool) = pool_of(&body) else {
        return;
    };
    let block = pool.stats.block(BlockId::SHARED);
    block.add(Counter::ChunksReturned, 1);
    let guard = cache::pin(pool);
    let depot = pool.depot(&guard);
    for slot in columns {
        if let Some(col) = slot.into_column() {
            recycle_column_into(pool, block, depot, col, &mut charge);
        }
    }
    pool.after_push(depot, &guard);
}

/// Takes back one column that left a live chunk of `pool`.
pub(crate) fn recycle_column(pool: &Arc<Pool>, col: Column) {
    if pool.abandoned() {
        return;
    }
    let guard = cache::pin(pool);
    let block = pool.stats.block(BlockId::SHARED);
    let depot = pool.depot(&guard);
    // Its bytes stay in its chunk's charge until that chunk comes home, so
    // the cache asks for them anew (see `MemoryBudget`).
    let mut charge = pool.credits.charge();
    recycle_column_into(pool, block, depot, col, &mut charge);
    pool.after_push(depot, &guard);
}

/// Queues `col` under the class of its current type, or frees it. A
/// column queued moves its bytes out of `charge` into the cache (asking
/// the memory budget for what `charge` does not cover); one freed leaves
/// them in `charge`, which gives them back when it drops.
pub(super) fn recycle_column_into(
    pool: &Pool,
    block: &Block,
    depot: &Depot,
    mut col: Column,
    charge: &mut Charge,
) {
    if let Some(why) = col.refusal(pool.config().var_limit()) {
        block.add(why.into(), 1);
        return;
    }
    let class = if pool.config().max_free_columns() > 0 {
        pool.credits.class_or_claim(col.field_type())
    } else {
        None
    };
    let Some(class) = class else {
        block.add(Counter::DiscardedOverLimit, 1);
        return;
    };
    let bytes = col.allocated_bytes();
    if !charge.move_out(bytes) {
        block.add(Counter::DiscardedOverLimit, 1);
        return;
    }
    col.reset();
    if depot.push_column(class, col).is_err() {
        charge.take_in(bytes);
        block.add(Counter::DiscardedOverLimit, 1);
    }
}
