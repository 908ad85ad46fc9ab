//! Keeps in the caches only what the last build used, so that what is saved
//! does not grow from build to build.
//!
//! Build cache (GOCACHE): Go refreshes an entry's modification time when it
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
//!
//! Module cache (GOMODCACHE): only the modules of the current build list
//! stay, as `go list -m all` and `go mod graph` report them ([`BuildList`]):
//! whole for the selected versions, their `.mod`/`.info` for every version
//! of the module graph (Go reads those go.mod files to compute the build
//! list, offline too). The checksum-database cache and VCS clones go.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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

/// What a prune removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: Size,
    pub kept: Size,
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
                let name = subdir.join(entry?.file_name());
                if layout::is_action(&name) && !restored.contains(name.as_path()) {
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

/// The modules a build uses, as module cache names (`!`-escaped paths and
/// versions).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildList {
    /// The selected `path@version`s: their sources and zips stay.
    pub selected: HashSet<(String, String)>,
    /// Every `path@version` of the module graph: their go.mod files stay.
    pub graph: HashSet<(String, String)>,
}

/// The `go list -m -f` format [`BuildList::parse`] reads: each module, and
/// what replaces it if anything. (s2i-assemble, which talks to go, runs
/// `go list -m -f LIST_FORMAT all` and `go mod graph`.)
pub const LIST_FORMAT: &str =
    "{{.Path}} {{.Version}}{{with .Replace}} {{.Path}} {{.Version}}{{end}}";

impl BuildList {
    /// Reads the outputs of `go list -m -f LIST_FORMAT all` and `go mod graph`.
    pub fn parse(list: &str, graph: &str) -> BuildList {
        let mut build_list = BuildList::default();
        for line in list.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            for pair in fields.chunks(2) {
                // The main module and directory replacements have no version.
                if let [path, version] = pair {
                    if version.starts_with('v') {
                        build_list.selected.insert((escape(path), escape(version)));
                    }
                }
            }
        }
        build_list.graph.clone_from(&build_list.selected);
        for module in graph.split_whitespace() {
            if let Some((path, version)) = module.rsplit_once('@') {
                build_list.graph.insert((escape(path), escape(version)));
            }
        }
        build_list
    }

    /// Removes from the module cache at `dir` what the build list does not name.
    pub fn prune(&self, dir: &Path) -> io::Result<Pruned> {
        let mut pruned = Pruned::default();
        if !dir.is_dir() {
            return Ok(pruned);
        }
        let mut names: Vec<_> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let path = entry.path();
            if entry.file_name() == "cache" {
                // The checksum database's tiles only help to check modules
                // that go.sum does not list yet, and VCS clones only serve
                // GOPROXY=direct downloads: both grow without bound.
                drop_tree(&path.join("download/sumdb"), &mut pruned)?;
                drop_tree(&path.join("vcs"), &mut pruned)?;
                let downloads = path.join("download");
                self.prune_downloads(&downloads, &downloads, &mut pruned)?;
            } else {
                self.prune_sources(dir, &path, &mut pruned)?;
            }
        }
        pruned.kept = tree::size(dir)?;
        Ok(pruned)
    }

    /// `cache/download/<module>/@v/<version>.{info,mod,zip,ziphash,lock}`.
    fn prune_downloads(&self, root: &Path, dir: &Path, pruned: &mut Pruned) -> io::Result<()> {
        if !dir.is_dir() {
            return Ok(());
        }
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            if !entry.file_type()?.is_dir() {
                continue;
            }
            if entry.file_name() != "@v" {
                self.prune_downloads(root, &path, pruned)?;
                continue;
            }
            let module = dir
                .strip_prefix(root)
                .unwrap_or(dir)
                .to_string_lossy()
                .into_owned();
            for file in fs::read_dir(&path)? {
                let file = file?.path();
                let name = file
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if !self.keeps_download(&module, &name) {
                    drop_tree(&file, pruned)?;
                }
            }
        }
        remove_if_empty(dir);
        Ok(())
    }

    fn keeps_download(&self, module: &str, name: &str) -> bool {
        let in_graph = |m: &str| self.graph.iter().any(|(path, _)| path == m);
        if name == "list" || name == "list.lock" {
            return in_graph(module);
        }
        let Some((version, ext)) = name.rsplit_once('.') else {
            return false;
        };
        let key = (module.to_string(), version.to_string());
        match ext {
            "zip" | "ziphash" => self.selected.contains(&key),
            "mod" | "info" | "lock" => self.graph.contains(&key),
            _ => false, // .partial and temporary files of an interrupted download
        }
    }

    /// Extracted sources: `<module>@<version>/` directories.
    fn prune_sources(&self, root: &Path, path: &Path, pruned: &mut Pruned) -> io::Result<()> {
        let meta = fs::symlink_metadata(path)?;
        if !meta.is_dir() {
            return Ok(());
        }
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        if let Some((module, version)) = relative.rsplit_once('@') {
            let key = (module.to_string(), version.to_string());
            if !self.selected.contains(&key) {
                drop_tree(path, pruned)?;
            }
            return Ok(());
        }
        for entry in fs::read_dir(path)? {
            self.prune_sources(root, &entry?.path(), pruned)?;
        }
        remove_if_empty(path);
        Ok(())
    }
}

/// What decides a module's build list, recorded in the module cache after
/// a prune: a later build with the same inputs finds the restored cache
/// holding exactly its build list already (it needs nothing more, so
/// downloads nothing), and need not ask go again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildListInputs(String);

