//! The command line and the `S2I_RUN_*` settings.
//!
//! Hand-parsed: three flags and a command do not need a parser crate, and the
//! binary ships in every application image. Options stop at `--` or at the
//! first argument that is not an option, which starts the command, so
//! `s2i-run -- app -v` and `s2i-run app -v` both pass `-v` to `app`.
//!
//! Settings are read by their row of the one settings table
//! (`s2i_common::settings::run`), defaults included, and parsed with the
//! grammars every binary shares (`s2i_common::values`, `::signals`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use s2i_common::settings::{run, Setting, APP_ROOT};
use s2i_common::{signals, values};

use crate::errors::{Error, USAGE_LINE};

/// `s2i-run --help`, with the settings' names and defaults from the table.
pub fn help() -> String {
    format!(
        "\
s2i-run: start the application as a well-behaved PID 1, or simply exec it.

{USAGE_LINE}

What it starts, the first that applies:
  -- COMMAND [ARG]...     the command given (looked up in PATH when it has no /)
  $APP_ROOT/s2i-run.toml  the run manifest s2i-assemble writes: program, args,
                          working directory, and variables set where unset
  $APP_ROOT/gobinary      the classic Go builder images' binary
{app_root} defaults to {app_root_default}. {app_args} adds arguments, split like shell
words (quotes group words; nothing is expanded, no shell runs).

How it starts it, {init}=auto|always|never (default {init_default}):
  exec mode (never, or auto when not PID 1): exec straight into the program,
    same pid, same environment (but what is set where unset, below), the
    signal dispositions s2i-run got, nothing left behind
  supervisor mode (always, or auto when PID 1): start the program in its own
    session and process group, forward signals to it, reap every zombie, and
    exit with its exit status (128+N if it died of signal N)

Supervisor settings (BOOLEAN: true or false, also 1/0, yes/no, on/off):
  {group}=BOOLEAN  forward signals to the program's process
      group (true) or to the program alone (false); default {group_default}
  {stop}=NAME  deliver this signal when SIGTERM arrives, e.g.
      QUIT; a name `kill -l` knows, RTMIN+N; not one that cannot end a
      program (STOP, CONT...); default {stop_default}
  {grace}=DURATION  when the program has exited, what is left of
      its process group gets SIGTERM, and SIGKILL this long after (5, 0.5,
      500ms, 2m); default {grace_default}
  {verbose}=BOOLEAN  log how the program is started, forwarded
      signals and reaped processes; default {verbose_default}
  {remap}=FROM:TO,...  exit with TO where the program's status is
      FROM, e.g. 143:0,130:0; with it, auto supervises (not with never)

In both modes, where unset: {gomemlimit} is set to {share} (a
percentage, default {share_default}) of the cgroup memory limit, if there is one
({from_cgroup}=false: never; {cgroup_root}, default {cgroup_root_default}, is
where proc/ and sys/ are read); {user} and {logname} to the UID's passwd
name, else {no_entry}; {home}, also when it is not writable, to the entry's
home or $APP_ROOT/src, the first writable.

Options:
  -v, --verbose  same as {verbose}=true
  -h, --help     print this help
  -V, --version  print the version

Exit status: the program's own; 127 if it is not found, 126 if it cannot be
executed, 2 for a bad option or setting, 1 for other errors (an invalid run
manifest, a missing working directory).
",
        app_root = APP_ROOT.name,
        app_root_default = APP_ROOT.default,
        app_args = run::APP_ARGS.name,
        init = run::INIT.name,
        init_default = run::INIT.default,
        group = run::SIGNAL_GROUP.name,
        group_default = run::SIGNAL_GROUP.default,
        stop = run::STOP_SIGNAL.name,
        stop_default = run::STOP_SIGNAL.default,
        grace = run::GRACE.name,
        grace_default = run::GRACE.default,
        verbose = run::VERBOSE.name,
        verbose_default = run::VERBOSE.default,
        remap = run::EXIT_REMAP.name,
        gomemlimit = run::GOMEMLIMIT.name,
        share = run::GOMEMLIMIT_SHARE.name,
        share_default = run::GOMEMLIMIT_SHARE.default,
        from_cgroup = run::GOMEMLIMIT_FROM_CGROUP.name,
        cgroup_root = run::CGROUP_ROOT.name,
        cgroup_root_default = run::CGROUP_ROOT.default,
        user = run::USER.name,
        logname = run::LOGNAME.name,
        no_entry = crate::identity::NO_ENTRY_NAME,
        home = run::HOME.name,
    )
}

