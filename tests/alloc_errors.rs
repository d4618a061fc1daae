//! Memory the process cannot have is an error, never an abort (the crate docs' "Bad input"):
//! every `try_` method that makes or grows a buffer returns
//! [`Error::OutOfMemory`] and leaves the column or the pool as it was; the
//! panicking twins panic with its message.
//!
//! A regression aborts the process ("memory allocation of N bytes
//! failed"), which would take the test harness down with it. So each case
//! runs in a child process (this test binary, asked for one `#[ignore]`d
//! case) and the parent asserts that the child exited cleanly and reached
//! the case's end: an abort shows as a failing assertion naming the signal.
//!
//! This binary's global allocator refuses every request above 1 TiB, so the
//! impossible sizes fail the same way whatever the OS's overcommit policy,
//! and a test can lower the limit for its own thread ([`with_limit`]) to
//! make an ordinary growth fail at a chosen point.

mod common {
    pub mod panics;
}
use chunkpool::{
    Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig,
    Stats,
};
use common::panics::panic_message;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::process::{Command, ExitStatus};

// ---------------------------------------------------------------------------
// A global allocator that refuses large requests.

/// Requests above this are refused on every thread.
const ALWAYS_REFUSED: usize = 1 << 40;

thread_local! {
    /// Requests above this many bytes are refused on this thread.
    static LIMIT: Cell<usize> = const { Cell::new(ALWAYS_REFUSED) };
}

fn refused(size: usize) -> bool {
    size > LIMIT.try_with(Cell::get).unwrap_or(ALWAYS_REFUSED)
}

/// [`System`], except that it returns null (a failed allocation) for any
/// request above the calling thread's limit.
struct Refusing;

// SAFETY: every method either returns null, which `GlobalAlloc` allows as
// "allocation failed", or forwards its arguments unchanged to `System`, so
// `System`'s guarantees carry over. A block `System` returned is only ever
// freed or resized by `System`.
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller upholds `alloc`'s contract; passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` (see `alloc`) with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if refused(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds
        // the rest of `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Refusing = Refusing;

/// Runs `f` with this thread's allocations above `limit` bytes refused.
fn with_limit<R>(limit: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            LIMIT.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(LIMIT.with(|l| l.replace(limit)));
    f()
}

/// Small enough that a test can make and fill buffers just above it
/// quickly, large enough for everything else a test does meanwhile
/// (assertion messages, a panic's payload).
const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Running a case in a child process.

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                6 => " (SIGABRT: the process aborted)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                _ => "",
            };
            return format!("was killed by signal {sig}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => format!("ended with {status}"),
    }
}

