//! The fuzz inputs: operation sequences derived with `arbitrary`.
//!
//! Every type prints (`{:#?}`) as a readable reproduction: `cargo fuzz fmt
//! TARGET FILE` shows what a crashing input does, step by step. Indices
//! (`chunk`, `col`, ...) are taken modulo the number of live chunks or
//! columns at that step, so every input is meaningful.

mod threads;

pub use threads::{HookStep, Kind, MainOp, Phase, SessOp, SessionInput, ThreadOp, ThreadedInput};

use arbitrary::Arbitrary;
use chunkpool::{FieldType, PoolConfig};
use std::fmt;

/// Longest operation list one input runs (keeps each execution short).
pub const MAX_OPS: usize = 256;
/// Most columns per allocated chunk: past the ten fields an exact layout
/// key holds, so wide layouts (hashed keys) are reached too.
pub const MAX_FIELDS: usize = 12;
/// Most chunks alive at once in one world (the oldest is dropped first).
pub const MAX_LIVE: usize = 8;

/// A column type. `Var` is `Binary`; `Size(n)` is a fixed width of
/// `1 + n % 48` bytes, except `Size(255)`, which is raw bytes of the largest
/// width the crate accepts (1024). The logical type of a `Size(n)` is one
/// of those of its width, picked by `n / 48` (see [`Field::ty`]): raw
/// bytes, or a named type where the width has one, so two fields of one
/// width can differ in logical type (the pool shares their buffers but
/// never their whole chunks).
#[derive(Arbitrary, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Var,
    I64,
    F32,
    Decimal,
    Size(u8),
    /// `Utf8`: variable width, read as `&str` (`value_str`, `iter_str`).
    Utf8,
}

impl Field {
    pub fn ty(self) -> FieldType {
        match self {
            Field::Var => FieldType::BINARY,
            Field::I64 => FieldType::I64,
            Field::F32 => FieldType::F32,
            Field::Decimal => FieldType::DECIMAL,
            Field::Utf8 => FieldType::UTF8,
            Field::Size(255) => {
                FieldType::fixed(chunkpool::MAX_ELEM_SIZE).expect("1024 is a valid element size")
            }
            Field::Size(n) => {
                let size = 1 + usize::from(n) % 48;
                let named: &[FieldType] = match size {
                    1 => &[FieldType::I8, FieldType::U8, FieldType::BOOL],
                    2 => &[FieldType::I16, FieldType::U16],
                    4 => &[FieldType::I32, FieldType::U32, FieldType::F32],
                    8 => &[
                        FieldType::I64,
                        FieldType::F64,
                        FieldType::U64,
                        FieldType::TIMESTAMP,
                        FieldType::DURATION,
                    ],
                    40 => &[
                        FieldType::DECIMAL,
                        FieldType::decimal(4, 2).expect("a valid decimal"),
                        FieldType::decimal(65, 30).expect("a valid decimal"),
                    ],
                    _ => &[],
                };
                // 0 is raw bytes, 1.. the named types in turn.
                match usize::from(n / 48) % (named.len() + 1) {
                    0 => FieldType::fixed(size).expect("1..=48 is a valid element size"),
                    i => named[i - 1],
                }
            }
        }
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.ty())
    }
}

/// Field lists are capped at [`MAX_FIELDS`].
pub fn field_types(fields: &[Field]) -> Vec<FieldType> {
    fields.iter().take(MAX_FIELDS).map(|f| f.ty()).collect()
}

/// A capacity or max-chunk-size argument.
#[derive(Arbitrary, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// 0..=255 rows; 0 must be rejected.
    Rows(u8),
    /// A row count whose byte size overflows for every column type (or, with
    /// no columns, a valid huge chunk).
    Huge(HugeCap),
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugeCap {
    UsizeMax,
    IsizeMax,
    IsizeMaxMinus7,
}

