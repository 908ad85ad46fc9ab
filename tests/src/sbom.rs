//! The real SBOM validators, for tests: PyPI's `spdx-tools` (pyspdxtools)
//! for SPDX 2.3 and `cyclonedx-python-lib`'s JSON schema validator for
//! CycloneDX 1.6, installed by `cargo xtask tools` and named by
//! `$S2I_TEST_SBOM_VALIDATORS` (a `pip install --target` folder).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{require_tool, skip};

/// The validators, found.
pub struct Validators {
    python: PathBuf,
    dir: PathBuf,
}

/// The validators `cargo xtask tools` installed, or a loud skip (a panic
/// under CI).
pub fn require_validators(test: &str) -> Option<Validators> {
    let Some(dir) = std::env::var_os("S2I_TEST_SBOM_VALIDATORS").filter(|v| !v.is_empty()) else {
        return skip(
            test,
            "S2I_TEST_SBOM_VALIDATORS is not set (cargo xtask tools installs the SBOM validators)",
        );
    };
    let dir = PathBuf::from(dir);
    if !dir.join("spdx_tools").is_dir() || !dir.join("cyclonedx").is_dir() {
        return skip(
            test,
            &format!(
                "S2I_TEST_SBOM_VALIDATORS={} holds no validators",
                dir.display()
            ),
        );
    }
    let python = require_tool("python3", test)?;
    Some(Validators { python, dir })
}

/// Checks one CycloneDX file with the strict JSON schema validator; prints
/// the first line of each error.
const CYCLONEDX_CHECK: &str = "
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1], encoding='utf-8').read())
if error is not None:
    print(str(error).splitlines()[0])
    sys.exit(1)
";

impl Validators {
    fn python(&self) -> Command {
        let mut command = Command::new(&self.python);
        command
            .env("PYTHONPATH", &self.dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONHOME");
        command
    }

    /// `pyspdxtools -i FILE`: Err with its messages when the document is
    /// not valid SPDX (the version it declares, 2.3).
    pub fn spdx(&self, file: &Path) -> Result<(), String> {
        let args = ["-m", "spdx_tools.spdx.clitools.pyspdxtools", "-i"];
        self.validate("pyspdxtools", &args, file)
    }

    /// cyclonedx-python-lib's strict CycloneDX 1.6 JSON schema validation.
    pub fn cyclonedx(&self, file: &Path) -> Result<(), String> {
        self.validate("cyclonedx-python-lib", &["-c", CYCLONEDX_CHECK], file)
    }

    /// Runs the validator (`python ARGS FILE`): Err with what it said
    /// unless it exits 0.
    fn validate(&self, name: &str, args: &[&str], file: &Path) -> Result<(), String> {
        let out = self
            .python()
            .args(args)
            .arg(file)
            .output()
            .map_err(|e| format!("cannot start python: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{name}: {} is invalid:\n{}{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}
