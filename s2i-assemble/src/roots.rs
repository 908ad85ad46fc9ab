//! The source directory and the application root must not overlap in a way
//! that loses files: installing replaces `src/`, `bin/` and the rest of the
//! application root, and the walk of the sources would copy the application
//! root into itself, build after build.
//!
//! Both are compared as they resolve (symlinks followed), before anything
//! is written:
//!
//! - an application root that is the source directory or holds it is
//!   refused;
//! - one inside the sources (README's `--src . --app-root ./out`) is left
//!   out of the sources, provided it is new, empty or an application root
//!   (only what s2i-assemble writes there): a directory of the user's is
//!   refused, since its files would vanish from the build and be replaced.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use s2i_common::display::escaped;
use s2i_common::install;
use s2i_common::paths::{self, normalize};

use crate::errors::Error;

/// What s2i-assemble writes at the top of an application root.
pub const WRITTEN: &[&str] = &[
    paths::BIN_DIR,
    paths::CLASSIC_BINARY,
    paths::APP_FILES_DIR,
    paths::MANIFEST_FILE,
    paths::SBOM_DIR,
    ".cache",
    crate::workarea::WORK_DIR,
    install::JOURNAL,
    install::DONE,
    install::RECORD,
];

/// Checks how `app_root` lies relative to `src` (both absolute) and returns
/// the resolved application root when it is inside the sources: the walk of
/// the sources leaves it out.
pub fn check(src: &Path, app_root: &Path) -> Result<Option<PathBuf>, Error> {
    let real_src =
        fs::canonicalize(src).map_err(|error| Error::unreadable(src.to_path_buf(), error))?;
    let real_app_root = resolve(app_root).map_err(|e| Error::io("read", app_root, e))?;
    let shown = |given: &Path, real: &Path| {
        if given == real {
            given.display().to_string()
        } else {
            format!("{} (that is, {})", given.display(), real.display())
        }
    };
    if real_src.starts_with(&real_app_root) {
        return Err(Error::AppRootHoldsSources {
            app_root: shown(app_root, &real_app_root),
            src: shown(src, &real_src),
            same: real_src == real_app_root,
        });
    }
    if !real_app_root.starts_with(&real_src) {
        return Ok(None);
    }
    if let Some(name) = foreign_entry(&real_app_root)? {
        return Err(Error::AppRootInSourcesNotEmpty {
            app_root: shown(app_root, &real_app_root),
            entry: name,
        });
    }
    Ok(Some(real_app_root))
}

/// `path` with every symlink resolved, also where its end does not exist
/// yet: the deepest existing ancestor resolved, the rest appended (a
/// dangling symlink on the way is followed, as mkdir -p would follow it).
/// `path` is absolute and has no `.` or `..`.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // As many links as the kernel follows in one lookup.
    for _ in 0..40 {
        let mut existing = path.as_path();
        let mut rest = Vec::new();
        let dangling = loop {
            match fs::canonicalize(existing) {
                Ok(real) => {
                    return Ok(rest.iter().rev().fold(real, |acc, name| acc.join(name)));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Ok(target) = fs::read_link(existing) {
                        break existing.parent().unwrap_or(Path::new("/")).join(target);
                    }
                    let (Some(parent), Some(name)) = (existing.parent(), existing.file_name())
                    else {
                        return Err(e);
                    };
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                Err(e) => return Err(e),
            }
        };
        path = normalize(&rest.iter().rev().fold(dangling, |acc, name| acc.join(name)));
    }
    Err(io::Error::from_raw_os_error(nix::libc::ELOOP))
}

/// The first entry at the top of `app_root` that s2i-assemble does not
/// write (left-overs of a killed one's temporary files count as its own).
fn foreign_entry(app_root: &Path) -> Result<Option<String>, Error> {
    let entries = match fs::read_dir(app_root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", app_root, e)),
    };
    let mut names: Vec<std::ffi::OsString> = entries
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()
        .map_err(|e| Error::io("read", app_root, e))?;
    names.sort();
    Ok(names
        .iter()
        .find(|name| match name.to_str() {
            Some(name) => !WRITTEN.contains(&name) && !install::is_temporary(name),
            None => true,
        })
        .map(|name| escaped(name).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn resolves_paths_that_do_not_exist_yet() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(real.join("real")).unwrap();
        symlink(real.join("real"), real.join("link")).unwrap();
        assert_eq!(
            resolve(&real.join("link/new/deeper")).unwrap(),
            real.join("real/new/deeper")
        );
    }

    #[test]
    fn overlaps() {
        let dir = tempfile::tempdir().unwrap();
        let p = fs::canonicalize(dir.path()).unwrap();
        let src = p.join("src");
        fs::create_dir(&src).unwrap();
        fs::write(src.join("main.go"), "package main\n").unwrap();
        let refused = |app_root: &Path| check(&src, app_root).unwrap_err().to_string();
        assert_eq!(
            refused(&p),
            format!(
                "the application root {} holds the sources {}: installing there would replace their files; \
                 pass --app-root a directory outside the sources, or a new one inside them (e.g. --app-root {}/out)",
                p.display(),
                src.display(),
                src.display()
            )
        );
        assert!(refused(&src).starts_with(&format!(
            "the application root {} is the source directory: ",
            src.display()
        )));
        symlink(&p, p.join("alias")).unwrap();
        assert!(refused(&p.join("alias")).starts_with(&format!(
            "the application root {}/alias (that is, {}) holds the sources",
            p.display(),
            p.display()
        )));
        assert_eq!(check(&src, &p.join("app")).unwrap(), None);
        assert_eq!(
            check(&src, &src.join("out")).unwrap(),
            Some(src.join("out"))
        );
        symlink(src.join("out"), p.join("out-link")).unwrap();
        assert_eq!(
            check(&src, &p.join("out-link")).unwrap(),
            Some(src.join("out"))
        );
        // An application root is fine inside the sources; a folder of
        // theirs is not.
        for name in ["bin", "src", "s2i-run.toml", ".s2i-run.toml.tmp-123"] {
            fs::create_dir_all(src.join("out").join(name)).unwrap();
        }
        assert!(check(&src, &src.join("out")).is_ok());
        fs::create_dir(src.join("templates")).unwrap();
        fs::write(src.join("templates/index.html"), "").unwrap();
        assert_eq!(
            refused(&src.join("templates")),
            format!(
                "the application root {}/templates is inside the sources and holds index.html, which s2i-assemble does not write: \
                 it would be left out of the build and its files replaced; pass --app-root a new or empty directory (e.g. ./out), \
                 or one outside the sources",
                src.display()
            )
        );
    }
}
