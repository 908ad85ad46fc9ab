//! `-mod=mod` without writing into the sources. Modules build where they
//! are, and go only reads them, except that `-mod=mod` (in GOFLAGS or
//! GO_BUILD_FLAGS) lets it update go.mod and go.sum. Then go is pointed at
//! copies of both in the work area with `-modfile`: go reads and writes
//! that go.mod, and the go.sum next to it (`-modfile=DIR/go.mod` means
//! `DIR/go.sum`), while the module root, and so the build cache's view of
//! the packages, stays the sources' own.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Config;
use crate::detect::Kind;
use crate::errors::Error;

/// The folder of the copies, in the work area.
const COPY_DIR: &str = "modfile";

/// When `-mod=mod` is in force for a module built in place and no
/// `-modfile` is given: GOFLAGS with `-modfile` pointing at the copies in
/// `work` (which [`copy_into`] makes before go runs). Decides only.
pub fn redirected_goflags(
    kind: &Kind,
    config: &Config,
    env: &BTreeMap<String, String>,
    work: &Path,
) -> Option<String> {
    let goflags = env.get("GOFLAGS").cloned().unwrap_or_default();
    if !applies(kind, &goflags, &config.build_flags) {
        return None;
    }
    let flag = format!("-modfile={}", work.join(COPY_DIR).join("go.mod").display());
    Some(if goflags.trim().is_empty() {
        flag
    } else {
        format!("{} {flag}", goflags.trim())
    })
}

/// Copies go.mod (and go.sum) from `build_dir` into the work area, where
/// [`redirected_goflags`] points go.
pub fn copy_into(build_dir: &Path, work: &Path) -> Result<(), Error> {
    let dir = work.join(COPY_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    for name in ["go.mod", "go.sum"] {
        let from = build_dir.join(name);
        let to = dir.join(name);
        match std::fs::copy(&from, &to) {
            Ok(_) => {}
            // No go.sum yet: go writes one next to the go.mod copy.
            Err(e) if name == "go.sum" && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("copy", &from, e)),
        }
    }
    Ok(())
}

/// A module built in place, `-mod=mod` given (the last `-mod=` wins, as
/// in go), and no `-modfile` of the user's.
fn applies(kind: &Kind, goflags: &str, build_flags: &[String]) -> bool {
    if !matches!(kind, Kind::Module | Kind::Vendored) {
        return false;
    }
    let flags: Vec<&str> = goflags
        .split_whitespace()
        .chain(build_flags.iter().map(String::as_str))
        .collect();
    let mode = flags
        .iter()
        .rev()
        .find_map(|f| f.trim_start_matches('-').strip_prefix("mod="));
    let modfile_given = flags
        .iter()
        .any(|f| f.trim_start_matches('-').starts_with("modfile"));
    mode == Some("mod") && !modfile_given
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mod_mode_in_place_without_a_modfile() {
        let none: &[String] = &[];
        assert!(applies(&Kind::Module, "-mod=mod", none));
        assert!(applies(&Kind::Module, "", &["-mod=mod".to_string()]));
        assert!(applies(&Kind::Vendored, "--mod=mod -v", none));
        assert!(!applies(&Kind::Module, "-mod=readonly", none));
        assert!(!applies(&Kind::Module, "", none));
        assert!(!applies(
            &Kind::Module,
            "-mod=mod",
            &["-mod=vendor".to_string()]
        ));
        assert!(!applies(&Kind::Module, "-mod=mod -modfile=/x/go.mod", none));
        assert!(!applies(&Kind::Workspace, "-mod=mod", none));
        assert!(!applies(&Kind::BareMain, "-mod=mod", none));
    }
}
