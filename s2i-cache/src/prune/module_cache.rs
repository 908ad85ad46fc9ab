//! Pruning the module cache (GOMODCACHE).
//!
//! Only the modules of the current build list stay, as `go list -m all` and `go mod graph` report them ([`BuildList`]):
//! whole for the selected versions, their `.mod`/`.info` for every version
//! of the module graph (Go reads those go.mod files to compute the build
//! list, offline too). The checksum-database cache and VCS clones go.
//!
//! A build loads go.mod files lazily (module graph pruning, go 1.17 and
//! later): it downloads only those it needs, and offline `go mod graph`
//! then fails on one it never read (a requirement only tests use). Then
//! every `.mod`/`.info` stays ([`BuildList::parse`] without a graph): they
//! are small, and what the build read is among them.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Pruned;
use crate::layout::escape_module_path as escape;
use crate::{toolchain, tree, Size};

/// The modules a build uses, as module cache names (`!`-escaped paths and
/// versions).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildList {
    /// The selected `path@version`s: their sources and zips stay.
    pub selected: HashSet<(String, String)>,
    /// Every `path@version` of the module graph: their go.mod files stay.
    pub graph: HashSet<(String, String)>,
    /// No graph could be had: every go.mod file stays.
    pub every_go_mod: bool,
}

/// The `go list -m -f` format [`BuildList::parse`] reads: each module, and
/// what replaces it if anything. (s2i-assemble, which talks to go, runs
/// `go list -m -e -f LIST_FORMAT all` and `go mod graph`.)
pub const LIST_FORMAT: &str =
    "{{.Path}} {{.Version}}{{with .Replace}} {{.Path}} {{.Version}}{{end}}";

impl BuildList {
    /// Reads the outputs of `go list -m -e -f LIST_FORMAT all` and `go mod
    /// graph`; without the graph, every go.mod file stays.
    pub fn parse(list: &str, graph: Option<&str>) -> BuildList {
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
        let Some(graph) = graph else {
            build_list.every_go_mod = true;
            return build_list;
        };
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
        names.sort_by_cached_key(|e| e.file_name());
        for entry in names {
            let path = entry.path();
            if entry.file_name() == "cache" {
                // The checksum database's tiles only help to check modules
                // that go.sum does not list yet, and VCS clones only serve
                // GOPROXY=direct downloads: both grow without bound. A
                // toolchain in use is checked at every go start: its
                // lookup and the tiles stay (see `toolchain`).
                self.prune_sumdb(&path.join("download/sumdb"), &mut pruned)?;
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

    /// Keeps the toolchain `version` (`v0.0.1-go1.27.3.linux-amd64`) that
    /// the build ran, which no build list names.
    pub fn keep_toolchain(&mut self, version: &str) {
        let key = (toolchain::MODULE.to_string(), version.to_string());
        self.selected.insert(key.clone());
        self.graph.insert(key);
    }

    /// The checksum databases' caches: only the lookups of kept toolchains,
    /// and the tiles when there are any.
    fn prune_sumdb(&self, sumdb: &Path, pruned: &mut Pruned) -> io::Result<()> {
        let toolchains: Vec<&str> = self
            .selected
            .iter()
            .filter(|(path, _)| path == toolchain::MODULE)
            .map(|(_, version)| version.as_str())
            .collect();
        if toolchains.is_empty() {
            return drop_tree(sumdb, pruned);
        }
        let Ok(dbs) = fs::read_dir(sumdb) else {
            return Ok(());
        };
        for db in dbs {
            let db = db?.path();
            for entry in fs::read_dir(&db)? {
                let entry = entry?.path();
                match entry.file_name().and_then(|n| n.to_str()) {
                    Some("tile") => {}
                    Some("lookup") => {
                        for module in walk_files(&entry)? {
                            let name = module.strip_prefix(&entry).unwrap_or(&module);
                            let kept = toolchains
                                .iter()
                                .any(|v| name == Path::new(&format!("golang.org/toolchain@{v}")));
                            if !kept {
                                drop_tree(&module, pruned)?;
                            }
                        }
                    }
                    _ => drop_tree(&entry, pruned)?,
                }
            }
        }
        Ok(())
    }

    fn keeps_download(&self, module: &str, name: &str) -> bool {
        let in_graph = |m: &str| self.every_go_mod || self.graph.iter().any(|(path, _)| path == m);
        if name == "list" || name == "list.lock" {
            return in_graph(module);
        }
        let Some((version, ext)) = name.rsplit_once('.') else {
            return false;
        };
        let key = (module.to_string(), version.to_string());
        match ext {
            // go runs a toolchain from its extracted folder.
            "zip" if module == toolchain::MODULE => false,
            "zip" | "ziphash" => self.selected.contains(&key),
            "mod" | "info" | "lock" => self.every_go_mod || self.graph.contains(&key),
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

/// The files below `dir`, links not followed.
fn walk_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            files.extend(walk_files(&entry.path())?);
        } else {
            files.push(entry.path());
        }
    }
    Ok(files)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn reads_list_and_graph() {
        let list = "example.com/app \nexample.com/greeting v1.1.0\nexample.com/Old v0.1.0 example.com/new v0.2.0\nexample.com/local v1.0.0 ../local\n";
        let graph = "example.com/app example.com/greeting@v1.1.0\nexample.com/greeting@v1.1.0 example.com/x@v0.3.0\n";
        let b = BuildList::parse(list, Some(graph));
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
        assert!(!b.every_go_mod);
        assert!(!b.keeps_download("example.com/y", "v0.1.0.mod"));
        // Without a graph: the selected modules whole, every go.mod.
        let b = BuildList::parse(list, None);
        assert!(b.every_go_mod);
        assert!(b.keeps_download("example.com/y", "v0.1.0.mod"));
        assert!(b.keeps_download("example.com/y", "list"));
        assert!(!b.keeps_download("example.com/y", "v0.1.0.zip"));
        assert!(b.keeps_download("example.com/greeting", "v1.1.0.zip"));
    }
}
