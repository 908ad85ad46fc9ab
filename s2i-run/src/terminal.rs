//! The terminal, in supervisor mode. A program started under `podman run
//! -it` (or from a shell) expects the terminal: to read it, open /dev/tty,
//! and have Ctrl-C and Ctrl-Z reach it. So, when s2i-run's stdin is a
//! terminal and s2i-run's process group is its foreground one, the program
//! gets a process group of its own in s2i-run's session and becomes the
//! terminal's foreground group, as tini does and dumb-init's `setsid` mode
//! achieves: the terminal's signals then go to the program's group
//! directly. s2i-run takes the terminal back only when the program stops
//! or exits. Every call here is made with every signal blocked (SIGTTOU
//! included), so that a background group may hand the terminal over.

use nix::libc;

/// Whether stdin is a terminal whose foreground group is s2i-run's.
pub fn ours() -> bool {
    // SAFETY: isatty(3), getpgrp(2) and tcgetpgrp(3) on fd 0 only ask.
    unsafe { libc::isatty(0) == 1 && is_foreground() }
}

/// Whether s2i-run's process group is the terminal's foreground group.
pub fn is_foreground() -> bool {
    // SAFETY: as above.
    unsafe { libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// Makes `group` the terminal's foreground process group (async-signal-safe;
/// an error, a terminal gone, leaves things as they are).
pub fn give_to(group: libc::pid_t) {
    // SAFETY: tcsetpgrp(3) on fd 0.
    unsafe { libc::tcsetpgrp(0, group) };
}
