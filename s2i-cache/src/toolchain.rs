//! The Go toolchains go downloads into the module cache when go.mod or
//! GOTOOLCHAIN asks for a newer Go than the image's (GOTOOLCHAIN=auto):
//! `golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/` (the toolchain, go
//! runs it from there), its files under
//! `cache/download/golang.org/toolchain/@v/`, and the checksum database's
//! lookup that go checks it against at every start (`cache/download/
//! sumdb/<db>/lookup/golang.org/toolchain@...`, with the tiles that prove
//! it: without them an offline build cannot start the toolchain).
//!
//! What stays is the toolchain the build used, and only it, without its
//! zip: go runs the extracted toolchain and needs only its `.ziphash`, so
//! the saved artifacts are 76 MB smaller and the next incremental build
//! downloads nothing.

use std::fs;
use std::io;
use std::path::Path;

use crate::{tree, Size};

/// The toolchains' module path.
pub const MODULE: &str = "golang.org/toolchain";
/// The module versions of toolchains start with this.
const VERSION_PREFIX: &str = "v0.0.1-";

/// The module version of toolchain `go_version` (`go1.27.3`) that go
/// downloaded into `module_cache` (`v0.0.1-go1.27.3.linux-amd64`), if it
/// did.
pub fn cached(module_cache: &Path, go_version: &str) -> Option<String> {
    let prefix = format!("toolchain@{VERSION_PREFIX}{go_version}.");
    fs::read_dir(module_cache.join("golang.org"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .find(|name| name.starts_with(&prefix) && !name.ends_with(".partial"))
        .and_then(|name| name.split_once('@').map(|(_, v)| v.to_string()))
}

/// Removes from `module_cache` every toolchain but `keep` (a module version
/// from [`cached`], or None for none), with their downloads and checksum
/// lookups, and `keep`'s zip.
pub fn keep_only(module_cache: &Path, keep: Option<&str>) -> io::Result<Size> {
    let mut removed = Size::default();
    let mut remove = |path: &Path| -> io::Result<()> {
        if let Ok(meta) = fs::symlink_metadata(path) {
            removed.add(tree::remove_counted(path, &meta)?);
        }
        Ok(())
    };
    let kept = |version: &str| Some(version) == keep;
    for (dir, name) in entries(&module_cache.join("golang.org")) {
        if let Some(version) = name.strip_prefix("toolchain@") {
            if !kept(version) {
                remove(&dir.join(&name))?;
            }
        }
    }
    let downloads = module_cache.join("cache/download/golang.org/toolchain/@v");
    for (dir, name) in entries(&downloads) {
        let Some((version, extension)) = name.rsplit_once('.') else {
            continue;
        };
        let stays = kept(version) && extension != "zip" && extension != "partial";
        if version.starts_with(VERSION_PREFIX) && !stays {
            remove(&dir.join(&name))?;
        }
    }
    for (db, _) in sumdb_dirs(module_cache) {
        let lookups = db.join("lookup/golang.org");
        for (dir, name) in entries(&lookups) {
            if let Some(version) = name.strip_prefix("toolchain@") {
                if !kept(version) {
                    remove(&dir.join(&name))?;
                }
            }
        }
    }
    Ok(removed)
}

/// The checksum databases' folders under `cache/download/sumdb/`.
fn sumdb_dirs(module_cache: &Path) -> Vec<(std::path::PathBuf, String)> {
    let sumdb = module_cache.join("cache/download/sumdb");
    entries(&sumdb)
        .into_iter()
        .map(|(dir, name)| (dir.join(&name), name))
        .collect()
}

/// `(dir, name)` of each entry of `dir` (none when it cannot be read).
fn entries(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let Ok(list) = fs::read_dir(dir) else {
        return Vec::new();
    };
    list.flatten()
        .filter_map(|e| Some((dir.to_path_buf(), e.file_name().to_str()?.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, paths: &[&str]) {
        for path in paths {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, b"x").unwrap();
        }
    }

    #[test]
    fn only_the_toolchain_in_use_stays_without_its_zip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path();
        let (new, old) = ("v0.0.1-go1.27.3.linux-amd64", "v0.0.1-go1.27.2.linux-amd64");
        touch(
            cache,
            &[
                &format!("golang.org/toolchain@{new}/bin/go"),
                &format!("golang.org/toolchain@{old}/bin/go"),
                "golang.org/x/text@v0.14.0/go.mod",
                &format!("cache/download/golang.org/toolchain/@v/{new}.zip"),
                &format!("cache/download/golang.org/toolchain/@v/{new}.ziphash"),
                &format!("cache/download/golang.org/toolchain/@v/{new}.lock"),
                &format!("cache/download/golang.org/toolchain/@v/{old}.ziphash"),
                &format!("cache/download/sumdb/sum.golang.org/lookup/golang.org/toolchain@{new}"),
                &format!("cache/download/sumdb/sum.golang.org/lookup/golang.org/toolchain@{old}"),
                "cache/download/sumdb/sum.golang.org/tile/8/0/000",
            ],
        );
        assert_eq!(cached(cache, "go1.27.3").as_deref(), Some(new));
        assert_eq!(cached(cache, "go1.27.4"), None);
        let removed = keep_only(cache, Some(new)).unwrap();
        assert_eq!(removed.files, 4, "{removed:?}");
        let exists = |p: &str| cache.join(p).exists();
        assert!(exists(&format!("golang.org/toolchain@{new}/bin/go")));
        assert!(!exists(&format!("golang.org/toolchain@{old}")));
        assert!(
            exists("golang.org/x/text@v0.14.0/go.mod"),
            "other modules are not its business"
        );
        assert!(!exists(&format!(
            "cache/download/golang.org/toolchain/@v/{new}.zip"
        )));
        assert!(exists(&format!(
            "cache/download/golang.org/toolchain/@v/{new}.ziphash"
        )));
        assert!(!exists(&format!(
            "cache/download/golang.org/toolchain/@v/{old}.ziphash"
        )));
        assert!(exists(&format!(
            "cache/download/sumdb/sum.golang.org/lookup/golang.org/toolchain@{new}"
        )));
        assert!(!exists(&format!(
            "cache/download/sumdb/sum.golang.org/lookup/golang.org/toolchain@{old}"
        )));
        keep_only(cache, None).unwrap();
        assert!(!exists(&format!("golang.org/toolchain@{new}")));
    }
}
