//! `s2i-assemble`: the S2I assemble step for Go. It detects what kind of Go
//! source it was given, builds its main package(s) with `go build` in a copy
//! of the sources, and installs the result atomically under the application
//! root, with a run manifest for `s2i-run`. See `pipeline` for the steps.

// Each function one step: see clippy.toml's threshold (tests' tables of
// cases are exempt).
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

mod artifacts;
mod build;
mod buildinfo;
mod cacerts;
mod cgo;
mod cli;
mod config;
mod credentials;
mod decide;
mod detect;
mod diskfull;
mod errors;
mod generate;
mod git_credential;
mod gofailure;
mod goimports;
mod gotool;
mod inputs;
mod inspect;
mod install;
mod labels;
mod modfile;
mod netrc;
mod own_package;
mod pipeline;
mod placeholders;
mod plan;
mod provenance;
mod redact;
mod remembered;
mod report;
mod roots;
mod sbom;
mod source;
mod sparse;
mod toolchain;
mod vcs;
mod workarea;

/// dlmalloc rather than musl's malloc: see the workspace's Cargo.toml.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() {
    // Debug builds: the install fault tests' kill point.
    #[cfg(debug_assertions)]
    s2i_common::install::kill_at(std::env::var("S2I_TEST_KILL_AT").ok());
    let code = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli::Command::Help) => print(cli::USAGE),
        Ok(cli::Command::Version) => {
            print(concat!("s2i-assemble ", env!("CARGO_PKG_VERSION"), "\n"))
        }
        Ok(cli::Command::Assemble(options)) => match pipeline::run(&options) {
            Ok(()) => 0,
            Err(error) => {
                // Go's words in it may carry a URL's credentials.
                eprintln!("s2i-assemble: {}", redact::text(&error.to_string()));
                error.exit_code()
            }
        },
        Ok(cli::Command::GitCredential { netrc, action }) => git_credential::serve(&netrc, &action),
        Err(error) => {
            eprintln!("s2i-assemble: {error}");
            error.exit_code()
        }
    };
    std::process::exit(code);
}

/// Writes `text` to stdout: 0, or 1 with a message when it cannot.
fn print(text: &str) -> i32 {
    match s2i_common::stdout::write_all(text.as_bytes()) {
        Ok(()) => 0,
        // `s2i-assemble --help | head`: the reader had what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!(
                "s2i-assemble: cannot write to stdout: {}",
                s2i_common::display::reason(&e)
            );
            1
        }
    }
}
