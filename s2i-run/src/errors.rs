//! Every way s2i-run stops before (or instead of) the application, and
//! every warning it gives, each one line that names the problem and the
//! fix; and the exit status that goes with each.

use std::fmt;
use std::path::PathBuf;

use s2i_common::manifest::ManifestError;

/// The program was not found (the shells' convention).
pub const NOT_FOUND: i32 = 127;
/// The program was found but could not be executed (the shells' convention).
pub const NOT_EXECUTABLE: i32 = 126;
/// A bad option or setting.
pub const USAGE: i32 = 2;
/// Anything else that stops s2i-run itself (an invalid run manifest, say).
pub const GENERAL: i32 = 1;

pub const USAGE_LINE: &str = "usage: s2i-run [-v] [-- COMMAND [ARG]...]";

#[derive(Debug)]
pub enum Error {
    UnknownOption {
        option: String,
    },
    EmptyCommand,
    /// A setting whose value its grammar does not take.
    InvalidSetting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A stop signal that is a signal, but cannot end a program.
    StopSignalCannotEnd {
        value: String,
        signal: i32,
        why: &'static str,
    },
    AppArgsNotUtf8 {
        value: String,
    },
    AppArgsUnclosedQuote {
        value: String,
    },
    /// A run manifest that cannot be read, or is not valid.
    Manifest {
        error: ManifestError,
    },
    /// No command, no manifest, no gobinary.
    NothingToStart {
        manifest: PathBuf,
        classic: PathBuf,
    },
    NoSuchFile {
        program: String,
    },
    NotInPath {
        program: String,
        path: String,
    },
    NoInterpreter {
        program: String,
        interpreter: String,
    },
    NoLoader {
        program: String,
    },
    IsDirectory {
        program: String,
    },
    PermissionDenied {
        program: String,
    },
    NotExecutableFormat {
        program: String,
    },
    /// `execve` failed for another reason.
    ExecFailed {
        program: String,
        reason: String,
    },
    NoWorkdir {
        program: String,
        dir: PathBuf,
        reason: String,
    },
    /// `what`: the program's path or name, an argument, an environment variable.
    NulByte {
        what: &'static str,
    },
    StdoutClosed,
    StdoutWrite {
        reason: String,
    },
    Pipe {
        reason: String,
    },
    Fork {
        reason: String,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::UnknownOption { .. }
            | Error::EmptyCommand
            | Error::InvalidSetting { .. }
            | Error::StopSignalCannotEnd { .. }
            | Error::AppArgsNotUtf8 { .. }
            | Error::AppArgsUnclosedQuote { .. }
            | Error::NulByte { .. } => USAGE,
            Error::NothingToStart { .. } | Error::NoSuchFile { .. } | Error::NotInPath { .. } => {
                NOT_FOUND
            }
            Error::NoInterpreter { .. }
            | Error::NoLoader { .. }
            | Error::IsDirectory { .. }
            | Error::PermissionDenied { .. }
            | Error::NotExecutableFormat { .. }
            | Error::ExecFailed { .. } => NOT_EXECUTABLE,
            Error::Manifest { .. }
            | Error::NoWorkdir { .. }
            | Error::StdoutClosed
            | Error::StdoutWrite { .. }
            | Error::Pipe { .. }
            | Error::Fork { .. } => GENERAL,
        }
    }
}

