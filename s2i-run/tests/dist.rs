//! The shipped build: `dist/s2i-run` (static, musl, release, written by
//! `cargo xtask dist`, which `cargo xtask test` runs first) behaves like the
//! debug build the other tests use. musl differs from glibc where s2i-run
//! is most delicate: the signals the C library keeps for itself, and the
//! first real-time signal.

mod support;

use std::path::PathBuf;

use nix::libc;
use support::*;

fn dist_s2i_run(test: &str) -> Option<PathBuf> {
    let bin = s2i_tests::workspace_root().join("dist/s2i-run");
    if bin.is_file() {
        Some(bin)
    } else {
        s2i_tests::skip(
            test,
            "dist/s2i-run is missing: run `cargo xtask dist` (or `cargo xtask test`)",
        )
    }
}

/// Traps the signals in `$SIGNALS`, each recorded in `$1/got`.
const TRAPPER: &str = r#"
exec 2>/dev/null  # the shell's notes on children killed by signals
for s in $SIGNALS; do trap "echo $s >> $1/got" $s; done
touch "$1/ready"
while [ ! -e "$1/stop" ]; do sleep 0.05; done
exit 42
"#;

#[test]
fn dist_build_forwards_signals_and_passes_the_exit_code_as_pid1() {
    let test = "dist_build_forwards_signals_and_passes_the_exit_code_as_pid1";
    let Some(bin) = dist_s2i_run(test) else {
        return;
    };
    let dir = workdir();
    let d = dir.path().display().to_string();
    let Some(command) = s2i_run_as_pid1_from(&bin, test, &["--", "sh", "-c", TRAPPER, "sh", &d])
    else {
        return;
    };
    // Classic signals, and real-time ones on both sides of musl's SIGRTMIN (35).
    let signals = [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGWINCH,
        35,
        40,
        64,
    ];
    let running = deliver_each(command, dir.path(), &signals);
    std::fs::write(dir.path().join("stop"), "").unwrap();
    assert_eq!(running.wait().code(), Some(42));
}

#[test]
fn dist_build_reports_a_missing_program() {
    let Some(bin) = dist_s2i_run("dist_build_reports_a_missing_program") else {
        return;
    };
    for init in ["never", "always"] {
        let mut command = std::process::Command::new(&bin);
        command
            .args(["--", "/nonexistent/program"])
            .env("S2I_RUN_INIT", init);
        let output = run(command);
        assert_eq!(output.status.code(), Some(127), "S2I_RUN_INIT={init}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "s2i-run: cannot start /nonexistent/program: no such file\n"
        );
    }
}

/// The `.init_array` record of SIGPIPE (s2i-run/src/inherited.rs) runs in
/// the static musl build too: the program is not started with it ignored.
#[test]
fn dist_build_hands_the_program_sigpipe_as_it_got_it() {
    let Some(bin) = dist_s2i_run("dist_build_hands_the_program_sigpipe_as_it_got_it") else {
        return;
    };
    for init in ["never", "always"] {
        let mut command = std::process::Command::new(&bin);
        command
            .args(["--", "grep", "^SigIgn", "/proc/self/status"])
            .env("S2I_RUN_INIT", init);
        let output = run(command);
        let line = String::from_utf8_lossy(&output.stdout);
        let ignored = line
            .trim()
            .strip_prefix("SigIgn:\t")
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .unwrap_or_else(|| panic!("S2I_RUN_INIT={init}: {line:?}"));
        assert_eq!(
            ignored & (1 << (libc::SIGPIPE - 1)),
            0,
            "S2I_RUN_INIT={init}: SIGPIPE is ignored"
        );
    }
}

/// The budget: s2i-run ships in every application image, and replaces
/// both the run script and tini. (BENCHMARKS.md has the history.)
#[test]
fn dist_s2i_run_is_under_600000_bytes() {
    let Some(bin) = dist_s2i_run("dist_s2i_run_is_under_600000_bytes") else {
        return;
    };
    let size = std::fs::metadata(&bin).unwrap().len();
    assert!(
        size < 600_000,
        "dist/s2i-run is {size} bytes: over the 600,000-byte budget"
    );
}
