//! The shapes of Go's two caches, by path: what a build-cache entry is
//! called, where each cache holds files and where directories. Restoring
//! (from a tar or a directory), saving and pruning all ask here, so that
//! they agree on what an entry is.
//!
//! Build cache (GOCACHE, `cmd/go/internal/cache`): 256 directories `00`..`ff`;
//! in each, entries named by a SHA-256 in lower-case hex whose first byte is
//! the directory's name, `-a` for an action entry (a file) and `-d` for an
//! output (a file, or for a cached executable a directory holding it); at
//! the top, Go's notes `README`, `trim.txt` and `testexpire.txt`.
//!
//! Module cache (GOMODCACHE, `cmd/go/internal/modfetch`): each module
//! version extracted at `<escaped path>@<version>/` (anything inside);
//! downloads at `cache/download/<escaped path>/@v/<version>.<ext>` (files);
//! the checksum database's tiles under `cache/download/sumdb/` and VCS
//! clones under `cache/vcs/` (anything inside); the lock file `cache/lock`;
//! and this crate's note of the build list's inputs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Length of a build-cache entry's hash in hex (SHA-256).
const HASH_HEX: usize = 64;

/// s2i-assemble's note of what detection decided (the main packages `go
/// list` found, and a digest of what they depend on), beside Go's notes so
/// that it travels in the artifacts with the build cache.
pub const DETECTED_NOTE: &str = "s2i-go-detected";

/// Go's notes at the top of the build cache, and s2i-assemble's.
const BUILD_NOTES: [&str; 4] = ["README", "trim.txt", "testexpire.txt", DETECTED_NOTE];

/// The module cache's files outside modules and downloads: Go's lock, and
/// the build list's inputs that [`crate::prune::BuildListInputs`] records.
const MODULE_NOTES: [&str; 2] = ["lock", "s2i-go-build-list"];

/// What a path in one of the caches is, by its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A directory in Go's layout (`go-build/0a`, `go-mod/cache/download`).
    Dir,
    /// A file in Go's layout that is not a build-cache entry (`trim.txt`, a
    /// module download).
    File,
    /// A build-cache action entry `<xx>/<hex>-a` (a file).
    Action,
    /// A build-cache output `<xx>/<hex>-d`: a file, or a directory holding a
    /// cached executable.
    Output,
    /// Inside something Go keeps whole, where anything goes: a cached
    /// executable's directory, an extracted module, the checksum database's
    /// tiles, VCS clones.
    Contents,
    /// No part of the cache: nothing of Go's would be there.
    Foreign,
}

impl Shape {
    /// Whether a directory (`true`) or a file (`false`) fits this shape.
    pub fn fits(self, is_dir: bool) -> bool {
        match self {
            Shape::Dir => is_dir,
            Shape::File | Shape::Action => !is_dir,
            Shape::Output | Shape::Contents => true,
            Shape::Foreign => false,
        }
    }

    /// A build-cache entry: what the prune looks at.
    pub fn is_entry(self) -> bool {
        matches!(self, Shape::Action | Shape::Output)
    }
}

/// The shape of `relative` (to GOCACHE; empty: GOCACHE itself).
pub fn build_shape(relative: &Path) -> Shape {
    let Some(names) = normal_names::<4>(relative) else {
        return Shape::Foreign;
    };
    match names[..] {
        [] => Shape::Dir,
        [name] if is_subdir_name(name) => Shape::Dir,
        [name] if BUILD_NOTES.iter().any(|n| name == *n) => Shape::File,
        [dir, name] if is_subdir_name(dir) => match entry_kind(dir, name) {
            Some(b'a') => Shape::Action,
            Some(_) => Shape::Output,
            None => Shape::Foreign,
        },
        [dir, name, _] if is_subdir_name(dir) && entry_kind(dir, name) == Some(b'd') => {
            Shape::Contents
        }
        _ => Shape::Foreign,
    }
}

/// True when `relative` (to GOCACHE) names a build-cache entry.
pub fn is_build_entry(relative: &Path) -> bool {
    build_shape(relative).is_entry()
}

/// True for `relative` (to GOCACHE) naming an action entry.
pub fn is_action(relative: &Path) -> bool {
    build_shape(relative) == Shape::Action
}

/// `00`..`ff`: the build cache's directories, as Go names them (lower case).
pub fn is_subdir_name(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    bytes.len() == 2 && bytes.iter().all(is_lower_hex)
}

/// `a` or `d` for `<hex>-a` or `<hex>-d` whose hash starts with `dir`.
fn entry_kind(dir: &OsStr, name: &OsStr) -> Option<u8> {
    let name = name.as_encoded_bytes();
    let (hash, suffix) = name.split_at_checked(HASH_HEX)?;
    let kind = match suffix {
        b"-a" => b'a',
        b"-d" => b'd',
        _ => return None,
    };
    (hash.iter().all(is_lower_hex) && hash.starts_with(dir.as_encoded_bytes())).then_some(kind)
}

