//! Writing a whole text (help, usage, a plan) to standard output and
//! hearing about a failure: `print!` aborts the program on one (`--help >
//! /dev/full` ended in a Rust panic, exit 134).

use std::io::{self, Write};

/// Writes `text` to stdout, whole, and flushes it. A reader that went away
/// is `BrokenPipe`: the caller decides whether that matters. (A stdout that
/// was closed before the program started is /dev/null by then: Rust's
/// runtime reopens it so, and nothing can tell.)
pub fn write_all(text: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text)?;
    stdout.flush()
}

/// An io::Error as a reason in a message: `No space left on device`, not
/// `No space left on device (os error 28)`.
pub fn reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_lose_the_error_number() {
        let full = std::io::Error::from_raw_os_error(28);
        assert_eq!(super::reason(&full), "No space left on device");
        let other = std::io::Error::other("broken (badly)");
        assert_eq!(super::reason(&other), "broken (badly)");
    }
}
