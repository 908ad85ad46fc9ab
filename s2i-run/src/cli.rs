//! The command line and the `S2I_RUN_*` settings.
//!
//! Hand-parsed: three flags and a command do not need a parser crate, and the
//! binary ships in every application image. Options stop at `--` or at the
//! first argument that is not an option, which starts the command, so
//! `s2i-run -- app -v` and `s2i-run app -v` both pass `-v` to `app`.

use std::ffi::OsString;
use std::time::Duration;

use crate::failure::Failure;
use crate::signals;

pub const USAGE: &str = "usage: s2i-run [-v] [-- COMMAND [ARG]...]";

pub const HELP: &str = "\
s2i-run: start the application as a well-behaved PID 1, or simply exec it.

usage: s2i-run [-v] [-- COMMAND [ARG]...]

What it starts, the first that applies:
  -- COMMAND [ARG]...     the command given (looked up in PATH when it has no /)
  $APP_ROOT/s2i-run.toml  the run manifest s2i-assemble writes: program, args,
                          working directory, and variables set where unset
  $APP_ROOT/gobinary      the classic Go builder images' binary
APP_ROOT defaults to /opt/app-root. APP_ARGS adds arguments, split like shell
words (quotes group words; nothing is expanded, no shell runs).

How it starts it, S2I_RUN_INIT=auto|always|never (default auto):
  exec mode (never, or auto when not PID 1): exec straight into the program,
    same pid, same environment, nothing left behind
  supervisor mode (always, or auto when PID 1): start the program in its own
    session and process group, forward signals to it, reap every zombie, and
    exit with its exit status (128+N if it died of signal N)

Supervisor settings:
  S2I_RUN_SIGNAL_GROUP=1|0  forward signals to the program's process group (1,
                            the default) or to the program alone (0)
  S2I_RUN_STOP_SIGNAL=NAME  deliver this signal when SIGTERM arrives (default
                            TERM), e.g. QUIT; a name `kill -l` knows, RTMIN+N;
                            not one that cannot end a program (STOP, CONT...)
  S2I_RUN_GRACE=SECONDS     when the program has exited, what is left of its
                            process group gets SIGTERM, and SIGKILL this many
                            seconds later (default 5)
  S2I_RUN_VERBOSE=1         log forwarded signals and reaped processes

Options:
  -v, --verbose  same as S2I_RUN_VERBOSE=1
  -h, --help     print this help
  -V, --version  print the version

Exit status: the program's own; 127 if it is not found, 126 if it cannot be
executed, 2 for a bad option or setting, 1 for other errors (an invalid run
manifest, a missing working directory).
";

/// How to start the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitMode {
    /// Supervise when PID 1, exec otherwise.
    Auto,
    Always,
    Never,
}

/// Everything the command line and the environment decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub init: InitMode,
    pub signal_group: bool,
    /// What to deliver when SIGTERM arrives.
    pub stop_signal: i32,
    pub grace: Duration,
    pub verbose: bool,
    /// `COMMAND ARG...`; empty when none was given.
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Run(Config),
    Help,
    Version,
}

/// Parses the arguments (without the program name) and the settings, read
/// through `env` so tests need not touch the process environment.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Action, Failure> {
    let mut verbose_flag = false;
    let mut args = args.into_iter();
    let mut command = Vec::new();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--") => {
                command.extend(args.by_ref());
                break;
            }
            Some("-h" | "--help") => return Ok(Action::Help),
            Some("-V" | "--version") => return Ok(Action::Version),
            Some("-v" | "--verbose") => verbose_flag = true,
            Some(option) if option.starts_with('-') && option.len() > 1 => {
                return Err(Failure::usage(format!(
                    "unknown option `{option}`\n{USAGE} (see s2i-run --help)"
                )));
            }
            _ => {
                command.push(arg);
                command.extend(args.by_ref());
                break;
            }
        }
    }
    if command.first().is_some_and(|c| c.is_empty()) {
        return Err(Failure::usage(format!(
            "the command after `--` is empty\n{USAGE}"
        )));
    }

    let init = match setting(&env, "S2I_RUN_INIT", "auto, always or never")?.as_deref() {
        None | Some("auto") => InitMode::Auto,
        Some("always") => InitMode::Always,
        Some("never") => InitMode::Never,
        Some(other) => return Err(invalid("S2I_RUN_INIT", other, "auto, always or never")),
    };
    let signal_group = flag(
        &env,
        "S2I_RUN_SIGNAL_GROUP",
        true,
        "1 (the process group) or 0 (the program alone)",
    )?;
    let verbose = flag(&env, "S2I_RUN_VERBOSE", false, "1 (log) or 0 (quiet)")? || verbose_flag;
    const SIGNAL_EXPECTED: &str =
        "a signal name or number, such as TERM, QUIT, INT, USR1, 3 or RTMIN+2";
    let stop_signal = match setting(&env, "S2I_RUN_STOP_SIGNAL", SIGNAL_EXPECTED)? {
        None => nix::libc::SIGTERM,
        Some(name) => {
            let signal = signals::number(&name)
                .ok_or_else(|| invalid("S2I_RUN_STOP_SIGNAL", &name, SIGNAL_EXPECTED))?;
            if let Some(why) = signals::cannot_end_a_program(signal) {
                return Err(Failure::usage(format!(
                    "invalid S2I_RUN_STOP_SIGNAL={name:?}: {} {why}; expected a signal that ends a \
                     program, such as TERM, QUIT, INT, USR1, KILL or RTMIN+2",
                    signals::name(signal)
                )));
            }
            signal
        }
    };
    const GRACE_EXPECTED: &str = "a number of seconds, such as 5 or 0.5";
    let grace = match setting(&env, "S2I_RUN_GRACE", GRACE_EXPECTED)? {
        None => Duration::from_secs(5),
        Some(text) => {
            seconds(text.trim()).ok_or_else(|| invalid("S2I_RUN_GRACE", &text, GRACE_EXPECTED))?
        }
    };
    Ok(Action::Run(Config {
        init,
        signal_group,
        stop_signal,
        grace,
        verbose,
        command,
    }))
}

