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
//! library calls those before `main`), and notes both.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::libc;

static SIGPIPE_IGNORED: AtomicBool = AtomicBool::new(false);

#[used]
#[link_section = ".init_array"]
static RECORD: extern "C" fn() = record;

extern "C" fn record() {
    // SAFETY: sigaction(2) only reads the disposition.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut action) == 0 {
            SIGPIPE_IGNORED.store(action.sa_sigaction == libc::SIG_IGN, Ordering::Relaxed);
        }
    }
    s2i_common::stdout::record_closed();
}

/// SIGPIPE's disposition as s2i-run got it (default, or ignored), for the
/// program: just before `execve`. Async-signal-safe.
pub fn restore_sigpipe() {
    set_sigpipe(if SIGPIPE_IGNORED.load(Ordering::Relaxed) {
        libc::SIG_IGN
    } else {
        libc::SIG_DFL
    });
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
