//! The inputs of the two targets that run threads or a session:
//! `session_ops` (one session's statement lifecycle) and `threaded_ops`
//! (phases of worker threads against one allocator).

use super::*;

/// Which allocator a session holds.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    LockFree,
    Mutex,
}

/// One step of a standalone reuse hook.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStep {
    Alloc,
    Reset,
}

/// One step of `session_ops`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum SessOp {
    BeginStatement,
    /// `set_alloc(Some(&caller))`.
    SetAlloc,
    /// `set_alloc(None)`.
    SetAllocNone,
    /// `clear_alloc(&mut caller, has_err)`.
    ClearAlloc {
        has_err: bool,
    },
    SetReuseEnabled(bool),
    /// `chunk_allocator().try_alloc(..)`; kept alive or dropped at once.
    Alloc {
        fields: Vec<Field>,
        cap: Cap,
        max: Cap,
        keep: bool,
    },
    /// Appends to a kept chunk's first column (if it has one).
    Append {
        chunk: u8,
        val: Val,
    },
    Drop {
        chunk: u8,
    },
    /// `reset()` on the caller's allocator (not the session's hook).
    ResetCaller,
    /// The caller switches to a new allocator with other limits.
    ReplaceCaller(Cfg),
    /// TiDB's lifecycle in one step: begin, set_alloc, `allocs % 8` allocs,
    /// clear_alloc(err), reset.
    Statement {
        allocs: u8,
        err: bool,
    },
    /// A standalone `ReuseHook` over the caller's allocator whose callback
    /// counts calls and maybe panics.
    Hook {
        panics: bool,
        steps: Vec<HookStep>,
    },
    /// Between kept chunks, which may come from different allocators.
    Rows(RowOp),
}

/// Input of `session_ops`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub struct SessionInput {
    pub kind: Kind,
    pub config: Cfg,
    pub ops: Vec<SessOp>,
}

/// What the main thread does at a barrier, with every worker parked.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum MainOp {
    BeginStatement,
    SetAlloc,
    SetAllocNone,
    ClearAlloc { has_err: bool },
    SetReuseEnabled(bool),
    Trim,
}

/// One step of a worker thread in `threaded_ops`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub enum ThreadOp {
    /// From the caller's current allocator.
    Alloc {
        fields: Vec<Field>,
        cap: u8,
        max: u8,
    },
    /// Through the session slot (pooled or not, depending on the slot).
    SessionAlloc {
        fields: Vec<Field>,
        cap: u8,
        max: u8,
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
    Drop {
        chunk: u8,
    },
    /// Hands a chunk to another worker (it gets it at the next phase).
    Give {
        chunk: u8,
        to: u8,
    },
    Trim,
    /// Racing `set_alloc` / `clear_alloc` from a worker.
    SetAlloc,
    ClearAlloc {
        has_err: bool,
    },
    /// Allocates `n % 4` chunks and panics while holding them.
    PanicHolding {
        n: u8,
    },
    Yield(u8),
    /// As [`Op::ReplaceColumn`], on a chunk this worker holds.
    ReplaceColumn {
        chunk: u8,
        col: u8,
        field: Field,
        cap: ColCap,
    },
    /// As [`Op::SwapColumns`], between chunks this worker holds.
    SwapColumns {
        a: u8,
        i: u8,
        b: u8,
        j: u8,
    },
    /// As [`Op::CloneColumnInto`], between chunks this worker holds.
    CloneColumnInto {
        src_chunk: u8,
        src_col: u8,
        dst_chunk: u8,
        dst_col: u8,
    },
    /// As [`Op::Rows`], between chunks this worker holds.
    Rows(RowOp),
    /// `LockFreeAllocator::release_thread_cache` on the current allocator:
    /// this worker's cached chunks to the depot while it lives on (the
    /// mutex allocator has no thread cache: nothing).
    ReleaseThreadCache,
}

/// One phase: the main thread's steps, then every worker's steps at once.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub struct Phase {
    pub main: Vec<MainOp>,
    pub workers: [Vec<ThreadOp>; 3],
}

/// Input of `threaded_ops`.
#[derive(Arbitrary, Clone, Debug, PartialEq)]
pub struct ThreadedInput {
    pub kind: Kind,
    pub config: Cfg,
    pub three_workers: bool,
    pub phases: Vec<Phase>,
}
