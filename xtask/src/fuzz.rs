//! `cargo xtask fuzz [NAME [SECONDS]]`: the coverage-guided fuzz targets in
//! `fuzz/` (cargo fuzz, libFuzzer), with the nightly toolchain and the
//! cargo-fuzz they need provisioned at pinned versions.
//!
//! Each run starts from the seed corpus in the repository
//! (`fuzz/corpus/NAME`, plus the recorded go output for `go_classify`) and
//! keeps what it finds in `target/fuzz/corpus/NAME`, so the repository is
//! never written to; a crash, a hang (over [`TIMEOUT`] seconds for one
//! input) or a leak of memory past [`RSS_LIMIT_MB`] fails the run, and the
//! input is saved under `target/fuzz/artifacts/NAME/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::workspace_root;
use crate::tools::run;

/// cargo fuzz needs nightly (`-Zsanitizer`); pinned, so that a new nightly
/// cannot break the build of CI.
pub const NIGHTLY: &str = "nightly-2026-05-20";
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz targets (fuzz/Cargo.toml's `[[bin]]`s), each with its seeds.
pub const TARGETS: [(&str, &[&str]); 8] = [
    ("envfile", &["fuzz/corpus/envfile"]),
    ("go_toml", &["fuzz/corpus/go_toml"]),
    ("manifest", &["fuzz/corpus/manifest"]),
    ("app_args", &["fuzz/corpus/app_args"]),
    ("setting_values", &["fuzz/corpus/setting_values"]),
    ("artifacts_tar", &["fuzz/corpus/artifacts_tar"]),
    ("artifacts_dir", &["fuzz/corpus/artifacts_dir"]),
    (
        "go_classify",
        &["fuzz/corpus/go_classify", "s2i-assemble/tests/go-stderr"],
    ),
];

/// What `cargo xtask test` gives each target (`S2I_FUZZ_SECONDS` changes it;
/// 0 skips the fuzzing).
pub const CI_SECONDS: u64 = 20;
/// What `cargo xtask fuzz NAME` gives one target by default.
const LONG_SECONDS: u64 = 300;
/// Seconds one input may take before it counts as a hang.
const TIMEOUT: u64 = 10;
const RSS_LIMIT_MB: u64 = 2048;

/// `cargo xtask fuzz [NAME [SECONDS]]`: one target for SECONDS (default
/// 300), or without a name every target for the CI time.
pub fn command(args: &[String]) -> Result<(), String> {
    let (names, seconds): (Vec<&str>, u64) = match args {
        [] => (TARGETS.iter().map(|(n, _)| *n).collect(), ci_seconds()?),
        [name] => (vec![name.as_str()], LONG_SECONDS),
        [name, seconds] => (
            vec![name.as_str()],
            seconds
                .parse()
                .map_err(|_| format!("fuzz: {seconds:?} is no number of seconds"))?,
        ),
        _ => return Err("usage: cargo xtask fuzz [NAME [SECONDS]]".into()),
    };
    for name in &names {
        if !TARGETS.iter().any(|(n, _)| n == name) {
            let known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "fuzz: no target {name:?}; the targets are {}",
                known.join(", ")
            ));
        }
    }
    let cargo_fuzz = provision()?;
    fuzz(&cargo_fuzz, &names, seconds)
}

