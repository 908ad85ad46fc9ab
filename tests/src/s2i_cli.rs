//! The s2i CLI (github.com/openshift/source-to-image), as users run it.
//!
//! `cargo xtask tools` builds a pinned release into `.tools/s2i-<version>/s2i`
//! and names it in `S2I_TEST_S2I_CLI`; run without xtask, the tests look in
//! `.tools/` themselves, then on PATH.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::engines::Engine;
use crate::{skip, workspace_root};

/// The s2i CLI, or a loud skip (a panic under CI).
pub fn require_s2i_cli(test: &str) -> Option<S2iCli> {
    if let Some(bin) = std::env::var_os("S2I_TEST_S2I_CLI").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        if bin.is_file() {
            return Some(S2iCli { bin });
        }
        return skip(
            test,
            &format!("S2I_TEST_S2I_CLI={} is not a file", bin.display()),
        );
    }
    let provisioned = std::fs::read_dir(workspace_root().join(".tools"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("s2i-v"))
        .map(|e| e.path().join("s2i"))
        .filter(|p| p.is_file())
        .max();
    if let Some(bin) = provisioned.or_else(|| which::which("s2i").ok()) {
        return Some(S2iCli { bin });
    }
    skip(
        test,
        "the s2i CLI is neither in .tools/ nor on PATH (`cargo xtask tools` builds it)",
    )
}

/// The s2i binary.
pub struct S2iCli {
    pub bin: PathBuf,
}

/// What an `s2i` command did: its exit status and everything it printed.
pub struct S2iRun {
    pub output: Output,
    /// stdout and stderr, in that order.
    pub log: String,
}

impl S2iRun {
    pub fn success(&self) -> bool {
        self.output.status.success()
    }
}

impl S2iCli {
    /// `s2i version`, e.g. "s2i v1.6.1".
    pub fn version(&self) -> String {
        let out = Command::new(&self.bin)
            .arg("version")
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `s2i ARGS...` against `engine` (its default, API mode); the result,
    /// whatever the exit status.
    pub fn run(&self, engine: &Engine, args: &[&str]) -> S2iRun {
        let output = engine
            .command(&self.bin)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        S2iRun { output, log }
    }

    /// `s2i build SRC BUILDER APP --network host EXTRA...`, which must succeed
    /// (a panic with the whole log otherwise). The host network: there is no
    /// bridge here, and builds may download modules.
    pub fn build(
        &self,
        engine: &Engine,
        src: &std::path::Path,
        builder: &str,
        app: &str,
        extra: &[&str],
    ) -> S2iRun {
        let src = src.to_str().expect("a UTF-8 source path");
        let mut args = vec!["build", src, builder, app, "--network", "host"];
        args.extend_from_slice(extra);
        let built = self.run(engine, &args);
        assert!(
            built.success(),
            "s2i {} failed ({}):\n{}",
            args.join(" "),
            built.output.status,
            built.log
        );
        built
    }
}