// Each variant's key (see s2i_common::message_keys!): README.md's
// troubleshooting section quotes every key; the tests below check that it
// does, and that each key is in its message.
s2i_common::message_keys! {
    Error {
        UnknownOption => "unknown option `…`",
        EmptyCommand => "the command after `--` is empty",
        InvalidSetting => "invalid …=\"…\": expected …",
        StopSignalCannotEnd => "invalid S2I_RUN_STOP_SIGNAL=\"…\": SIG… …; expected a signal that ends a program",
        AppArgsNotUtf8 => "invalid APP_ARGS=\"…\": it is not valid UTF-8",
        AppArgsUnclosedQuote => "invalid APP_ARGS=\"…\": a quote is not closed",
        Manifest { error: ManifestError::Read { .. } } => "cannot read run manifest …: …",
        Manifest => "invalid run manifest …, line …, column …",
        NothingToStart => "nothing to start: no command was given, there is no run manifest … and no …",
        NoSuchFile => "cannot start …: no such file",
        NotInPath => "cannot start …: not found in PATH (…)",
        NoInterpreter => "cannot start …: its interpreter … (from its #! line) does not exist",
        NoLoader => "cannot start …: it exists, but its dynamic loader (ELF interpreter) does not",
        IsDirectory => "cannot start …: it is a directory",
        PermissionDenied => "cannot start …: permission denied: it is not executable (chmod +x), or its file system is mounted noexec",
        NotExecutableFormat => "cannot start …: not an executable format for this machine",
        ExecFailed => "cannot start …: …",
        NoWorkdir => "cannot start …: cannot change to its working directory …: …",
        NulByte => "… contains a NUL byte",
        StdoutClosed => "cannot write to stdout: it is closed",
        StdoutWrite => "cannot write to stdout: …",
        Pipe => "cannot create a pipe: …",
        Fork => "cannot fork: …",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cannot_start = |f: &mut fmt::Formatter<'_>, program: &str, why: fmt::Arguments| {
            write!(f, "cannot start {program}: {why}")
        };
        match self {
            Error::UnknownOption { option } => write!(
                f,
                "unknown option `{option}`\n{USAGE_LINE} (see s2i-run --help)"
            ),
            Error::EmptyCommand => write!(f, "the command after `--` is empty\n{USAGE_LINE}"),
            Error::InvalidSetting {
                name,
                value,
                expected,
            } => write!(f, "invalid {name}={value:?}: expected {expected}"),
            Error::StopSignalCannotEnd { value, signal, why } => write!(
                f,
                "invalid S2I_RUN_STOP_SIGNAL={value:?}: {} {why}; expected a signal that ends a \
                 program, such as TERM, QUIT, INT, USR1, KILL or RTMIN+2",
                s2i_common::signals::name(*signal)
            ),
            Error::AppArgsNotUtf8 { value } => {
                write!(f, "invalid APP_ARGS={value:?}: it is not valid UTF-8")
            }
            Error::AppArgsUnclosedQuote { value } => write!(
                f,
                "invalid APP_ARGS={value:?}: a quote is not closed; \
                 expected arguments split like shell words, such as --name \"two words\""
            ),
            Error::Manifest { error } => write!(
                f,
                "{error}\ns2i-assemble writes this file: rebuild the application image, or fix or remove the file"
            ),
            Error::NothingToStart { manifest, classic } => write!(
                f,
                "nothing to start: no command was given, there is no run manifest {} and no {}; \
                 give a command (s2i-run -- COMMAND [ARG]...) or build the application with s2i-assemble",
                manifest.display(),
                classic.display()
            ),
            Error::NoSuchFile { program } => cannot_start(f, program, format_args!("no such file")),
            Error::NotInPath { program, path } => {
                cannot_start(f, program, format_args!("not found in PATH ({path})"))
            }
            Error::NoInterpreter {
                program,
                interpreter,
            } => cannot_start(
                f,
                program,
                format_args!("its interpreter {interpreter} (from its #! line) does not exist"),
            ),
            Error::NoLoader { program } => cannot_start(
                f,
                program,
                format_args!("it exists, but its dynamic loader (ELF interpreter) does not"),
            ),
            Error::IsDirectory { program } => {
                cannot_start(f, program, format_args!("it is a directory"))
            }
            Error::PermissionDenied { program } => cannot_start(
                f,
                program,
                format_args!(
                    "permission denied: it is not executable (chmod +x), \
                     or its file system is mounted noexec"
                ),
            ),
            Error::NotExecutableFormat { program } => cannot_start(
                f,
                program,
                format_args!(
                    "not an executable format for this machine: a program built for another \
                     CPU or OS (GOARCH, GOOS), or a script without a #! line"
                ),
            ),
            Error::ExecFailed { program, reason } => cannot_start(f, program, format_args!("{reason}")),
            Error::NoWorkdir {
                program,
                dir,
                reason,
            } => cannot_start(
                f,
                program,
                format_args!(
                    "cannot change to its working directory {}: {reason}",
                    dir.display()
                ),
            ),
            Error::NulByte { what } => write!(f, "{what} contains a NUL byte"),
            Error::StdoutClosed => write!(f, "cannot write to stdout: it is closed"),
            Error::StdoutWrite { reason } => write!(f, "cannot write to stdout: {reason}"),
            Error::Pipe { reason } => write!(f, "cannot create a pipe: {reason}"),
            Error::Fork { reason } => write!(f, "cannot fork: {reason}"),
        }
    }
}