/// For `cargo xtask test`: every target for the CI time. Without the
/// toolchain (it could not be installed) it skips loudly, but not under CI.
pub fn in_test_suite() -> Result<(), String> {
    let seconds = ci_seconds()?;
    if seconds == 0 {
        eprintln!("xtask: *** SKIPPED the fuzz targets: S2I_FUZZ_SECONDS=0");
        return Ok(());
    }
    let cargo_fuzz = match provision() {
        Ok(path) => path,
        Err(e) if !crate::tools::in_ci() => {
            eprintln!("xtask: *** SKIPPED the fuzz targets: {e}");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    fuzz(&cargo_fuzz, &names, seconds)
}

fn ci_seconds() -> Result<u64, String> {
    match std::env::var("S2I_FUZZ_SECONDS") {
        Ok(text) if !text.is_empty() => text
            .parse()
            .map_err(|_| format!("S2I_FUZZ_SECONDS={text:?} is no number of seconds")),
        _ => Ok(CI_SECONDS),
    }
}

/// The pinned nightly (rustup, minimal profile) and cargo-fuzz (built into
/// `.tools/cargo-fuzz-<version>`, renamed into place whole as the s2i CLI
/// is); returns cargo-fuzz's path.
fn provision() -> Result<PathBuf, String> {
    let has_nightly = Command::new("rustup")
        .args(["run", NIGHTLY, "rustc", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_nightly {
        eprintln!("xtask: installing the Rust toolchain {NIGHTLY} (for cargo fuzz)");
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            NIGHTLY,
            "--profile",
            "minimal",
            "--no-self-update",
        ]))
        .map_err(|e| format!("cannot install {NIGHTLY}: {e}"))?;
    }
    let tools = workspace_root().join(".tools");
    let dir = tools.join(format!("cargo-fuzz-{CARGO_FUZZ_VERSION}"));
    let cargo_fuzz = dir.join("bin/cargo-fuzz");
    if cargo_fuzz.is_file() {
        return Ok(cargo_fuzz);
    }
    eprintln!(
        "xtask: building cargo-fuzz {CARGO_FUZZ_VERSION} into {}",
        dir.display()
    );
    std::fs::create_dir_all(&tools)
        .map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
    let staging = tools.join(format!(
        ".cargo-fuzz-{CARGO_FUZZ_VERSION}.{}.tmp",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let mut install = Command::new(env!("CARGO"));
    install
        .args(["install", "--locked", "--quiet", "cargo-fuzz", "--version"])
        .arg(CARGO_FUZZ_VERSION)
        .arg("--root")
        .arg(&staging);
    if let Err(e) = run(&mut install) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot build cargo-fuzz: {e}"));
    }
    match std::fs::rename(&staging, &dir) {
        Ok(()) => Ok(cargo_fuzz),
        Err(_) if cargo_fuzz.is_file() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(cargo_fuzz)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(format!("cannot move cargo-fuzz to {}: {e}", dir.display()))
        }
    }
}

/// `cargo fuzz` under the pinned nightly: `rustup run` puts its cargo and
/// rustc first on PATH; what the outer (stable) cargo set is removed.
fn cargo_fuzz(cargo_fuzz: &Path) -> Command {
    let mut command = Command::new("rustup");
    command
        .args(["run", NIGHTLY])
        .arg(cargo_fuzz)
        .arg("fuzz")
        .current_dir(workspace_root())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR");
    command
}

fn fuzz(cargo_fuzz_path: &Path, names: &[&str], seconds: u64) -> Result<(), String> {
    let root = workspace_root();
    let mut build = cargo_fuzz(cargo_fuzz_path);
    build.args(["build", "--fuzz-dir", "fuzz"]);
    if let [one] = names {
        build.arg(one); // else all of them
    }
    run(&mut build).map_err(|e| format!("cannot build the fuzz targets: {e}"))?;

    let mut failed = Vec::new();
    for name in names {
        let seeds = TARGETS.iter().find(|(n, _)| n == name).unwrap().1;
        let found = root.join("target/fuzz/corpus").join(name);
        let artifacts = root.join("target/fuzz/artifacts").join(name);
        for dir in [&found, &artifacts] {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        eprintln!("xtask: fuzzing {name} for {seconds} s");
        let mut fuzz = cargo_fuzz(cargo_fuzz_path);
        fuzz.args(["run", "--fuzz-dir", "fuzz", name]).arg(&found);
        for seed in seeds {
            fuzz.arg(root.join(seed));
        }
        fuzz.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-timeout={TIMEOUT}"))
            .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg("-print_final_stats=1");
        if let Err(e) = run(&mut fuzz) {
            eprintln!(
                "xtask: fuzz target {name} failed ({e}); the input is in {}; replay it with \
                 `cargo +{NIGHTLY} fuzz run --fuzz-dir fuzz {name} <file>`",
                artifacts.display()
            );
            failed.push(*name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets failed: {}", failed.join(", ")))
    }
}
