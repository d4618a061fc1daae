//! Steps that change a live chunk's columns (replace, swap, clone). Safe
//! code can do them between `alloc` and drop, so what a chunk gives back is
//! not what the pool handed out. Each seed takes a chunk out of the cache
//! (so the pool remembers its layout and rows), changes its columns, drops
//! it and allocates the layout again; `admit` checks invariant 2 on what
//! comes out. "retype" seeds change a column's type, "shrink" ones leave a
//! column with less room than the chunk's capacity.
//!
//! Run by `tests/fuzz_regressions.rs` (a module of it, sharing its configs).

use super::{col, configs, SEED_CONFIGS};
use chunkpool::{LockFreeAllocator, MutexAllocator};
use chunkpool_harness::input::{
    AllocInput, Cap, Cfg, ColCap, ColOp, Field, Kind, Limit, MainOp, Op, Phase, ThreadOp,
    ThreadedInput,
};
use chunkpool_harness::pool::Pool;

/// An exact layout key (at most ten fields).
fn narrow() -> Vec<Field> {
    vec![Field::I64, Field::Var, Field::Decimal]
}

/// A hashed layout key (more than ten fields); starts like [`narrow`], so
/// the seeds' column numbers name the same types.
fn wide() -> Vec<Field> {
    let mut f = narrow();
    f.extend([
        Field::F32,
        Field::Size(2),
        Field::Var,
        Field::I64,
        Field::Size(9),
        Field::F32,
        Field::Var,
        Field::Decimal,
        Field::I64,
    ]);
    assert!(f.len() > 10);
    f
}

fn alloc_rows(fields: &[Field], rows: u8) -> Op {
    Op::Alloc {
        fields: fields.to_vec(),
        cap: Cap::Rows(rows),
        max: Cap::Rows(rows),
    }
}

/// Chunk 0 comes out of the cache, `change` runs, chunk 0 is dropped and
/// its layout allocated twice (the mutex allocator caches columns by type:
/// two allocations take out every cached column of the layout's types).
fn column_seed(fields: &[Field], change: Vec<Op>) -> Vec<Op> {
    let mut ops = vec![
        alloc_rows(fields, 8),
        Op::Drop { chunk: 0 },
        alloc_rows(fields, 8),
    ];
    ops.extend(change);
    ops.extend([
        Op::Drop { chunk: 0 },
        alloc_rows(fields, 8),
        alloc_rows(fields, 8),
    ]);
    ops
}

type Changes = Vec<(&'static str, Vec<Op>)>;

fn replace(chunk: u8, col: u8, field: Field, cap: ColCap) -> Op {
    Op::ReplaceColumn {
        chunk,
        col,
        field,
        cap,
    }
}

fn replace_changes(_: &[Field]) -> Changes {
    vec![
        ("retype", vec![replace(0, 0, Field::F32, ColCap::Below(0))]),
        (
            "shrink",
            vec![
                col(0, 1, ColOp::AppendMany { n: 5, seed: 1 }),
                replace(0, 1, Field::Var, ColCap::Below(1)),
            ],
        ),
        (
            "empty",
            vec![replace(0, 2, Field::Decimal, ColCap::Rows(0))],
        ),
        ("one-row", vec![replace(0, 0, Field::I64, ColCap::Rows(1))]),
        (
            "grow",
            vec![
                replace(0, 1, Field::Var, ColCap::Above(100)),
                col(0, 1, ColOp::AppendMany { n: 30, seed: 2 }),
            ],
        ),
    ]
}

fn swap(a: u8, i: u8, b: u8, j: u8) -> Op {
    Op::SwapColumns { a, i, b, j }
}

fn swap_changes(fields: &[Field]) -> Changes {
    vec![
        (
            "retype",
            vec![alloc_rows(&[Field::Var, Field::F32], 8), swap(0, 0, 1, 0)],
        ),
        ("within", vec![swap(0, 0, 0, 1)]),
        (
            "unpooled",
            vec![
                Op::Unpooled {
                    fields: vec![Field::I64],
                    cap: Cap::Rows(2),
                    max: Cap::Rows(2),
                },
                swap(0, 0, 1, 0),
            ],
        ),
        (
            "shrink",
            vec![
                alloc_rows(fields, 2),
                col(1, 1, ColOp::AppendMany { n: 2, seed: 3 }),
                swap(0, 1, 1, 1),
            ],
        ),
    ]
}

fn clone_into(src_chunk: u8, src_col: u8, dst_chunk: u8, dst_col: u8) -> Op {
    Op::CloneColumnInto {
        src_chunk,
        src_col,
        dst_chunk,
        dst_col,
    }
}

fn clone_changes(fields: &[Field]) -> Changes {
    vec![
        (
            "retype",
            vec![
                col(0, 0, ColOp::AppendMany { n: 3, seed: 4 }),
                clone_into(0, 0, 0, 2),
            ],
        ),
        (
            "shrink",
            vec![
                alloc_rows(fields, 8),
                col(1, 0, ColOp::AppendMany { n: 3, seed: 5 }),
                clone_into(1, 0, 0, 0),
            ],
        ),
        ("empty", vec![clone_into(0, 1, 0, 1)]),
    ]
}

/// A seed to run, named for the report.
type Named<'a> = (String, Box<dyn FnOnce() + 'a>);

