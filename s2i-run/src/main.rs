//! `s2i-run`: the S2I `run` script. Starts the application (a command, the
//! run manifest, or the classic `gobinary`), either by exec'ing straight into
//! it or, as PID 1, under a small supervisor that forwards signals, reaps
//! zombies and passes the exit status on. See `s2i-run --help`.

mod cli;
mod exec;
mod failure;
mod inherited;
mod signals;
mod supervise;
mod target;

use cli::{Action, InitMode};
use failure::Failure;

fn main() {
    let status = match run() {
        Ok(status) => status,
        Err(failure) => {
            // Every line prefixed, so that logs grepped for it show it whole.
            for line in failure.message.lines() {
                eprintln!("s2i-run: {line}");
            }
            failure.code
        }
    };
    std::process::exit(status);
}

fn run() -> Result<i32, Failure> {
    let config = match cli::parse(std::env::args_os().skip(1), |name| std::env::var_os(name))? {
        Action::Run(config) => config,
        Action::Help => return print(cli::HELP),
        Action::Version => return print(concat!("s2i-run ", env!("CARGO_PKG_VERSION"), "\n")),
    };
    let app_root = s2i_common::paths::app_root();
    let target = target::resolve(config.command, &app_root, std::env::var_os("APP_ARGS"))?;
    let program = exec::prepare(target, std::env::vars_os().collect())?;

    let supervise = match config.init {
        InitMode::Always => true,
        InitMode::Never => false,
        InitMode::Auto => std::process::id() == 1,
    };
    if supervise {
        let settings = supervise::Settings {
            signal_group: config.signal_group,
            stop_signal: config.stop_signal,
            grace: config.grace,
            verbose: config.verbose,
        };
        supervise::run(&program, &settings)
    } else {
        if config.verbose {
            eprintln!("s2i-run: exec {} (no supervisor)", program.path.display());
        }
        // The program gets SIGPIPE as s2i-run got it, not as Rust set it.
        inherited::restore_sigpipe();
        let errno = program.execve();
        inherited::ignore_sigpipe();
        Err(program.exec_failure(errno))
    }
}

/// Writes `text` to stdout. (Straight to the file descriptor: std's
/// buffered stdout is code that every application image would carry for
/// two messages.)
fn print(text: &str) -> Result<i32, Failure> {
    if inherited::stdout_was_closed() {
        // What is there now is Rust's /dev/null: the text would be lost.
        return Err(Failure::general("cannot write to stdout: it is closed"));
    }
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: write(2) from a valid buffer.
        let n = unsafe { nix::libc::write(1, rest.as_ptr().cast(), rest.len()) };
        if n < 0 {
            if failure::last_errno() == nix::libc::EINTR {
                continue;
            }
            let reason = failure::last_errno_text();
            return Err(Failure::general(format!(
                "cannot write to stdout: {reason}"
            )));
        }
        rest = &rest[n as usize..];
    }
    Ok(0)
}
