//! Pruning the build cache (GOCACHE).
//!
//! Go refreshes an entry's modification time when it
//! uses it, but only when that time is more than an hour old
//! (`mtimeInterval` in cmd/go/internal/cache), and trims entries unused for
//! five days. So the restore dates every entry it brings in two hours back
//! ([`backdated`]): old enough that any use refreshes it, young enough that
//! Go's own trim keeps it. After the build, restored entries still older
//! than the build's start were not used and go ([`BuildCacheUse::prune`]).
//! Only restored entries are ever looked at: what was in place before (the
//! image's own base cache, a GOCACHE shared with other builds) and what
//! this build wrote stay as they are, and nothing walks the whole cache.
//! An output (`-d`) that an action entry (`-a`) written by this build
//! points to is kept too: Go does not refresh an output it finds already
//! present when it stores it. (A restored action entry that Go uses
//! refreshes its output itself: every way Go reads an entry goes through
//! `OutputFile`, which refreshes the output.)

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::Pruned;
use crate::{layout, tree, Size};

/// How far back restored entries are dated: more than Go's one-hour
/// refresh interval, far less than its five-day trim limit.
const BACKDATE: Duration = Duration::from_secs(2 * 3600);
/// Go refreshes the time of an entry it uses when it is at least this old.
const REFRESH_AGE: Duration = Duration::from_secs(3600);
/// Go trims entries older than five days; a day of margin.
const TRIM_SAFE: Duration = Duration::from_secs(4 * 24 * 3600);
/// Slack for file systems whose timestamps lag the clock a little.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// The time a restored build-cache entry is given, `now` being the restore's.
pub fn backdated(now: SystemTime) -> SystemTime {
    now - BACKDATE
}

/// True when an entry dated `mtime` must be dated [`backdated`] for the
/// prune to see whether the build uses it: Go would not refresh it (too
/// recent), or might trim it (too old).
pub fn needs_backdating(mtime: SystemTime, now: SystemTime) -> bool {
    mtime > now - REFRESH_AGE - CLOCK_SLACK || mtime < now - TRIM_SAFE
}

/// Watches which restored build-cache entries one build uses.
#[derive(Debug)]
pub struct BuildCacheUse {
    dir: PathBuf,
    /// The entries the restore brought in, relative to `dir`.
    entries: Vec<PathBuf>,
    started: SystemTime,
    /// The times of the cache's `00`..`ff` directories before the build:
    /// those the build writes new entries into change.
    subdirs: HashMap<OsString, SystemTime>,
}

impl BuildCacheUse {
    /// Starts watching the build cache at `dir`, whose `entries` (relative
    /// to `dir`) a restore brought in and dated [`backdated`]: call it after
    /// restoring and before the first `go` command. Only these entries are
    /// pruned later.
    pub fn begin(dir: &Path, entries: Vec<PathBuf>) -> BuildCacheUse {
        let mut subdirs = HashMap::new();
        for_each_subdir(dir, &mut |name, meta| {
            if let Ok(time) = meta.modified() {
                subdirs.insert(name.to_owned(), time);
            }
        });
        BuildCacheUse {
            dir: dir.to_path_buf(),
            entries,
            started: SystemTime::now(),
            subdirs,
        }
    }

    /// Removes the restored entries the build did not use.
    pub fn prune(&self) -> io::Result<Pruned> {
        let cutoff = self.started - CLOCK_SLACK;
        let mut pruned = Pruned::default();
        let mut unused = Vec::new();
        for entry in &self.entries {
            let path = self.dir.join(entry);
            let meta = match fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let size = entry_size(&path, &meta);
            if meta.modified().is_ok_and(|t| t >= cutoff) {
                pruned.kept.add(size);
            } else {
                unused.push((path, size));
            }
        }
        if unused.is_empty() {
            return Ok(pruned);
        }

        // Outputs that the action entries this build wrote point to: new
        // entries are in the directories whose time changed.
        let restored: HashSet<&Path> = self.entries.iter().map(PathBuf::as_path).collect();
        let mut new_actions = Vec::new();
        let mut changed = Vec::new();
        for_each_subdir(&self.dir, &mut |name, meta| {
            if meta.modified().ok() != self.subdirs.get(name).copied() {
                changed.push(PathBuf::from(name));
            }
        });
        for subdir in changed {
            for entry in fs::read_dir(self.dir.join(&subdir))? {
                let entry = entry?;
                let name = subdir.join(entry.file_name());
                if layout::is_action(&name)
                    && !restored.contains(name.as_path())
                    && entry
                        .metadata()
                        .is_ok_and(|meta| written_since(&meta, cutoff))
                {
                    new_actions.push(self.dir.join(name));
                }
            }
        }
        let mut outputs = HashSet::new();
        for action in new_actions {
            if let Some(output) = fs::read(action).ok().and_then(|text| output_of(&text)) {
                outputs.insert(output);
            }
        }

        for (path, size) in unused {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if outputs.contains(name.as_ref()) {
                pruned.kept.add(size);
            } else {
                tree::remove(&path)?;
                pruned.removed.add(size);
            }
        }
        Ok(pruned)
    }
}