impl Cap {
    pub fn get(self) -> usize {
        match self {
            Cap::Rows(n) => usize::from(n),
            Cap::Huge(HugeCap::UsizeMax) => usize::MAX,
            Cap::Huge(HugeCap::IsizeMax) => isize::MAX as usize,
            Cap::Huge(HugeCap::IsizeMaxMinus7) => isize::MAX as usize - 7,
        }
    }
}

impl fmt::Debug for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cap::Rows(n) => write!(f, "{n}"),
            Cap::Huge(h) => write!(f, "{h:?}"),
        }
    }
}

/// A small count limit: one of 0, 1, 2, 3, 8, 64.
#[derive(Arbitrary, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u8);

impl Limit {
    const VALUES: [usize; 6] = [0, 1, 2, 3, 8, 64];

    pub fn get(self) -> usize {
        Self::VALUES[usize::from(self.0) % Self::VALUES.len()]
    }

    /// The limit of that value (one of 0, 1, 2, 3, 8, 64).
    pub fn new(value: usize) -> Limit {
        let i = Self::VALUES.iter().position(|&v| v == value);
        Limit(i.expect("one of 0, 1, 2, 3, 8, 64") as u8)
    }
}

impl fmt::Debug for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// The allocator's limits.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cfg {
    /// The defaults: 64 chunks, 256 columns per class, var columns up to
    /// 16 KiB or 512 bytes a row.
    Default,
    /// Both count limits 0: nothing is ever cached.
    NoReuse,
    /// `with_limits(chunks, columns)`.
    Limits { chunks: Limit, columns: Limit },
    /// Small limits, a small oversize threshold (TiDB's flat rule when
    /// `max_var_bytes` is even, else a per-row limit of `max_var_bytes / 8`
    /// bytes a row on top), maybe a tiny byte budget.
    Tiny {
        chunks: Limit,
        columns: Limit,
        max_var_bytes: u8,
        budget: Option<u16>,
    },
}

impl Cfg {
    pub fn build(self) -> PoolConfig {
        match self {
            Cfg::Default => PoolConfig::default(),
            Cfg::NoReuse => PoolConfig::no_reuse(),
            Cfg::Limits { chunks, columns } => {
                PoolConfig::with_limits(chunks.get(), columns.get()).expect("small limits")
            }
            Cfg::Tiny {
                chunks,
                columns,
                max_var_bytes,
                budget,
            } => {
                let mut b = PoolConfig::builder()
                    .max_free_chunks(chunks.get())
                    .max_free_columns(columns.get())
                    .max_cached_var_bytes(usize::from(max_var_bytes) * 8)
                    .max_cached_var_bytes_per_row(if max_var_bytes % 2 == 0 {
                        0
                    } else {
                        usize::from(max_var_bytes / 8)
                    });
                if let Some(bytes) = budget {
                    b = b.byte_budget(usize::from(bytes));
                }
                b.build().expect("small limits")
            }
        }
    }
}

/// A value to append to a column.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum Val {
    I64(i64),
    U64(u64),
    F64(f64),
    I32(i32),
    U32(u32),
    F32(f32),
    /// Var: a byte string. Fixed: raw element bytes, on any logical type (a
    /// mismatch unless the length is the element size).
    Bytes(Vec<u8>),
    /// `append_str` on a var column; `try_append_bytes` (a mismatch) on a
    /// fixed one.
    Str(String),
    /// An element of the right shape generated from the seed, appended
    /// through the typed accessor of the column's logical type (raw bytes
    /// for raw and decimal columns, a byte string for var ones).
    Elem(u8),
    Null,
}