/// The settings [`parse`] reads, for the test that ties them to the table.
#[cfg(test)]
pub const READS: &[Setting] = &[
    run::INIT,
    run::SIGNAL_GROUP,
    run::VERBOSE,
    run::STOP_SIGNAL,
    run::GRACE,
    run::EXIT_REMAP,
    run::GOMEMLIMIT_FROM_CGROUP,
    run::GOMEMLIMIT_SHARE,
    run::CGROUP_ROOT,
];

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
    /// Exit statuses to replace: (from, to).
    pub exit_remap: Vec<(i32, i32)>,
    /// Whether to set GOMEMLIMIT from the memory limit, and to what share.
    pub gomemlimit: bool,
    pub gomemlimit_share: u8,
    /// Where `proc/self/cgroup` and `sys/fs/cgroup` are.
    pub cgroup_root: PathBuf,
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
/// through `env` (by their row of the table) so tests need not touch the
/// process environment.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&Setting) -> Option<OsString>,
) -> Result<Action, Error> {
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
                return Err(Error::UnknownOption {
                    option: option.to_string(),
                });
            }
            _ => {
                command.push(arg);
                command.extend(args.by_ref());
                break;
            }
        }
    }
    if command.first().is_some_and(|c| c.is_empty()) {
        return Err(Error::EmptyCommand);
    }

    const INIT_EXPECTED: &str = "auto, always or never";
    let init = match setting(&env, &run::INIT, INIT_EXPECTED)?.as_str() {
        "auto" => InitMode::Auto,
        "always" => InitMode::Always,
        "never" => InitMode::Never,
        other => return Err(invalid(&run::INIT, other, INIT_EXPECTED)),
    };
    let signal_group = boolean(&env, &run::SIGNAL_GROUP)?;
    let verbose = boolean(&env, &run::VERBOSE)? || verbose_flag;
    let stop_signal = stop_signal(&setting(&env, &run::STOP_SIGNAL, signals::SIGNAL_EXPECTED)?)?;
    let grace = setting(&env, &run::GRACE, values::DURATION_EXPECTED)?;
    let grace = values::duration(&grace)
        .ok_or_else(|| invalid(&run::GRACE, &grace, values::DURATION_EXPECTED))?;
    let exit_remap = setting(&env, &run::EXIT_REMAP, EXIT_REMAP_EXPECTED)?;
    let exit_remap = exit_remap_pairs(&exit_remap)
        .ok_or_else(|| invalid(&run::EXIT_REMAP, &exit_remap, EXIT_REMAP_EXPECTED))?;
    let gomemlimit = boolean(&env, &run::GOMEMLIMIT_FROM_CGROUP)?;
    let share = setting(&env, &run::GOMEMLIMIT_SHARE, values::PERCENT_EXPECTED)?;
    let gomemlimit_share = values::percent(&share)
        .ok_or_else(|| invalid(&run::GOMEMLIMIT_SHARE, &share, values::PERCENT_EXPECTED))?;
    let cgroup_root = PathBuf::from(setting(&env, &run::CGROUP_ROOT, "a directory")?);
    Ok(Action::Run(Config {
        init,
        signal_group,
        stop_signal,
        grace,
        verbose,
        exit_remap,
        gomemlimit,
        gomemlimit_share,
        cgroup_root,
        command,
    }))
}

