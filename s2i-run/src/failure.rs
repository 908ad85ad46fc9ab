//! Why s2i-run stops before (or instead of) the application, and with which
//! exit status.

/// The program was not found (the shells' convention).
pub const NOT_FOUND: i32 = 127;
/// The program was found but could not be executed (the shells' convention).
pub const NOT_EXECUTABLE: i32 = 126;
/// A bad option or setting.
pub const USAGE: i32 = 2;
/// Anything else that stops s2i-run itself (an invalid run manifest, say).
pub const GENERAL: i32 = 1;

/// A message for stderr (without the `s2i-run: ` prefix) and an exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(USAGE, message)
    }

    pub fn general(message: impl Into<String>) -> Failure {
        Failure::new(GENERAL, message)
    }
}

/// The C library's text for an `errno` value ("No such file or directory").
/// (Through std's own strerror, not a table of our own: it ships anyway.)
pub fn errno_text(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// [`errno_text`] of the last failed system call.
pub fn last_errno_text() -> String {
    errno_text(last_errno())
}

/// The `errno` of the last failed system call.
pub fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn errno_text_has_no_suffix() {
        assert_eq!(super::errno_text(2), "No such file or directory");
    }
}