/// An operation on one column, through `try_column_mut` (fails while the
/// column is shared).
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum ColOp {
    Append(Val),
    /// Appends `n % 65` generated values (every third one NULL when
    /// `seed % 5 == 0`).
    AppendMany {
        n: u8,
        seed: u8,
    },
    /// `resize(rows, null)`; a mismatch on a var column.
    Resize {
        rows: u8,
        null: bool,
    },
    /// Overwrites every element through `as_mut_slice` of the Rust type of
    /// the column's logical type; on raw, decimal and var columns a `u64`
    /// view, a mismatch.
    WriteSlice {
        seed: u8,
    },
    SetAvoidReusing(bool),
    Reset,
    ResetAs(Field),
    /// A NULL-aware or bulk builder call (`append_option*`, `set_null`,
    /// `extend_*`): the `try_` form, or with `panicking` the panicking
    /// one (expected to panic with the `try_` form's error where the model
    /// predicts one).
    Build {
        op: BuildOp,
        panicking: bool,
    },
    /// Fills the column's spare capacity (`spare_capacity_mut`: data words,
    /// offsets, bitmap bytes) with bytes generated from `seed`. The column
    /// must read as before, and nothing written there may show later: a
    /// NULL appended afterwards reads zero, a row appended reads what was
    /// appended, and a chunk the column comes back in shows no bytes.
    Spare {
        seed: u8,
    },
}

/// Which Rust type a typed builder call uses: an even byte picks the
/// column's own (the first accessor that takes its logical type, `i64`
/// where none does), an odd one any of the ten (mostly a mismatch).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acc(pub u8);

/// A column builder call (`fuzz/harness/src/build.rs` models them).
/// Values of a typed call are generated from their seed (`pattern`).
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum BuildOp {
    /// `append_option::<T>(Some(..) or None)`.
    AppendOption {
        acc: Acc,
        val: Option<u8>,
    },
    AppendOptionBytes(Option<Vec<u8>>),
    AppendOptionStr(Option<String>),
    /// `set_null(row, null)`; the row may be past the length.
    SetNull {
        row: RowIdx,
        null: bool,
    },
    /// `extend_from_slice::<T>` of `n % 33` values.
    ExtendFromSlice {
        acc: Acc,
        n: u8,
        seed: u8,
    },
    ExtendOptions {
        acc: Acc,
        vals: Vec<Option<u8>>,
    },
    ExtendBytes(Vec<Vec<u8>>),
    ExtendStr(Vec<String>),
    /// `extend_from_parts::<T>` of `n % 33` values and no validity bitmap
    /// (every row valid); `ExtendOptions` of an odd length reaches the form
    /// with a bitmap.
    ExtendFromParts {
        acc: Acc,
        n: u8,
        seed: u8,
    },
    /// The variable-width bulk appends with a validity bitmap, in Arrow's
    /// layout (see [`VarParts`]).
    ExtendVarParts(VarParts),
    /// `append_nulls(n % 33)`.
    AppendNulls(u8),
    /// `set_nulls(start..end, null)`; the range may be inverted or reach
    /// past the length.
    SetNulls {
        start: RowIdx,
        end: RowIdx,
        null: bool,
    },
    /// The `Bool` bulk appends: `extend_bools_from_parts` (a packed
    /// bitmap, the value bit of a NULL row set, which must not show) when
    /// `packed`; else `extend_bools` when no item is `None`, else
    /// `extend_option_bools` (or `Extend<Option<bool>>` in the panicking
    /// form). A mismatch on every other type.
    ExtendBools {
        vals: Vec<Option<bool>>,
        packed: bool,
    },
    /// `reserve_bytes(rows, bytes)`: room, and no row; a mismatch on a
    /// fixed-width column.
    ReserveBytes {
        rows: u8,
        bytes: u16,
    },
}

