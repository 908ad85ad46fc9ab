//! Support shared by the tests of every crate in the workspace.
//!
//! The rule it enforces: a test that needs a tool (Go, buildah, podman, root
//! for `unshare`) runs in CI, where the tool must be present; elsewhere it may
//! skip, and says so loudly on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

pub mod containers;
pub mod elf;
pub mod engines;
pub mod go;
pub mod hostile_tar;
pub mod loopback;
pub mod openapi;
pub mod s2i_cli;
pub mod sbom;
pub mod troubleshooting;

/// True when running under CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Reports that `test` cannot run here because `why`: a panic under CI, a
/// loud message elsewhere. Returns `None` so callers can write
/// `let Some(go) = require_tool("go", "...") else { return };`.
pub fn skip<T>(test: &str, why: &str) -> Option<T> {
    if in_ci() {
        panic!("{test}: {why}; CI must run this test (.ci/run installs what it needs)");
    }
    // Straight to the stderr handle: the test harness captures `eprintln!`
    // and shows it only for failures, and a skip must never be silent.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why} (it runs in CI; `cargo xtask test` provisions Go) ***\n"
    );
    None
}

/// The path of `tool` on PATH, or a loud skip.
pub fn require_tool(tool: &str, test: &str) -> Option<PathBuf> {
    match which::which(tool) {
        Ok(path) => Some(path),
        Err(_) => skip(test, &format!("`{tool}` is not on PATH")),
    }
}

/// True when this process is root (needed for `unshare --pid`), or a loud skip.
pub fn require_root(test: &str) -> Option<()> {
    if is_root() {
        Some(())
    } else {
        skip(
            test,
            "needs root (for unshare --pid --fork, or the container tools)",
        )
    }
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// A build-cache entry's path, relative to GOCACHE, as Go names it:
/// `start` (hex, two digits or more) padded to a SHA-256 in hex, then `-a`
/// (an action entry) or `-d` (an output), in the directory of its first
/// two digits: `build_cache_entry("0a11", "d")` is `0a/0a1155…55-d`.
pub fn build_cache_entry(start: &str, suffix: &str) -> String {
    let padding = "5".repeat(64 - start.len());
    format!("{}/{start}{padding}-{suffix}", &start[..2])
}

/// The root of the cargo workspace.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// A workspace binary built by the same `cargo test` run (`target/<profile>/NAME`).
/// Inside a binary's own crate prefer `env!("CARGO_BIN_EXE_<name>")`.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test>-<hash>  ->  target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --workspace` (or `cargo xtask test`) first",
        bin.display()
    );
    bin
}

/// A command's exit status, stdout and stderr, for failure messages.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "--- status {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Bytes free on the file system of `path` (`df`).
pub fn bytes_available(path: &Path) -> u64 {
    let out = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("run df");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .nth(1)
        .expect("df's second line")
        .trim()
        .parse()
        .expect("df's number")
}

/// Writes `files` (path relative to `root`, text) under `root`, creating
/// the folders they need.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).unwrap();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Runs git in `dir` with no system or user configuration, a fixed author
/// and fixed dates (a commit is the same on every machine); panics with
/// its stderr unless it succeeds, returns its stdout. Needs `git`.
pub fn git(dir: &Path, args: &[&str]) -> String {
    go::output_ok(
        std::process::Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
            .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z"),
    )
}

/// The folder of test fixtures (Go apps and the like).
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures")
}
