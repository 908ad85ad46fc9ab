//! `s2i-run`: the S2I `run` script. Starts the application (a command, the
//! run manifest, or the classic `gobinary`), either by exec'ing straight into
//! it or, as PID 1, under a small supervisor that forwards signals, reaps
//! zombies and passes the exit status on. See `s2i-run --help`.

mod cli;
mod errors;
mod exec;
mod identity;
mod inherited;
mod program_env;
mod signals;
mod supervise;
mod target;
mod terminal;

use cli::{Action, InitMode};
use errors::Error;

fn main() {
    // Debug builds: the install fault tests' kill point.
    #[cfg(debug_assertions)]
    s2i_common::install::kill_at(std::env::var("S2I_TEST_KILL_AT").ok());
    let status = match run() {
        Ok(status) => status,
        Err(error) => {
            // Every line prefixed, so that logs grepped for it show it whole.
            for line in error.to_string().lines() {
                eprintln!("s2i-run: {line}");
            }
            error.exit_code()
        }
    };
    std::process::exit(status);
}

fn run() -> Result<i32, Error> {
    let config = match cli::parse(std::env::args_os().skip(1), |setting| {
        std::env::var_os(setting.name)
    })? {
        Action::Run(config) => config,
        Action::Help => return print(&cli::help()),
        Action::Version => return print(concat!("s2i-run ", env!("CARGO_PKG_VERSION"), "\n")),
    };
    let app_root = s2i_common::paths::app_root();
    // An installation that a killed s2i-assemble committed is finished
    // before anything starts: the new build whole, never half of it.
    if let Err(error) = s2i_common::install::finish_locked(&app_root) {
        errors::warn(errors::Warning::InstallUnfinished {
            app_root: app_root.clone(),
            reason: error,
        });
    }
    let app_args = std::env::var_os(s2i_common::settings::run::APP_ARGS.name);
    let target = target::resolve(config.command.clone(), &app_root, app_args)?;
    let mut environment = program_env::Environment::new(std::env::vars_os().collect());
    for (name, value) in &target.env_defaults {
        environment.set_default(name, value);
    }
    program_env::complete(&mut environment, &config, &app_root);
    let program = exec::prepare(target, environment.into_vec())?;

    let supervise = match config.init {
        InitMode::Always => true,
        InitMode::Never => false,
        // Only a supervisor outlives the program, to change its exit status.
        InitMode::Auto => std::process::id() == 1 || !config.exit_remap.is_empty(),
    };
    if supervise {
        let settings = supervise::Settings {
            signal_group: config.signal_group,
            stop_signal: config.stop_signal,
            grace: config.grace,
            verbose: config.verbose,
            exit_remap: config.exit_remap,
        };
        supervise::run(&program, &settings)
    } else {
        if !config.exit_remap.is_empty() {
            errors::warn(errors::Warning::ExitRemapIgnored);
        }
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
fn print(text: &str) -> Result<i32, Error> {
    if inherited::stdout_was_closed() {
        // What is there now is Rust's /dev/null: the text would be lost.
        return Err(Error::StdoutClosed);
    }
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: write(2) from a valid buffer.
        let n = unsafe { nix::libc::write(1, rest.as_ptr().cast(), rest.len()) };
        if n < 0 {
            if errors::last_errno() == nix::libc::EINTR {
                continue;
            }
            return Err(Error::StdoutWrite {
                reason: errors::last_errno_text(),
            });
        }
        rest = &rest[n as usize..];
    }
    Ok(0)
}