/// Rows for `extend_bytes_from_parts` / `extend_str_from_parts` with a
/// validity bitmap: the values back to back after a junk prefix, offsets
/// into them, row `i` NULL where `rows[i]` is `None` (its bit clear; the
/// unused high bits of the last bitmap byte are set, and must be ignored).
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub struct VarParts {
    pub rows: Vec<Option<String>>,
    /// `extend_str_from_parts` (the values as a `&str`, every offset
    /// checked for a character boundary); else `extend_bytes_from_parts`.
    pub text: bool,
    /// `i64` offsets (Arrow's large layouts); else `i32`.
    pub wide: bool,
    /// A NULL row's slot spans the bytes `"zz"` (Arrow allows it): the
    /// rows are then copied one by one, and the NULL row stays empty.
    pub filler: bool,
    pub tail: PartsTail,
}

/// What follows the rows of a [`VarParts`] call.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartsTail {
    None,
    /// One more row that ends inside a two-byte character: an error for
    /// the `&str` form, found after the rows were copied (the buffers grew
    /// first, and keep their capacity while the rows roll back); one row
    /// of one byte for the bytes form.
    Split,
    /// One more row whose end lies past the values: an error.
    Past,
    /// A bitmap a byte too short for the rows: an error (no change when
    /// there is no row).
    ShortBitmap,
}

/// A row index relative to the row count `n` it is used against: `In(i)`
/// is `i % n` (`i` itself when `n` is 0, so out of range), `Past(i)` is
/// `n + i % 4`, or the type's largest value for `Past(255)`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowIdx {
    In(u8),
    Past(u8),
}

impl RowIdx {
    pub fn resolve(self, n: usize) -> usize {
        match self {
            RowIdx::In(i) if n > 0 => usize::from(i) % n,
            RowIdx::In(i) => usize::from(i),
            RowIdx::Past(255) => usize::MAX,
            RowIdx::Past(i) => n + usize::from(i % 4),
        }
    }

    /// As a selection-vector entry.
    pub fn resolve_u32(self, n: usize) -> u32 {
        match self {
            RowIdx::Past(255) => u32::MAX,
            _ => u32::try_from(self.resolve(n)).expect("small row counts"),
        }
    }
}

/// A column index relative to a chunk's column count `n`: `In(i)` is
/// `i % n` (past the end when `n` is 0), `Past(i)` is `n + i % 4`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColIdx {
    In(u8),
    Past(u8),
}

impl ColIdx {
    pub fn resolve(self, n: usize) -> usize {
        match self {
            ColIdx::In(i) if n > 0 => usize::from(i) % n,
            ColIdx::In(i) | ColIdx::Past(i) => n + usize::from(i % 4),
        }
    }
}

