//! Replays the fuzz harness on stable `cargo test`, no nightly needed:
//!
//! * every input kept in `fuzz/regressions/<target>/` (raw libFuzzer input
//!   bytes, decoded exactly as `fuzz_target!` decodes them); a file
//!   `<name>.txt` beside one holds its expected `{:#?}` decoding, so a change
//!   in how `arbitrary` decodes bytes fails loudly instead of silently
//!   replaying something else (`FUZZ_REGRESSIONS_WRITE_DEBUG=1 cargo test
//!   --test fuzz_regressions` writes the missing ones);
//! * hand-written seed inputs for each target (the scenarios the targets
//!   exist for: TiDB's reuse, make_ref, avoid_reusing, oversize, limits of 0
//!   and 1, a tiny byte budget, trim, renew, the session lifecycle, a
//!   panicking hook, racing workers), and in `column_seeds/` the steps that
//!   change a live chunk's columns (replace, swap, clone) before it returns;
//! * a few hundred deterministic pseudo-random inputs per target.
//!
//! The harness itself is the `chunkpool-harness` crate in `fuzz/harness/`
//! (a path-only dev-dependency of this crate; see its `lib.rs`).

// Seeds for the steps that change a live chunk's columns.
mod column_seeds;
// Seeds for TiDB's calls that reshape a chunk.
mod reshape_seeds;

use chunkpool_harness::input::{
    Acc, AllocInput, BuildOp, Cap, Cfg, ColCap, ColIdx, ColOp, Field, HookStep, HugeCap, Kind,
    Limit, MainOp, Op, Phase, RowIdx, RowOp, SessOp, SessionInput, ThreadOp, ThreadedInput, Val,
};
use std::path::Path;

// Miri interprets every step about a thousand times slower: under it this
// file runs the single-threaded seeds only (the first three allocator
// scenarios, default limits; the session scenarios).
/// Random inputs per target.
const RANDOM_INPUTS: u64 = 300;
/// Longest random input, in bytes.
const RANDOM_LEN: usize = 2048;
/// Allocator seed scenarios run.
const SEED_OPS: usize = if cfg!(miri) { 3 } else { usize::MAX };
/// Configurations each seed runs under.
const SEED_CONFIGS: usize = if cfg!(miri) { 1 } else { usize::MAX };

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; runs natively and under ASan/TSan (.ci/sanitizers.sh)"
)]
fn regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for target in chunkpool_harness::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            if file.extension().is_some_and(|e| e == "txt" || e == "md") {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap();
            eprintln!("replaying {}", file.display());
            let debug = chunkpool_harness::replay(target, &bytes).unwrap_or_else(|| {
                panic!("{} no longer decodes as a {target} input", file.display())
            });
            let expected = file.with_extension("txt");
            match std::fs::read_to_string(&expected) {
                Ok(want) => assert_eq!(
                    debug.trim_end(),
                    want.trim_end(),
                    "{} decodes differently from {}",
                    file.display(),
                    expected.display()
                ),
                // FUZZ_REGRESSIONS_WRITE_DEBUG=1 records a new input's decoding.
                Err(_) if std::env::var_os("FUZZ_REGRESSIONS_WRITE_DEBUG").is_some() => {
                    std::fs::write(&expected, format!("{debug}\n")).unwrap();
                }
                Err(_) => {}
            }
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} regression inputs");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; runs natively and under ASan/TSan (.ci/sanitizers.sh)"
)]
fn random_inputs() {
    for target in chunkpool_harness::TARGETS {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..RANDOM_INPUTS {
            let len = 16 + (i as usize * 37) % RANDOM_LEN;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            chunkpool_harness::replay(target, &bytes);
        }
    }
}

fn i64s() -> Vec<Field> {
    vec![Field::I64, Field::Var, Field::Decimal, Field::F32]
}

fn col(chunk: u8, col: u8, op: ColOp) -> Op {
    Op::Col { chunk, col, op }
}