/// A setting's value, or its default from the table when it is unset or
/// empty (a Dockerfile cannot unset a variable).
fn setting(
    env: &impl Fn(&Setting) -> Option<OsString>,
    setting: &Setting,
    expected: &'static str,
) -> Result<String, Error> {
    match env(setting) {
        Some(value) if !value.is_empty() => value
            .into_string()
            .map_err(|value| invalid(setting, &value.to_string_lossy(), expected)),
        _ => Ok(setting.default.to_string()),
    }
}

fn boolean(env: &impl Fn(&Setting) -> Option<OsString>, of: &Setting) -> Result<bool, Error> {
    let value = setting(env, of, values::BOOLEAN_EXPECTED)?;
    values::boolean(&value).ok_or_else(|| invalid(of, &value, values::BOOLEAN_EXPECTED))
}

/// The signal to deliver for SIGTERM: one that can end a program.
fn stop_signal(name: &str) -> Result<i32, Error> {
    let signal = signals::number(name)
        .ok_or_else(|| invalid(&run::STOP_SIGNAL, name, signals::SIGNAL_EXPECTED))?;
    match signals::cannot_end_a_program(signal) {
        None => Ok(signal),
        Some(why) => Err(Error::StopSignalCannotEnd {
            value: name.to_string(),
            signal,
            why,
        }),
    }
}

const EXIT_REMAP_EXPECTED: &str =
    "FROM:TO pairs of exit statuses from 0 to 255, separated by commas, each FROM once, \
     such as 143:0,130:0";

/// `143:0, 130:0`: each exit status FROM (once) and what to exit with
/// instead; spaces around the numbers allowed; empty is none.
fn exit_remap_pairs(text: &str) -> Option<Vec<(i32, i32)>> {
    let status = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u8>().ok())
            .flatten()
            .map(i32::from)
    };
    let mut pairs: Vec<(i32, i32)> = Vec::new();
    if text.trim().is_empty() {
        return Some(pairs);
    }
    for pair in text.split(',') {
        let (from, to) = pair.split_once(':')?;
        let (from, to) = (status(from)?, status(to)?);
        if pairs.iter().any(|&(f, _)| f == from) {
            return None;
        }
        pairs.push((from, to));
    }
    Some(pairs)
}