/// True when an action entry with `meta` may be one the build wrote: not
/// dated before it started (`cutoff`), and not a hard link into the image's
/// base cache (the builder image links it into each application's GOCACHE;
/// Go writes an entry as a new file). In a fresh checkout Go writes a new
/// package-index entry for each of the sources' packages, and each changes
/// its directory: without this, every action entry of the image's standard
/// library in those directories would be read.
fn written_since(meta: &fs::Metadata, cutoff: SystemTime) -> bool {
    meta.nlink() == 1 && meta.modified().is_ok_and(|time| time >= cutoff)
}

/// An entry's size: a file, or an executable's directory.
fn entry_size(path: &Path, meta: &fs::Metadata) -> Size {
    match meta.is_dir() {
        true => tree::size(path).unwrap_or_default(),
        false => Size {
            files: 1,
            bytes: meta.len(),
        },
    }
}

/// Calls `visit` with the name and metadata of each of the build cache's
/// `00`..`ff` directories.
fn for_each_subdir(dir: &Path, visit: &mut dyn FnMut(&std::ffi::OsStr, &fs::Metadata)) {
    let Ok(subdirs) = fs::read_dir(dir) else {
        return;
    };
    for subdir in subdirs.flatten() {
        let name = subdir.file_name();
        if layout::is_subdir_name(&name) {
            if let Ok(meta) = subdir.metadata() {
                visit(&name, &meta);
            }
        }
    }
}

