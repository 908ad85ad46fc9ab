//! The signal mask the supervisor lives under, and waiting for signals.
//! (Signal names and numbers: [`s2i_common::signals`].)

use nix::libc;
use s2i_common::signals::MAX_SIGNAL;

/// A signal set holding every signal.
///
/// Built by hand rather than with `sigfillset`, which in musl leaves out the
/// signals it keeps for itself (32 to 34): the supervisor never starts a
/// thread, so it may block and wait for those too, and must, lest one of them
/// kill it when it is not PID 1.
pub fn full_set() -> libc::sigset_t {
    // SAFETY: sigset_t is a plain bit array; all-ones means "every signal"
    // (the kernel itself ignores SIGKILL and SIGSTOP in a mask).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        std::ptr::write_bytes(
            &mut set as *mut libc::sigset_t as *mut u8,
            0xff,
            std::mem::size_of::<libc::sigset_t>().min(KERNEL_SET_SIZE),
        );
        set
    }
}

/// The kernel's own size of a signal set, in bytes (64 signals).
const KERNEL_SET_SIZE: usize = MAX_SIGNAL as usize / 8;

/// `rt_sigprocmask` straight to the kernel: the C libraries' wrappers quietly
/// drop their own signals from the set (see [`full_set`]).
fn set_mask(mask: &libc::sigset_t, old: *mut libc::sigset_t) {
    // SAFETY: plain system call on valid sigset_t pointers (or null).
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            mask as *const libc::sigset_t,
            old,
            KERNEL_SET_SIZE,
        )
    };
}

/// Blocks every signal; returns the mask there was before, for the child.
pub fn block_all() -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is a valid empty set.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    set_mask(&full_set(), &mut old);
    old
}

/// In a freshly forked child: the signal dispositions back to their defaults
/// (an ignored signal stays ignored across exec) and the mask back to `mask`.
/// Only async-signal-safe calls here.
pub fn restore_for_child(mask: &libc::sigset_t) {
    for signal in 1..=MAX_SIGNAL {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            // SAFETY: resetting a disposition to its default; errors (the
            // C library's own signals) are harmless and ignored.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
    }
    set_mask(mask, std::ptr::null_mut());
}

/// The next signal from `set`, waiting at most `timeout`; `None` on timeout
/// or interruption.
pub fn wait_for(set: &libc::sigset_t, timeout: std::time::Duration) -> Option<i32> {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as _,
        tv_nsec: timeout.subsec_nanos() as _,
    };
    // SAFETY: plain system call on valid pointers; no siginfo is asked for.
    let signal = unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            set as *const libc::sigset_t,
            std::ptr::null_mut::<libc::siginfo_t>(),
            &ts as *const libc::timespec,
            KERNEL_SET_SIZE,
        )
    };
    (signal > 0).then_some(signal as i32)
}