/// Row movement, the selection vector and the chunk-level column moves
/// on live chunks (`fuzz/harness/src/rows.rs` models them). Chunks are
/// picked modulo the live count; `dst` and `src` naming one chunk is a
/// no-op (the borrow rules forbid it). Every op runs the `try_` method, or
/// with `panicking` the panicking one (expected to panic with the `try_`
/// form's error where the model predicts one).
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum RowOp {
    /// `append_row(src, row)`.
    AppendRow {
        dst: u8,
        src: u8,
        row: RowIdx,
        panicking: bool,
    },
    /// `append_rows(src, start..end)` (the range may be inverted).
    AppendRows {
        dst: u8,
        src: u8,
        start: RowIdx,
        end: RowIdx,
        panicking: bool,
    },
    /// `append_selected(src, rows)`.
    AppendSelected {
        dst: u8,
        src: u8,
        rows: Vec<RowIdx>,
        panicking: bool,
    },
    /// `append_selected_bitmap(src, mask)`.
    AppendBitmap {
        dst: u8,
        src: u8,
        mask: Vec<u8>,
        panicking: bool,
    },
    /// `append_chunk(src)`: the source's selection, or all its rows.
    AppendChunk { dst: u8, src: u8, panicking: bool },
    /// `set_sel(sel)`; indices relative to the chunk's `num_rows()`.
    /// `sel: None` with `panicking` is `take_sel()` instead.
    SetSel {
        chunk: u8,
        sel: Option<Vec<RowIdx>>,
        panicking: bool,
    },
    /// `a.swap_column(i, b, j)` (the method; [`Op::SwapColumns`] swaps
    /// through `column_mut`): indices may be out of range.
    Swap {
        a: u8,
        i: ColIdx,
        b: u8,
        j: ColIdx,
        panicking: bool,
    },
    /// `set_column(col, c)` with `c` a new column of `field` (capacity
    /// relative to the chunk's) holding `fill % 17` generated values.
    SetColumn {
        chunk: u8,
        col: ColIdx,
        field: Field,
        cap: ColCap,
        fill: u8,
        seed: u8,
        panicking: bool,
    },
    /// `take_column(col)`; the taken column is checked, then dropped.
    TakeColumn {
        chunk: u8,
        col: ColIdx,
        panicking: bool,
    },
    /// A column travels: taken from `src` (`take_column`), put into `dst`
    /// (`set_column`), and with `back` the column that comes out of `dst`
    /// is put where the taken one was. Chunks may be one, of other
    /// allocators, or unpooled.
    Move {
        src: u8,
        src_col: ColIdx,
        dst: u8,
        dst_col: ColIdx,
        back: bool,
    },
    /// `n % 17` generated rows appended to every column (row `i` NULL
    /// where bit `i % 8` of `seed` is set): the chunk stays rectangular
    /// where it was, so appends between chunks get past the ragged check
    /// with rows, and NULLs, to move.
    Fill { chunk: u8, n: u8, seed: u8 },
    /// `truncate(rows)` (`rows` relative to the chunk's `num_rows()`, past
    /// it a no-op): the columns cut, or the selection when there is one.
    Truncate {
        chunk: u8,
        rows: RowIdx,
        panicking: bool,
    },
    /// `append_partial_row(col_off % 4, src, row)` (TiDB's
    /// `AppendPartialRow`), between two distinct chunks.
    AppendPartialRow {
        dst: u8,
        src: u8,
        col_off: u8,
        row: RowIdx,
        panicking: bool,
    },
    /// `append_row_by_col_idxs(src, row, idxs)` (TiDB's
    /// `AppendRowByColIdxs`), between two distinct chunks.
    AppendByColIdxs {
        dst: u8,
        src: u8,
        row: RowIdx,
        idxs: Vec<ColIdx>,
        panicking: bool,
    },
    /// TiDB's calls that reshape a chunk in place, copy it or read it
    /// whole (`fuzz/harness/src/reshape.rs` models them).
    Reshape(ReshapeOp),
}

/// See [`RowOp::Reshape`]. Chunks are picked modulo the live count;
/// `panicking` as in [`RowOp`].
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum ReshapeOp {
    /// `set_num_virtual_rows(rows)`: refused on a chunk with columns.
    VirtualRows {
        chunk: u8,
        rows: u8,
        panicking: bool,
    },
    /// `merge_nulls(dst, srcs)`.
    MergeNulls {
        chunk: u8,
        dst: ColIdx,
        srcs: Vec<ColIdx>,
        panicking: bool,
    },
    /// `copy_construct_sel()`: the copy is checked, then dropped.
    CopySel { chunk: u8, panicking: bool },
    /// `a.swap_column(i, b, j)`, or `swap_column_within(i, j)` when `a`
    /// and `b` pick one chunk.
    SwapGroup {
        a: u8,
        i: ColIdx,
        b: u8,
        j: ColIdx,
        panicking: bool,
    },
    /// `a.swap_columns(b)`, between distinct chunks.
    SwapSets { a: u8, b: u8 },
    /// `compact()`.
    Compact { chunk: u8, panicking: bool },
    /// `retain`, keeping the `k`-th row it is shown where bit `k % 64`
    /// of `mask` is set.
    Retain {
        chunk: u8,
        mask: u64,
        panicking: bool,
    },
    /// A `ListRows` over the picked chunks (repeats dropped), stepping
    /// from the back where bit `s % 16` of `back` is set.
    ListRows { chunks: Vec<u8>, back: u16 },
    /// `display(max)`: the table's shape and its tail line.
    Display { chunk: u8, max: u8 },
}

