//! The signal-name grammar of every setting that names a signal, and the
//! names of signals in messages.
//!
//! Names follow `kill -l`: `TERM` or `SIGTERM` (any case), plain numbers, and
//! the real-time signals as `RTMIN`, `RTMIN+N`, `RTMAX-N`, `RTMAX`. The
//! real-time range is asked from the C library at run time: glibc and musl
//! keep a different number of them for themselves.

use nix::libc;

/// The classic signals of Linux on x86-64 and aarch64, as `kill -l` names them.
const NAMES: [(&str, i32); 31] = [
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// What [`number`] takes, for messages and help.
pub const SIGNAL_EXPECTED: &str =
    "a signal name or number, such as TERM, QUIT, INT, USR1, 3 or RTMIN+2";

/// The highest signal number of Linux (`_NSIG - 1`).
pub const MAX_SIGNAL: i32 = 64;

fn rt_min() -> i32 {
    libc::SIGRTMIN()
}

fn rt_max() -> i32 {
    libc::SIGRTMAX()
}

/// The number of a signal name (`TERM`, `SIGTERM`, `15`, `RTMIN+2`), if it
/// is one that can be sent.
pub fn number(name: &str) -> Option<i32> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Ok(n) = bare.parse::<i32>() {
        return (1..=MAX_SIGNAL).contains(&n).then_some(n);
    }
    if let Some(&(_, n)) = NAMES.iter().find(|(known, _)| *known == bare) {
        return Some(n);
    }
    let (base, offset) = if let Some(rest) = bare.strip_prefix("RTMIN") {
        (rt_min(), rest)
    } else if let Some(rest) = bare.strip_prefix("RTMAX") {
        (rt_max(), rest)
    } else {
        return None;
    };
    let n = match offset.as_bytes().first() {
        None => base,
        Some(b'+') => base + offset[1..].parse::<i32>().ok()?,
        Some(b'-') => base - offset[1..].parse::<i32>().ok()?,
        Some(_) => return None,
    };
    (rt_min()..=rt_max()).contains(&n).then_some(n)
}

/// Why `signal` cannot be the one that stops the program, if it cannot:
/// the job-control signals pause or resume it, and those a program ignores
/// unless it asks for them do nothing. (SIGWINCH is ignored by default too,
/// but it is Apache httpd's graceful stop; SIGKILL ends a program without
/// letting it clean up, which is the user's choice to make.)
pub fn cannot_end_a_program(signal: i32) -> Option<&'static str> {
    match signal {
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => {
            Some("pauses the program instead of ending it")
        }
        libc::SIGCONT => Some("resumes a paused program, it does not end it"),
        libc::SIGCHLD => Some("only tells the program that a child of its own exited"),
        libc::SIGURG => Some("is ignored by programs (Go's runtime uses it to switch goroutines)"),
        _ => None,
    }
}

/// The name of a signal number for messages (`SIGTERM`, `SIGRTMIN+2`, `signal 33`).
pub fn name(signal: i32) -> String {
    if let Some((known, _)) = NAMES.iter().find(|(_, n)| *n == signal) {
        format!("SIG{known}")
    } else if (rt_min()..=rt_max()).contains(&signal) {
        match signal - rt_min() {
            0 => "SIGRTMIN".to_string(),
            offset => format!("SIGRTMIN+{offset}"),
        }
    } else {
        format!("signal {signal}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_prefixes() {
        assert_eq!(number("TERM"), Some(15));
        assert_eq!(number("sigquit"), Some(3));
        assert_eq!(number("SIGWINCH"), Some(28));
        assert_eq!(number(" usr1 "), Some(10));
        assert_eq!(number("9"), Some(9));
        assert_eq!(number("64"), Some(64));
        assert_eq!(number("0"), None);
        assert_eq!(number("65"), None);
        assert_eq!(number("BOGUS"), None);
        assert_eq!(number(""), None);
    }

    #[test]
    fn realtime_signals_are_relative_to_the_c_library() {
        let min = libc::SIGRTMIN();
        let max = libc::SIGRTMAX();
        assert_eq!(number("RTMIN"), Some(min));
        assert_eq!(number("SIGRTMIN+3"), Some(min + 3));
        assert_eq!(number("RTMAX-1"), Some(max - 1));
        assert_eq!(number("RTMAX"), Some(max));
        assert_eq!(number("RTMAX+1"), None);
        assert_eq!(number("RTMIN-1"), None);
        assert_eq!(number("RTMIN+x"), None);
        assert_eq!(name(min + 3), "SIGRTMIN+3");
        assert_eq!(number(&name(min + 3)), Some(min + 3));
    }

    #[test]
    fn only_the_signals_that_can_end_a_program_stop_one() {
        for refused in ["STOP", "TSTP", "TTIN", "TTOU", "CONT", "CHLD", "URG"] {
            assert!(
                cannot_end_a_program(number(refused).unwrap()).is_some(),
                "{refused}"
            );
        }
        for allowed in [
            "TERM", "KILL", "QUIT", "INT", "HUP", "USR1", "WINCH", "RTMIN+2",
        ] {
            assert_eq!(
                cannot_end_a_program(number(allowed).unwrap()),
                None,
                "{allowed}"
            );
        }
    }

    #[test]
    fn every_classic_name_round_trips() {
        for (known, n) in NAMES {
            assert_eq!(number(known), Some(n));
            assert_eq!(name(n), format!("SIG{known}"));
        }
    }
}