/// The output file name (`<hex>-d`) an action entry points to. The entry is
/// `v1 <action id> <output id> <size> <time>`.
fn output_of(text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace();
    (fields.next()? == "v1").then_some(())?;
    let output = format!("{}-d", fields.nth(1)?);
    let entry = Path::new(output.get(..2)?).join(&output);
    layout::is_build_entry(&entry).then_some(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::entry;

    fn set_mtime(path: &Path, time: SystemTime) {
        fs::File::open(path).unwrap().set_modified(time).unwrap();
    }

    fn mtime(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    #[test]
    fn only_restored_entries_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        fs::create_dir_all(cache.join("0a")).unwrap();
        // The image's own entry (in place before the restore) and one the
        // restore brought in; the "build" uses neither.
        fs::write(cache.join("0a/0a22-d"), b"std package").unwrap();
        let image_time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        set_mtime(&cache.join("0a/0a22-d"), image_time);
        fs::write(cache.join("0a/0a11-d"), b"app package").unwrap();
        set_mtime(&cache.join("0a/0a11-d"), backdated(SystemTime::now()));

        let build_use = BuildCacheUse::begin(&cache, vec![PathBuf::from("0a/0a11-d")]);
        let pruned = build_use.prune().unwrap();
        assert_eq!(
            pruned.removed,
            Size {
                files: 1,
                bytes: 11
            }
        );
        assert!(!cache.join("0a/0a11-d").exists());
        assert_eq!(mtime(&cache.join("0a/0a22-d")), image_time, "untouched");
    }

    #[test]
    fn outputs_of_new_actions_stay() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        for sub in ["0b", "0c", "0d"] {
            fs::create_dir_all(cache.join(sub)).unwrap();
        }
        let old = backdated(SystemTime::now());
        let (out_b, out_d) = ("0b".repeat(32), "0d".repeat(32));
        for out in [&out_b, &out_d] {
            let path = cache.join(&out[..2]).join(format!("{out}-d"));
            fs::write(&path, b"output").unwrap();
            set_mtime(&path, old);
        }
        // A restored action entry the build does not use, pointing to 0d.
        let action = |out: &str| format!("v1 {} {out} {:>20} {:>20}\n", "aa".repeat(32), 6, 1);
        let (restored_action, new_action) = (entry("0d01", "a"), entry("0c01", "a"));
        fs::write(cache.join(&restored_action), action(&out_d)).unwrap();
        set_mtime(&cache.join(&restored_action), old);
        for sub in ["0b", "0c", "0d"] {
            set_mtime(&cache.join(sub), old);
        }
        let restored = vec![
            PathBuf::from(format!("0b/{out_b}-d")),
            PathBuf::from(format!("0d/{out_d}-d")),
            PathBuf::from(&restored_action),
        ];
        let build_use = BuildCacheUse::begin(&cache, restored);
        // The build writes an action entry whose output, 0b..., Go finds
        // present and leaves as it is.
        fs::write(cache.join(&new_action), action(&out_b)).unwrap();
        let pruned = build_use.prune().unwrap();
        assert!(cache.join(format!("0b/{out_b}-d")).exists(), "kept");
        assert!(!cache.join(format!("0d/{out_d}-d")).exists());
        assert!(!cache.join(&restored_action).exists());
        assert_eq!(pruned.removed.files, 2, "{pruned:?}");
        assert!(cache.join(&new_action).exists(), "the build's own entry");
    }

    #[test]
    fn actions_in_place_before_the_build_keep_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let base = dir.path().join("base");
        for sub in ["0b", "0d", "0e"] {
            fs::create_dir_all(cache.join(sub)).unwrap();
        }
        fs::create_dir_all(&base).unwrap();
        let old = backdated(SystemTime::now());
        let (out_b, out_d) = ("0b".repeat(32), "0d".repeat(32));
        let restored: Vec<PathBuf> = [&out_b, &out_d]
            .iter()
            .map(|out| PathBuf::from(format!("{}/{out}-d", &out[..2])))
            .collect();
        for path in &restored {
            fs::write(cache.join(path), b"output").unwrap();
            set_mtime(&cache.join(path), old);
        }
        let action = |out: &str| format!("v1 {} {out} {:>20} {:>20}\n", "aa".repeat(32), 6, 1);
        // The image's action entry, hard-linked from its base cache, and an
        // older one of a shared cache: neither written by this build, both
        // in the directory the build writes into.
        fs::write(base.join("image-a"), action(&out_b)).unwrap();
        fs::hard_link(base.join("image-a"), cache.join(entry("0e01", "a"))).unwrap();
        fs::write(cache.join(entry("0e02", "a")), action(&out_d)).unwrap();
        set_mtime(&cache.join(entry("0e02", "a")), old);
        set_mtime(&cache.join("0e"), old);

        let build_use = BuildCacheUse::begin(&cache, restored.clone());
        fs::write(cache.join(entry("0e03", "a")), action(&"0f".repeat(32))).unwrap();
        let pruned = build_use.prune().unwrap();
        for path in &restored {
            assert!(!cache.join(path).exists(), "{path:?} pruned");
        }
        assert_eq!(pruned.removed.files, 2, "{pruned:?}");
    }

    #[test]
    fn restored_times_outside_the_window_are_backdated() {
        let now = SystemTime::now();
        assert!(needs_backdating(now, now), "too recent for Go to refresh");
        assert!(!needs_backdating(backdated(now), now));
        assert!(!needs_backdating(
            now - Duration::from_secs(3 * 24 * 3600),
            now
        ));
        assert!(
            needs_backdating(now - Duration::from_secs(6 * 24 * 3600), now),
            "Go would trim it"
        );
    }

    #[test]
    fn action_entries_name_their_output() {
        let id = "ab".repeat(32);
        let out = "cd".repeat(32);
        let text = format!("v1 {id} {out} {:>20} {:>20}\n", 42, 1700000000000000000u64);
        assert_eq!(output_of(text.as_bytes()), Some(format!("{out}-d")));
        assert_eq!(output_of(b"garbage"), None);
    }
}
