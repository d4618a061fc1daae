//! Panics the harness plants on purpose (a panicking reuse-hook callback, a
//! worker that unwinds while holding chunks) must not trip libFuzzer's
//! abort-on-panic hook; every other panic still does.

use std::any::Any;
use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static EXPECTING: Cell<u32> = const { Cell::new(0) };
}

/// While alive (and `on`), a panic on this thread is one the harness planted.
#[derive(Debug)]
pub struct ExpectPanic(bool);

pub fn expect_panic(on: bool) -> ExpectPanic {
    if on {
        EXPECTING.with(|c| c.set(c.get() + 1));
    }
    ExpectPanic(on)
}

impl Drop for ExpectPanic {
    fn drop(&mut self) {
        if self.0 {
            EXPECTING.with(|c| c.set(c.get() - 1));
        }
    }
}

/// Wraps the current panic hook (libFuzzer's aborts) so planted panics pass
/// silently. Call before any planted panic; idempotent.
pub fn install_panic_filter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if EXPECTING.with(|c| c.get()) == 0 {
                prev(info);
            }
        }));
    });
}

/// The message of a caught panic.
pub fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic>"
    }
}

pub const HOOK_PANIC: &str = "planned panic in a reuse-hook callback";
pub const WORKER_PANIC: &str = "planned panic in a worker holding chunks";

/// Runs `f`, a panicking method whose `try_` form returned `want`: it must
/// panic with the message the crate gives that error (`chunkpool: {want}`).
#[track_caller]
pub fn expect_error_panic(want: &chunkpool::Error, f: impl FnOnce()) {
    install_panic_filter();
    let got = {
        let _planned = expect_panic(true);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
    };
    let payload = got.expect_err("the panicking form of a failing call returned");
    assert_eq!(message(&*payload), format!("chunkpool: {want}"));
}