fn is_lower_hex(b: &u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(b)
}

/// The shape of `relative` (to GOMODCACHE; empty: GOMODCACHE itself).
pub fn module_shape(relative: &Path) -> Shape {
    let mut names = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) => names.push(name),
            _ => return Shape::Foreign,
        }
    }
    let is = |name: &OsStr, text: &str| name == text;
    match names[..] {
        [] => Shape::Dir,
        [cache, ref rest @ ..] if is(cache, "cache") => match rest {
            [] => Shape::Dir,
            [name] if MODULE_NOTES.iter().any(|n| is(name, n)) => Shape::File,
            [vcs] if is(vcs, "vcs") => Shape::Dir,
            [vcs, ..] if is(vcs, "vcs") => Shape::Contents,
            [download] if is(download, "download") => Shape::Dir,
            [download, sumdb] if is(download, "download") && is(sumdb, "sumdb") => Shape::Dir,
            [download, sumdb, ..] if is(download, "download") && is(sumdb, "sumdb") => {
                Shape::Contents
            }
            [download, module @ ..] if is(download, "download") => {
                // `<module>/@v/<file>`: directories down to `@v`, files in it.
                match module.iter().position(|n| is(n, "@v")) {
                    None => Shape::Dir,
                    Some(0) => Shape::Foreign, // `@v` with no module path
                    Some(at) if at + 1 == module.len() => Shape::Dir,
                    Some(at) if at + 2 == module.len() => Shape::File,
                    Some(_) => Shape::Foreign,
                }
            }
            _ => Shape::Foreign,
        },
        _ => {
            // `<module>@<version>/...`: directories down to the module's,
            // which Go extracted whole.
            let contains_at = |n: &&OsStr| n.as_encoded_bytes().contains(&b'@');
            match names.iter().position(contains_at) {
                None => Shape::Dir,
                Some(at) if at + 1 == names.len() => Shape::Dir,
                Some(_) => Shape::Contents,
            }
        }
    }
}

/// For an extracted module's directory or a path inside it
/// (`<escaped path>@<version>/...`, relative to GOMODCACHE): the file whose
/// presence tells Go that the module's directory is incomplete,
/// `cache/download/<escaped path>/@v/<version>.partial`. Go then extracts
/// the module again (from its zip, or a download) instead of trusting the
/// directory.
pub fn partial_marker(relative: &Path) -> Option<PathBuf> {
    if relative.starts_with("cache") || module_shape(relative) == Shape::Foreign {
        return None;
    }
    let mut module = PathBuf::from("cache/download");
    for component in relative.components() {
        let name = component.as_os_str().as_encoded_bytes();
        match name.iter().position(|&b| b == b'@') {
            None => module.push(component),
            Some(at) => {
                let (last, version) = (&name[..at], &name[at + 1..]);
                let text = |b: &[u8]| OsStr::from_bytes(b).to_owned();
                module.push(text(last));
                module.push("@v");
                let mut file = text(version);
                file.push(".partial");
                module.push(file);
                return Some(module);
            }
        }
    }
    None
}

/// The names of `relative`'s components, if it has at most `N - 1` and all
/// are plain names.
fn normal_names<const N: usize>(relative: &Path) -> Option<Vec<&OsStr>> {
    let mut names = Vec::with_capacity(N);
    for component in relative.components() {
        let Component::Normal(name) = component else {
            return None;
        };
        if names.len() == N - 1 {
            return None;
        }
        names.push(name);
    }
    Some(names)
}

