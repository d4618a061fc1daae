//! [`Owner`]: what keeps exported memory alive, and sends it home when
//! arrow lets go. This file's one `unsafe` wraps a buffer of the owned
//! chunk or column in an arrow [`Buffer`] (`buffer`).

use crate::chunk::Chunk;
use crate::column::Column;
#[cfg(not(feature = "arrow-pool"))]
use arrow_buffer::alloc::Allocation;
use arrow_buffer::Buffer;
use std::panic::AssertUnwindSafe;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What an export hands to arrow.
#[derive(Debug)]
pub(super) enum Held {
    /// A chunk: it goes back to its allocator (if it has one) when dropped.
    Chunk(Chunk),
    /// A column on its own: freed when dropped.
    Column(Column),
}

/// The owner of every buffer of one export: arrow holds it through an
/// `Arc` in each buffer (clones and slices included), and drops it, from
/// whichever thread lets go last, when the last of them goes.
///
/// Nothing reaches `held` mutably once the owner is made: the buffers
/// arrow reads never change, and never move (they are heap buffers of the
/// columns, which the owner keeps).
pub(super) struct Owner {
    /// `AssertUnwindSafe`: arrow asks for `RefUnwindSafe`, and the owner is
    /// only ever read (its buffers) or dropped, so a panic cannot leave it
    /// half-changed for anyone to observe.
    held: AssertUnwindSafe<Held>,
    /// A claimed export's reservation (see `claim.rs`); declared after
    /// `held`, so it is released once the chunk is home.
    #[cfg(feature = "arrow-pool")]
    pub(super) claim: Option<super::claim::Claim>,
}

impl Owner {
    /// Takes `held`, counting a pooled chunk as exported until it is home.
    pub(super) fn new(held: Held) -> Arc<Owner> {
        Arc::new(Owner::unshared(held))
    }

    /// [`Owner::new`] before it is shared (`claim.rs` adds its claim).
    pub(super) fn unshared(held: Held) -> Owner {
        if let Held::Chunk(chk) = &held {
            if let Some(home) = chk.home() {
                home.exported().fetch_add(1, Ordering::Relaxed);
            }
        }
        Owner {
            held: AssertUnwindSafe(held),
            #[cfg(feature = "arrow-pool")]
            claim: None,
        }
    }

    pub(super) fn held(&self) -> &Held {
        &self.held
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Held::Chunk(chk) = &*self.held {
            if let Some(home) = chk.home() {
                home.exported().fetch_sub(1, Ordering::Relaxed);
            }
        }
        // `held` drops next: a pooled chunk goes home.
    }
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Owner").field(&*self.held).finish()
    }
}

/// An arrow [`Buffer`] over the bytes `pick` chooses from what `owner`
/// holds, without a copy; the buffer keeps `owner` alive.
///
/// `pick` returns a slice borrowed from its argument (or `'static`), so
/// the bytes can only be memory the owner keeps.
///
/// Why the buffer is sound: `bytes` is an initialised slice borrowed from
/// `owner`'s held chunk or column (or static), so its pointer is valid for
/// reads of `bytes.len()` bytes (dangling but aligned when empty). It stays
/// so while the buffer lives: the buffer holds a clone of `owner`, the
/// owner never gives out `&mut` access to what it holds, and those bytes
/// are in heap buffers that do not move when their `Vec` does. Nothing
/// writes them meanwhile: the chunk or column was moved into the owner,
/// and a column shared with another chunk (`make_ref`) cannot be mutated
/// through either while the other holds it. Arrow never writes through a
/// custom allocation (`Buffer::into_mutable` refuses it).
///
/// A claimed export's buffers keep the owner through a piece each, and one
/// buffer serves every column position that holds the same bytes
/// (`claim.rs`).
pub(super) fn buffer(owner: &Arc<Owner>, pick: impl FnOnce(&Held) -> &[u8]) -> Buffer {
    let bytes = pick(owner.held());
    let ptr = NonNull::from(bytes).cast::<u8>();
    #[cfg(feature = "arrow-pool")]
    if let Some(made) = owner.claim.as_ref().and_then(|c| c.made(ptr, bytes.len())) {
        return made;
    }
    #[cfg(feature = "arrow-pool")]
    let keep = super::claim::keep(owner, bytes.len());
    #[cfg(not(feature = "arrow-pool"))]
    let keep: Arc<dyn Allocation> = Arc::clone(owner) as Arc<dyn Allocation>;
    // SAFETY: `ptr` reads `bytes.len()` initialised bytes that `keep` (a
    // clone of their owner, or a piece holding one) keeps alive and
    // unchanged (see above).
    let made = unsafe { Buffer::from_custom_allocation(ptr, bytes.len(), keep) };
    #[cfg(feature = "arrow-pool")]
    if let Some(claim) = &owner.claim {
        claim.record(ptr, &made);
    }
    made
}
