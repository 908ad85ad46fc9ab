//! The run manifest: what `s2i-assemble` built and how `s2i-run` starts it.
//!
//! A small TOML file at `$APP_ROOT/s2i-run.toml`:
//!
//! ```toml
//! program = "bin/api"          # required
//! args = ["--listen", ":8080"] # optional
//! workdir = "src"              # optional, default: the application root
//! [env]                        # optional, set only where not already set
//! GIN_MODE = "release"
//! ```
//!
//! Relative paths are relative to the directory holding the manifest, so an
//! application root can be copied elsewhere (a chained runtime image) and
//! still start.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::display::Escaped;

/// What the manifest must look like, for error messages.
pub const EXPECTED: &str =
    "a run manifest holds `program = \"PATH\"`, and optionally `args = [\"...\"]`, \
`workdir = \"PATH\"` and an `[env]` table of strings";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunManifest {
    /// The program to start.
    pub program: PathBuf,
    /// Its arguments (`APP_ARGS` adds to them at run time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// The working directory to start it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<PathBuf>,
    /// Variables to set when the environment does not already have them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// Why a manifest could not be read.
#[derive(Debug)]
pub enum ManifestError {
    Read {
        path: PathBuf,
        error: io::Error,
    },
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Read { path, error } => write!(
                f,
                "cannot read run manifest {}: {}",
                Escaped::new(path),
                crate::display::reason(error)
            ),
            ManifestError::Invalid {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "invalid run manifest {}, line {line}, column {column}: {}; {EXPECTED}",
                Escaped::new(path),
                // toml's words quote the manifest's own text (an unknown key).
                crate::display::EscapedLine(message)
            ),
        }
    }
}

impl std::error::Error for ManifestError {}

impl RunManifest {
    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> Result<RunManifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|error| ManifestError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<RunManifest, ManifestError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = crate::location::line_and_column(text, offset);
            ManifestError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let manifest: RunManifest = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().trim_end().to_string())
        })?;
        if manifest.program.as_os_str().is_empty() {
            let offset = text.find("program").unwrap_or(0);
            return Err(invalid(offset, "`program` is empty".to_string()));
        }
        crate::variable::check_all(&manifest.env).map_err(|(name, problem)| {
            // Where the name is written, if it is written plainly, else the
            // table: a second, spanned parse would cost s2i-run 20 KB.
            let offset = [format!("\"{name}\""), format!("'{name}'"), name.to_string()]
                .iter()
                .filter(|written| !written.is_empty())
                .find_map(|written| text.find(written.as_str()))
                .or_else(|| text.find("env"))
                .unwrap_or(0);
            invalid(offset, format!("[env]: {problem}"))
        })?;
        Ok(manifest)
    }

    /// The manifest as TOML, with a header saying where it comes from.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a run manifest always serializes");
        format!("# Written by s2i-assemble, read by s2i-run. Relative paths are relative to this file.\n{body}")
    }

    /// `program` resolved against the manifest's directory.
    pub fn program_in(&self, base: &Path) -> PathBuf {
        base.join(&self.program)
    }

    /// `workdir` resolved against the manifest's directory, if set.
    pub fn workdir_in(&self, base: &Path) -> Option<PathBuf> {
        self.workdir.as_ref().map(|w| base.join(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RunManifest, ManifestError> {
        RunManifest::parse(text, Path::new("/opt/app-root/s2i-run.toml"))
    }

    #[test]
    fn round_trip() {
        let m = RunManifest {
            program: "bin/api".into(),
            args: vec!["--port".into(), "8080".into()],
            workdir: Some("src".into()),
            env: BTreeMap::from([("MODE".into(), "release".into())]),
        };
        assert_eq!(parse(&m.to_toml()).unwrap(), m);
    }

    #[test]
    fn minimal_and_relative_paths() {
        let m = parse("program = \"bin/app\"\n").unwrap();
        assert!(m.args.is_empty() && m.workdir.is_none() && m.env.is_empty());
        assert_eq!(m.program_in(Path::new("/r")), PathBuf::from("/r/bin/app"));
        let m = parse("program = \"/usr/bin/app\"\nworkdir = \"/srv\"\n").unwrap();
        assert_eq!(m.program_in(Path::new("/r")), PathBuf::from("/usr/bin/app"));
        assert_eq!(m.workdir_in(Path::new("/r")), Some(PathBuf::from("/srv")));
    }

    #[test]
    fn errors_name_file_line_and_expectation() {
        let messages: Vec<String> = [
            "program = \"bin/app\"\nargs = \"--flag\"\n",
            "program = \"bin/app\"\nprogam = \"x\"\n",
            "args = []\n",
            "program = \"\"\n",
            "program = bin/app\n",
            "program = \"bin/app\"\n[env]\n\"A B\" = \"1\"\n",
            "program = \"bin/app\"\nenv = { \"\" = \"1\" }\n",
            "program = \"bin/app\"\n[env]\nOK = \"1\"\n\"X=Y\" = \"1\"\n",
            "program = \"bin/app\"\n[env]\n\"N\\u0000\" = \"1\"\n",
            "program = \"bin/app\"\n[env]\nN = \"a\\u0000\"\n",
            // An unknown key that clears the screen (found by the fuzzer).
            "program = \"bin/app\"\n\"\\u001b[2J\" = \"1\"\n",
        ]
        .iter()
        .map(|t| parse(t).unwrap_err().to_string())
        .collect();
        let unreadable = RunManifest::load(Path::new("/")).unwrap_err().to_string();
        let messages = [messages, vec![unreadable]].concat();
        insta::assert_snapshot!(messages.join("\n"));
    }
}