/// Runs every seed, then fails listing each one that failed and the first
/// lines of why, so one failing seed hides no other.
fn run_named(seeds: Vec<Named<'_>>) {
    chunkpool_harness::panics::install_panic_filter();
    let total = seeds.len();
    let mut failed = Vec::new();
    for (name, run) in seeds {
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            let msg = chunkpool_harness::panics::message(&*p);
            let head: Vec<&str> = msg.lines().take(4).collect();
            failed.push(format!("{name}: {}", head.join(" | ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {total} seeds failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

fn column_seeds<P: Pool>(changes: fn(&[Field]) -> Changes) {
    let mut seeds: Vec<Named<'_>> = Vec::new();
    for (layout, fields) in [("narrow", narrow()), ("wide", wide())] {
        for (name, change) in changes(&fields) {
            let ops = column_seed(&fields, change);
            for config in configs().into_iter().take(SEED_CONFIGS) {
                let ops = ops.clone();
                seeds.push((
                    format!("{} {name} {layout} {config:?}", P::NAME),
                    Box::new(move || {
                        chunkpool_harness::world::run_world::<P>(&AllocInput { config, ops })
                    }),
                ));
            }
        }
    }
    run_named(seeds);
}

#[test]
fn replace_column_seeds_lockfree() {
    column_seeds::<LockFreeAllocator>(replace_changes);
}

#[test]
fn replace_column_seeds_mutex() {
    column_seeds::<MutexAllocator>(replace_changes);
}

#[test]
fn swap_columns_seeds_lockfree() {
    column_seeds::<LockFreeAllocator>(swap_changes);
}

#[test]
fn swap_columns_seeds_mutex() {
    column_seeds::<MutexAllocator>(swap_changes);
}

#[test]
fn clone_column_seeds_lockfree() {
    column_seeds::<LockFreeAllocator>(clone_changes);
}

#[test]
fn clone_column_seeds_mutex() {
    column_seeds::<MutexAllocator>(clone_changes);
}

fn t_alloc(fields: &[Field], rows: u8) -> ThreadOp {
    ThreadOp::Alloc {
        fields: fields.to_vec(),
        cap: rows,
        max: rows,
    }
}

/// Worker 0 takes a chunk of `fields` out of its cache, changes it and
/// gives it to worker 1, which drops it; worker 2 then allocates the
/// layout (and worker 1 after it). Limits of 8 chunks among three threads
/// leave each a share of one cached chunk, so worker 1's next drop pushes
/// the changed chunk out to the shared depot, where worker 2 finds it.
fn thread_seed(kind: Kind, fields: &[Field], change: Vec<ThreadOp>) -> ThreadedInput {
    let mut w0 = vec![t_alloc(fields, 8), ThreadOp::Drop { chunk: 0 }];
    w0.push(t_alloc(fields, 8));
    w0.extend(change);
    w0.push(ThreadOp::Give { chunk: 0, to: 1 });
    // Worker 1 caches for the pool (a whole-chunk credit in hand); worker
    // 2 joins, so the thread count is stable from phase 2 on.
    let w1 = vec![
        t_alloc(&[Field::F32], 4),
        ThreadOp::Drop { chunk: 0 },
        t_alloc(&[Field::F32], 4),
    ];
    let w2 = vec![t_alloc(&[Field::Decimal], 4)];
    // Worker 1 holds [its F32 chunk, the changed one]: an alloc syncs its
    // share, the changed chunk goes into its magazine, the new one after it
    // pushes the changed one out.
    let drop_changed = vec![
        t_alloc(&[Field::Var], 2),
        ThreadOp::Drop { chunk: 1 },
        ThreadOp::Drop { chunk: 1 },
    ];
    let again = vec![t_alloc(fields, 8), t_alloc(fields, 8)];
    let phase = |workers| Phase {
        main: vec![],
        workers,
    };
    ThreadedInput {
        kind,
        config: Cfg::Limits {
            chunks: Limit::new(8),
            columns: Limit::new(2),
        },
        three_workers: true,
        phases: vec![
            Phase {
                main: vec![MainOp::BeginStatement],
                workers: [w0, w1, w2],
            },
            phase([vec![], drop_changed, vec![]]),
            phase([vec![], vec![], again.clone()]),
            phase([vec![], again, vec![]]),
        ],
    }
}

fn thread_changes() -> Vec<(&'static str, Vec<ThreadOp>)> {
    let append = |chunk, seed| ThreadOp::Col {
        chunk,
        col: 0,
        op: ColOp::AppendMany { n: 3, seed },
    };
    vec![
        (
            "replace retype",
            vec![ThreadOp::ReplaceColumn {
                chunk: 0,
                col: 0,
                field: Field::F32,
                cap: ColCap::Below(0),
            }],
        ),
        (
            "replace shrink",
            vec![ThreadOp::ReplaceColumn {
                chunk: 0,
                col: 1,
                field: Field::Var,
                cap: ColCap::Below(1),
            }],
        ),
        (
            "swap retype",
            vec![
                t_alloc(&[Field::Var, Field::F32], 8),
                ThreadOp::SwapColumns {
                    a: 0,
                    i: 0,
                    b: 1,
                    j: 0,
                },
            ],
        ),
        (
            "swap unpooled",
            vec![
                // No allocator in the session slot: an unpooled chunk.
                ThreadOp::SessionAlloc {
                    fields: vec![Field::I64],
                    cap: 2,
                    max: 2,
                },
                ThreadOp::SwapColumns {
                    a: 0,
                    i: 0,
                    b: 1,
                    j: 0,
                },
            ],
        ),
        (
            "clone retype",
            vec![
                append(0, 6),
                ThreadOp::CloneColumnInto {
                    src_chunk: 0,
                    src_col: 0,
                    dst_chunk: 0,
                    dst_col: 2,
                },
            ],
        ),
        (
            "clone shrink",
            vec![
                t_alloc(&narrow(), 8),
                append(1, 7),
                ThreadOp::CloneColumnInto {
                    src_chunk: 1,
                    src_col: 0,
                    dst_chunk: 0,
                    dst_col: 0,
                },
            ],
        ),
    ]
}

fn cross_thread_column_seeds(kind: Kind) {
    let mut seeds: Vec<Named<'_>> = Vec::new();
    for (layout, fields) in [("narrow", narrow()), ("wide", wide())] {
        for (name, change) in thread_changes() {
            let input = thread_seed(kind, &fields, change);
            seeds.push((
                format!("{kind:?} cross-thread {name} {layout}"),
                Box::new(move || chunkpool_harness::run_threaded_ops(&input)),
            ));
        }
    }
    run_named(seeds);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; runs natively and under ASan/TSan (.ci/sanitizers.sh)"
)]
fn cross_thread_column_seeds_lockfree() {
    cross_thread_column_seeds(Kind::LockFree);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; runs natively and under ASan/TSan (.ci/sanitizers.sh)"
)]
fn cross_thread_column_seeds_mutex() {
    cross_thread_column_seeds(Kind::Mutex);
}