/// Runs the ignored test `child::<case>` of this binary in a child process
/// and asserts that it ran to its end.
fn run_child(case: &str) {
    let test = format!("child::{case}");
    let out = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([
            &test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("spawn the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child `{test}` {}\n--- child stdout\n{stdout}\n--- child stderr\n{stderr}",
        describe(out.status)
    );
    assert!(
        stdout.contains(&format!("CHILD-OK {case}\n")),
        "child `{test}` did not reach the end of the case\n--- child stdout\n{stdout}"
    );
}

/// For each case `f`: an ignored test `child::f` that runs it in this
/// process, and a test `in_child::f` that runs `child::f` in a child process.
macro_rules! in_child {
    ($($case:ident),* $(,)?) => {
        mod child {
            $(
                #[test]
                #[ignore = "run in a child process by in_child::* (an abort must not kill the harness)"]
                fn $case() {
                    super::$case();
                    println!("CHILD-OK {}", stringify!($case));
                }
            )*
        }
        mod in_child {
            $(
                #[test]
                fn $case() {
                    super::run_child(stringify!($case));
                }
            )*
        }
    };
}

in_child!(
    column_try_new,
    column_try_resize,
    chunk_try_new,
    lockfree_try_alloc_whole_chunk_cached,
    lockfree_try_alloc_loose_columns_cached,
    mutex_try_alloc_cached,
    mutex_try_alloc_loose_columns_cached,
    fixed_appends,
    var_appends,
    bulk_appends,
    panicking_twins,
);

// ---------------------------------------------------------------------------
// Helpers.

/// 2^59 rows: 4 EiB of `i64`, within `isize::MAX` bytes, beyond any memory.
const HUGE: usize = 1 << 59;

fn fixed(size: usize) -> FieldType {
    FieldType::fixed(size).unwrap()
}

/// Asserts that `e` is [`Error::OutOfMemory`] for `rows` rows of `field`
/// and returns its byte count.
#[track_caller]
fn assert_oom(e: &Error, field: FieldType, rows: usize) -> usize {
    match *e {
        Error::OutOfMemory {
            field: f,
            rows: r,
            bytes,
        } => {
            assert_eq!((f, r), (field, rows), "{e}");
            let text = e.to_string();
            assert!(
                text.starts_with("out of memory: ")
                    && text.contains(&format!(
                        "{rows} rows of a column of type {field} need {bytes} bytes"
                    )),
                "{text}"
            );
            bytes
        }
        _ => panic!("expected OutOfMemory for {rows} rows of a {field} column, got {e:?} ({e})"),
    }
}

fn ptrs(chk: &Chunk) -> Vec<*const u8> {
    chk.columns().map(|c| c.data_ptr()).collect()
}

/// The pooling allocators, with their statistics.
trait Pooled: ChunkAllocator {
    fn snapshot(&self) -> Stats;
}

impl Pooled for LockFreeAllocator {
    fn snapshot(&self) -> Stats {
        self.stats()
    }
}

impl Pooled for MutexAllocator {
    fn snapshot(&self) -> Stats {
        self.stats()
    }
}

// ---------------------------------------------------------------------------
// The cases.

fn column_try_new() {
    let e = Column::try_new(FieldType::I64, HUGE).unwrap_err();
    // 8 bytes a row of data, and a bit a row of null bitmap.
    assert_eq!(assert_oom(&e, FieldType::I64, HUGE), HUGE * 8 + HUGE / 8);

    let rows = HUGE / 2;
    let e = Column::try_new(FieldType::VAR, rows).unwrap_err();
    // 8 bytes a row of data, `rows + 1` offsets, the bitmap.
    assert_eq!(
        assert_oom(&e, FieldType::VAR, rows),
        rows * 8 + (rows + 1) * 8 + rows / 8
    );

    let e = Column::try_new(FieldType::DECIMAL, 1 << 50).unwrap_err();
    assert_oom(&e, FieldType::DECIMAL, 1 << 50);

    // 2 TiB: a size some machines could map, refused here by the allocator.
    let e = Column::try_new(FieldType::I64, 1 << 38).unwrap_err();
    assert_oom(&e, FieldType::I64, 1 << 38);

    // Past the address range: still the overflow error, not this one.
    assert!(matches!(
        Column::try_new(FieldType::VAR, 1 << 60),
        Err(Error::CapacityOverflow { .. })
    ));

    let mut c = Column::try_new(FieldType::I64, 8).unwrap();
    c.append_i64(5);
    assert_eq!(c.as_slice::<i64>(), &[5]);
}

fn column_try_resize() {
    let mut c = Column::new(FieldType::I64, 4);
    c.append_i64(1);
    c.append_null();
    c.append_i64(3);
    let ptr = c.data_ptr();

    for null in [false, true] {
        let e = c.try_resize(HUGE, null).unwrap_err();
        assert_oom(&e, FieldType::I64, HUGE);
        // The column is as it was.
        assert_eq!(c.len(), 3);
        assert_eq!(c.as_slice::<i64>(), &[1, 0, 3]);
        assert_eq!(c.null_bitmap(), &[0b101]);
        assert_eq!(c.data_ptr(), ptr);
    }

    // A growth the allocator refuses at a chosen size.
    let mut d = Column::new(FieldType::DECIMAL, 4);
    d.append_fixed_bytes(&[9; 40]);
    let e = with_limit(MIB, || d.try_resize(1 << 16, true)).unwrap_err();
    assert_oom(&e, FieldType::DECIMAL, 1 << 16);
    assert_eq!((d.len(), d.get_fixed_bytes(0)), (1, &[9u8; 40][..]));

    c.resize(5, false);
    assert_eq!(c.as_slice::<i64>(), &[0; 5]);
    assert_eq!(c.null_count(), 0);
}

fn chunk_try_new() {
    let e = Chunk::try_new(&[FieldType::I64, FieldType::VAR], HUGE, HUGE).unwrap_err();
    assert_oom(&e, FieldType::I64, HUGE);

    // Half way: the first column is made (and freed again), the second
    // refused.
    let rows = 1 << 12;
    let e = with_limit(MIB, || Chunk::try_new(&[fixed(1), fixed(1024)], rows, rows)).unwrap_err();
    assert_eq!(assert_oom(&e, fixed(1024), rows), rows * 1024 + rows / 8);

    let chk = Chunk::try_new(&[FieldType::I64], 8, HUGE).unwrap();
    assert_eq!((chk.capacity(), chk.required_rows()), (8, HUGE));
}

/// The layout the pool tests cache, and the rows at which, under a 1 MiB
/// limit, the first column (256 KiB) can be made and the second (1.25 MiB)
/// cannot.
const LAYOUT: [FieldType; 3] = [FieldType::I64, FieldType::DECIMAL, FieldType::VAR];
const HALF_WAY_ROWS: usize = 1 << 15;
/// Rows of [`LAYOUT`] within the address range (2^56 rows of the 40-byte
/// decimal fit in `isize`), beyond any memory.
const LAYOUT_HUGE: usize = 1 << 56;

/// Caches one chunk of [`LAYOUT`], then makes requests that fail (at the
/// first column, and half way), checking each time that the pool, its
/// counters included, is as it was and still hands the cached buffers out.
/// `expect_retained`: chunks kept (whole, or the mutex allocator's shells)
/// and loose columns after the first chunk came back.
fn failed_alloc_keeps_the_pool<A: Pooled>(pool: A, expect_retained: (usize, usize)) {
    let chk = pool.alloc(&LAYOUT, 8, 8);
    let mut cached = ptrs(&chk);
    cached.sort();
    drop(chk);
    let before = pool.snapshot();
    assert_eq!(
        (
            before.retained_chunks + before.retained_shells,
            before.retained_columns
        ),
        expect_retained,
        "{before:?}"
    );

    let e = pool
        .try_alloc(&LAYOUT, LAYOUT_HUGE, LAYOUT_HUGE)
        .unwrap_err();
    assert_oom(&e, FieldType::I64, LAYOUT_HUGE);
    assert_eq!(pool.snapshot(), before, "after a failed alloc");

    let e = with_limit(MIB, || {
        pool.try_alloc(&LAYOUT, HALF_WAY_ROWS, HALF_WAY_ROWS)
    })
    .unwrap_err();
    assert_oom(&e, FieldType::DECIMAL, HALF_WAY_ROWS);
    assert_eq!(
        pool.snapshot(),
        before,
        "after an alloc that failed half way"
    );

    // Still usable: the cached buffers come back, and a large request that
    // the allocator grants works.
    let chk = pool.alloc(&LAYOUT, 8, 8);
    let mut again = ptrs(&chk);
    again.sort();
    assert_eq!(again, cached, "the cached columns are reused");
    drop(chk);
    let big = pool.alloc(&LAYOUT, HALF_WAY_ROWS, HALF_WAY_ROWS);
    for (c, f) in big.columns().zip(LAYOUT) {
        assert!(c.allocated_bytes() >= HALF_WAY_ROWS * f.elem_size().unwrap_or(8));
    }
}

/// No whole chunk is ever cached: columns come back loose.
fn loose_only() -> PoolConfig {
    PoolConfig::builder().max_free_chunks(0).build().unwrap()
}

fn lockfree_try_alloc_whole_chunk_cached() {
    failed_alloc_keeps_the_pool(LockFreeAllocator::new(), (1, 0));
}

fn lockfree_try_alloc_loose_columns_cached() {
    failed_alloc_keeps_the_pool(LockFreeAllocator::with_config(loose_only()), (0, 3));
}

fn mutex_try_alloc_cached() {
    failed_alloc_keeps_the_pool(MutexAllocator::new(), (1, 3));
}

fn mutex_try_alloc_loose_columns_cached() {
    failed_alloc_keeps_the_pool(MutexAllocator::with_config(loose_only()), (0, 3));
}

/// Fills a column of `field` to the capacity of its data buffer
/// (`rows` rows) with `append`.
fn full_column(
    field: FieldType,
    rows: usize,
    mut append: impl FnMut(&mut Column, usize),
) -> Column {
    let mut c = Column::new(field, rows);
    for i in 0..rows {
        append(&mut c, i);
    }
    c
}

fn fixed_appends() {
    // 1 MiB of data, full: the next append must grow it past the limit.
    let rows = 1 << 17;
    let mut c = full_column(FieldType::I64, rows, |c, i| c.append_i64(i as i64));
    let ptr = c.data_ptr();
    with_limit(MIB, || {
        let e = c.try_append_i64(-1).unwrap_err();
        assert_oom(&e, FieldType::I64, rows + 1);
        // Another logical type of the same size is refused before any
        // memory is asked for.
        let e = c.try_append_u64(1).unwrap_err();
        assert!(matches!(e, Error::TypeMismatch { .. }));
        let e = c.try_append_f64(1.0).unwrap_err();
        assert!(matches!(e, Error::TypeMismatch { .. }));
        let e = c.try_append_fixed_bytes(&[1; 8]).unwrap_err();
        assert_oom(&e, FieldType::I64, rows + 1);
        let e = c.try_append_null().unwrap_err();
        assert_oom(&e, FieldType::I64, rows + 1);
    });
    // Unchanged, and appends work once memory is there.
    assert_eq!((c.len(), c.null_count(), c.data_ptr()), (rows, 0, ptr));
    assert_eq!(c.get_i64(rows - 1), rows as i64 - 1);
    c.append_i64(-1);
    c.append_null();
    assert_eq!(
        (c.len(), c.get_i64(rows), c.is_null(rows + 1)),
        (rows + 2, -1, true)
    );

    let rows = 1 << 15;
    let mut d = full_column(fixed(32), rows, |c, _| c.append_fixed_bytes(&[3; 32]));
    let e = with_limit(MIB, || d.try_append_fixed_bytes(&[4; 32])).unwrap_err();
    assert_oom(&e, fixed(32), rows + 1);
    assert_eq!(d.len(), rows);

    let mut f = full_column(FieldType::F32, 1 << 18, |c, _| c.append_f32(0.5));
    let e = with_limit(MIB, || f.try_append_f32(1.5)).unwrap_err();
    assert_oom(&e, FieldType::F32, (1 << 18) + 1);
    let e = with_limit(MIB, || f.try_append_u32(1)).unwrap_err();
    assert!(matches!(e, Error::TypeMismatch { .. }), "{e}");
    assert_eq!(f.len(), 1 << 18);
}

fn var_appends() {
    // Data: one string larger than the limit.
    let big = vec![7u8; 2 * MIB];
    let mut c = Column::new(FieldType::VAR, 4);
    c.append_str("tidb");
    let e = with_limit(MIB, || c.try_append_bytes(&big)).unwrap_err();
    let bytes = assert_oom(&e, FieldType::VAR, 2);
    assert!(bytes >= big.len(), "{e}");
    assert_eq!(
        (c.len(), c.offsets(), c.data()),
        (1, &[0, 4][..], &b"tidb"[..])
    );

    // Offsets: a full offsets buffer of 1 MiB must grow past the limit.
    let rows = 1 << 17;
    let mut n = full_column(FieldType::VAR, rows, |c, _| c.append_null());
    with_limit(MIB, || {
        let e = n.try_append_null().unwrap_err();
        assert_oom(&e, FieldType::VAR, rows + 1);
        let e = n.try_append_bytes(b"").unwrap_err();
        assert_oom(&e, FieldType::VAR, rows + 1);
    });
    assert_eq!(
        (n.len(), n.null_count(), n.offsets().len()),
        (rows, rows, rows + 1)
    );

    c.append_bytes(&big);
    n.append_str("x");
    assert_eq!(
        (c.get_bytes(1).len(), n.get_bytes(rows)),
        (big.len(), &b"x"[..])
    );
}

/// The bulk writes (issue 11, part 4): one reservation that fails leaves
/// the column as it was; an error part-way through an `extend_*` rolls
/// back the rows it had appended, their NULLs included.
fn bulk_appends() {
    let mut c = Column::new(FieldType::I64, 4);
    c.append_i64(1);
    c.append_null();
    let big = vec![7i64; 2 * MIB / 8];
    let e = with_limit(MIB, || c.try_extend_from_slice(&big)).unwrap_err();
    assert_oom(&e, FieldType::I64, 2 + big.len());
    assert_eq!((c.len(), c.null_count(), c.data().len()), (2, 1, 16));
    assert_eq!(c.null_bitmap(), &[0b01]);

    // extend_options: NULLs and values until the data must grow past the
    // limit (1 MiB of i64 is 2^17 rows).
    let items = (0..(1usize << 18)).map(|i| (i % 2 == 0).then_some(i as i64));
    let e = with_limit(MIB, || c.try_extend_options(items)).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory { .. }), "{e}");
    assert_eq!((c.len(), c.null_count(), c.data().len()), (2, 1, 16));
    assert_eq!(c.null_bitmap(), &[0b01]);
    assert_eq!(c.iter::<i64>().collect::<Vec<_>>(), [Some(1), None]);

    // extend_bytes / extend_str: the third string is too big.
    let huge = vec![b'z'; 2 * MIB];
    let mut s = Column::new(FieldType::UTF8, 4);
    s.append_str("ab");
    s.append_null();
    let e = with_limit(MIB, || s.try_extend_bytes([&b"cd"[..], b"e", &huge])).unwrap_err();
    assert_oom(&e, FieldType::UTF8, 5);
    let huge_str = std::str::from_utf8(&huge).unwrap();
    let e = with_limit(MIB, || s.try_extend_str(["cd", huge_str])).unwrap_err();
    assert_oom(&e, FieldType::UTF8, 4);
    assert_eq!(
        (s.len(), s.null_count(), s.offsets(), s.data()),
        (2, 1, &[0, 2, 2][..], &b"ab"[..])
    );
    // reserve_bytes: room for 2 MiB of text cannot be had; the rows stay.
    let e = with_limit(MIB, || s.try_reserve_bytes(1, 2 * MIB)).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory { .. }), "{e}");
    assert_eq!(
        (s.len(), s.null_count(), s.offsets(), s.data()),
        (2, 1, &[0, 2, 2][..], &b"ab"[..])
    );
    // And appends work once memory is there.
    s.extend_str(["cd"]);
    c.extend_from_slice(&[3i64]);
    assert_eq!(
        s.iter_str().collect::<Vec<_>>(),
        [Some("ab"), None, Some("cd")]
    );
    assert_eq!(
        c.iter::<i64>().collect::<Vec<_>>(),
        [Some(1), None, Some(3)]
    );
}