/// What s2i-run warns about and goes on.
#[derive(Debug)]
pub enum Warning {
    NotSubreaper {
        reason: String,
    },
    GroupOutlivedKill {
        group: i32,
    },
    /// S2I_RUN_EXIT_REMAP with S2I_RUN_INIT=never.
    ExitRemapIgnored,
    /// An installation a killed s2i-assemble committed, which s2i-run
    /// could not finish.
    InstallUnfinished {
        app_root: std::path::PathBuf,
        reason: std::io::Error,
    },
}

s2i_common::message_keys! {
    Warning {
        NotSubreaper => "warning: cannot become a child subreaper (…); orphans will not be reaped here",
        GroupOutlivedKill => "warning: process group … outlived SIGKILL; exiting anyway",
        ExitRemapIgnored => "warning: S2I_RUN_EXIT_REMAP is ignored with S2I_RUN_INIT=never",
        InstallUnfinished => "warning: cannot finish the interrupted installation in …: …; starting what is there",
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NotSubreaper { reason } => write!(
                f,
                "warning: cannot become a child subreaper ({reason}); orphans will not be reaped here"
            ),
            Warning::GroupOutlivedKill { group } => write!(
                f,
                "warning: process group {group} outlived SIGKILL; exiting anyway"
            ),
            Warning::ExitRemapIgnored => write!(
                f,
                "warning: S2I_RUN_EXIT_REMAP is ignored with S2I_RUN_INIT=never: after an exec \
                 the program's exit status is final; set S2I_RUN_INIT=auto or always"
            ),
            Warning::InstallUnfinished { app_root, reason } => write!(
                f,
                "warning: cannot finish the interrupted installation in {}: {}; \
                 starting what is there",
                s2i_common::display::escaped(app_root),
                s2i_common::display::reason(reason)
            ),
        }
    }
}

/// Prints `warning` to stderr.
pub fn warn(warning: Warning) {
    eprintln!("s2i-run: {warning}");
}

