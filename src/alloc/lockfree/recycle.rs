//! The return path: a dropped chunk's body checked and cached whole, or
//! its columns returned one by one, or freed.
//!
//! Every column is judged as it is now, never as it was handed out
//! (crate invariant 2): owned, not marked `avoid_reusing`, variable-width
//! data within the limit, and the rows and bytes it holds.

use super::cache::{self, pool_of};
use super::depot::{body_bytes, Depot};
use super::pool::Pool;
use crate::alloc::home::Body;
use crate::column::{Column, Slot};
use crate::config::VarLimit;
use crate::stats::{Block, BlockId, Counter};
use crate::sync::Arc;

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
    let config = pool.config();
    let (max_free_chunks, var) = (config.max_free_chunks(), config.var_limit());
    let whole = !body.shared || keep_last_users(&mut body.columns);
    if whole && max_free_chunks > 0 && check(&mut body, var) {
        if let Err(body) = cache::put(body) {
            recycle_loose(body);
        }
        return;
    }
    recycle_loose(body);
}

/// Checks and resets the columns of a returned body in place, and records
/// on it the rows every column holds and the bytes it costs cached; false
/// (some columns possibly reset) when one must not be cached whole: still
/// shared, marked `avoid_reusing`, or variable width with more data than
/// `var` allows (the loose path counts why).
#[inline(always)]
fn check(body: &mut Body, var: VarLimit) -> bool {
    let (mut bytes, mut rows) = (body_bytes(&body.columns), usize::MAX);
    for slot in body.columns.iter_mut() {
        let Slot::Own(c) = slot else {
            return false;
        };
        if c.refusal(var).is_some() {
            return false;
        }
        c.reset();
        bytes += c.allocated_bytes();
        rows = rows.min(c.rows_capacity());
    }
    body.rows = rows;
    body.bytes = bytes;
    body.shared = false;
    body.sel = None;
    true
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
    let Some(pool) = pool_of(&body) else {
        return;
    };
    let block = pool.stats.block(BlockId::SHARED);
    block.add(Counter::ChunksReturned, 1);
    let guard = cache::pin(pool);
    let depot = pool.depot(&guard);
    for slot in columns {
        if let Some(col) = slot.into_column() {
            recycle_column_into(pool, block, depot, col);
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
    recycle_column_into(pool, block, depot, col);
    pool.after_push(depot, &guard);
}

/// Queues `col` under the class of its current type, or frees it.
pub(super) fn recycle_column_into(pool: &Pool, block: &Block, depot: &Depot, mut col: Column) {
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
    col.reset();
    if depot.push_column(class, col).is_err() {
        block.add(Counter::DiscardedOverLimit, 1);
    }
}