fn panicking_twins() {
    let oom = |msg: &str| {
        assert!(
            msg.starts_with("chunkpool: out of memory: "),
            "panic message: {msg}"
        );
    };
    oom(&panic_message(|| {
        drop(Column::new(FieldType::I64, HUGE));
    }));
    oom(&panic_message(|| {
        drop(Chunk::new(&[FieldType::I64], HUGE, HUGE));
    }));
    oom(&panic_message(|| {
        LockFreeAllocator::new().alloc(&[FieldType::I64], HUGE, HUGE);
    }));
    oom(&panic_message(|| {
        MutexAllocator::new().alloc(&[FieldType::I64], HUGE, HUGE);
    }));
    let mut c = Column::new(FieldType::I64, 4);
    oom(&panic_message(|| c.resize(HUGE, false)));
    let big = vec![1u8; 2 * MIB];
    let mut v = Column::new(FieldType::VAR, 4);
    oom(&panic_message(|| with_limit(MIB, || v.append_bytes(&big))));
    let rows = 1 << 17;
    let mut f = full_column(FieldType::I64, rows, |c, _| c.append_i64(1));
    oom(&panic_message(|| with_limit(MIB, || f.append_i64(2))));
    oom(&panic_message(|| with_limit(MIB, || f.append_null())));
}