/// The C library's text for an `errno` value ("No such file or directory").
/// (Through std's own strerror, not a table of our own: it ships anyway.)
pub fn errno_text(errno: i32) -> String {
    s2i_common::display::reason(&std::io::Error::from_raw_os_error(errno))
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
    use super::*;
    use s2i_tests::troubleshooting::{assert_keys_in_messages, assert_table_matches};

    /// One error of each variant (and of each form a message has).
    fn one_of_each() -> Vec<Error> {
        let program = || "/opt/app-root/bin/api".to_string();
        vec![
            Error::UnknownOption {
                option: "--bogus".into(),
            },
            Error::EmptyCommand,
            Error::InvalidSetting {
                name: "S2I_RUN_INIT",
                value: "bogus".into(),
                expected: "auto, always or never",
            },
            Error::StopSignalCannotEnd {
                value: "STOP".into(),
                signal: 19,
                why: "pauses the program instead of ending it",
            },
            Error::AppArgsNotUtf8 {
                value: "\u{fffd}".into(),
            },
            Error::AppArgsUnclosedQuote {
                value: "'oops".into(),
            },
            Error::Manifest {
                error: ManifestError::Read {
                    path: "/opt/app-root/s2i-run.toml".into(),
                    error: std::io::Error::from_raw_os_error(13),
                },
            },
            Error::Manifest {
                error: ManifestError::Invalid {
                    path: "/opt/app-root/s2i-run.toml".into(),
                    line: 1,
                    column: 1,
                    message: "missing field `program`".into(),
                },
            },
            Error::NothingToStart {
                manifest: "/opt/app-root/s2i-run.toml".into(),
                classic: "/opt/app-root/gobinary".into(),
            },
            Error::NoSuchFile { program: program() },
            Error::NotInPath {
                program: "api".into(),
                path: "/usr/bin:/bin".into(),
            },
            Error::NoInterpreter {
                program: program(),
                interpreter: "/bin/bash".into(),
            },
            Error::NoLoader { program: program() },
            Error::IsDirectory { program: program() },
            Error::PermissionDenied { program: program() },
            Error::NotExecutableFormat { program: program() },
            Error::ExecFailed {
                program: program(),
                reason: "Text file busy".into(),
            },
            Error::NoWorkdir {
                program: program(),
                dir: "/opt/app-root/src".into(),
                reason: "No such file or directory".into(),
            },
            Error::NulByte {
                what: "an argument",
            },
            Error::StdoutClosed,
            Error::StdoutWrite {
                reason: "No space left on device".into(),
            },
            Error::Pipe {
                reason: "Too many open files".into(),
            },
            Error::Fork {
                reason: "Resource temporarily unavailable".into(),
            },
        ]
    }

    fn one_of_each_warning() -> Vec<Warning> {
        vec![
            Warning::NotSubreaper {
                reason: "Operation not permitted".into(),
            },
            Warning::GroupOutlivedKill { group: 7 },
            Warning::ExitRemapIgnored,
            Warning::InstallUnfinished {
                app_root: "/opt/app-root".into(),
                reason: std::io::Error::from_raw_os_error(30),
            },
        ]
    }

    #[test]
    fn each_key_is_in_its_message() {
        let errors = one_of_each().into_iter().map(|e| (e.to_string(), e.key()));
        let warnings = one_of_each_warning()
            .into_iter()
            .map(|w| (w.to_string(), w.key()));
        assert_keys_in_messages(errors.chain(warnings), &keys());
    }

    fn keys() -> Vec<&'static str> {
        [Error::KEYS, Warning::KEYS].concat()
    }

    /// README.md's troubleshooting table under `#### s2i-run` quotes each
    /// key (`…` in the key stands for anything), and each of its rows quotes
    /// a key.
    #[test]
    fn readme_has_a_row_for_each_message_and_no_other() {
        assert_table_matches("s2i-run", &keys());
    }

    #[test]
    fn exit_codes_follow_the_shells() {
        for error in one_of_each() {
            let expected = match error.key() {
                k if k.contains("no such file") || k.contains("not found in PATH") => NOT_FOUND,
                k if k.starts_with("nothing to start") => NOT_FOUND,
                k if k.starts_with("cannot start …: cannot change") => GENERAL,
                k if k.starts_with("cannot start") => NOT_EXECUTABLE,
                k if k.starts_with("invalid run manifest") || k.starts_with("cannot read run") => {
                    GENERAL
                }
                k if k.starts_with("invalid") || k.starts_with("unknown option") => USAGE,
                k if k.starts_with("the command") || k.ends_with("NUL byte") => USAGE,
                _ => GENERAL,
            };
            assert_eq!(error.exit_code(), expected, "{error}");
        }
    }
}