/// Where the inputs are recorded, inside the module cache (Go ignores it).
const INPUTS_FILE: &str = "cache/s2i-go-build-list";

impl BuildListInputs {
    /// The inputs of the main module at `dir` (its go.mod and go.sum) built
    /// by `go_version` with `settings` (variables that change how go reads
    /// them). None when go.mod replaces modules (a replacement's own go.mod
    /// can change the build list) or cannot be read.
    pub fn of(dir: &Path, go_version: &str, settings: &[(&str, &str)]) -> Option<BuildListInputs> {
        let go_mod = fs::read(dir.join("go.mod")).ok()?;
        if go_mod.windows(2).any(|w| w == b"=>") {
            return None;
        }
        let go_sum = match fs::read(dir.join("go.sum")) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(_) => return None,
        };
        let mut text = format!("s2i-go build list inputs v1\ngo {go_version}\n");
        for (name, value) in settings {
            text.push_str(&format!("{name}={value}\n"));
        }
        text.push_str(&format!(
            "go.mod {}\ngo.sum {}\n",
            digest(&go_mod),
            digest(&go_sum)
        ));
        Some(BuildListInputs(text))
    }

    /// True when the module cache at `dir` was last pruned for these inputs.
    pub fn recorded_in(&self, dir: &Path) -> bool {
        fs::read(dir.join(INPUTS_FILE)).is_ok_and(|text| text == self.0.as_bytes())
    }

    /// Notes in the module cache at `dir` that it holds the build list of
    /// these inputs.
    pub fn record(&self, dir: &Path) -> io::Result<()> {
        let file = dir.join(INPUTS_FILE);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(file, &self.0)
    }

    /// Forgets what the module cache at `dir` was pruned for.
    pub fn forget(dir: &Path) {
        let _ = fs::remove_file(dir.join(INPUTS_FILE));
    }
}

/// Length and 128-bit FNV-1a hash: enough to tell two versions of a file
/// apart (a collision would only keep a module version too many).
fn digest(bytes: &[u8]) -> String {
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for &b in bytes {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{} {hash:032x}", bytes.len())
}

fn drop_tree(path: &Path, pruned: &mut Pruned) -> io::Result<()> {
    if fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    let size = match fs::symlink_metadata(path)?.is_dir() {
        true => tree::size(path)?,
        false => Size {
            files: 1,
            bytes: fs::symlink_metadata(path)?.len(),
        },
    };
    tree::remove(path)?;
    pruned.removed.add(size);
    Ok(())
}

fn remove_if_empty(dir: &Path) {
    if tree::is_empty_dir(dir) {
        let _ = tree::add_dir_mode(dir, 0o700);
        if let Some(parent) = dir.parent() {
            let _ = tree::add_dir_mode(parent, 0o700);
        }
        let _ = fs::remove_dir(dir);
    }
}

/// Go's module cache case-encoding: an upper-case letter becomes `!` and the
/// letter in lower case (`github.com/BurntSushi` → `github.com/!burnt!sushi`).
pub fn escape(text: &str) -> String {
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
    fn build_list_inputs_follow_go_mod_and_go_sum() {
        let dir = tempfile::tempdir().unwrap();
        let (module, cache) = (dir.path().join("src"), dir.path().join("mod"));
        fs::create_dir_all(&module).unwrap();
        fs::write(
            module.join("go.mod"),
            "module example.com/app\n\nrequire example.com/greeting v1.0.0\n",
        )
        .unwrap();
        let inputs =
            |flags| BuildListInputs::of(&module, "go1.27.3", &[("GOFLAGS", flags)]).unwrap();
        let first = inputs("");
        assert!(!first.recorded_in(&cache));
        first.record(&cache).unwrap();
        assert!(inputs("").recorded_in(&cache));
        assert!(!inputs("-mod=vendor").recorded_in(&cache));
        fs::write(module.join("go.sum"), "example.com/greeting v1.0.0 h1:x=\n").unwrap();
        assert!(!inputs("").recorded_in(&cache), "go.sum changed");
        BuildListInputs::forget(&cache);
        assert!(!first.recorded_in(&cache));
        fs::write(
            module.join("go.mod"),
            "module example.com/app\n\nreplace example.com/greeting => ../greeting\n",
        )
        .unwrap();
        assert_eq!(
            BuildListInputs::of(&module, "go1.27.3", &[]),
            None,
            "replacements: always ask go"
        );
    }

    #[test]
    fn escapes_upper_case_like_go() {
        assert_eq!(
            escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(escape("v1.0.0-RC1"), "v1.0.0-!r!c1");
    }

    #[test]
    fn reads_list_and_graph() {
        let list = "example.com/app \nexample.com/greeting v1.1.0\nexample.com/Old v0.1.0 example.com/new v0.2.0\nexample.com/local v1.0.0 ../local\n";
        let graph = "example.com/app example.com/greeting@v1.1.0\nexample.com/greeting@v1.1.0 example.com/x@v0.3.0\n";
        let b = BuildList::parse(list, graph);
        let pair = |p: &str, v: &str| (p.to_string(), v.to_string());
        assert_eq!(
            b.selected,
            HashSet::from([
                pair("example.com/greeting", "v1.1.0"),
                pair("example.com/!old", "v0.1.0"),
                pair("example.com/new", "v0.2.0"),
                pair("example.com/local", "v1.0.0"),
            ])
        );
        assert!(b.graph.contains(&pair("example.com/x", "v0.3.0")));
        assert!(b.graph.contains(&pair("example.com/new", "v0.2.0")));
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