fn invalid(setting: &Setting, value: &str, expected: &'static str) -> Error {
    Error::InvalidSetting {
        name: setting.name,
        value: value.to_string(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Action, Error> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        parse(args.iter().map(OsString::from), |setting| {
            vars.iter()
                .find(|(k, _)| k == setting.name)
                .map(|(_, v)| v.clone())
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
        assert!(matches!(parse_with(&["-h", "app"], &[]), Ok(Action::Help)));
        assert!(matches!(
            parse_with(&["--version"], &[]),
            Ok(Action::Version)
        ));
        assert_eq!(parse_with(&["-x"], &[]).unwrap_err().exit_code(), 2);
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
    fn booleans_and_durations_take_the_shared_grammars() {
        let c = config(
            &[],
            &[
                ("S2I_RUN_SIGNAL_GROUP", "FALSE"),
                ("S2I_RUN_VERBOSE", "yes"),
                ("S2I_RUN_GRACE", "500ms"),
            ],
        );
        assert!(!c.signal_group && c.verbose);
        assert_eq!(c.grace, Duration::from_millis(500));
        let c = config(
            &[],
            &[("S2I_RUN_SIGNAL_GROUP", "off"), ("S2I_RUN_VERBOSE", "true")],
        );
        assert!(!c.signal_group && c.verbose);
        assert_eq!(
            config(&[], &[("S2I_RUN_GRACE", "2m")]).grace,
            Duration::from_secs(120)
        );
    }

    /// Every run-time row of the settings table that is about how s2i-run
    /// starts the program is read by [`parse`], by its row, and no other.
    #[test]
    fn parse_reads_its_settings_by_their_rows_of_the_table() {
        use s2i_common::settings::{Applies, SETTINGS};
        let asked = std::cell::RefCell::new(Vec::new());
        parse(Vec::new(), |setting: &Setting| {
            asked.borrow_mut().push(*setting);
            None
        })
        .unwrap();
        let asked = asked.into_inner();
        assert_eq!(asked, READS);
        for setting in &asked {
            assert!(
                SETTINGS.contains(setting) && setting.applies.includes(Applies::Run),
                "{} is not a run-time row of the table",
                setting.name
            );
        }
    }

    #[test]
    fn exit_remap_is_from_to_pairs() {
        assert_eq!(exit_remap_pairs(""), Some(vec![]));
        assert_eq!(exit_remap_pairs("143:0"), Some(vec![(143, 0)]));
        assert_eq!(
            exit_remap_pairs(" 143 : 0 , 130:0,1:255"),
            Some(vec![(143, 0), (130, 0), (1, 255)])
        );
        for bad in [
            "143",
            "143:",
            ":0",
            "143:0,",
            "256:0",
            "143:256",
            "-1:0",
            "a:b",
            "143:0,143:1",
            "143=0",
            "143:0:1",
        ] {
            assert_eq!(exit_remap_pairs(bad), None, "{bad:?}");
        }
        let c = config(&[], &[("S2I_RUN_EXIT_REMAP", "143:0,130:0")]);
        assert_eq!(c.exit_remap, [(143, 0), (130, 0)]);
    }

    /// Every run-time row of the settings table is read by s2i-run: by
    /// [`parse`], from the program's environment, or as the application
    /// root and its arguments; and nothing else is.
    #[test]
    fn what_s2i_run_reads_is_the_run_time_rows_of_the_table() {
        use s2i_common::settings::{Applies, SETTINGS};
        let mut reads: Vec<&str> = READS
            .iter()
            .chain(crate::program_env::READS)
            .chain(&[APP_ROOT, run::APP_ARGS])
            .map(|s| s.name)
            .collect();
        reads.sort_unstable();
        let mut rows: Vec<&str> = SETTINGS
            .iter()
            .filter(|s| s.applies.includes(Applies::Run))
            .map(|s| s.name)
            .collect();
        rows.sort_unstable();
        assert_eq!(reads, rows);
    }

    #[test]
    fn every_default_in_the_table_parses() {
        assert_eq!(
            config(&[], &[]),
            config(
                &[],
                &[
                    ("S2I_RUN_INIT", run::INIT.default),
                    ("S2I_RUN_SIGNAL_GROUP", run::SIGNAL_GROUP.default),
                    ("S2I_RUN_VERBOSE", run::VERBOSE.default),
                    ("S2I_RUN_STOP_SIGNAL", run::STOP_SIGNAL.default),
                    ("S2I_RUN_GRACE", run::GRACE.default),
                ]
            )
        );
    }

    #[test]
    fn invalid_settings_name_the_variable_and_what_is_allowed() {
        for (name, value) in [
            ("S2I_RUN_INIT", "bogus"),
            ("S2I_RUN_GRACE", "abc"),
            ("S2I_RUN_GRACE", "-1"),
            ("S2I_RUN_STOP_SIGNAL", "NOPE"),
            ("S2I_RUN_SIGNAL_GROUP", "y"),
            ("S2I_RUN_VERBOSE", "2"),
            ("S2I_RUN_EXIT_REMAP", "143"),
            ("S2I_RUN_GOMEMLIMIT_SHARE", "0"),
            ("S2I_RUN_GOMEMLIMIT", "maybe"),
        ] {
            let failure = parse_with(&[], &[(name, value)]).unwrap_err();
            assert_eq!(failure.exit_code(), 2);
            let message = failure.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("expected"), "{message}");
        }
    }
}
