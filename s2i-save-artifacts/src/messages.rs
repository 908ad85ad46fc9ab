//! Everything s2i-save-artifacts says on stderr, typed: the errors that
//! stop it (with their exit status), the warnings, and the notes that say
//! what was saved. Each variant has a key, the start of its message as
//! printed (`s2i_common::message_keys!`), that README.md's troubleshooting
//! table must quote; stdout carries the tar stream and nothing else.

use std::fmt;
use std::io;
use std::path::PathBuf;

use s2i_cache::save::Unreadable;
use s2i_cache::Size;
use s2i_common::display::reason;
use s2i_common::display::Escaped;

use crate::paths::Invalid;
use crate::USAGE;

/// What stops it before or while it streams.
#[derive(Debug)]
pub enum Error {
    UnexpectedOption {
        option: String,
    },
    InvalidPaths {
        problem: Invalid,
    },
    StdoutClosed,
    StdoutTerminal,
    /// `--help` or `--version` could not be written.
    StdoutWrite {
        error: io::Error,
    },
    /// The stream could not be written, or a file of it read.
    Stream {
        error: io::Error,
    },
}

impl Error {
    /// 2 for what is wrong before anything is written, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::UnexpectedOption { .. }
            | Error::InvalidPaths { .. }
            | Error::StdoutClosed
            | Error::StdoutTerminal => 2,
            Error::StdoutWrite { .. } | Error::Stream { .. } => 1,
        }
    }
}

s2i_common::message_keys! {
    Error {
        UnexpectedOption => "unexpected option \"…\"; it takes paths to save",
        InvalidPaths { problem: Invalid::NotAbsolute(_) } => "invalid paths to save: \"…\" is not an absolute path to a directory or file to save",
        InvalidPaths => "invalid paths to save: two paths end in \"…\": each is saved under its last name, which must differ",
        StdoutClosed => "stdout is closed; redirect the tar stream",
        StdoutTerminal => "stdout is a terminal; redirect the tar stream",
        StdoutWrite => "cannot write to stdout: …",
        Stream => "cannot write the artifacts stream: …",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REDIRECT: &str = "redirect the tar stream: s2i-save-artifacts > artifacts.tar";
        match self {
            Error::UnexpectedOption { option } => write!(
                f,
                "unexpected option {option:?}; it takes paths to save\n\n{USAGE}"
            ),
            Error::InvalidPaths { problem } => {
                write!(f, "invalid paths to save: {problem}\n\n{USAGE}")
            }
            Error::StdoutClosed => write!(f, "stdout is closed; {REDIRECT}"),
            Error::StdoutTerminal => write!(f, "stdout is a terminal; {REDIRECT}"),
            Error::StdoutWrite { error } => {
                write!(f, "cannot write to stdout: {}", reason(error))
            }
            Error::Stream { error } => {
                write!(f, "cannot write the artifacts stream: {}", reason(error))
            }
        }
    }
}

/// What it leaves out of the stream, and goes on.
#[derive(Debug)]
pub enum Warning {
    /// A file or directory of Go's caches it cannot read.
    Unreadable { unreadable: Unreadable },
}

s2i_common::message_keys! {
    Warning {
        Unreadable => "warning: cannot read …: …; it is left out of the stream",
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Unreadable { unreadable } => write!(
                f,
                "warning: cannot read {}: {}; it is left out of the stream",
                Escaped::new(&unreadable.name),
                unreadable.reason
            ),
        }
    }
}

/// What was saved (not an error).
#[derive(Debug)]
pub enum Note {
    /// The paths asked for hold no file.
    NothingInPaths { paths: Vec<PathBuf> },
    SavedPaths {
        paths: Vec<PathBuf>,
        size: Size,
        /// FIFOs, sockets and devices, never opened.
        special: u64,
    },
    /// Neither of Go's caches has anything.
    NoCaches { build: PathBuf, module: PathBuf },
    SavedCaches {
        build: Size,
        module: Size,
        /// Build-cache files left out because the image has them.
        in_base: u64,
    },
}

s2i_common::message_keys! {
    Note {
        NothingInPaths => "nothing to save (no files in …)",
        SavedPaths => "saved … (… file",
        NoCaches => "nothing to save (no Go caches in … or …)",
        SavedCaches => "saved the build cache (…) and the module cache (…)",
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|p| Escaped::new(p).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Note::NothingInPaths { paths } => {
                write!(f, "nothing to save (no files in {})", list(paths))
            }
            Note::SavedPaths {
                paths,
                size,
                special,
            } => {
                write!(f, "saved {} ({size})", list(paths))?;
                if *special > 0 {
                    write!(f, "; left out {special} fifo, socket or device file(s)")?;
                }
                Ok(())
            }
            Note::NoCaches { build, module } => write!(
                f,
                "nothing to save (no Go caches in {} or {})",
                Escaped::new(build),
                Escaped::new(module)
            ),
            Note::SavedCaches {
                build,
                module,
                in_base,
            } => {
                write!(
                    f,
                    "saved the build cache ({build}) and the module cache ({module})"
                )?;
                if *in_base > 0 {
                    let s = if *in_base == 1 { "" } else { "s" };
                    write!(f, "; left out {in_base} file{s} the image already has")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s2i_tests::troubleshooting::{assert_keys_in_messages, assert_table_matches};

    fn size(files: u64) -> Size {
        Size {
            files,
            bytes: files * 4096,
        }
    }

    /// One message of each variant (and of each form one has).
    fn one_of_each() -> Vec<(String, &'static str)> {
        let errors = [
            Error::UnexpectedOption {
                option: "--bogus".into(),
            },
            Error::InvalidPaths {
                problem: Invalid::NotAbsolute("pip".into()),
            },
            Error::InvalidPaths {
                problem: Invalid::SameName("cache".into()),
            },
            Error::StdoutClosed,
            Error::StdoutTerminal,
            Error::StdoutWrite {
                error: io::Error::from_raw_os_error(28),
            },
            Error::Stream {
                error: io::Error::from_raw_os_error(32),
            },
        ];
        let warnings = [Warning::Unreadable {
            unreadable: Unreadable {
                name: "go-mod/cache/download/x/@v/v1.0.0.zip".into(),
                reason: "Permission denied".into(),
            },
        }];
        let notes = [
            Note::NothingInPaths {
                paths: vec!["/opt/app-root/src/.cache/pip".into()],
            },
            Note::SavedPaths {
                paths: vec!["/opt/app-root/src/.cache/pip".into()],
                size: size(1),
                special: 2,
            },
            Note::NoCaches {
                build: "/opt/app-root/.cache/go-build".into(),
                module: "/opt/app-root/.cache/go-mod".into(),
            },
            Note::SavedCaches {
                build: size(3),
                module: size(1),
                in_base: 1,
            },
        ];
        errors
            .iter()
            .map(|e| (e.to_string(), e.key()))
            .chain(warnings.iter().map(|w| (w.to_string(), w.key())))
            .chain(notes.iter().map(|n| (n.to_string(), n.key())))
            .collect()
    }

    fn keys() -> Vec<&'static str> {
        [Error::KEYS, Warning::KEYS, Note::KEYS].concat()
    }

    #[test]
    fn each_key_is_in_its_message() {
        assert_keys_in_messages(one_of_each(), &keys());
    }

    /// README.md's troubleshooting table under `#### s2i-save-artifacts`
    /// quotes each key, and each of its rows quotes a key.
    #[test]
    fn readme_has_a_row_for_each_message_and_no_other() {
        assert_table_matches("s2i-save-artifacts", &keys());
    }
}
