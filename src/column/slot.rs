//! [`Slot`]: one column position of a chunk, owning its column or sharing
//! it with other positions (`Chunk::make_ref`, `Chunk::make_ref_to`).

use super::Column;
use crate::sync::SharedArc;

/// One column position of a chunk: owned, or shared with other slots.
#[derive(Debug)]
pub(crate) enum Slot {
    Own(Column),
    Shared(SharedArc<Column>),
}

impl Slot {
    /// The column, owned or shared.
    #[inline]
    pub(crate) fn get(&self) -> &Column {
        match self {
            Slot::Own(c) => c,
            Slot::Shared(c) => c,
        }
    }

    /// The column, if this was its last user. A shared column comes out of
    /// exactly one of the slots sharing it (`Arc::into_inner`), so it is
    /// recycled once.
    #[inline]
    pub(crate) fn into_column(self) -> Option<Column> {
        match self {
            Slot::Own(c) => Some(c),
            Slot::Shared(c) => SharedArc::into_inner(c),
        }
    }

    /// The column, mutably: owned again first if this slot shares it with
    /// nobody any more; `None` (the slot unchanged) while it does.
    pub(crate) fn make_owned(&mut self) -> Option<&mut Column> {
        if let Slot::Shared(arc) = self {
            let col = std::mem::replace(SharedArc::get_mut(arc)?, Column::EMPTY);
            *self = Slot::Own(col);
        }
        match self {
            Slot::Own(c) => Some(c),
            Slot::Shared(_) => None,
        }
    }

    /// Makes this slot shared (an owned column moves behind a [`SharedArc`])
    /// and returns another reference to its column.
    pub(crate) fn make_shared(&mut self) -> SharedArc<Column> {
        let arc = match std::mem::replace(self, Slot::Own(Column::EMPTY)) {
            Slot::Own(col) => SharedArc::new(col),
            Slot::Shared(arc) => arc,
        };
        *self = Slot::Shared(SharedArc::clone(&arc));
        arc
    }
}