/// Go's module cache case-encoding: an upper-case letter becomes `!` and the
/// letter in lower case (`github.com/BurntSushi` → `github.com/!burnt!sushi`).
pub fn escape_module_path(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            escaped.push('!');
            escaped.push(c.to_ascii_lowercase());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// [`escape_module_path`] undone: `!x` is `X`.
pub fn unescape_module_path(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut upper = false;
    for c in escaped.chars() {
        match c {
            '!' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A build-cache entry's path as Go names it: `start` (hex, two digits
    /// or more) padded to a full hash, `-a` or `-d`, in its directory.
    pub(crate) fn entry(start: &str, suffix: &str) -> String {
        let padding = "5".repeat(HASH_HEX - start.len());
        format!("{}/{start}{padding}-{suffix}", &start[..2])
    }

    #[test]
    fn build_cache_entries_have_the_hash_of_their_directory_and_a_suffix() {
        let shape = |p: &str| build_shape(Path::new(p));
        assert_eq!(shape(""), Shape::Dir);
        assert_eq!(shape("0a"), Shape::Dir);
        assert_eq!(shape("README"), Shape::File);
        assert_eq!(shape("trim.txt"), Shape::File);
        assert_eq!(shape(DETECTED_NOTE), Shape::File);
        assert_eq!(shape(&entry("0a", "a")), Shape::Action);
        assert_eq!(shape(&entry("ff", "d")), Shape::Output);
        assert_eq!(shape(&format!("{}/app", entry("ff", "d"))), Shape::Contents);
        for foreign in [
            "0A".to_string(),                         // Go writes lower case
            "zz".into(),                              // not hex
            "000".into(),                             // three digits
            "evil.sh".into(),                         // not Go's
            "0a/0a11-a".into(),                       // a short hash
            format!("0b/0a{}-a", "5".repeat(62)),     // in another directory
            format!("0a/0a{}-x", "5".repeat(62)),     // another suffix
            format!("0a/0a{}-a", "G".repeat(62)),     // not hex
            format!("0a/0a{}-a", "5".repeat(63)),     // too long
            format!("{}/app", entry("0a", "a")),      // an action is a file
            format!("{}/app/more", entry("0a", "d")), // deeper than Go goes
            "../0a".into(),
        ] {
            assert_eq!(shape(&foreign), Shape::Foreign, "{foreign}");
        }
        assert!(is_build_entry(Path::new(&entry("0a", "d"))));
        assert!(!is_build_entry(Path::new("0a")));
        assert!(is_action(Path::new(&entry("0a", "a"))));
    }

    #[test]
    fn module_cache_files_are_in_modules_and_download_directories() {
        let shape = |p: &str| module_shape(Path::new(p));
        assert_eq!(shape(""), Shape::Dir);
        assert_eq!(shape("cache"), Shape::Dir);
        assert_eq!(shape("cache/lock"), Shape::File);
        assert_eq!(shape("cache/s2i-go-build-list"), Shape::File);
        assert_eq!(shape("cache/download"), Shape::Dir);
        assert_eq!(shape("cache/download/example.com/m"), Shape::Dir);
        assert_eq!(shape("cache/download/example.com/m/@v"), Shape::Dir);
        assert_eq!(
            shape("cache/download/example.com/m/@v/v1.0.0.zip"),
            Shape::File
        );
        assert_eq!(shape("cache/download/example.com/m/@v/list"), Shape::File);
        assert_eq!(shape("cache/download/example.com/m/@v/x/y"), Shape::Foreign);
        assert_eq!(shape("cache/download/@v/list"), Shape::Foreign);
        assert_eq!(shape("cache/download/sumdb"), Shape::Dir);
        assert_eq!(
            shape("cache/download/sumdb/sum.golang.org/tile/8/0/x1"),
            Shape::Contents
        );
        assert_eq!(shape("cache/vcs/0123abcd/HEAD"), Shape::Contents);
        assert_eq!(shape("cache/junk"), Shape::Foreign);
        assert_eq!(shape("example.com"), Shape::Dir);
        assert_eq!(shape("example.com/!m@v1.0.0"), Shape::Dir);
        assert_eq!(shape("example.com/!m@v1.0.0/sub/go.mod"), Shape::Contents);
        assert!(
            !shape("cache").fits(false),
            "a file where Go keeps a directory"
        );
        assert!(!shape("cache/download/example.com/m/@v/v1.0.0.mod").fits(true));
        assert!(shape("example.com/m@v1.0.0/x").fits(false));
    }

    #[test]
    fn an_incomplete_module_has_its_partial_marker() {
        let marker = |p: &str| partial_marker(Path::new(p));
        assert_eq!(
            marker("example.com/!m@v1.0.0/sub/x.go"),
            Some(PathBuf::from(
                "cache/download/example.com/!m/@v/v1.0.0.partial"
            ))
        );
        assert_eq!(
            marker("rsc.io@v1.0.0/x.go"),
            Some(PathBuf::from("cache/download/rsc.io/@v/v1.0.0.partial"))
        );
        assert_eq!(
            marker("example.com/m@v1.0.0"),
            Some(PathBuf::from(
                "cache/download/example.com/m/@v/v1.0.0.partial"
            ))
        );
        assert_eq!(marker("example.com"), None);
        assert_eq!(marker("cache/download/example.com/m/@v/v1.0.0.zip"), None);
        assert_eq!(marker("cache/vcs/abc/HEAD"), None);
    }

    #[test]
    fn module_paths_escape_upper_case_like_go_and_back() {
        assert_eq!(
            escape_module_path("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(escape_module_path("v1.0.0-RC1"), "v1.0.0-!r!c1");
        assert_eq!(
            unescape_module_path("example.com/!widget!co/render@v1.2.0"),
            "example.com/WidgetCo/render@v1.2.0"
        );
    }
}