/// The row capacity of a column made to replace another: absolute, or
/// relative to the capacity of the chunk it goes into, so the cases that
/// matter (just too small, just right, larger) are one choice away.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColCap {
    Rows(u8),
    /// The chunk's capacity minus `n % 4` (at least 0).
    Below(u8),
    /// The chunk's capacity plus `n`.
    Above(u8),
}

impl ColCap {
    pub fn rows(self, chunk_capacity: usize) -> usize {
        match self {
            ColCap::Rows(n) => usize::from(n),
            ColCap::Below(n) => chunk_capacity.saturating_sub(usize::from(n % 4)),
            ColCap::Above(n) => chunk_capacity.saturating_add(usize::from(n)),
        }
    }
}

/// One step of `allocator_ops` and `differential`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum Op {
    Alloc {
        fields: Vec<Field>,
        cap: Cap,
        max: Cap,
    },
    /// Allocates the layout, capacity and max size of live chunk `chunk`.
    AllocLike {
        chunk: u8,
    },
    /// Drops live chunk `chunk` and at once allocates its layout again.
    DropRealloc {
        chunk: u8,
    },
    /// `Chunk::try_new`: a chunk that belongs to no pool.
    Unpooled {
        fields: Vec<Field>,
        cap: Cap,
        max: Cap,
    },
    Col {
        chunk: u8,
        col: u8,
        op: ColOp,
    },
    MakeRef {
        chunk: u8,
        src: u8,
        dst: u8,
    },
    MakeRefTo {
        dst_chunk: u8,
        dst: u8,
        src_chunk: u8,
        src: u8,
    },
    ResetChunk {
        chunk: u8,
    },
    SetRequiredRows {
        chunk: u8,
        rows: u8,
        max: u8,
    },
    Drop {
        chunk: u8,
    },
    /// Out-of-range column and row accesses must fail cleanly.
    BadIndex {
        chunk: u8,
        col: u8,
        row: u8,
    },
    /// `ChunkAllocator::reset` (a statement boundary).
    AllocatorReset,
    /// `trim()`: empty the cache (freed before `trim` returns).
    Trim,
    /// [`ColOp::Spare`] on every column of every live chunk that is not
    /// shared (a unit step: it takes no input bytes).
    Scribble,
    /// `Renew::renew`: a new allocator becomes current; chunks still out
    /// keep the old one alive and return to it.
    Renew,
    /// `std::mem::replace(chunk.column_mut(col), Column::new(field, cap))`,
    /// through `try_column_mut` (fails while the column is shared): the old
    /// column comes out holding what the model says, and is freed, not
    /// recycled.
    ReplaceColumn {
        chunk: u8,
        col: u8,
        field: Field,
        cap: ColCap,
    },
    /// `std::mem::swap(a.column_mut(i), b.column_mut(j))` (TiDB's
    /// `SwapColumn`); `a` may be `b` (with `i != j`), and either may be
    /// unpooled or come from another allocator.
    SwapColumns {
        a: u8,
        i: u8,
        b: u8,
        j: u8,
    },
    /// `*dst.column_mut(dst_col) = src.column(src_col).clone()`; `src` may
    /// be `dst`, and the source may be shared.
    CloneColumnInto {
        src_chunk: u8,
        src_col: u8,
        dst_chunk: u8,
        dst_col: u8,
    },
    Rows(RowOp),
}

/// Input of `allocator_ops` and `differential`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub struct AllocInput {
    pub config: Cfg,
    pub ops: Vec<Op>,
}

/// Bytes generated from a seed: deterministic, varied.
pub fn pattern(seed: u64, i: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(i.wrapping_mul(0xbf58_476d_1ce4_e5b9))
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
