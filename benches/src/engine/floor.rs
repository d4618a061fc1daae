//! `copy-floor`, S9's physical limit of making a batch: the slice's values,
//! text bytes, offsets and validity bitmaps copied with memcpy into buffers
//! the thread owns and reuses every batch, and wrapped as arrow arrays
//! without a copy (the buffers' owner is an `Arc` the arrays hold a clone
//! of). No allocator call for the data; what remains are the arrays'
//! small records (`Arc`s of buffers and arrays, the column list), which
//! every arrow batch has.
//!
//! The next batch may only overwrite the buffers once every array of the
//! last one is gone: [`Floor::make`] takes the owner back with
//! `Arc::get_mut`, which fails (and panics) while any clone is alive.

use super::table::{Source, SrcCol};
use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch};
use arrow_buffer::alloc::Allocation;
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::SchemaRef;
use std::ptr::NonNull;
use std::sync::Arc;

/// A column's reused buffers. Everything is stored in `u64` words so every
/// buffer is 8-byte aligned, as arrow's typed buffers require.
enum FloorCol {
    Fixed {
        words: Vec<u64>,
        /// Bytes of the last copy.
        len: usize,
    },
    Text {
        offsets: Vec<i64>,
        data: Vec<u64>,
        /// Bytes of the last copy of text.
        len: usize,
        valid: Vec<u64>,
        nulls: usize,
    },
}

/// The buffers of every column: what the exported arrays point into.
struct Store {
    cols: Vec<FloorCol>,
}

/// One thread's `copy-floor`: its reused buffers and the schema made once.
pub struct Floor {
    store: Arc<Store>,
    schema: SchemaRef,
}

fn words(bytes: usize) -> Vec<u64> {
    vec![0u64; bytes.div_ceil(8).max(1)]
}

/// Copies `src` into the start of `dst` (memcpy).
fn copy_into<T: Copy>(dst: &mut [u64], src: &[T]) -> usize {
    let bytes = std::mem::size_of_val(src);
    assert!(bytes <= dst.len() * 8, "floor buffer too small");
    // SAFETY: `src` is `bytes` readable bytes of plain values, `dst` has room
    // for `bytes` bytes (checked above), and the two do not overlap (`dst` is
    // this floor's own buffer, `src` the source table).
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr().cast::<u8>(), dst.as_mut_ptr().cast(), bytes)
    };
    bytes
}

impl Floor {
    /// Buffers large enough for any slice of `src`, touched once here.
    pub fn new(src: &Source, schema: SchemaRef) -> Floor {
        let rows = src.rows;
        let cols = src
            .cols
            .iter()
            .map(|c| match c {
                SrcCol::I64(_) | SrcCol::F64(_) => FloorCol::Fixed {
                    words: words(8 * rows),
                    len: 0,
                },
                SrcCol::I32(_) => FloorCol::Fixed {
                    words: words(4 * rows),
                    len: 0,
                },
                SrcCol::Text(t) => FloorCol::Text {
                    offsets: vec![0; rows + 1],
                    data: words(
                        (0..src.slices())
                            .map(|k| t.slice_bytes(k, rows).len())
                            .max()
                            .unwrap_or(0),
                    ),
                    len: 0,
                    valid: words(rows / 8),
                    nulls: 0,
                },
            })
            .collect();
        Floor {
            store: Arc::new(Store { cols }),
            schema,
        }
    }

