//! The places of the S2I layout, and how the environment moves them.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Where the Red Hat builder images keep the application (`APP_ROOT`).
pub const DEFAULT_APP_ROOT: &str = crate::settings::APP_ROOT.default;
/// Where S2I puts the application sources.
pub const DEFAULT_SRC: &str = "/tmp/src";
/// Where S2I puts what the previous image's `save-artifacts` streamed out.
pub const DEFAULT_ARTIFACTS: &str = "/tmp/artifacts";
/// The run manifest's file name, directly under the application root.
pub const MANIFEST_FILE: &str = "s2i-run.toml";
/// The classic Go images' binary, directly under the application root.
pub const CLASSIC_BINARY: &str = "gobinary";
/// The built binaries, under the application root.
pub const BIN_DIR: &str = "bin";
/// The application's files (templates, assets): the working directory at run
/// time, and HOME, as in the Red Hat images.
pub const APP_FILES_DIR: &str = "src";
/// The SBOMs of the built binaries, under the application root.
pub const SBOM_DIR: &str = "sbom";
/// Go's build cache (GOCACHE), under the application root, outside its files.
pub const GO_BUILD_CACHE: &str = ".cache/go-build";
/// Go's module cache (GOMODCACHE), under the application root, outside its files.
pub const GO_MOD_CACHE: &str = ".cache/go-mod";

/// The application root: `$APP_ROOT` when set and not empty, else `/opt/app-root`.
pub fn app_root() -> PathBuf {
    app_root_from(std::env::var_os(crate::settings::APP_ROOT.name))
}

/// [`app_root`] for a given value of `APP_ROOT`, so callers and tests need not
/// touch the process environment.
pub fn app_root_from(value: Option<OsString>) -> PathBuf {
    match value {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_APP_ROOT),
    }
}

/// `path` with `.` and `..` taken out by its text alone, without looking at
/// the file system (so `a/link/..` is `a`, whatever `link` is).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_root_defaults_when_unset_or_empty() {
        assert_eq!(app_root_from(None), PathBuf::from("/opt/app-root"));
        assert_eq!(
            app_root_from(Some("".into())),
            PathBuf::from("/opt/app-root")
        );
        assert_eq!(
            app_root_from(Some("/srv/app".into())),
            PathBuf::from("/srv/app")
        );
    }

    #[test]
    fn normalize_drops_dots_by_the_text() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
        assert_eq!(normalize(Path::new("/..")), Path::new("/"));
        assert_eq!(normalize(Path::new("a/b/../../..")), Path::new(""));
    }
}
