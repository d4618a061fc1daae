//! [`Blocks`]: a column's data buffer, allocated in 64-byte aligned blocks
//! so every data buffer starts on a cache line (and on Arrow's recommended
//! alignment), whatever the element type.

use std::collections::TryReserveError;
use std::mem::MaybeUninit;

/// Bytes per block.
const BLOCK: usize = 64;

/// 64 bytes aligned to 64: the unit a data buffer is allocated in.
///
/// Plain old data: the derives check at compile time that it is `repr(C)`,
/// its one field is `Pod`, and it has no padding (64 bytes of `u64`s, its
/// size equal to its alignment).
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Block([u64; BLOCK / 8]);

const ZERO: Block = Block([0; BLOCK / 8]);

/// The blocks that hold `bytes` bytes.
#[inline]
fn blocks_for(bytes: usize) -> usize {
    bytes.div_ceil(BLOCK)
}

/// A growable byte buffer whose allocation is aligned to 64 bytes. The
/// column keeps the length in use (`Column::data_len`); this holds the
/// blocks in use, initialised, which cover at least that length: blocks
/// grown into are zeroed, and a reset column keeps its blocks in use (with
/// an earlier batch's bytes, which no read of the column reaches) so the
/// next batch writes them once.
#[derive(Clone, Default)]
pub(super) struct Blocks(Vec<Block>);

impl Blocks {
    #[inline]
    pub(super) const fn new() -> Blocks {
        Blocks(Vec::new())
    }

    /// A copy of the blocks that cover the first `bytes` bytes (of those
    /// in use), in an allocation of just those blocks.
    pub(super) fn clone_covering(&self, bytes: usize) -> Blocks {
        Blocks(self.0[..blocks_for(bytes)].to_vec())
    }

    /// Bytes the allocation holds.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.0.capacity() * BLOCK
    }

    /// Bytes of the blocks in use (written, zero past the column's data).
    #[inline]
    pub(super) fn in_use(&self) -> usize {
        self.0.len() * BLOCK
    }

    /// Makes room for `bytes` bytes in all, amortised like
    /// `Vec::try_reserve`.
    #[inline]
    pub(super) fn try_reserve_total(&mut self, bytes: usize) -> Result<(), TryReserveError> {
        let more = blocks_for(bytes).saturating_sub(self.0.len());
        self.0.try_reserve(more)
    }

    /// Makes room for exactly the blocks `bytes` bytes in all need.
    #[inline]
    pub(super) fn try_reserve_total_exact(&mut self, bytes: usize) -> Result<(), TryReserveError> {
        let more = blocks_for(bytes).saturating_sub(self.0.len());
        self.0.try_reserve_exact(more)
    }

    /// Covers the first `bytes` bytes with blocks; new blocks are zero.
    #[inline]
    pub(super) fn grow_to(&mut self, bytes: usize) {
        let blocks = blocks_for(bytes);
        if blocks > self.0.len() {
            self.0.resize(blocks, ZERO);
        }
    }

    /// Keeps the blocks that cover the first `bytes` bytes, and zeroes the
    /// bytes past `bytes` in the last of them.
    #[inline]
    pub(super) fn truncate(&mut self, bytes: usize) {
        self.0.truncate(blocks_for(bytes));
        if let Some(tail) = self.as_bytes_mut().get_mut(bytes..) {
            tail.fill(0);
        }
    }

    /// Keeps in use only the blocks that cover the first `bytes` bytes;
    /// the rest become spare capacity again.
    #[cold]
    pub(super) fn keep_covering(&mut self, bytes: usize) {
        self.0.truncate(blocks_for(bytes));
    }

    #[inline]
    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    /// Every byte of the blocks in use.
    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }

    /// Every byte of the blocks in use, mutably.
    #[inline]
    pub(super) fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut(&mut self.0)
    }

    /// Every element of the blocks in use, as `T` (1, 2, 4 or 8 bytes).
    #[inline]
    pub(super) fn as_elems<T: bytemuck::Pod>(&self) -> &[T] {
        bytemuck::cast_slice(&self.0)
    }

    /// Every element of the blocks in use, as `T`, mutably.
    #[inline]
    pub(super) fn as_elems_mut<T: bytemuck::Pod>(&mut self) -> &mut [T] {
        bytemuck::cast_slice_mut(&mut self.0)
    }

    /// Start of the allocation (dangling, never null, when there is none).
    #[inline]
    pub(super) fn as_ptr(&self) -> *const u8 {
        self.0.as_ptr().cast()
    }

    /// The capacity past the last block in use, as 8-byte words.
    ///
    /// Why the cast is sound: `MaybeUninit<Block>` has `Block`'s layout,
    /// eight `u64`s with no padding, so the spare blocks are `words`
    /// consecutive `MaybeUninit<u64>` slots, aligned well enough (64 ≥ 8).
    /// The new slice reborrows `spare` mutably for the same lifetime, so
    /// nothing else reaches that memory meanwhile. Whatever is written
    /// there, uninitialised bytes included, lies past the blocks in use,
    /// which the `Vec` treats as uninitialised until `grow_to` writes them.
    #[inline]
    pub(super) fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<u64>] {
        let spare = self.0.spare_capacity_mut();
        let words = spare.len() * (BLOCK / 8);
        // SAFETY: `words` `MaybeUninit<u64>` slots of the spare blocks,
        // reborrowed from `spare` (same layout, alignment 64 ≥ 8; see above).
        unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast(), words) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_zero_tailed_and_whole_blocks() {
        let mut b = Blocks::new();
        assert_eq!(b.capacity(), 0);
        b.try_reserve_total_exact(3).unwrap();
        assert_eq!(b.capacity(), 64, "whole blocks");
        assert_eq!(b.as_ptr() as usize % 64, 0);
        b.grow_to(3);
        b.as_bytes_mut()[..3].copy_from_slice(&[1, 2, 3]);
        b.grow_to(70);
        assert_eq!(b.as_bytes().len(), 128);
        assert_eq!(b.as_ptr() as usize % 64, 0);
        assert!(b.as_bytes()[3..].iter().all(|&x| x == 0));
        b.as_bytes_mut()[69] = 9;
        b.as_bytes_mut()[5] = 9;
        b.truncate(2);
        assert_eq!(b.as_bytes().len(), 64);
        assert_eq!(&b.as_bytes()[..2], &[1, 2]);
        b.grow_to(128);
        assert!(
            b.as_bytes()[2..].iter().all(|&x| x == 0),
            "truncated bytes come back zero"
        );
        assert_eq!(b.as_elems::<u64>().len(), 16);
        let c = b.clone();
        assert_eq!(c.as_bytes(), b.as_bytes());
        let cap = b.capacity();
        assert_eq!(
            b.spare_capacity_mut().len() * 8,
            cap - 128,
            "past the two blocks in use"
        );
        b.clear();
        assert_eq!((b.as_bytes().len(), b.capacity()), (0, cap));
        assert_eq!(b.spare_capacity_mut().len() * 8, cap);
        // Spare words written, even as uninitialised, are zero once grown into.
        for (i, w) in b.spare_capacity_mut().iter_mut().enumerate() {
            *w = if i % 2 == 0 {
                MaybeUninit::new(7)
            } else {
                MaybeUninit::uninit()
            };
        }
        b.grow_to(cap);
        assert!(b.as_bytes().iter().all(|&x| x == 0));
    }
}
