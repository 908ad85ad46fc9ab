//! What a restore brought in and no prune has looked at yet, noted on disk
//! before anything is brought in, and forgotten after the prune.
//!
//! A finished restore lists its build-cache entries in memory for the
//! prune. A restore cut short (`kill -9`, a cancelled build) or a build that
//! failed before its prune loses that list, and what it brought in (tens of
//! thousands of entries) would stay for good: the next build prunes only
//! what its own restore brings. So each cache has a note next to it:
//!
//! - `.<GOCACHE's name>.unpruned` lists the build-cache entries the restore
//!   may bring in (written whole before the first one is placed, then
//!   narrowed to those it did bring in);
//! - `.<GOMODCACHE's name>.unpruned` says the module cache was restored.
//!
//! The next build finds the notes ([`Leftover::take`]) and treats what they
//! name as restored: dated back for the prune, and pruned after its build.
//! Notes are written by a rename (a kill leaves the old note or the new one,
//! never half of one) and read strictly: a line that is no build-cache
//! entry name is ignored, so a note never makes a prune remove anything
//! else.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{layout, prune, CacheDirs};

/// The note beside the cache at `dir`: `<parent>/.<name>.unpruned`.
pub fn note_of(dir: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(dir.file_name().unwrap_or_default());
    name.push(".unpruned");
    dir.with_file_name(name)
}

/// Writes the build cache's note: these entries (relative to GOCACHE) are
/// restored and not pruned yet.
pub fn note_build_entries<'a>(
    gocache: &Path,
    entries: impl IntoIterator<Item = &'a Path>,
) -> io::Result<()> {
    let mut text = Vec::new();
    for entry in entries {
        text.extend_from_slice(entry.as_os_str().as_bytes());
        text.push(b'\n');
    }
    write_note(&note_of(gocache), &text)
}

/// Notes that the module cache at `gomodcache` is restored and not pruned
/// yet.
pub fn note_module_cache(gomodcache: &Path) -> io::Result<()> {
    write_note(&note_of(gomodcache), b"")
}

/// Forgets the note of the cache at `dir`: it is pruned (or gone).
pub fn forget(dir: &Path) {
    let _ = fs::remove_file(note_of(dir));
}

/// Replaces the note at `path` with `text`: a temporary file renamed over
/// it. No fsync: the note must survive the process, not the machine.
fn write_note(path: &Path, text: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = fs::File::create(&tmp)
        .and_then(|mut file| file.write_all(text))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// What an earlier restore left unpruned, found by the notes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// Build-cache entries still there (relative to GOCACHE), dated back
    /// like restored ones.
    pub build_entries: Vec<PathBuf>,
    /// The module cache was restored and not pruned.
    pub module: bool,
}

impl Leftover {
    /// Reads the notes of `caches` and makes what they name ready for the
    /// prune after this build: each entry still there is dated
    /// [`prune::backdated`] where Go would not refresh it otherwise (an
    /// entry dated in the future, as the image's own are, is not ours and
    /// stays untouched). Also removes what an interrupted restore of a tar
    /// left beside the module cache.
    pub fn take(caches: &CacheDirs, cancelled: &dyn Fn() -> bool) -> Leftover {
        let _ = crate::tree::remove(&crate::restore::staging_of(caches));
        let mut leftover = Leftover {
            module: note_of(&caches.module).is_file(),
            ..Leftover::default()
        };
        let Ok(text) = fs::read(note_of(&caches.build)) else {
            return leftover;
        };
        let now = SystemTime::now();
        for line in text.split(|&b| b == b'\n') {
            if cancelled() {
                break;
            }
            let entry = PathBuf::from(OsString::from_vec(line.to_vec()));
            if !layout::is_build_entry(&entry) {
                continue; // not a name the restore writes: never ours to prune
            }
            let Ok(meta) = fs::symlink_metadata(caches.build.join(&entry)) else {
                continue; // never placed, or gone since
            };
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if mtime <= now && prune::needs_backdating(mtime, now) {
                let _ =
                    crate::restore::set_mtime(&caches.build.join(&entry), prune::backdated(now));
            }
            leftover.build_entries.push(entry);
        }
        leftover
    }

    pub fn is_empty(&self) -> bool {
        self.build_entries.is_empty() && !self.module
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::entry;

    #[test]
    fn notes_sit_beside_their_cache() {
        assert_eq!(
            note_of(Path::new("/opt/app-root/.cache/go-build")),
            Path::new("/opt/app-root/.cache/.go-build.unpruned")
        );
    }

    #[test]
    fn a_note_names_only_entries_and_dates_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let caches = CacheDirs::under(dir.path());
        let (fresh, image, gone) = (entry("0a11", "d"), entry("0b22", "d"), entry("0c33", "a"));
        for name in [&fresh, &image] {
            let path = caches.build.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, b"x").unwrap();
        }
        let year_2100 = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_102_444_800);
        fs::File::open(caches.build.join(&image))
            .unwrap()
            .set_modified(year_2100)
            .unwrap();
        fs::write(dir.path().join("precious"), b"keep").unwrap();
        let names = [
            Path::new(&fresh),
            Path::new(&image),
            Path::new(&gone),
            Path::new("../precious"),
            Path::new("README"),
        ];
        note_build_entries(&caches.build, names).unwrap();
        note_module_cache(&caches.module).unwrap();

        let leftover = Leftover::take(&caches, &|| false);
        assert_eq!(
            leftover.build_entries,
            [PathBuf::from(&fresh), PathBuf::from(&image)]
        );
        assert!(leftover.module);
        let mtime = |name: &str| {
            fs::metadata(caches.build.join(name))
                .unwrap()
                .modified()
                .unwrap()
        };
        let now = SystemTime::now();
        assert!(!prune::needs_backdating(mtime(&fresh), now), "dated back");
        assert_eq!(mtime(&image), year_2100, "the image's own: untouched");

        forget(&caches.build);
        forget(&caches.module);
        assert_eq!(Leftover::take(&caches, &|| false), Leftover::default());
        assert!(dir.path().join("precious").exists());
    }
}
