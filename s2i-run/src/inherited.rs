//! What s2i-run's process was given that Rust's runtime changes before
//! `main` runs, recorded before it does, so that the program can be handed
//! what s2i-run itself was handed.
//!
//! Rust's runtime sets SIGPIPE to "ignore" (so that a write to a closed pipe
//! is an error instead of death), and an ignored signal stays ignored across
//! `execve`: a program exec'd with it ignored gets EPIPE where it expects to
//! die quietly (`yes | head` prints "Broken pipe"). It also opens /dev/null
//! on a standard descriptor that was closed, which hides a closed stdout from
//! `--help`. A function in `.init_array` runs before the runtime does (the C
//! library calls those before `main`), and notes both: every signal that
//! was ignored (as `nohup` leaves SIGHUP), and whether stdout was closed.

use std::sync::atomic::{AtomicU64, Ordering};

use nix::libc;
use s2i_common::signals::MAX_SIGNAL;

/// Bit `n - 1` set: signal `n` was ignored when s2i-run started.
static IGNORED: AtomicU64 = AtomicU64::new(0);

#[used]
#[link_section = ".init_array"]
static RECORD: extern "C" fn() = record;

extern "C" fn record() {
    let mut ignored = 0u64;
    for signal in 1..=MAX_SIGNAL {
        // SAFETY: sigaction(2) only reads the disposition.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut action) == 0
                && action.sa_sigaction == libc::SIG_IGN
            {
                ignored |= 1 << (signal - 1);
            }
        }
    }
    IGNORED.store(ignored, Ordering::Relaxed);
    s2i_common::stdout::record_closed();
}

/// `signal`'s disposition as s2i-run got it: ignored, or the default (a
/// handler cannot be inherited across `execve`). Async-signal-safe.
pub fn disposition(signal: libc::c_int) -> libc::sighandler_t {
    if IGNORED.load(Ordering::Relaxed) & (1 << (signal - 1)) != 0 {
        libc::SIG_IGN
    } else {
        libc::SIG_DFL
    }
}

/// SIGPIPE's disposition as s2i-run got it (default, or ignored), for the
/// program: just before `execve`. Async-signal-safe.
pub fn restore_sigpipe() {
    set_sigpipe(disposition(libc::SIGPIPE));
}

/// SIGPIPE ignored again, as Rust's runtime wants it (after a failed `execve`,
/// before writing the message about it).
pub fn ignore_sigpipe() {
    set_sigpipe(libc::SIG_IGN);
}

fn set_sigpipe(disposition: libc::sighandler_t) {
    // SAFETY: setting a disposition to SIG_DFL or SIG_IGN.
    unsafe { libc::signal(libc::SIGPIPE, disposition) };
}

/// Whether stdout was closed when s2i-run started (the descriptor now
/// holds the /dev/null Rust's runtime put there).
pub fn stdout_was_closed() -> bool {
    s2i_common::stdout::was_closed()
}