    /// Slice `k` of `src` as a batch over this floor's buffers.
    ///
    /// # Panics
    /// If an array of the previous batch is still alive.
    pub fn make(&mut self, src: &Source, k: usize) -> RecordBatch {
        let rows = src.rows;
        let range = src.range(k);
        let store = Arc::get_mut(&mut self.store).expect("copy-floor: last batch still alive");
        for (dst, col) in store.cols.iter_mut().zip(&src.cols) {
            match (dst, col) {
                (FloorCol::Fixed { words, len }, SrcCol::I64(v)) => {
                    *len = copy_into(words, &v[range.clone()])
                }
                (FloorCol::Fixed { words, len }, SrcCol::F64(v)) => {
                    *len = copy_into(words, &v[range.clone()])
                }
                (FloorCol::Fixed { words, len }, SrcCol::I32(v)) => {
                    *len = copy_into(words, &v[range.clone()])
                }
                (
                    FloorCol::Text {
                        offsets,
                        data,
                        len,
                        valid,
                        nulls,
                    },
                    SrcCol::Text(t),
                ) => {
                    offsets.copy_from_slice(&t.slice_off[k]);
                    *len = copy_into(data, t.slice_bytes(k, rows));
                    copy_into(valid, &t.slice_valid[k]);
                    *nulls = t.slice_nulls[k];
                }
                _ => unreachable!("floor columns follow the source's"),
            }
        }
        let owner: Arc<dyn Allocation> = self.store.clone();
        let buffer = |ptr: *const u8, len: usize| {
            // SAFETY: `ptr` points into a Vec of the store that `owner` keeps
            // alive, with at least `len` initialized bytes; the store is not
            // written again until every clone of `owner` (every buffer made
            // here) is dropped, which `Arc::get_mut` above checks.
            unsafe {
                Buffer::from_custom_allocation(
                    NonNull::new(ptr.cast_mut()).expect("Vec pointers are not null"),
                    len,
                    Arc::clone(&owner),
                )
            }
        };
        let columns: Vec<ArrayRef> = self
            .store
            .cols
            .iter()
            .zip(&src.cols)
            .map(|(fc, col)| -> ArrayRef {
                match (fc, col) {
                    (FloorCol::Fixed { words, len }, SrcCol::I64(_)) => Arc::new(Int64Array::new(
                        ScalarBuffer::new(buffer(words.as_ptr().cast(), *len), 0, rows),
                        None,
                    )),
                    (FloorCol::Fixed { words, len }, SrcCol::F64(_)) => {
                        Arc::new(Float64Array::new(
                            ScalarBuffer::new(buffer(words.as_ptr().cast(), *len), 0, rows),
                            None,
                        ))
                    }
                    (FloorCol::Fixed { words, len }, SrcCol::I32(_)) => Arc::new(Int32Array::new(
                        ScalarBuffer::new(buffer(words.as_ptr().cast(), *len), 0, rows),
                        None,
                    )),
                    (
                        FloorCol::Text {
                            offsets,
                            data,
                            len,
                            valid,
                            nulls,
                        },
                        SrcCol::Text(_),
                    ) => {
                        let off = ScalarBuffer::<i64>::new(
                            buffer(offsets.as_ptr().cast(), 8 * (rows + 1)),
                            0,
                            rows + 1,
                        );
                        // SAFETY: the offsets are the source's, rebased to 0:
                        // non-negative and non-decreasing.
                        let off = unsafe { OffsetBuffer::new_unchecked(off) };
                        let values = buffer(data.as_ptr().cast(), *len);
                        let bits =
                            BooleanBuffer::new(buffer(valid.as_ptr().cast(), rows / 8), 0, rows);
                        // SAFETY: `nulls` is the count of clear bits of this
                        // slice's bitmap, computed when the table was made.
                        let validity = unsafe { NullBuffer::new_unchecked(bits, *nulls) };
                        // SAFETY: the offsets end at `len`, the values' length,
                        // and the values are ASCII (valid UTF-8) split at the
                        // source's own value boundaries.
                        Arc::new(unsafe {
                            LargeStringArray::new_unchecked(off, values, Some(validity))
                        })
                    }
                    _ => unreachable!("floor columns follow the source's"),
                }
            })
            .collect();
        drop(owner);
        RecordBatch::try_new(Arc::clone(&self.schema), columns).expect("copy-floor batch")
    }
}
