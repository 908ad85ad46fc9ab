//! What s2i-usage says on stderr: only that its output could not be
//! written. Typed with a key (`s2i_common::message_keys!`) that README.md's
//! troubleshooting table must quote, as every binary's messages are.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum Error {
    /// The usage text could not be written (a reader that stops early is
    /// no error).
    StdoutWrite { error: io::Error },
}

s2i_common::message_keys! {
    Error {
        StdoutWrite => "cannot write to stdout: …",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::StdoutWrite { error } => write!(
                f,
                "cannot write to stdout: {}",
                s2i_common::display::reason(error)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s2i_tests::troubleshooting::{assert_keys_in_messages, assert_table_matches};

    #[test]
    fn each_key_is_in_its_message() {
        let error = Error::StdoutWrite {
            error: io::Error::from_raw_os_error(28),
        };
        assert_keys_in_messages([(error.to_string(), error.key())], Error::KEYS);
    }

    /// README.md's troubleshooting table under `#### s2i-usage` quotes each
    /// key, and each of its rows quotes a key.
    #[test]
    fn readme_has_a_row_for_each_message_and_no_other() {
        assert_table_matches("s2i-usage", Error::KEYS);
    }
}
