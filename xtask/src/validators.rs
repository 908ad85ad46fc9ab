//! The SBOM validators the tests run on every SBOM s2i-assemble writes:
//! PyPI's `spdx-tools` (`pyspdxtools -i FILE` validates SPDX 2.3) and
//! `cyclonedx-python-lib` (its JSON schema validator, for CycloneDX 1.6),
//! pinned.
//!
//! They are installed once with `pip install --target` into
//! `.tools/sbom-validators-<pins>/` (run as `python3 -m`, so the folder can
//! move), first under a temporary name and renamed into place when
//! complete: `.tools` is shared by several checkouts, and an interrupted or
//! concurrent install never leaves a half one there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::workspace_root;
use crate::tools::run;

/// What pip installs; the folder's name changes with them.
const PINS: &[&str] = &[
    "spdx-tools==0.8.5",
    "cyclonedx-python-lib[json-validation]==11.12.0",
];

/// The folder holding the validators, installed if missing.
pub fn provision(python: &str) -> Result<PathBuf, String> {
    let tools = workspace_root().join(".tools");
    let name = format!(
        "sbom-validators-{}",
        PINS.iter()
            .map(|p| p.replace("[json-validation]", "").replace("==", "-"))
            .collect::<Vec<_>>()
            .join("-")
    );
    let target = tools.join(&name);
    if target.join("spdx_tools").is_dir() && target.join("cyclonedx").is_dir() {
        return Ok(target);
    }
    std::fs::create_dir_all(&tools)
        .map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
    let partial = tools.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    eprintln!(
        "xtask: installing the SBOM validators ({}) from PyPI into {}",
        PINS.join(", "),
        target.display()
    );
    let installed = run(Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-conflicts",
            "--target",
        ])
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .arg(&partial)
        .args(PINS));
    let placed = installed.and_then(|()| place(&partial, &target));
    let _ = std::fs::remove_dir_all(&partial);
    placed.map(|()| target)
}

/// Renames the complete install into place; another process that got
/// there first wins, and its install is as good as ours.
fn place(partial: &Path, target: &Path) -> Result<(), String> {
    match std::fs::rename(partial, target) {
        Ok(()) => Ok(()),
        Err(_) if target.join("spdx_tools").is_dir() => Ok(()),
        Err(e) => Err(format!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            target.display()
        )),
    }
}
