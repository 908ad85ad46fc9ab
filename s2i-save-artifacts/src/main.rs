//! `save-artifacts`: streams the Go caches that the last `assemble` left in
//! the application image, as one tar on stdout, for the next incremental
//! build's `assemble` to restore. Logs go to stderr; stdout carries the tar
//! and nothing else (empty when there is nothing to save). No shell and no
//! `tar` binary needed, any UID will do. Other builder images may have it
//! stream other paths instead (arguments, or `S2I_SAVE_ARTIFACTS_PATHS`).

mod messages;
mod paths;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use s2i_cache::sink::{FdSink, Sink};
use s2i_cache::{save, CacheDirs, Size};
use s2i_common::paths as layout;

use messages::{Error, Note, Warning};

/// dlmalloc rather than musl's malloc: see the workspace's Cargo.toml.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

pub const USAGE: &str =
    "usage: s2i-save-artifacts [PATH]... > artifacts.tar   (or -h|--help, -V|--version)

Writes Go's build cache ($APP_ROOT/.cache/go-build) and module cache
($APP_ROOT/.cache/go-mod) to stdout as a tar stream (go-build/, go-mod/),
for S2I incremental builds. Nothing to save: no output at all.
With PATHs (absolute), or S2I_SAVE_ARTIFACTS_PATHS, it writes those instead,
each as NAME/... (NAME: its last component), for other builder images.

environment:
  APP_ROOT            the application root (default /opt/app-root)
  S2I_GO_BASE_CACHE   a build cache the image already has: entries present there
                      (same name and size) are not saved
  S2I_SAVE_ARTIFACTS_PATHS  the paths to save instead of Go's caches,
                      separated by colons, as PATH is";

// Rust's runtime puts /dev/null where stdout was closed: note it first.
s2i_common::record_closed_stdout!();

fn main() -> ExitCode {
    let result = match Action::of(std::env::args_os().skip(1).collect()) {
        Ok(Action::Help) => print(&format!("{USAGE}\n")),
        Ok(Action::Version) => print(concat!(
            "s2i-save-artifacts ",
            env!("CARGO_PKG_VERSION"),
            "\n"
        )),
        Ok(Action::Save(paths)) => save(paths),
        Err(error) => Err(error),
    };
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(note)) => {
            eprintln!("s2i-save-artifacts: {note}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("s2i-save-artifacts: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// What the command line asks for.
enum Action {
    Help,
    Version,
    /// The paths given (arguments or the setting), or Go's caches (`None`).
    Save(Option<Vec<PathBuf>>),
}

impl Action {
    fn of(args: Vec<OsString>) -> Result<Action, Error> {
        match args.first().and_then(|a| a.to_str()) {
            Some("-h" | "--help") => return Ok(Action::Help),
            Some("-V" | "--version") => return Ok(Action::Version),
            Some(option) if option.starts_with('-') => {
                return Err(Error::UnexpectedOption {
                    option: option.to_string(),
                })
            }
            _ => {}
        }
        paths::requested(args, std::env::var_os(paths::SETTING))
            .map(Action::Save)
            .map_err(|problem| Error::InvalidPaths { problem })
    }
}

/// Streams what is asked for to stdout, which must be a file or a pipe.
fn save(requested: Option<Vec<PathBuf>>) -> Result<Option<Note>, Error> {
    if s2i_common::stdout::was_closed() {
        return Err(Error::StdoutClosed);
    }
    let stdout = io::stdout();
    if stdout.is_terminal() {
        return Err(Error::StdoutTerminal);
    }
    // Large writes for headers and small files; large files go from the
    // page cache to stdout by the kernel where it can (s2i_cache::sink).
    let stdout = stdout.lock();
    let mut out = FdSink::new(&stdout);
    out.widen_pipe();
    let note = match requested {
        Some(paths) => save_paths(paths, &mut out)?,
        None => save_caches(&mut out)?,
    };
    out.flush().map_err(|error| Error::Stream { error })?;
    Ok(Some(note))
}

/// Streams Go's caches, less what the image's base cache has.
fn save_caches(out: &mut impl Sink) -> Result<Note, Error> {
    let caches = CacheDirs::under(&layout::app_root());
    let base = std::env::var_os(s2i_common::settings::BASE_CACHE.name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let saved =
        save::save(&caches, base.as_deref(), out).map_err(|error| Error::Stream { error })?;
    for unreadable in saved.unreadable.iter().cloned() {
        eprintln!("s2i-save-artifacts: {}", Warning::Unreadable { unreadable });
    }
    Ok(if saved.is_empty() {
        Note::NoCaches {
            build: caches.build,
            module: caches.module,
        }
    } else {
        Note::SavedCaches {
            build: saved.build,
            module: saved.module,
            in_base: saved.in_base,
        }
    })
}

/// Streams the paths other builder images ask for (see [`paths`]).
fn save_paths(paths: Vec<PathBuf>, out: &mut impl Sink) -> Result<Note, Error> {
    let saved = paths::save(&paths, out).map_err(|error| Error::Stream { error })?;
    Ok(if saved.files == 0 {
        Note::NothingInPaths { paths }
    } else {
        Note::SavedPaths {
            paths,
            size: Size {
                files: saved.files,
                bytes: saved.bytes,
            },
            special: saved.special,
        }
    })
}

/// Writes `text` to stdout (help, version).
fn print(text: &str) -> Result<Option<Note>, Error> {
    match s2i_common::stdout::write_all(text.as_bytes()) {
        // `--help | head`: the reader had what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(None),
        Err(error) => Err(Error::StdoutWrite { error }),
        Ok(()) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use s2i_common::settings::{Applies, SETTINGS};

    /// `--help` names every setting the table says s2i-save-artifacts
    /// reads, and the table has a row for every variable the help names.
    #[test]
    fn help_names_the_settings_of_the_table() {
        let rows: Vec<&str> = SETTINGS
            .iter()
            .filter(|s| s.applies.includes(Applies::SaveArtifacts))
            .map(|s| s.name)
            .collect();
        let environment = super::USAGE.split("environment:\n").nth(1).unwrap();
        let named: Vec<&str> = environment
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.split_whitespace().next())
            .filter(|w| {
                w.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            })
            .collect();
        let mut sorted = rows.clone();
        sorted.sort_unstable();
        let mut named_sorted = named.clone();
        named_sorted.sort_unstable();
        assert_eq!(named_sorted, sorted);
        let app_root = s2i_common::settings::APP_ROOT;
        assert!(environment.contains(&format!("(default {})", app_root.default)));
    }
}
