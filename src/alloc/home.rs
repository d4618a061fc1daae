//! What a chunk is to the pool it came from: its [`Body`], the one heap
//! record a [`Chunk`](crate::Chunk) points to, and its [`Home`], the pool
//! the body goes back to when the chunk is dropped.
//!
//! A pooled body makes the whole round trip: handed out inside a chunk,
//! taken back whole on drop, checked, cached, handed out again. Nothing is
//! rebuilt on either path; a cached body is moved as one pointer.

use super::budget::Charge;
use super::{lockfree, mutex};
use crate::column::{Column, Slot};
use crate::field::FieldType;
use crate::sync::Arc;

/// Everything a chunk holds, in one heap record.
#[derive(Debug)]
pub(crate) struct Body {
    pub(crate) columns: Vec<Slot>,
    /// Some slot may be (or have been) shared; the pool then checks each.
    pub(crate) shared: bool,
    pub(crate) capacity: usize,
    pub(crate) required_rows: usize,
    /// The selection vector (TiDB's `sel`): rows of this chunk, in order.
    pub(crate) sel: Option<Vec<u32>>,
    /// The row count of a chunk with no columns (TiDB's `numVirtualRows`);
    /// 0 whenever the chunk has columns.
    pub(crate) virtual_rows: usize,
    pub(crate) home: Option<Home>,
    /// Set by the lock-free pool when it caches the body: the rows every
    /// column holds without growing.
    pub(crate) rows: usize,
    /// Set with `rows`: the heap bytes the cached body costs (its columns'
    /// buffers, the column list, the record itself and its queue slot).
    pub(crate) bytes: usize,
    /// Set with `rows`: the columns' types, in order, as the check found
    /// them (what a request's fields are compared with).
    pub(crate) layout: Vec<FieldType>,
    /// Set with `rows` by a full check: the provenance tag of column 0;
    /// column `i` was given `tag + i` (see `Column::tag`). 0: never checked.
    pub(crate) tag: u64,
    /// What the columns' buffers were charged to the pool's memory budget
    /// (nothing without one); given back when the body is freed.
    pub(crate) charge: Charge,
}

impl Body {
    /// A body for `columns`, with no selection, going home to `home`.
    #[inline]
    pub(crate) fn new(
        columns: Vec<Slot>,
        capacity: usize,
        required_rows: usize,
        home: Option<Home>,
    ) -> Box<Body> {
        Box::new(Body {
            columns,
            shared: false,
            capacity,
            required_rows,
            sel: None,
            virtual_rows: 0,
            home,
            rows: 0,
            bytes: 0,
            layout: Vec::new(),
            tag: 0,
            charge: Charge::NONE,
        })
    }

    /// Whether a cached body's columns are exactly of `fields`, in order.
    #[inline(always)]
    pub(crate) fn is(&self, fields: &[FieldType]) -> bool {
        // Every pair compared, without an early exit, so the compiler can
        // compare several at once.
        self.layout.len() == fields.len()
            && self
                .layout
                .iter()
                .zip(fields)
                .fold(0, |diff, (a, b)| diff | (a.to_bits() ^ b.to_bits()))
                == 0
    }
}

/// Where a pooled chunk's body goes when the chunk is dropped.
#[derive(Debug)]
pub(crate) enum Home {
    LockFree(Arc<lockfree::Pool>),
    Mutex(Arc<mutex::MutexShared>),
}

impl Home {
    /// Takes back the body of a dropped chunk whose `home` is set. What
    /// the pool keeps it keeps; the rest is freed.
    #[inline]
    pub(crate) fn recycle(body: Box<Body>) {
        match body.home {
            Some(Home::LockFree(_)) => lockfree::recycle(body),
            Some(Home::Mutex(_)) => mutex::recycle(body),
            None => {}
        }
    }

    /// The count of this allocator's chunks exported to Arrow and not yet
    /// home.
    #[cfg(feature = "arrow")]
    pub(crate) fn exported(&self) -> &crate::sync::StatGauge {
        match self {
            Home::LockFree(p) => &p.exported,
            Home::Mutex(s) => &s.exported,
        }
    }

    /// Takes back one column that left a live chunk.
    pub(crate) fn recycle_column(&self, col: Column) {
        match self {
            Home::LockFree(p) => lockfree::recycle_column(p, col),
            Home::Mutex(s) => s.recycle_column(col),
        }
    }
}