/// A setting's value; unset and empty are the same (a Dockerfile cannot unset).
fn setting(
    env: &impl Fn(&str) -> Option<OsString>,
    name: &str,
    expected: &str,
) -> Result<Option<String>, Failure> {
    match env(name) {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(None),
        Some(value) => value
            .into_string()
            .map(Some)
            .map_err(|value| invalid(name, &value.to_string_lossy(), expected)),
    }
}

fn flag(
    env: &impl Fn(&str) -> Option<OsString>,
    name: &str,
    default: bool,
    expected: &str,
) -> Result<bool, Failure> {
    match setting(env, name, expected)?.as_deref() {
        None => Ok(default),
        Some("1") => Ok(true),
        Some("0") => Ok(false),
        Some(other) => Err(invalid(name, other, expected)),
    }
}

/// `5`, `0.5`, `.25`: decimal seconds, to the nanosecond. (By hand: float
/// parsing is the bigger part of a number parser, and buys nothing here.)
fn seconds(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        whole.parse::<u64>().ok()?
    };
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'));
    Some(Duration::new(secs, nanos))
}

fn invalid(name: &str, value: &str, expected: &str) -> Failure {
    Failure::usage(format!("invalid {name}={value:?}: expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Action, Failure> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        parse(args.iter().map(OsString::from), |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn config(args: &[&str], vars: &[(&str, &str)]) -> Config {
        match parse_with(args, vars) {
            Ok(Action::Run(config)) => config,
            other => panic!("expected a run config, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = config(&[], &[]);
        assert_eq!(c.init, InitMode::Auto);
        assert!(c.signal_group && !c.verbose && c.command.is_empty());
        assert_eq!(c.stop_signal, 15);
        assert_eq!(c.grace, Duration::from_secs(5));
    }

    #[test]
    fn options_stop_at_the_command() {
        let c = config(&["-v", "--", "app", "-v", "--help"], &[]);
        assert!(c.verbose);
        assert_eq!(c.command, ["app", "-v", "--help"]);
        let c = config(&["app", "--", "-x"], &[]);
        assert!(!c.verbose);
        assert_eq!(c.command, ["app", "--", "-x"]);
        assert_eq!(parse_with(&["-h", "app"], &[]), Ok(Action::Help));
        assert_eq!(parse_with(&["--version"], &[]), Ok(Action::Version));
        assert_eq!(parse_with(&["-x"], &[]).unwrap_err().code, 2);
    }

    #[test]
    fn settings() {
        let c = config(
            &[],
            &[
                ("S2I_RUN_INIT", "always"),
                ("S2I_RUN_SIGNAL_GROUP", "0"),
                ("S2I_RUN_STOP_SIGNAL", "sigquit"),
                ("S2I_RUN_GRACE", "0.25"),
                ("S2I_RUN_VERBOSE", "1"),
            ],
        );
        assert_eq!(c.init, InitMode::Always);
        assert!(!c.signal_group && c.verbose);
        assert_eq!(c.stop_signal, 3);
        assert_eq!(c.grace, Duration::from_millis(250));
        assert_eq!(
            config(&[], &[("S2I_RUN_INIT", "never")]).init,
            InitMode::Never
        );
        assert_eq!(config(&[], &[("S2I_RUN_INIT", "")]).init, InitMode::Auto);
    }

    #[test]
    fn grace_is_decimal_seconds() {
        assert_eq!(seconds("5"), Some(Duration::from_secs(5)));
        assert_eq!(seconds("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(seconds(".25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds("2."), Some(Duration::from_secs(2)));
        assert_eq!(seconds("0.1234567891"), Some(Duration::new(0, 123_456_789)));
        for bad in ["", ".", "abc", "-1", "1e3", "1.2.3", "+1", " 1"] {
            assert_eq!(seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn invalid_settings_name_the_variable_and_what_is_allowed() {
        for (name, value) in [
            ("S2I_RUN_INIT", "bogus"),
            ("S2I_RUN_GRACE", "abc"),
            ("S2I_RUN_GRACE", "-1"),
            ("S2I_RUN_STOP_SIGNAL", "NOPE"),
            ("S2I_RUN_SIGNAL_GROUP", "yes"),
            ("S2I_RUN_VERBOSE", "2"),
        ] {
            let failure = parse_with(&[], &[(name, value)]).unwrap_err();
            assert_eq!(failure.code, 2);
            assert!(failure.message.contains(name), "{failure:?}");
            assert!(failure.message.contains("expected"), "{failure:?}");
        }
    }
}
