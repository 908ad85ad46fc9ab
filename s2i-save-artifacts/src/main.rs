//! `save-artifacts`: streams the Go caches that the last `assemble` left in
//! the application image, as one tar on stdout, for the next incremental
//! build's `assemble` to restore. Logs go to stderr; stdout carries the tar
//! and nothing else (empty when there is nothing to save). No shell and no
//! `tar` binary needed, any UID will do. Other builder images may have it
//! stream other paths instead (arguments, or `S2I_SAVE_ARTIFACTS_PATHS`).

mod paths;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use s2i_cache::{save, CacheDirs};
use s2i_common::display::Escaped;
use s2i_common::paths as layout;

const USAGE: &str =
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
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        None => {}
        Some("-h" | "--help") => return print(&format!("{USAGE}\n")),
        Some("-V" | "--version") => {
            return print(concat!(
                "s2i-save-artifacts ",
                env!("CARGO_PKG_VERSION"),
                "\n"
            ))
        }
        Some(option) if option.starts_with('-') => {
            eprintln!(
                "s2i-save-artifacts: unexpected option {option:?}; it takes paths to save\n\n{USAGE}"
            );
            return ExitCode::from(2);
        }
        Some(_) => {}
    }
    let requested = match paths::requested(args, std::env::var_os(paths::SETTING)) {
        Ok(requested) => requested,
        Err(problem) => {
            eprintln!("s2i-save-artifacts: invalid paths to save: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if s2i_common::stdout::was_closed() {
        eprintln!(
            "s2i-save-artifacts: stdout is closed; redirect the tar stream: s2i-save-artifacts > artifacts.tar"
        );
        return ExitCode::from(2);
    }
    let stdout = io::stdout();
    if stdout.is_terminal() {
        eprintln!(
            "s2i-save-artifacts: stdout is a terminal; redirect the tar stream: s2i-save-artifacts > artifacts.tar"
        );
        return ExitCode::from(2);
    }
    if let Some(requested) = requested {
        return save_paths(&requested, stdout);
    }
    let caches = CacheDirs::under(&layout::app_root());
    let base = std::env::var_os("S2I_GO_BASE_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    // Large writes: the stream is tens of megabytes, mostly small files.
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let saved = save::save(&caches, base.as_deref(), &mut out).and_then(|saved| {
        out.flush()?;
        Ok(saved)
    });
    for warning in saved.iter().flat_map(|saved| &saved.unreadable) {
        eprintln!("s2i-save-artifacts: warning: {warning}");
    }
    match saved {
        Ok(saved) if saved.is_empty() => {
            eprintln!(
                "s2i-save-artifacts: nothing to save (no Go caches in {} or {})",
                Escaped::new(&caches.build),
                Escaped::new(&caches.module)
            );
            ExitCode::SUCCESS
        }
        Ok(saved) => {
            let mut message = format!(
                "s2i-save-artifacts: saved the build cache ({}) and the module cache ({})",
                saved.build, saved.module
            );
            if saved.in_base > 0 {
                let s = if saved.in_base == 1 { "" } else { "s" };
                message.push_str(&format!(
                    "; left out {} file{s} the image already has",
                    saved.in_base
                ));
            }
            eprintln!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("s2i-save-artifacts: cannot write the artifacts stream: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Streams the paths other builder images ask for (see [`paths`]).
fn save_paths(requested: &[PathBuf], stdout: io::Stdout) -> ExitCode {
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let saved = paths::save(requested, &mut out).and_then(|saved| {
        out.flush()?;
        Ok(saved)
    });
    let shown = || {
        requested
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match saved {
        Ok(saved) if saved.files == 0 => {
            eprintln!(
                "s2i-save-artifacts: nothing to save (no files in {})",
                shown()
            );
            ExitCode::SUCCESS
        }
        Ok(saved) => {
            let size = s2i_cache::Size {
                files: saved.files,
                bytes: saved.bytes,
            };
            let mut message = format!("s2i-save-artifacts: saved {} ({size})", shown());
            if saved.special > 0 {
                message.push_str(&format!(
                    "; left out {} fifo, socket or device file(s)",
                    saved.special
                ));
            }
            eprintln!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("s2i-save-artifacts: cannot write the artifacts stream: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` to stdout (help, version): success, or a message.
fn print(text: &str) -> ExitCode {
    match s2i_common::stdout::write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        // `--help | head`: the reader had what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "s2i-save-artifacts: cannot write to stdout: {}",
                s2i_common::stdout::reason(&e)
            );
            ExitCode::FAILURE
        }
    }
}
