//! Seeds for TiDB's calls that reshape a chunk (`RowOp::Reshape`, modelled
//! in `fuzz/harness/src/reshape.rs`): each op on chunks with rows, NULLs,
//! a selection and `make_ref` groups, both ways (`try_` and panicking),
//! then the chunks go home and the layouts come out again, checked.
//!
//! Run by `tests/fuzz_regressions.rs` (a module of it).

use chunkpool_harness::input::{Cap, ColIdx, Field, Op, ReshapeOp, RowIdx, RowOp};

fn alloc(fields: &[Field]) -> Op {
    Op::Alloc {
        fields: fields.to_vec(),
        cap: Cap::Rows(8),
        max: Cap::Rows(8),
    }
}

fn re(op: ReshapeOp) -> Op {
    Op::Rows(RowOp::Reshape(op))
}

fn fill(chunk: u8, n: u8, seed: u8) -> Op {
    Op::Rows(RowOp::Fill { chunk, n, seed })
}

fn sel(chunk: u8, rows: &[u8]) -> Op {
    Op::Rows(RowOp::SetSel {
        chunk,
        sel: Some(rows.iter().map(|&r| RowIdx::In(r)).collect()),
        panicking: false,
    })
}

/// The reshape scenarios.
pub fn reshape_seeds() -> Vec<Vec<Op>> {
    let three = [Field::I64, Field::Var, Field::I64];
    let compact_and_retain = vec![
        alloc(&three),
        fill(0, 7, 0b0100_1001),
        Op::MakeRef {
            chunk: 0,
            src: 0,
            dst: 2,
        },
        sel(0, &[1, 3, 6]),
        re(ReshapeOp::Display { chunk: 0, max: 2 }),
        re(ReshapeOp::CopySel {
            chunk: 0,
            panicking: true,
        }),
        re(ReshapeOp::Compact {
            chunk: 0,
            panicking: false,
        }),
        fill(0, 4, 3), // refused on the shared columns, kept on the others
        alloc(&three),
        fill(1, 5, 0b10),
        sel(1, &[4, 0, 4]),
        re(ReshapeOp::Compact {
            chunk: 1,
            panicking: true,
        }),
        re(ReshapeOp::Retain {
            chunk: 1,
            mask: 0b101,
            panicking: false,
        }),
        sel(1, &[1, 0]),
        re(ReshapeOp::Retain {
            chunk: 1,
            mask: u64::MAX,
            panicking: true,
        }),
        re(ReshapeOp::ListRows {
            chunks: vec![1, 0, 1],
            back: 0b0110,
        }),
        Op::Drop { chunk: 0 },
        Op::Drop { chunk: 0 },
        alloc(&three),
        alloc(&three),
    ];
    let swaps = vec![
        alloc(&three),
        alloc(&[Field::F32, Field::Var]),
        fill(0, 3, 0b1),
        fill(1, 3, 0b10),
        Op::MakeRef {
            chunk: 1,
            src: 1,
            dst: 0,
        },
        re(ReshapeOp::SwapGroup {
            a: 0,
            i: ColIdx::In(2),
            b: 1,
            j: ColIdx::In(0),
            panicking: false,
        }),
        re(ReshapeOp::SwapGroup {
            a: 1,
            i: ColIdx::In(1),
            b: 1,
            j: ColIdx::In(0),
            panicking: true,
        }),
        re(ReshapeOp::SwapGroup {
            a: 0,
            i: ColIdx::Past(0),
            b: 1,
            j: ColIdx::In(0),
            panicking: true,
        }),
        sel(1, &[2]),
        re(ReshapeOp::SwapGroup {
            a: 0,
            i: ColIdx::In(0),
            b: 1,
            j: ColIdx::In(0),
            panicking: true,
        }),
        re(ReshapeOp::SwapSets { a: 0, b: 1 }),
        // The make_ref group with rows goes to a chunk that had none, whose
        // reset must clear it.
        alloc(&[Field::I64]),
        re(ReshapeOp::SwapSets { a: 2, b: 0 }),
        Op::ResetChunk { chunk: 2 },
        fill(2, 2, 0),
        re(ReshapeOp::MergeNulls {
            chunk: 1,
            dst: ColIdx::In(0),
            srcs: vec![ColIdx::In(1)],
            panicking: false,
        }),
        re(ReshapeOp::MergeNulls {
            chunk: 0,
            dst: ColIdx::In(1),
            srcs: vec![ColIdx::In(0), ColIdx::In(1)],
            panicking: true,
        }),
        Op::Drop { chunk: 1 },
        Op::Drop { chunk: 0 },
        Op::Drop { chunk: 0 },
        alloc(&three),
        alloc(&[Field::F32, Field::Var]),
        alloc(&[Field::I64]),
    ];
    // The first chunk comes from the cache, so its return takes the
    // lock-free pool's fast path.
    let virtual_rows = vec![
        alloc(&[]),
        Op::Drop { chunk: 0 },
        alloc(&[]),
        alloc(&[]),
        re(ReshapeOp::VirtualRows {
            chunk: 0,
            rows: 5,
            panicking: false,
        }),
        sel(0, &[4, 1]),
        re(ReshapeOp::VirtualRows {
            chunk: 0,
            rows: 3,
            panicking: true,
        }),
        Op::Rows(RowOp::AppendChunk {
            dst: 1,
            src: 0,
            panicking: false,
        }),
        re(ReshapeOp::Compact {
            chunk: 0,
            panicking: false,
        }),
        re(ReshapeOp::Display { chunk: 1, max: 0 }),
        alloc(&[Field::I64]),
        re(ReshapeOp::VirtualRows {
            chunk: 2,
            rows: 1,
            panicking: true,
        }),
        re(ReshapeOp::SwapSets { a: 2, b: 1 }),
        Op::Drop { chunk: 1 },
        Op::Drop { chunk: 0 },
        alloc(&[]),
        Op::DropRealloc { chunk: 0 },
    ];
    vec![compact_and_retain, swaps, virtual_rows]
}