/// The limits every allocator seed runs under: TiDB's defaults, no reuse,
/// limits of 0 and 1, tiny byte budgets, and a variable-width limit below
/// one 64-byte block with no budget (a fresh one-row string column is then
/// refused, and the model must not promise it comes back).
fn configs() -> [Cfg; 8] {
    [
        Cfg::Default,
        Cfg::NoReuse,
        Cfg::Limits {
            chunks: Limit::new(1),
            columns: Limit::new(1),
        },
        Cfg::Limits {
            chunks: Limit::new(0),
            columns: Limit::new(2),
        },
        Cfg::Limits {
            chunks: Limit::new(1),
            columns: Limit::new(0),
        },
        Cfg::Tiny {
            chunks: Limit::new(2),
            columns: Limit::new(3),
            max_var_bytes: 4,
            budget: Some(300),
        },
        Cfg::Tiny {
            chunks: Limit::new(64),
            columns: Limit::new(64),
            max_var_bytes: 255,
            budget: Some(0),
        },
        Cfg::Tiny {
            chunks: Limit::new(3),
            columns: Limit::new(3),
            max_var_bytes: 1,
            budget: None,
        },
    ]
}

/// The allocator scenarios; each runs through `allocator_ops` and
/// `differential`.
fn alloc_seeds() -> Vec<AllocInput> {
    let tidb_reuse = vec![
        Op::Alloc {
            fields: i64s(),
            cap: Cap::Rows(32),
            max: Cap::Rows(64),
        },
        col(0, 0, ColOp::Append(Val::I64(-7))),
        col(0, 1, ColOp::Append(Val::Str("tidb".into()))),
        col(0, 1, ColOp::Append(Val::Null)),
        col(0, 2, ColOp::AppendMany { n: 40, seed: 5 }),
        col(0, 3, ColOp::Append(Val::F32(1.5))),
        col(
            0,
            3,
            ColOp::Resize {
                rows: 9,
                null: false,
            },
        ),
        col(0, 3, ColOp::WriteSlice { seed: 3 }),
        Op::DropRealloc { chunk: 0 },
        Op::AllocLike { chunk: 0 },
        col(1, 0, ColOp::AppendMany { n: 64, seed: 1 }),
        Op::Drop { chunk: 1 },
        Op::Alloc {
            fields: i64s(),
            cap: Cap::Rows(16),
            max: Cap::Rows(64),
        },
        Op::BadIndex {
            chunk: 0,
            col: 1,
            row: 3,
        },
        Op::AllocatorReset,
    ];
    // A join's output row from two partial rows, into a chunk with a
    // selection; then the same by column index, and a truncation.
    let two_i64 = || Op::Alloc {
        fields: vec![Field::I64, Field::I64],
        cap: Cap::Rows(8),
        max: Cap::Rows(8),
    };
    let one_i64 = || Op::Alloc {
        fields: vec![Field::I64],
        cap: Cap::Rows(8),
        max: Cap::Rows(8),
    };
    let partial_rows = vec![
        two_i64(),
        one_i64(),
        Op::Rows(RowOp::Fill {
            chunk: 1,
            n: 3,
            seed: 2,
        }),
        Op::Rows(RowOp::SetSel {
            chunk: 0,
            sel: Some(vec![]),
            panicking: false,
        }),
        Op::Rows(RowOp::AppendPartialRow {
            dst: 0,
            src: 1,
            col_off: 0,
            row: RowIdx::In(2),
            panicking: false,
        }),
        Op::Rows(RowOp::AppendPartialRow {
            dst: 0,
            src: 1,
            col_off: 1,
            row: RowIdx::In(1),
            panicking: true,
        }),
        Op::Rows(RowOp::AppendByColIdxs {
            dst: 0,
            src: 1,
            row: RowIdx::In(0),
            idxs: vec![ColIdx::In(0), ColIdx::In(0)],
            panicking: false,
        }),
        Op::Rows(RowOp::Truncate {
            chunk: 0,
            rows: RowIdx::In(1),
            panicking: false,
        }),
    ];
    let sharing = vec![
        Op::Alloc {
            fields: vec![Field::I64, Field::I64, Field::Var],
            cap: Cap::Rows(8),
            max: Cap::Rows(8),
        },
        col(0, 0, ColOp::Append(Val::I64(42))),
        Op::MakeRef {
            chunk: 0,
            src: 0,
            dst: 1,
        },
        col(0, 1, ColOp::Append(Val::I64(1))),
        Op::Unpooled {
            fields: vec![Field::Var],
            cap: Cap::Rows(4),
            max: Cap::Rows(4),
        },
        Op::MakeRefTo {
            dst_chunk: 1,
            dst: 0,
            src_chunk: 0,
            src: 2,
        },
        Op::ResetChunk { chunk: 0 },
        Op::Drop { chunk: 0 },
        Op::ResetChunk { chunk: 0 },
        Op::SetRequiredRows {
            chunk: 0,
            rows: 0,
            max: 9,
        },
        Op::Drop { chunk: 0 },
    ];
    let avoid_and_oversize = vec![
        Op::Alloc {
            fields: vec![Field::Var, Field::Size(7)],
            cap: Cap::Rows(200),
            max: Cap::Rows(255),
        },
        col(0, 0, ColOp::AppendMany { n: 64, seed: 9 }),
        col(0, 0, ColOp::AppendMany { n: 64, seed: 19 }),
        col(0, 1, ColOp::SetAvoidReusing(true)),
        col(0, 1, ColOp::Append(Val::Bytes(vec![1; 8]))),
        col(0, 1, ColOp::Append(Val::Bytes(vec![1; 7]))),
        col(0, 1, ColOp::Append(Val::Elem(3))),
        col(0, 1, ColOp::ResetAs(Field::Var)),
        Op::Drop { chunk: 0 },
        Op::Alloc {
            fields: vec![Field::Var, Field::Size(7)],
            cap: Cap::Rows(200),
            max: Cap::Rows(255),
        },
    ];
    // TiDB's reuse bug class: a recycled buffer must not show what its
    // earlier user wrote, not even in the zeroed element of a NULL.
    let null_after_reuse = vec![
        Op::Alloc {
            fields: vec![Field::I64, Field::Decimal, Field::Var],
            cap: Cap::Rows(4),
            max: Cap::Rows(4),
        },
        col(0, 0, ColOp::AppendMany { n: 9, seed: 1 }),
        col(0, 1, ColOp::AppendMany { n: 9, seed: 2 }),
        col(0, 2, ColOp::AppendMany { n: 9, seed: 3 }),
        Op::DropRealloc { chunk: 0 },
        col(0, 0, ColOp::Append(Val::Null)),
        col(0, 1, ColOp::Append(Val::Null)),
        col(0, 2, ColOp::Append(Val::Null)),
        col(0, 0, ColOp::AppendMany { n: 9, seed: 4 }),
        Op::ResetChunk { chunk: 0 },
        col(0, 0, ColOp::Append(Val::Null)),
        col(0, 1, ColOp::Append(Val::Null)),
        col(0, 1, ColOp::ResetAs(Field::I64)),
        col(0, 1, ColOp::Append(Val::Null)),
    ];
    let bad_input = vec![
        Op::Alloc {
            fields: vec![Field::I64],
            cap: Cap::Rows(0),
            max: Cap::Rows(4),
        },
        Op::Alloc {
            fields: vec![Field::I64],
            cap: Cap::Rows(4),
            max: Cap::Rows(0),
        },
        Op::Alloc {
            fields: vec![Field::Size(0), Field::Var],
            cap: Cap::Huge(chunkpool_harness::input::HugeCap::UsizeMax),
            max: Cap::Huge(chunkpool_harness::input::HugeCap::IsizeMax),
        },
        Op::Alloc {
            fields: vec![],
            cap: Cap::Huge(chunkpool_harness::input::HugeCap::IsizeMaxMinus7),
            max: Cap::Huge(chunkpool_harness::input::HugeCap::UsizeMax),
        },
        Op::Alloc {
            fields: vec![Field::Size(255), Field::F32],
            cap: Cap::Rows(3),
            max: Cap::Rows(2),
        },
        col(1, 0, ColOp::Append(Val::I64(1))),
        col(1, 1, ColOp::Append(Val::F64(1.0))),
        col(1, 1, ColOp::Append(Val::U32(7))),
        col(1, 1, ColOp::Append(Val::Str("x".into()))),
        col(
            1,
            0,
            ColOp::Resize {
                rows: 3,
                null: true,
            },
        ),
        col(1, 0, ColOp::WriteSlice { seed: 1 }),
        Op::BadIndex {
            chunk: 1,
            col: 0,
            row: 0,
        },
    ];
    let trim_renew = vec![
        Op::Alloc {
            fields: vec![Field::I64, Field::Var],
            cap: Cap::Rows(4),
            max: Cap::Rows(8),
        },
        Op::Alloc {
            fields: vec![Field::F32],
            cap: Cap::Rows(4),
            max: Cap::Rows(8),
        },
        Op::Drop { chunk: 0 },
        Op::Trim,
        Op::Renew,
        Op::Drop { chunk: 0 },
        Op::Alloc {
            fields: vec![Field::I64, Field::Var],
            cap: Cap::Rows(4),
            max: Cap::Rows(8),
        },
        Op::Renew,
        Op::Renew,
        Op::Renew,
        Op::Renew,
        Op::Drop { chunk: 0 },
        Op::Trim,
    ];
    let many_sizes: Vec<Op> = (0..20u8)
        .flat_map(|i| {
            [
                Op::Alloc {
                    fields: vec![Field::Size(i), Field::Size(i.wrapping_mul(7)), Field::Var],
                    cap: Cap::Rows(3 + i),
                    max: Cap::Rows(16),
                },
                Op::Drop { chunk: i },
            ]
        })
        .collect();
    // One-row string columns: 8 bytes of data asked for, one 64-byte block
    // made, which a variable-width limit under 64 bytes refuses (the CI
    // fuzz finding of 2026-12-02 in `differential`).
    let one_row_strings = vec![
        Op::Alloc {
            fields: vec![Field::Var],
            cap: Cap::Rows(1),
            max: Cap::Rows(1),
        },
        Op::Drop { chunk: 0 },
        Op::Alloc {
            fields: vec![Field::Utf8, Field::I64],
            cap: Cap::Rows(1),
            max: Cap::Rows(2),
        },
        col(0, 0, ColOp::Append(Val::Str("a".into()))),
        Op::Drop { chunk: 0 },
        Op::Alloc {
            fields: vec![Field::Utf8, Field::I64],
            cap: Cap::Rows(1),
            max: Cap::Rows(2),
        },
    ];
    // A Bool column takes only 0 and 1 (u8 writes and a raw 2 refused,
    // the bool bulk paths, set_bool), decimals of two precisions (one
    // layout each), fixed_bytes_mut, reserve_bytes and Extend<&str>.
    let (boolean, d4_2, d65_30) = (Field::Size(144), Field::Size(135), Field::Size(183));
    let layout = vec![boolean, d4_2, Field::Utf8, d65_30];
    let build =
        |col_: u8, op: BuildOp, panicking: bool| col(0, col_, ColOp::Build { op, panicking });
    let bools_and_decimals = vec![
        Op::Alloc {
            fields: layout.clone(),
            cap: Cap::Rows(8),
            max: Cap::Rows(16),
        },
        col(0, 0, ColOp::Append(Val::Bytes(vec![2]))),
        col(0, 0, ColOp::Append(Val::Bytes(vec![1]))),
        col(0, 0, ColOp::Append(Val::U32(1))),
        build(
            0,
            BuildOp::AppendOption {
                acc: Acc(0),
                val: Some(3),
            },
            false,
        ),
        build(
            0,
            BuildOp::ExtendFromSlice {
                acc: Acc(0),
                n: 3,
                seed: 5,
            },
            true,
        ),
        build(
            0,
            BuildOp::ExtendBools {
                vals: vec![Some(true), None, Some(false), None, Some(true)],
                packed: true,
            },
            false,
        ),
        build(
            0,
            BuildOp::ExtendBools {
                vals: vec![Some(false), None],
                packed: false,
            },
            true,
        ),
        build(
            0,
            BuildOp::ExtendBools {
                vals: vec![Some(true); 9],
                packed: false,
            },
            false,
        ),
        col(0, 0, ColOp::WriteSlice { seed: 7 }),
        col(0, 1, ColOp::AppendMany { n: 5, seed: 3 }),
        col(0, 1, ColOp::WriteSlice { seed: 9 }),
        col(0, 1, ColOp::WriteSlice { seed: 10 }),
        build(
            1,
            BuildOp::ExtendBools {
                vals: vec![Some(true)],
                packed: true,
            },
            true,
        ),
        build(1, BuildOp::ReserveBytes { rows: 1, bytes: 1 }, true),
        build(
            2,
            BuildOp::ReserveBytes {
                rows: 10,
                bytes: 300,
            },
            false,
        ),
        build(
            2,
            BuildOp::ExtendStr(vec!["ab".into(), "".into(), "c".into(), "d".into()]),
            true,
        ),
        col(0, 2, ColOp::WriteSlice { seed: 1 }),
        col(0, 3, ColOp::AppendMany { n: 2, seed: 4 }),
        Op::Drop { chunk: 0 },
        Op::Alloc {
            fields: vec![boolean, d65_30, Field::Utf8, d4_2],
            cap: Cap::Rows(8),
            max: Cap::Rows(16),
        },
        Op::Alloc {
            fields: layout,
            cap: Cap::Rows(8),
            max: Cap::Rows(16),
        },
    ];
    let mut seeds = Vec::new();
    for ops in [
        bools_and_decimals,
        one_row_strings,
        tidb_reuse,
        null_after_reuse,
        sharing,
        avoid_and_oversize,
        bad_input,
        trim_renew,
        many_sizes,
        partial_rows,
        chunkpool_harness::seeds::var_parts_seed(),
        chunkpool_harness::seeds::append_chunk_seed(),
    ]
    .into_iter()
    .chain(reshape_seeds::reshape_seeds())
    .take(SEED_OPS)
    {
        for config in configs().into_iter().take(SEED_CONFIGS) {
            seeds.push(AllocInput {
                config,
                ops: ops.clone(),
            });
        }
    }
    seeds
}

