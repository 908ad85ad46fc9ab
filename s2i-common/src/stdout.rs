//! Writing a whole text (help, usage, a plan) to standard output and
//! hearing about a failure: `print!` aborts the program on one (`--help >
//! /dev/full` ended in a Rust panic, exit 134).
//!
//! And whether stdout was closed when the program started (`prog >&-`):
//! Rust's runtime opens /dev/null on a standard descriptor that is closed
//! before `main` runs, so that what is written there goes nowhere without an
//! error. [`record_closed!`](crate::record_closed_stdout) puts a function in
//! `.init_array`, which the C library runs before the runtime does, to note
//! it; [`was_closed`] tells.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Notes whether descriptor 1 is closed: for `.init_array` (see
/// [`record_closed_stdout!`](crate::record_closed_stdout)), or from a
/// binary's own function there.
pub extern "C" fn record_closed() {
    // SAFETY: fcntl(2) only asks whether the descriptor is open.
    let closed = unsafe { nix::libc::fcntl(1, nix::libc::F_GETFD) } == -1;
    CLOSED_AT_START.store(closed, Ordering::Relaxed);
}

/// Whether stdout was closed when the program started, as
/// [`record_closed`] noted it (false if nothing called it). What is there
/// now is the runtime's /dev/null: what is written would be lost.
pub fn was_closed() -> bool {
    CLOSED_AT_START.load(Ordering::Relaxed)
}

/// Puts [`stdout::record_closed`](crate::stdout::record_closed) in the
/// binary's `.init_array`, so that it runs before Rust's runtime reopens a
/// closed stdout. Use it once, in the binary's crate (a static in a library
/// could be left out by the linker).
#[macro_export]
macro_rules! record_closed_stdout {
    () => {
        #[used]
        #[link_section = ".init_array"]
        static RECORD_CLOSED_STDOUT: extern "C" fn() = $crate::stdout::record_closed;
    };
}

/// Writes `text` to stdout, whole, and flushes it. A reader that went away
/// is `BrokenPipe`: the caller decides whether that matters. A stdout that
/// was closed at start ([`was_closed`]) is an error.
pub fn write_all(text: &[u8]) -> io::Result<()> {
    if was_closed() {
        return Err(closed());
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(text)?;
    stdout.flush()
}

/// The error for a stdout that was closed at start.
pub fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "it is closed")
}
