//! `GO_CLEAN_CACHE=true`: removing Go's caches, and only what Go put there.
//!
//! GOCACHE and GOMODCACHE may name any directory (the build's environment,
//! or the sources' own `.s2i/environment`), so they are never removed
//! whole. A directory must first look like the cache it is named as: a
//! build cache has the `README` go writes into every one, a module cache
//! its `cache/download`; else nothing in it is touched. Then only entries
//! where [`layout`] puts Go's go (the build cache's `00`..`ff` entries and
//! notes; the module cache's downloads, checksum tiles, VCS clones and
//! extracted `<module>@<version>` directories); anything else is left where
//! it is and listed, for a warning. A module directory must be named as Go
//! names one (escaped path elements, `@v...`), so that a folder such as
//! `me@example.com` is not taken for one. Directories left empty go, the
//! cache's own included.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::layout::{self, Shape};
use crate::{tree, Size};

/// The first line of the README that go writes into every build cache.
const BUILD_CACHE_README: &str =
    "This directory holds cached build artifacts from the Go build system.";

/// What a clean removed, and what it left because it is not Go's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub removed: Size,
    /// Entries that are not Go's cache, left as they are.
    pub left: Vec<PathBuf>,
    /// False when the directory does not look like the Go cache it was
    /// named as: nothing was removed.
    pub recognised: bool,
}

/// Removes the build cache entries in `dir` (GOCACHE).
pub fn build_cache(dir: &Path) -> io::Result<Cleaned> {
    let readme = fs::read_to_string(dir.join("README")).unwrap_or_default();
    clean(
        dir,
        readme.starts_with(BUILD_CACHE_README),
        &layout::build_shape,
    )
}

/// Removes the module cache's downloads and extracted modules in `dir`
/// (GOMODCACHE).
pub fn module_cache(dir: &Path) -> io::Result<Cleaned> {
    let downloads = fs::symlink_metadata(dir.join("cache/download")).is_ok_and(|m| m.is_dir());
    clean(dir, downloads, &module_shape)
}

fn clean(dir: &Path, looks_right: bool, shape: &dyn Fn(&Path) -> Shape) -> io::Result<Cleaned> {
    let mut cleaned = Cleaned::default();
    if !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        // Nothing there: nothing to remove.
        cleaned.recognised = true;
        return Ok(cleaned);
    }
    if !looks_right {
        return Ok(cleaned);
    }
    cleaned.recognised = true;
    clean_dir(dir, Path::new(""), shape, &mut cleaned)?;
    remove_if_empty(dir);
    Ok(cleaned)
}

/// Removes what is Go's in the directory `root/relative`.
fn clean_dir(
    root: &Path,
    relative: &Path,
    shape: &dyn Fn(&Path) -> Shape,
    cleaned: &mut Cleaned,
) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(root.join(relative))?
        .map(|e| e.map(|e| relative.join(e.file_name())))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for entry in entries {
        let path = root.join(&entry);
        let meta = fs::symlink_metadata(&path)?;
        match shape(&entry) {
            Shape::Dir if meta.is_dir() => {
                clean_dir(root, &entry, shape, cleaned)?;
                remove_if_empty(&path);
            }
            Shape::Output | Shape::Contents => drop(&path, &meta, cleaned)?,
            Shape::File | Shape::Action if meta.is_file() => drop(&path, &meta, cleaned)?,
            _ => cleaned.left.push(path),
        }
    }
    Ok(())
}

/// [`layout::module_shape`], less generous with `@`: what is not named as
/// Go names a module directory is no part of the cache.
fn module_shape(relative: &Path) -> Shape {
    let names: Option<Vec<&str>> = relative.iter().map(|n| n.to_str()).collect();
    let Some(names) = names else {
        return Shape::Foreign;
    };
    if names.first() != Some(&"cache") {
        if let Some(at) = names.iter().position(|n| n.contains('@')) {
            let (element, version) = names[at].split_once('@').unwrap_or_default();
            let module = names[..at].iter().all(|n| is_path_element(n))
                && is_path_element(element)
                && version.starts_with('v')
                && is_path_element(version);
            if !module {
                return Shape::Foreign;
            }
        }
    }
    layout::module_shape(relative)
}