/// The fuzz find of `set_column` on an unpooled chunk of no columns whose
/// capacity is `isize::MAX - 7` rows (the replacement column's capacity
/// overflowed): kept as the operations it decoded to, which survive new
/// operations in the harness, where its bytes did not.
#[test]
fn set_column_near_isize_max() {
    let input = AllocInput {
        config: Cfg::Default,
        ops: vec![
            Op::Unpooled {
                fields: vec![],
                cap: Cap::Huge(HugeCap::IsizeMaxMinus7),
                max: Cap::Huge(HugeCap::IsizeMaxMinus7),
            },
            Op::Scribble,
            Op::Rows(RowOp::SetColumn {
                chunk: 177,
                col: ColIdx::Past(177),
                field: Field::Size(0), // 1-byte raw bytes
                cap: ColCap::Below(202),
                fill: 1,
                seed: 128,
                panicking: true,
            }),
        ],
    };
    chunkpool_harness::run_allocator_ops(&input);
    chunkpool_harness::run_differential(&input);
}

#[test]
fn seeds_allocator_ops() {
    for input in alloc_seeds() {
        chunkpool_harness::run_allocator_ops(&input);
    }
}

#[test]
fn seeds_differential() {
    for input in alloc_seeds() {
        chunkpool_harness::run_differential(&input);
    }
}

