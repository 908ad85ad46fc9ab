//! Keeps in the caches only what the last build used, so that what is saved
//! does not grow from build to build.
//!
//! Build cache (GOCACHE): Go refreshes an entry's modification time when it
//! uses it, but only when that time is more than an hour old
//! (`mtimeInterval` in cmd/go/internal/cache), and trims entries unused for
//! five days. So before the build every entry is backdated two hours
//! ([`BuildCacheUse::begin`]): old enough that any use refreshes it, young
//! enough that Go's own trim keeps it. After the build, entries still older
//! than the build's start were not used and go ([`BuildCacheUse::prune`]).
//! An output (`-d`) that a kept action entry (`-a`) points to is kept too:
//! Go does not refresh an output it finds already present when it stores it.
//!
//! Module cache (GOMODCACHE): only the modules of the current build list
//! stay, as `go list -m all` and `go mod graph` report them ([`BuildList`]):
//! whole for the selected versions, their `.mod`/`.info` for every version
//! of the module graph (Go reads those go.mod files to compute the build
//! list, offline too). The checksum-database cache and VCS clones go.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::{tree, Size};

/// How far back entries are dated before a build: more than Go's one-hour
/// refresh interval, far less than its five-day trim limit.
const BACKDATE: Duration = Duration::from_secs(2 * 3600);
/// Slack for file systems whose timestamps lag the clock a little.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// What a prune removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: Size,
    pub kept: Size,
}

/// Watches which build-cache entries one build uses.
#[derive(Debug)]
pub struct BuildCacheUse {
    dir: PathBuf,
    base: Option<PathBuf>,
    started: SystemTime,
}

impl BuildCacheUse {
    /// Backdates every entry of the build cache at `dir` and notes the time:
    /// call it after restoring and before the first `go` command. Entries
    /// the base cache `base` has too (the image's own) are left alone, now
    /// and at [`BuildCacheUse::prune`]: they are never saved anyway.
    pub fn begin(dir: &Path, base: Option<&Path>) -> io::Result<BuildCacheUse> {
        let now = SystemTime::now();
        let old = now - BACKDATE;
        let build_use = BuildCacheUse {
            dir: dir.to_path_buf(),
            base: base.map(Path::to_path_buf),
            started: now,
        };
        for_each_entry(dir, &mut |path, meta| {
            if build_use.in_base(path, meta) {
                return Ok(());
            }
            fs::File::open(path)?.set_modified(old)
        })?;
        Ok(build_use)
    }

    fn in_base(&self, path: &Path, meta: &fs::Metadata) -> bool {
        let relative = path.strip_prefix(&self.dir).unwrap_or(path);
        crate::in_base(self.base.as_deref(), relative, meta)
    }

    /// Removes the entries the build did not use.
    pub fn prune(&self) -> io::Result<Pruned> {
        let cutoff = self.started - CLOCK_SLACK;
        let used = |meta: &fs::Metadata| meta.modified().is_ok_and(|t| t >= cutoff);

        // Outputs that the used action entries point to.
        let mut outputs = HashSet::new();
        for_each_entry(&self.dir, &mut |path, meta| {
            if is_action(path) && used(meta) {
                if let Some(output) = fs::read(path).ok().and_then(|text| output_of(&text)) {
                    outputs.insert(output);
                }
            }
            Ok(())
        })?;

        let mut pruned = Pruned::default();
        for_each_entry(&self.dir, &mut |path, meta| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let keep = used(meta) || outputs.contains(name.as_ref()) || self.in_base(path, meta);
            let size = tree::size(path)
                .ok()
                .filter(|_| meta.is_dir())
                .unwrap_or(Size {
                    files: 1,
                    bytes: meta.len(),
                });
            if keep {
                pruned.kept.add(size);
            } else {
                tree::remove(path)?;
                pruned.removed.add(size);
            }
            Ok(())
        })?;
        Ok(pruned)
    }
}

fn is_action(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with("-a"))
}

/// The output file name (`<hex>-d`) an action entry points to. The entry is
/// `v1 <action id> <output id> <size> <time>`.
fn output_of(text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace();
    (fields.next()? == "v1").then_some(())?;
    let output = fields.nth(1)?;
    output
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| format!("{output}-d"))
}

/// Calls `visit` for each cache entry: the `<hex>-a` and `<hex>-d` files
/// (an executable's `-d` is a directory) in the `00`..`ff` subdirectories.
fn for_each_entry(
    dir: &Path,
    visit: &mut dyn FnMut(&Path, &fs::Metadata) -> io::Result<()>,
) -> io::Result<()> {
    let subdirs = match fs::read_dir(dir) {
        Ok(subdirs) => subdirs,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for subdir in subdirs {
        let subdir = subdir?;
        let name = subdir.file_name();
        let name = name.to_string_lossy();
        if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue; // README, trim.txt, fuzz/: not entries
        }
        for entry in fs::read_dir(subdir.path())? {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if !(name.ends_with("-a") || name.ends_with("-d")) {
                continue;
            }
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_file() || meta.is_dir() {
                visit(&path, &meta)?;
            }
        }
    }
    Ok(())
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

/// `go list -m` format: each module, and what replaces it if anything.
const LIST_FORMAT: &str = "{{.Path}} {{.Version}}{{with .Replace}} {{.Path}} {{.Version}}{{end}}";

impl BuildList {
    /// Asks Go, offline (`GOPROXY=off`), in the main module's directory. `go`
    /// makes a `go` command with the build's environment.
    pub fn query(go: &dyn Fn() -> Command) -> Result<BuildList, String> {
        let run = |args: &[&str]| -> Result<String, String> {
            let mut command = go();
            command.args(args).env("GOPROXY", "off");
            let output = command
                .output()
                .map_err(|e| format!("cannot run go: {e}"))?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                return Err(format!("`go {}` failed: {}", args.join(" "), stderr.trim()));
            }
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        };
        let list = run(&["list", "-m", "-f", LIST_FORMAT, "all"])?;
        let graph = run(&["mod", "graph"])?;
        Ok(BuildList::parse(&list, &graph))
    }

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

    #[test]
    fn entries_of_the_base_cache_are_never_touched() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, base) = (dir.path().join("cache"), dir.path().join("base"));
        for d in [&cache, &base] {
            fs::create_dir_all(d.join("0a")).unwrap();
        }
        fs::write(cache.join("0a/0a11-d"), b"app package").unwrap();
        fs::write(cache.join("0a/0a22-d"), b"std package").unwrap();
        fs::write(base.join("0a/0a22-d"), b"std package").unwrap();
        let image_time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        fs::File::open(cache.join("0a/0a22-d"))
            .unwrap()
            .set_modified(image_time)
            .unwrap();

        let build_use = BuildCacheUse::begin(&cache, Some(&base)).unwrap();
        let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
        assert_eq!(mtime(&cache.join("0a/0a22-d")), image_time, "not backdated");
        // Neither entry is used by the "build": only the app's goes.
        let pruned = build_use.prune().unwrap();
        assert_eq!(
            pruned.removed,
            Size {
                files: 1,
                bytes: 11
            }
        );
        assert!(!cache.join("0a/0a11-d").exists());
        assert!(cache.join("0a/0a22-d").exists());
        assert_eq!(mtime(&cache.join("0a/0a22-d")), image_time);
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