/// An element of an escaped module path or version: lower-case letters
/// (upper case is escaped as `!x`), digits, `- . _ ~ + !`, and no `.` or
/// `..` alone.
fn is_path_element(text: &str) -> bool {
    !text.is_empty()
        && !text.chars().all(|c| c == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~+!".contains(c))
}

/// Removes `path`, Go's, counting what goes.
fn drop(path: &Path, meta: &fs::Metadata, cleaned: &mut Cleaned) -> io::Result<()> {
    cleaned.removed.add(tree::remove_counted(path, meta)?);
    Ok(())
}

fn remove_if_empty(dir: &Path) {
    if tree::is_empty_dir(dir) {
        let _ = fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(root: &Path, files: &[&str]) {
        for file in files {
            let path = root.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text = if file.ends_with("README") {
                format!("{BUILD_CACHE_README}\nGo's words.\n")
            } else {
                "x".to_string()
            };
            fs::write(path, text).unwrap();
        }
    }

    fn listing(root: &Path) -> Vec<String> {
        fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                out.push(path.strip_prefix(root).unwrap().display().to_string());
                if fs::symlink_metadata(&path).unwrap().is_dir() {
                    collect(root, &path, out);
                }
            }
        }
        let mut out = Vec::new();
        collect(root, root, &mut out);
        out.sort();
        out
    }

    /// A build-cache entry's name in directory `dir`.
    fn entry(dir: &str, suffix: &str) -> String {
        format!("{dir}/{dir}{}-{suffix}", "5".repeat(62))
    }

    #[test]
    fn build_cache_loses_only_gos_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("go-build");
        write(
            &cache,
            &[
                "README",
                "trim.txt",
                "testexpire.txt",
                &entry("01", "a"),
                &entry("01", "d"),
                // A cached executable: a directory.
                &format!("{}/app", entry("ff", "d")),
                "01/notes.txt",
                "fuzz/example.com/m/FuzzX/corpus",
                "photos/cat.jpg",
                "todo.txt",
            ],
        );
        let cleaned = build_cache(&cache).unwrap();
        assert!(cleaned.recognised);
        assert_eq!(cleaned.removed.files, 6);
        assert_eq!(
            listing(&cache),
            [
                "01",
                "01/notes.txt",
                "fuzz",
                "fuzz/example.com",
                "fuzz/example.com/m",
                "fuzz/example.com/m/FuzzX",
                "fuzz/example.com/m/FuzzX/corpus",
                "photos",
                "photos/cat.jpg",
                "todo.txt"
            ]
        );
        let left: Vec<_> = cleaned
            .left
            .iter()
            .map(|p| p.strip_prefix(&cache).unwrap().display().to_string())
            .collect();
        assert_eq!(left, ["01/notes.txt", "fuzz", "photos", "todo.txt"]);
    }

    #[test]
    fn a_build_cache_of_gos_alone_goes_whole() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("go-build");
        write(&cache, &["README", "trim.txt", &entry("3f", "a")]);
        let cleaned = build_cache(&cache).unwrap();
        assert!(cleaned.recognised && cleaned.left.is_empty());
        assert!(!cache.exists());
        assert_eq!(build_cache(&cache).unwrap().removed, Size::default());
    }

    #[test]
    fn a_directory_without_gos_readme_is_no_build_cache() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[&entry("01", "a"), "trim.txt"]);
        fs::write(dir.path().join("README"), "my project\n").unwrap();
        let before = listing(dir.path());
        let cleaned = build_cache(dir.path()).unwrap();
        assert!(!cleaned.recognised);
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn module_cache_loses_only_gos_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("go-mod");
        write(
            &cache,
            &[
                "cache/lock",
                "cache/download/example.com/greeting/@v/list",
                "cache/download/example.com/greeting/@v/v1.0.0.zip",
                "cache/download/example.com/greeting/@v/v1.0.0.ziphash",
                "cache/download/sumdb/sum.golang.org/lookup/example.com/greeting@v1.0.0",
                "cache/download/example.com/greeting/notes.txt",
                "cache/vcs/0123abcd/HEAD",
                "cache/mine.txt",
                "example.com/greeting@v1.0.0/go.mod",
                "example.com/greeting@v1.0.0.tmp-1234/go.mod",
                "github.com/!burnt!sushi/toml@v1.3.2/decode.go",
                "golang.org/toolchain@v0.0.1-go1.21.0.linux-amd64/bin/go",
                "me@example.com/letter.txt",
                "Documents/report@v2/draft.txt",
                "example.com/notes.txt",
                "todo.txt",
            ],
        );
        // Go's modules are read-only.
        let module = cache.join("example.com/greeting@v1.0.0");
        fs::set_permissions(&module, fs::Permissions::from_mode(0o555)).unwrap();
        let cleaned = module_cache(&cache).unwrap();
        assert!(cleaned.recognised);
        assert_eq!(
            listing(&cache),
            [
                "Documents",
                "Documents/report@v2",
                "Documents/report@v2/draft.txt",
                "cache",
                "cache/download",
                "cache/download/example.com",
                "cache/download/example.com/greeting",
                "cache/download/example.com/greeting/notes.txt",
                "cache/mine.txt",
                "example.com",
                "example.com/notes.txt",
                "me@example.com",
                "me@example.com/letter.txt",
                "todo.txt"
            ]
        );
        assert_eq!(cleaned.removed.files, 10);
    }

    #[test]
    fn a_directory_without_cache_download_is_no_module_cache() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &["example.com/m@v1.0.0/go.mod", "cache/lock"]);
        let before = listing(dir.path());
        let cleaned = module_cache(dir.path()).unwrap();
        assert!(!cleaned.recognised);
        assert_eq!(listing(dir.path()), before);
        let missing = dir.path().join("missing");
        assert!(module_cache(&missing).unwrap().left.is_empty());
    }
}