#[test]
fn seeds_session_ops() {
    chunkpool_harness::panics::install_panic_filter();
    let alloc = |keep| SessOp::Alloc {
        fields: vec![Field::I64, Field::Var],
        cap: Cap::Rows(4),
        max: Cap::Rows(8),
        keep,
    };
    let ops = vec![
        SessOp::BeginStatement,
        alloc(false),
        SessOp::SetAlloc,
        alloc(true),
        SessOp::Append {
            chunk: 0,
            val: Val::I64(5),
        },
        alloc(false),
        SessOp::BeginStatement,
        alloc(false),
        SessOp::ResetCaller,
        alloc(false),
        SessOp::ClearAlloc { has_err: true },
        SessOp::Drop { chunk: 0 },
        SessOp::SetReuseEnabled(false),
        SessOp::SetAlloc,
        alloc(true),
        SessOp::SetReuseEnabled(true),
        SessOp::SetAlloc,
        SessOp::SetReuseEnabled(false),
        alloc(true),
        SessOp::SetReuseEnabled(true),
        SessOp::Alloc {
            fields: vec![Field::I64],
            cap: Cap::Rows(0),
            max: Cap::Rows(8),
            keep: true,
        },
        SessOp::Statement {
            allocs: 3,
            err: false,
        },
        SessOp::Statement {
            allocs: 2,
            err: true,
        },
        SessOp::Statement {
            allocs: 0,
            err: false,
        },
        SessOp::Hook {
            panics: true,
            steps: vec![
                HookStep::Alloc,
                HookStep::Alloc,
                HookStep::Reset,
                HookStep::Alloc,
            ],
        },
        SessOp::Hook {
            panics: false,
            steps: vec![
                HookStep::Alloc,
                HookStep::Reset,
                HookStep::Reset,
                HookStep::Alloc,
            ],
        },
        SessOp::ReplaceCaller(Cfg::NoReuse),
        SessOp::Statement {
            allocs: 2,
            err: false,
        },
        SessOp::Hook {
            panics: true,
            steps: vec![HookStep::Alloc],
        },
        SessOp::SetAllocNone,
        alloc(true),
    ];
    for kind in [Kind::LockFree, Kind::Mutex] {
        for config in [Cfg::Default, Cfg::NoReuse].into_iter().take(SEED_CONFIGS) {
            chunkpool_harness::run_session_ops(&SessionInput {
                kind,
                config,
                ops: ops.clone(),
            });
        }
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; runs natively and under ASan/TSan (.ci/sanitizers.sh)"
)]
fn seeds_threaded_ops() {
    let work = |seed: u8| {
        vec![
            ThreadOp::Alloc {
                fields: vec![Field::I64, Field::Var],
                cap: 8,
                max: 16,
            },
            ThreadOp::SessionAlloc {
                fields: vec![Field::Decimal],
                cap: 4,
                max: 4,
            },
            ThreadOp::Col {
                chunk: 0,
                col: 0,
                op: ColOp::AppendMany { n: 20, seed },
            },
            ThreadOp::Col {
                chunk: 0,
                col: 1,
                op: ColOp::AppendMany { n: 20, seed },
            },
            ThreadOp::MakeRefTo {
                dst_chunk: 1,
                dst: 0,
                src_chunk: 0,
                src: 1,
            },
            ThreadOp::Give { chunk: 0, to: 1 },
            ThreadOp::Trim,
            ThreadOp::Alloc {
                fields: vec![Field::I64, Field::Var],
                cap: 8,
                max: 16,
            },
            ThreadOp::PanicHolding { n: 2 },
            ThreadOp::Drop { chunk: 0 },
            ThreadOp::ReleaseThreadCache,
            ThreadOp::Alloc {
                fields: vec![Field::I64, Field::Var],
                cap: 8,
                max: 16,
            },
            ThreadOp::Drop { chunk: 0 },
            ThreadOp::Yield(3),
        ]
    };
    let chaos = vec![
        ThreadOp::SetAlloc,
        ThreadOp::SessionAlloc {
            fields: vec![Field::I64],
            cap: 2,
            max: 2,
        },
        ThreadOp::ClearAlloc { has_err: true },
        ThreadOp::SessionAlloc {
            fields: vec![Field::I64],
            cap: 2,
            max: 2,
        },
    ];
    let phases = vec![
        Phase {
            main: vec![MainOp::BeginStatement, MainOp::SetAlloc],
            workers: [work(1), work(2), work(3)],
        },
        Phase {
            main: vec![MainOp::BeginStatement, MainOp::Trim],
            workers: [work(4), chaos.clone(), work(5)],
        },
        Phase {
            main: vec![
                MainOp::ClearAlloc { has_err: false },
                MainOp::BeginStatement,
                MainOp::SetAlloc,
            ],
            workers: [work(6), work(7), chaos],
        },
        Phase {
            main: vec![MainOp::SetReuseEnabled(false), MainOp::SetAlloc],
            workers: [work(8), work(9), work(10)],
        },
    ];
    for config in [
        Cfg::Default,
        Cfg::NoReuse,
        Cfg::Tiny {
            chunks: Limit::new(1),
            columns: Limit::new(2),
            max_var_bytes: 8,
            budget: Some(512),
        },
    ] {
        for (kind, three_workers) in [
            (Kind::LockFree, false),
            (Kind::LockFree, true),
            (Kind::Mutex, true),
        ] {
            chunkpool_harness::run_threaded_ops(&ThreadedInput {
                kind,
                config,
                three_workers,
                phases: phases.clone(),
            });
        }
    }
}
