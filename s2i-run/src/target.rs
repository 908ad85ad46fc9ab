//! What to start: the command given, else the run manifest, else the classic
//! `gobinary`; plus `APP_ARGS`.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use s2i_common::manifest::{ManifestError, RunManifest};
use s2i_common::paths;

use crate::errors::Error;

/// The program to start and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As given: a name to look up in PATH, or a path.
    pub program: OsString,
    /// argv[1..].
    pub args: Vec<OsString>,
    /// The directory to start it in; `None` keeps the current one.
    pub workdir: Option<PathBuf>,
    /// Variables to set where the environment has none (the manifest's `[env]`).
    pub env_defaults: Vec<(String, String)>,
    /// Where the program came from, for messages ("the program of ...").
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    Manifest(PathBuf),
    Classic { manifest: PathBuf },
}

/// Decides the target from the command line (`command`, maybe empty), the
/// application root and `APP_ARGS`.
pub fn resolve(
    command: Vec<OsString>,
    app_root: &Path,
    app_args: Option<OsString>,
) -> Result<Target, Error> {
    let mut target = if let Some((program, args)) = command.split_first() {
        Target {
            program: program.clone(),
            args: args.to_vec(),
            workdir: None,
            env_defaults: Vec::new(),
            origin: Origin::CommandLine,
        }
    } else {
        from_app_root(app_root)?
    };
    target.args.extend(split_app_args(app_args)?);
    Ok(target)
}

fn from_app_root(app_root: &Path) -> Result<Target, Error> {
    // Absolute, because the program is started after changing to the
    // manifest's working directory: a relative APP_ROOT would then miss.
    let app_root = &match std::env::current_dir() {
        Ok(cwd) if app_root.is_relative() => cwd.join(app_root),
        _ => app_root.to_path_buf(),
    };
    let manifest_path = app_root.join(paths::MANIFEST_FILE);
    match RunManifest::load(&manifest_path) {
        Ok(manifest) => Ok(Target {
            program: manifest.program_in(app_root).into_os_string(),
            args: manifest.args.iter().map(OsString::from).collect(),
            workdir: Some(
                manifest
                    .workdir_in(app_root)
                    .unwrap_or_else(|| app_root.to_path_buf()),
            ),
            env_defaults: manifest.env.into_iter().collect(),
            origin: Origin::Manifest(manifest_path),
        }),
        Err(ManifestError::Read { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
            Ok(Target {
                program: app_root.join(paths::CLASSIC_BINARY).into_os_string(),
                args: Vec::new(),
                workdir: None,
                env_defaults: Vec::new(),
                origin: Origin::Classic {
                    manifest: manifest_path,
                },
            })
        }
        Err(error) => Err(Error::Manifest { error }),
    }
}

/// `APP_ARGS` split like a shell splits words, with no shell and nothing
/// expanded: `--name "two words"` is two arguments.
fn split_app_args(app_args: Option<OsString>) -> Result<Vec<OsString>, Error> {
    let Some(value) = app_args else {
        return Ok(Vec::new());
    };
    let text = value.into_string().map_err(|v| Error::AppArgsNotUtf8 {
        value: v.to_string_lossy().into_owned(),
    })?;
    shell_words::split(&text)
        .map(|words| words.into_iter().map(OsString::from).collect())
        .map_err(|_| Error::AppArgsUnclosedQuote { value: text })
}

impl Target {
    /// The program and where it came from, for messages.
    pub fn describe(&self) -> String {
        let program = Path::new(&self.program).display();
        match &self.origin {
            Origin::CommandLine => program.to_string(),
            Origin::Manifest(manifest) => {
                format!("{program} (the program of {})", manifest.display())
            }
            Origin::Classic { .. } => program.to_string(),
        }
    }

    /// The error when the program does not exist: with no command and no
    /// manifest, there was nothing to start.
    pub fn not_found(&self) -> Error {
        match &self.origin {
            Origin::Classic { manifest } => Error::NothingToStart {
                manifest: manifest.clone(),
                classic: PathBuf::from(&self.program),
            },
            _ => Error::NoSuchFile {
                program: self.describe(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn command_line_wins_over_manifest() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("s2i-run.toml"), "program = \"bin/api\"\n").unwrap();
        let t = resolve(os(&["app", "-x"]), root.path(), Some("--a 'b c'".into())).unwrap();
        assert_eq!(t.program, "app");
        assert_eq!(t.args, os(&["-x", "--a", "b c"]));
        assert_eq!(t.origin, Origin::CommandLine);
        assert_eq!(t.workdir, None);
    }

    #[test]
    fn manifest_resolves_against_app_root() {
        let root = tempfile::tempdir().unwrap();
        fs::write(
            root.path().join("s2i-run.toml"),
            "program = \"bin/api\"\nargs = [\"--port\", \"8080\"]\nworkdir = \"src\"\n[env]\nMODE = \"release\"\n",
        )
        .unwrap();
        let t = resolve(Vec::new(), root.path(), Some("-v".into())).unwrap();
        assert_eq!(Path::new(&t.program), root.path().join("bin/api"));
        assert_eq!(t.args, os(&["--port", "8080", "-v"]));
        assert_eq!(t.workdir, Some(root.path().join("src")));
        assert_eq!(
            t.env_defaults,
            [("MODE".to_string(), "release".to_string())]
        );
    }

    #[test]
    fn manifest_without_workdir_starts_in_app_root() {
        let root = tempfile::tempdir().unwrap();
        fs::write(
            root.path().join("s2i-run.toml"),
            "program = \"/bin/true\"\n",
        )
        .unwrap();
        let t = resolve(Vec::new(), root.path(), None).unwrap();
        assert_eq!(t.workdir.as_deref(), Some(root.path()));
    }

    #[test]
    fn no_manifest_falls_back_to_gobinary() {
        let root = tempfile::tempdir().unwrap();
        let t = resolve(Vec::new(), root.path(), None).unwrap();
        assert_eq!(Path::new(&t.program), root.path().join("gobinary"));
        assert!(t.args.is_empty() && t.workdir.is_none());
        assert!(t.not_found().to_string().contains("nothing to start"));
    }

    #[test]
    fn unclosed_quote_in_app_args() {
        let failure = resolve(
            os(&["app"]),
            Path::new("/nonexistent"),
            Some("'oops".into()),
        )
        .unwrap_err();
        assert_eq!(failure.exit_code(), 2);
        assert!(failure.to_string().contains("APP_ARGS"), "{failure:?}");
    }
}
