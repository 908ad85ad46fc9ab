//! The command line: `s2i-assemble [--src DIR] [--app-root DIR] [--artifacts DIR] [--image-metadata FILE] [--dry-run] [-h|--help]`, or `-V|--version`.

use std::ffi::OsString;
use std::path::PathBuf;

use s2i_common::paths;

use crate::errors::Error;

pub const USAGE: &str = "\
Usage: s2i-assemble [--src DIR] [--app-root DIR] [--artifacts DIR] [--image-metadata FILE]
                    [--dry-run] [-h|--help]

Builds the Go application in the source directory (the S2I assemble step) and
installs it under the application root: binaries in bin/, the one to run also
at gobinary, the run manifest s2i-run.toml for s2i-run, and the application's
other files (templates, assets) in src/, its working directory at run time.

Options:
  --src DIR        the application's sources (default: /tmp/src)
  --app-root DIR   where to install it (default: $APP_ROOT, else /opt/app-root)
  --artifacts DIR  what the previous image saved, for incremental builds
                   (default: /tmp/artifacts)
  --image-metadata FILE
                   where to write the application image's labels for s2i
                   (default: /tmp/.s2i/image_metadata.json when the sources
                   are S2I's /tmp/src, else none)
  --dry-run        print the build plan (what was detected, the packages, the
                   exact go commands and environment) and build nothing
  -h, --help       print this help
  -V, --version    print the version

Settings come from the environment, then the source's .s2i/environment, then
its .s2i/go.toml; `s2i-usage` lists them all.

Local use, no container:
  s2i-assemble --src . --app-root ./out && APP_ROOT=./out s2i-run
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Assemble(Options),
    /// `--git-credential NETRC ACTION`: git's credential helper for this
    /// build's git configuration (see `git_credential`); not for people.
    GitCredential {
        netrc: PathBuf,
        action: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub src: PathBuf,
    pub app_root: PathBuf,
    pub artifacts: PathBuf,
    /// `--image-metadata FILE`, when given.
    pub image_metadata: Option<PathBuf>,
    pub dry_run: bool,
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut options = Options {
        src: PathBuf::from(paths::DEFAULT_SRC),
        app_root: paths::app_root(),
        artifacts: PathBuf::from(paths::DEFAULT_ARTIFACTS),
        image_metadata: None,
        dry_run: false,
    };
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("src") => options.src = parser.value().map_err(usage)?.into(),
            Long("app-root") => options.app_root = parser.value().map_err(usage)?.into(),
            Long("artifacts") => options.artifacts = parser.value().map_err(usage)?.into(),
            Long("image-metadata") => {
                options.image_metadata = Some(parser.value().map_err(usage)?.into())
            }
            Long("dry-run") => options.dry_run = true,
            Long("git-credential") => {
                let netrc = parser.value().map_err(usage)?.into();
                let action = parser
                    .value()
                    .map_err(usage)?
                    .to_string_lossy()
                    .into_owned();
                return Ok(Command::GitCredential { netrc, action });
            }
            _ => return Err(usage(arg.unexpected())),
        }
    }
    Ok(Command::Assemble(options))
}

/// lexopt's error as one of ours, each with its own troubleshooting row.
fn usage(error: lexopt::Error) -> Error {
    match error {
        lexopt::Error::UnexpectedOption(option) => Error::UnknownOption { option },
        lexopt::Error::MissingValue { option } => Error::MissingValue {
            option: option.unwrap_or_default(),
        },
        lexopt::Error::UnexpectedValue { option, value } => {
            Error::UnexpectedValue { option, value }
        }
        lexopt::Error::UnexpectedArgument(argument) => Error::UnexpectedArgument { argument },
        // Only from value parsing, which this parser does not do (its
        // values are paths, taken as they are).
        other => Error::UnexpectedArgument {
            argument: other.to_string().into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, Error> {
        parse(list.iter().map(OsString::from))
    }

    #[test]
    fn flags_and_defaults() {
        let Command::Assemble(o) = args(&["--src", "app", "--app-root=out", "--dry-run"]).unwrap()
        else {
            panic!("expected assemble")
        };
        assert_eq!(o.src, PathBuf::from("app"));
        assert_eq!(o.app_root, PathBuf::from("out"));
        assert_eq!(o.artifacts, PathBuf::from("/tmp/artifacts"));
        assert!(o.dry_run);
        let Command::Assemble(o) = args(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(o.src, PathBuf::from("/tmp/src"));
        assert_eq!(args(&["-h"]).unwrap(), Command::Help);
        assert_eq!(args(&["--src", "x", "--help"]).unwrap(), Command::Help);
        assert_eq!(args(&["--version"]).unwrap(), Command::Version);
        assert_eq!(args(&["-V"]).unwrap(), Command::Version);
        assert_eq!(
            args(&["--git-credential", "/t/netrc", "get"]).unwrap(),
            Command::GitCredential {
                netrc: PathBuf::from("/t/netrc"),
                action: "get".into()
            }
        );
    }

    #[test]
    fn unknown_flags_and_missing_values_are_usage_errors() {
        let e = args(&["--bogus"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.to_string(), "invalid option '--bogus'; usage: s2i-assemble [--src DIR] [--app-root DIR] [--artifacts DIR] [--image-metadata FILE] [--dry-run] [-h|--help]");
        let synopsis = "; usage: s2i-assemble [--src DIR] [--app-root DIR] [--artifacts DIR] [--image-metadata FILE] [--dry-run] [-h|--help]";
        for (list, message) in [
            (&["--src"][..], "missing argument for option '--src'"),
            (&["extra"], "unexpected argument \"extra\""),
            (&["--src", "a", "b"], "unexpected argument \"b\""),
            (
                &["--dry-run=yes"],
                "unexpected argument for option '--dry-run': \"yes\"",
            ),
            (&["-x"], "invalid option '-x'"),
        ] {
            let e = args(list).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{list:?}");
            assert_eq!(e.to_string(), format!("{message}{synopsis}"), "{list:?}");
        }
    }
}
