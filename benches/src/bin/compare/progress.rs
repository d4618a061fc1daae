//! Progress for a run of many minutes: a bar on a terminal, plain lines
//! (one per step started, with its position and the time so far) when
//! stderr is a pipe or a file, where indicatif draws nothing at all and a
//! run would otherwise print nothing for minutes.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The run's progress, drawn as a bar or written as lines.
pub(crate) struct Progress {
    bar: ProgressBar,
    /// `None` on a terminal (the bar draws); otherwise the lines' state.
    plain: Option<Plain>,
}

struct Plain {
    pos: AtomicU64,
    len: u64,
    start: Instant,
}

impl Progress {
    /// `len` steps, drawn on stderr.
    pub(crate) fn new(len: u64) -> Progress {
        let plain = (!std::io::stderr().is_terminal()).then(|| Plain {
            pos: AtomicU64::new(0),
            len,
            start: Instant::now(),
        });
        let bar = if plain.is_some() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(len);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed:>4} [{bar:32.cyan/blue}] {pos:>3}/{len} {msg}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar
        };
        Progress { bar, plain }
    }

    /// A step starts: the bar's message, or a line.
    pub(crate) fn set_message(&self, msg: String) {
        if let Some(p) = &self.plain {
            let pos = p.pos.load(Ordering::Relaxed);
            let secs = p.start.elapsed().as_secs();
            eprintln!("[{:>3}/{} {:>4}s] {msg}", pos + 1, p.len, secs);
        }
        self.bar.set_message(msg);
    }

    /// `n` steps done.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(p) = &self.plain {
            p.pos.fetch_add(n, Ordering::Relaxed);
        }
        self.bar.inc(n);
    }

    /// The run ended normally: the bar goes.
    pub(crate) fn finish_and_clear(&self) {
        if let Some(p) = &self.plain {
            eprintln!(
                "[{}/{} {:>4}s] done",
                p.len,
                p.len,
                p.start.elapsed().as_secs()
            );
        }
        self.bar.finish_and_clear();
    }

    /// The run failed: the bar stays as it is.
    pub(crate) fn abandon(&self) {
        self.bar.abandon();
    }
}
