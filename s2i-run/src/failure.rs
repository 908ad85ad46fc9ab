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
