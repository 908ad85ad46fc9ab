//! What the fuzz targets share: the invariants they check, and the
//! artifacts case (a directory with a tree outside that must not change).
//!
//! The invariants are those of the property tests
//! (`s2i-common/tests/parser_properties.rs`, `s2i-cache/tests/properties.rs`):
//! here a coverage-guided fuzzer picks the inputs instead of a strategy.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use s2i_cache::layout::{self, Shape};
use s2i_cache::restore::Report;
use s2i_cache::CacheDirs;

/// A message that goes to the log as one line: no newline and nothing
/// that `s2i_common::display` escapes (control characters, marks that
/// reorder text), so that nothing in it can fake a log line (README,
/// "Names from the outside never reach the log raw").
pub fn assert_one_log_line(what: &str, message: &str) {
    assert!(!message.is_empty(), "{what}: an empty message");
    assert!(
        !message.chars().any(s2i_common::display::needs_escape),
        "{what}: a character that needs escaping reaches the log raw: {message:?}"
    );
}

/// The number of lines of `bytes`, as the parsers count them (split at
/// `\n`; a last line without `\n` counts).
pub fn line_count(bytes: &[u8]) -> usize {
    bytes.split(|b| *b == b'\n').count()
}

/// "line N" in `message`, with N within `1..=lines`.
pub fn assert_names_a_line(what: &str, message: &str, lines: usize) {
    let at = message
        .find("line ")
        .unwrap_or_else(|| panic!("{what}: the message names no line: {message:?}"));
    let digits: String = message[at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let line: usize = digits
        .parse()
        .unwrap_or_else(|_| panic!("{what}: no line number: {message:?}"));
    assert!(
        (1..=lines).contains(&line),
        "{what}: line {line} of {lines}: {message:?}"
    );
}

/// What a change to a path would show: kind and mode, inode, modification
/// time (whole and nanoseconds), size, contents or link target. Not the
/// link count: a file outside with a second name in the artifacts loses
/// it when the artifacts are consumed (a second name the restore made
/// shows in the caches, which hold none).
pub type Seen = (u32, u64, i64, i64, u64, Vec<u8>);

/// Every path under `root` but those under `skip`, with what a change
/// would show. Links are not followed.
pub fn snapshot(root: &Path, skip: &[PathBuf]) -> BTreeMap<PathBuf, Seen> {
    let mut seen = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        if skip.iter().any(|s| path.starts_with(s)) {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let data = if meta.file_type().is_symlink() {
            fs::read_link(&path)
                .map(|t| t.into_os_string().into_encoded_bytes())
                .unwrap_or_default()
        } else if meta.is_file() {
            fs::read(&path).unwrap_or_default()
        } else {
            Vec::new()
        };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        }
        seen.insert(
            path,
            (
                meta.mode(),
                meta.ino(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.size(),
                data,
            ),
        );
    }
    seen
}

/// One artifacts case: a directory holding `outside/` (a file and a
/// directory that links in the artifacts may name), `artifacts` (a tree,
/// or `artifacts.tar`) and `app-root/` (where the caches go, under
/// `.cache`).
pub struct Case {
    pub dir: tempfile::TempDir,
}

/// The time the outside files carry: old enough that a restore would
/// re-date them (as it once did a hard link's data).
pub const OUTSIDE_TIME: u64 = 1_500_000_000;

impl Case {
    pub fn new() -> Case {
        let dir = tempfile::Builder::new()
            .prefix("s2i-fuzz-")
            .tempdir()
            .expect("a temporary directory");
        let outside = dir.path().join("outside");
        fs::create_dir_all(outside.join("dir/go-build/0a")).unwrap();
        fs::write(outside.join("file"), b"someone else's").unwrap();
        fs::write(outside.join("dir/go-build/0a/keep"), b"keep").unwrap();
        for path in [outside.join("file"), outside.join("dir/go-build/0a/keep")] {
            let old = SystemTime::UNIX_EPOCH + Duration::from_secs(OUTSIDE_TIME);
            fs::File::open(path).unwrap().set_modified(old).unwrap();
        }
        fs::create_dir(dir.path().join("app-root")).unwrap();
        Case { dir }
    }

    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    pub fn caches(&self) -> CacheDirs {
        CacheDirs::under(&self.dir.path().join("app-root"))
    }

    /// The destination: the caches and what is noted beside them.
    pub fn destination(&self) -> PathBuf {
        self.caches().build.parent().unwrap().to_path_buf()
    }

    /// What must not change: everything but the destination and the
    /// artifacts (which a restore consumes).
    pub fn surroundings(&self, artifacts: &Path) -> BTreeMap<PathBuf, Seen> {
        let mut seen = snapshot(
            self.dir.path(),
            &[self.destination(), artifacts.to_path_buf()],
        );
        // The case's own directory and app-root/ change when the
        // destination or the artifacts come and go: their contents are
        // compared, not their times.
        for dir in [
            self.dir.path().to_path_buf(),
            self.dir.path().join("app-root"),
        ] {
            if let Some(entry) = seen.get_mut(&dir) {
                entry.2 = 0;
                entry.3 = 0;
                entry.4 = 0;
            }
        }
        seen
    }

    /// After a restore: the surroundings are as `before`, and what is in
    /// the caches fits Go's layout and carries no link, special file,
    /// second name, set-id, sticky or world-write bit; every warning is
    /// one log line.
    pub fn assert_restore_kept_to_its_place(
        &self,
        before: &BTreeMap<PathBuf, Seen>,
        artifacts: &Path,
        report: &Report,
    ) {
        let after = self.surroundings(artifacts);
        if &after != before {
            let changed: Vec<_> = after
                .iter()
                .filter(|(p, s)| before.get(*p) != Some(s))
                .map(|(p, s)| (p, before.get(p), s))
                .collect();
            let gone: Vec<_> = before.keys().filter(|p| !after.contains_key(*p)).collect();
            panic!(
                "the restore changed or created outside the caches: {changed:?}, removed: {gone:?}"
            );
        }
        let caches = self.caches();
        assert_cache_fits(&caches.build, layout::build_shape);
        assert_cache_fits(&caches.module, layout::module_shape);
        for warning in &report.warnings {
            assert_one_log_line("a restore warning", warning);
        }
        for restored in &report.restored {
            assert_one_log_line("a restore line", &restored.to_string());
        }
    }
}

impl Default for Case {
    fn default() -> Self {
        Case::new()
    }
}

fn assert_cache_fits(cache: &Path, shape: fn(&Path) -> Shape) {
    let mut stack = vec![cache.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let relative = path.strip_prefix(cache).unwrap();
        let kind = meta.file_type();
        assert!(
            kind.is_dir() || kind.is_file(),
            "restored {path:?}: neither a file nor a directory ({kind:?})"
        );
        assert!(
            kind.is_dir() || meta.nlink() == 1,
            "restored {path:?}: a file with {} names",
            meta.nlink()
        );
        let mode = meta.permissions().mode() & 0o7777;
        assert_eq!(
            mode & 0o7002,
            0,
            "restored {path:?}: mode {mode:o} has a set-id, sticky or world-write bit"
        );
        assert!(
            shape(relative).fits(kind.is_dir()),
            "restored {path:?}: no part of Go's layout ({:?})",
            shape(relative)
        );
        if kind.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        }
    }
}

/// Bytes read off the front of a fuzz input.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    pub fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        taken
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
