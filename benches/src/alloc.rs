//! The allocator axis of `compare` (`benches/README.md`, S9): a global
//! allocator that is glibc's malloc, mimalloc or jemalloc
//! (`tikv-jemallocator`), chosen once per process from the environment
//! variable [`ENV`], and that can count its calls.
//!
//! Why one switching allocator and not a binary per allocator: `cargo run
//! --bin compare` builds only `compare`, so a sibling binary would be
//! missing or stale unless `compare` ran `cargo` itself. With the choice made
//! at process start, the one `compare` binary runs each allocator in a child
//! process of its own (`CHUNKPOOL_BENCH_ALLOC=jemalloc compare --s9-child
//! ...`), so every allocator's peak RSS and page faults are its own, and
//! nothing is built at run time.
//!
//! The choice is read at the first allocation of the process (before it,
//! nothing was allocated, so no block can be freed by another allocator than
//! the one that made it) and never changes. Every call pays one
//! predictable branch on it, whichever allocator is chosen, so the three
//! allocators are compared through the same dispatch.
//!
//! Counting ([`counting`], [`counts`]) is off unless asked for: `compare`
//! counts calls in an untimed pass, so the timed samples pay one relaxed
//! load for it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};

/// The environment variable naming the allocator: `glibc` (or unset),
/// `mimalloc` or `jemalloc`.
pub const ENV: &str = "CHUNKPOOL_BENCH_ALLOC";

/// The allocators of the axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Allocator {
    /// The C library's malloc (glibc on the machines measured).
    Glibc,
    /// `mimalloc` (the crate's bundled build).
    Mimalloc,
    /// jemalloc 5, built from source by `tikv-jemallocator`.
    Jemalloc,
}

impl Allocator {
    pub const ALL: [Allocator; 3] = [Allocator::Glibc, Allocator::Mimalloc, Allocator::Jemalloc];

    /// The name [`ENV`] takes and reports print.
    pub fn name(self) -> &'static str {
        match self {
            Allocator::Glibc => "glibc",
            Allocator::Mimalloc => "mimalloc",
            Allocator::Jemalloc => "jemalloc",
        }
    }

    /// Whether this build has it (jemalloc needs the `jemalloc` feature);
    /// a process asked for one it lacks runs on glibc and says so.
    pub fn built(self) -> bool {
        self != Allocator::Jemalloc || cfg!(feature = "jemalloc")
    }

    pub fn from_name(s: &str) -> Option<Allocator> {
        Allocator::ALL.into_iter().find(|a| a.name() == s)
    }

    fn code(self) -> u8 {
        match self {
            Allocator::Glibc => 1,
            Allocator::Mimalloc => 2,
            Allocator::Jemalloc => 3,
        }
    }
}

/// 0 until the first allocation, then [`Allocator::code`].
static MODE: AtomicU8 = AtomicU8::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);
/// `alloc`, `alloc_zeroed` and `realloc` calls while counting.
static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// `dealloc` calls while counting.
static FREES: AtomicU64 = AtomicU64::new(0);

/// The allocator this process runs on (chosen at its first allocation).
pub fn current() -> Allocator {
    match mode() {
        2 => Allocator::Mimalloc,
        3 => Allocator::Jemalloc,
        _ => Allocator::Glibc,
    }
}

/// Turns call counting on or off (process-wide).
pub fn counting(on: bool) {
    COUNTING.store(on, Relaxed);
}

/// (allocating calls, frees) counted so far: `alloc`, `alloc_zeroed` and
/// `realloc` count as allocating calls.
pub fn counts() -> (u64, u64) {
    (ALLOCS.load(Relaxed), FREES.load(Relaxed))
}

#[inline(always)]
fn mode() -> u8 {
    let m = MODE.load(Relaxed);
    if m != 0 {
        m
    } else {
        init()
    }
}

/// Reads [`ENV`] without allocating. Two threads racing here read the
/// same environment and store the same value.
#[cold]
fn init() -> u8 {
    const NAME: &[u8] = b"CHUNKPOOL_BENCH_ALLOC\0";
    // SAFETY: NAME is NUL-terminated; getenv does not allocate, and this
    // program never changes its own environment, so the returned pointer
    // (if not null) is a NUL-terminated string valid for the reads below.
    let value = unsafe { libc::getenv(NAME.as_ptr().cast()) };
    let chosen = if value.is_null() {
        Allocator::Glibc
    } else {
        // SAFETY: as above, `value` is a valid NUL-terminated C string.
        let bytes = unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes();
        std::str::from_utf8(bytes)
            .ok()
            .and_then(Allocator::from_name)
            .filter(|a| a.built())
            .unwrap_or(Allocator::Glibc)
    };
    MODE.store(chosen.code(), Relaxed);
    chosen.code()
}

#[inline(always)]
fn count(counter: &AtomicU64) {
    if COUNTING.load(Relaxed) {
        counter.fetch_add(1, Relaxed);
    }
}

/// The switching, counting global allocator; `compare` installs it with
/// `#[global_allocator]`.
pub struct BenchAlloc;

// SAFETY: every call forwards to the one allocator the process chose at its
// first allocation (MODE never changes after), so a block is always freed
// or resized by the allocator that made it, with the caller's layout; the
// three forwarded-to allocators uphold GlobalAlloc's contract themselves.
unsafe impl GlobalAlloc for BenchAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(&ALLOCS);
        // SAFETY: the caller's contract (non-zero size) passes through.
        unsafe {
            match mode() {
                2 => mimalloc::MiMalloc.alloc(layout),
                #[cfg(feature = "jemalloc")]
                3 => tikv_jemallocator::Jemalloc.alloc(layout),
                _ => System.alloc(layout),
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(&ALLOCS);
        // SAFETY: as `alloc`.
        unsafe {
            match mode() {
                2 => mimalloc::MiMalloc.alloc_zeroed(layout),
                #[cfg(feature = "jemalloc")]
                3 => tikv_jemallocator::Jemalloc.alloc_zeroed(layout),
                _ => System.alloc_zeroed(layout),
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(&FREES);
        // SAFETY: `ptr` came from this allocator with `layout` (the
        // caller's contract), so from the one MODE names.
        unsafe {
            match mode() {
                2 => mimalloc::MiMalloc.dealloc(ptr, layout),
                #[cfg(feature = "jemalloc")]
                3 => tikv_jemallocator::Jemalloc.dealloc(ptr, layout),
                _ => System.dealloc(ptr, layout),
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(&ALLOCS);
        // SAFETY: as `dealloc`, plus the caller's non-zero `new_size`.
        unsafe {
            match mode() {
                2 => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                #[cfg(feature = "jemalloc")]
                3 => tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size),
                _ => System.realloc(ptr, layout, new_size),
            }
        }
    }
}

/// Minor page faults and peak resident set (KiB) of this process, from
/// `getrusage(RUSAGE_SELF)`. The peak includes the resident set of the
/// process this one was forked from (see `sys::PeakFrom`, what the
/// children report instead).
pub fn rusage() -> (u64, u64) {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage` for the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return (0, 0);
    }
    (ru.ru_minflt as u64, ru.ru_maxrss as u64)
}
