//! Inputs built by hand that reach paths a test needs to see taken, for
//! `tests/fuzz_regressions.rs` (without the `arrow` feature) and
//! `examples/arrow/tests/fuzz_arrays.rs` (with it, where the same inputs
//! also go in through arrow: `arrays.rs`).

use crate::input::{
    BuildOp, Cap, ColOp, Field, Op, PartsTail, ReshapeOp, RowIdx, RowOp, Val, VarParts,
};

/// Operations that reach every form of the variable-width bulk append of
/// valid parts, on a `Utf8` and a `Binary` column of one chunk: `&str`
/// and bytes parts, `i32` and `i64` offsets, NULL slots empty or spanning
/// bytes, 1 to 9 rows (so, with the `arrow` feature, both the
/// `extend_from_array` path, sliced and not, and the `_from_parts` one;
/// see `arrays.rs`), the panicking form every other call; then the chunk
/// goes back and is allocated again. For `tests/fuzz_regressions.rs` and
/// `examples/arrow/tests/fuzz_arrays.rs`.
pub fn var_parts_seed() -> Vec<Op> {
    let fields = vec![Field::Utf8, Field::Var, Field::I64];
    let mut ops = vec![Op::Alloc {
        fields: fields.clone(),
        cap: Cap::Rows(4),
        max: Cap::Rows(255),
    }];
    let mut k = 0u8;
    for n in 1..=9usize {
        for (text, wide, filler) in [
            (true, false, false),
            (true, true, true),
            (false, false, true),
            (false, true, false),
        ] {
            let rows = (0..n)
                .map(|i| match i % 3 {
                    1 => None,
                    0 => Some(format!("é{i}")),
                    _ => Some("xyz".repeat(i)),
                })
                .collect();
            let p = VarParts {
                rows,
                text,
                wide,
                filler,
                tail: PartsTail::None,
            };
            k = k.wrapping_add(1);
            ops.push(Op::Col {
                chunk: 0,
                col: u8::from(!text),
                op: ColOp::Build {
                    op: BuildOp::ExtendVarParts(p),
                    panicking: k % 2 == 0,
                },
            });
        }
    }
    ops.push(Op::Drop { chunk: 0 });
    ops.push(Op::Alloc {
        fields,
        cap: Cap::Rows(4),
        max: Cap::Rows(255),
    });
    ops
}

/// Operations that append a chunk into another many ways, so that, with
/// the `arrow` feature, about half go through `append_record_batch`
/// (`arrays::append_as_batch`: every form, sliced or not, both offset
/// widths): a source of 1 to 12 rows of five types (bytes, `I64`,
/// decimal, a one-byte type, `F32`), NULLs in a pattern that moves,
/// appended as a whole or as selected (`append_chunk`), its last row
/// (`append_row`) and all but its first (`append_rows`), into a
/// destination that has a selection every
/// third time, the panicking form every other call; a
/// source of text and `I64` of 1, 3 and 5 rows; and chunks without
/// columns, whose rows are counted.
pub fn append_chunk_seed() -> Vec<Op> {
    // No text: `Fill` writes bytes that are not UTF-8, which a `Utf8`
    // column exports only as an error (the text source is below).
    let fields = vec![
        Field::Var,
        Field::I64,
        Field::Decimal,
        Field::Size(0),
        Field::F32,
    ];
    let alloc = |fields: Vec<Field>| Op::Alloc {
        fields,
        cap: Cap::Rows(4),
        max: Cap::Rows(255),
    };
    let rows = |op| Op::Rows(op);
    let set_sel = |chunk, sel| {
        rows(RowOp::SetSel {
            chunk,
            sel,
            panicking: false,
        })
    };
    let mut ops = vec![alloc(fields.clone()), alloc(fields)];
    for n in 1..=12u8 {
        ops.push(set_sel(0, None));
        ops.push(rows(RowOp::Truncate {
            chunk: 0,
            rows: RowIdx::In(0),
            panicking: false,
        }));
        ops.push(rows(RowOp::Fill {
            chunk: 0,
            n,
            seed: 0b0100_1001u8.rotate_left(u32::from(n)),
        }));
        if n % 4 == 0 {
            // Three rows selected, one twice, out of order.
            ops.push(set_sel(
                0,
                Some(vec![RowIdx::In(2), RowIdx::In(0), RowIdx::In(2)]),
            ));
        }
        ops.push(set_sel(1, (n % 3 == 0).then(Vec::new)));
        ops.push(rows(RowOp::AppendChunk {
            dst: 1,
            src: 0,
            panicking: n % 2 == 0,
        }));
        // The last physical row, then every one but the first, the
        // selection or not.
        ops.push(rows(RowOp::AppendRow {
            dst: 1,
            src: 0,
            row: RowIdx::In(n - 1),
            panicking: n % 2 == 0,
        }));
        ops.push(rows(RowOp::AppendRows {
            dst: 1,
            src: 0,
            start: RowIdx::In(1),
            end: RowIdx::Past(0),
            panicking: n % 2 == 1,
        }));
    }
    // Text (with NULLs) and `I64`, a row at a time: 1, 3, then 5 rows.
    let text = vec![Field::Utf8, Field::I64];
    ops.push(alloc(text.clone()));
    ops.push(alloc(text));
    for n in [1u8, 3, 5] {
        ops.push(rows(RowOp::Truncate {
            chunk: 2,
            rows: RowIdx::In(0),
            panicking: false,
        }));
        for r in 0..n {
            let s = match r % 3 {
                1 => Val::Null,
                0 => Val::Str(format!("é{r}")),
                _ => Val::Str("xyz".repeat(usize::from(r))),
            };
            for (col, v) in [(0, s), (1, Val::Elem(r))] {
                ops.push(Op::Col {
                    chunk: 2,
                    col,
                    op: ColOp::Append(v),
                });
            }
        }
        ops.push(rows(RowOp::AppendChunk {
            dst: 3,
            src: 2,
            panicking: n == 3,
        }));
    }
    // Chunks without columns: 5, then 3, rows counted.
    ops.push(alloc(Vec::new()));
    ops.push(alloc(Vec::new()));
    for n in [5, 3] {
        ops.push(rows(RowOp::Reshape(ReshapeOp::VirtualRows {
            chunk: 4,
            rows: n,
            panicking: false,
        })));
        ops.push(rows(RowOp::AppendChunk {
            dst: 5,
            src: 4,
            panicking: false,
        }));
    }
    ops
}
