//! Filesystem chores on whole trees, never following symbolic links: a
//! walk in a stable order, removing a tree Go made read-only.

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Calls `visit` for every entry under `root` (not `root` itself), parents
/// before children, with the path relative to `root` and the entry's own
/// metadata (a symbolic link is reported, never followed).
pub fn walk(
    root: &Path,
    visit: &mut dyn FnMut(&Path, &Metadata) -> io::Result<()>,
) -> io::Result<()> {
    walk_listing(root, &mut |relative, entry| {
        visit(relative, &entry.metadata()?)
    })
}

/// Like [`walk`], but hands over each directory entry as listed: its name,
/// inode number and type come with the listing, so a visit that needs no
/// more costs no `stat` ([`fs::DirEntry::metadata`] is there when it does).
/// Directories are descended into; a symbolic link is never followed.
pub fn walk_listing(
    root: &Path,
    visit: &mut dyn FnMut(&Path, &fs::DirEntry) -> io::Result<()>,
) -> io::Result<()> {
    walk_listing_below(root, &mut PathBuf::new(), visit, &mut |_, e| Err(e))
}

/// Like [`walk_listing`], but a directory that cannot be read (`root`
/// included) is handed to `unreadable` with its path relative to `root`
/// and why, and passed over: `unreadable` decides whether that ends the
/// walk.
pub fn walk_listing_lenient(
    root: &Path,
    visit: &mut dyn FnMut(&Path, &fs::DirEntry) -> io::Result<()>,
    unreadable: &mut dyn FnMut(&Path, io::Error) -> io::Result<()>,
) -> io::Result<()> {
    walk_listing_below(root, &mut PathBuf::new(), visit, unreadable)
}

/// `relative` is one buffer for the whole walk: each entry's path is made
/// in it, not allocated.
fn walk_listing_below(
    root: &Path,
    relative: &mut PathBuf,
    visit: &mut dyn FnMut(&Path, &fs::DirEntry) -> io::Result<()>,
    unreadable: &mut dyn FnMut(&Path, io::Error) -> io::Result<()>,
) -> io::Result<()> {
    let listing = fs::read_dir(root.join(&*relative)).and_then(|entries| {
        entries
            .map(|entry| entry.map(|e| (e.file_name(), e)))
            .collect()
    });
    let mut children: Vec<(OsString, fs::DirEntry)> = match listing {
        Ok(children) => children,
        Err(e) => return unreadable(relative, e),
    };
    // A stable order makes the saved stream reproducible. Each name is
    // taken once: `DirEntry::file_name` allocates, and a sort asks for the
    // key at every comparison.
    children.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    for (name, entry) in children {
        relative.push(name);
        visit(relative, &entry)?;
        if entry.file_type()?.is_dir() {
            walk_listing_below(root, relative, visit, unreadable)?;
        }
        relative.pop();
    }
    Ok(())
}

/// True when `dir` is missing or an empty directory.
pub fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

/// Adds permission `bits` to every directory of the tree at `root`, `root`
/// included. Go makes the module cache's directories read-only (0555): they
/// must be writable by their owner to be removed or moved to another parent.
pub fn add_dir_mode(root: &Path, bits: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(root)?;
    if !meta.is_dir() {
        return Ok(());
    }
    add_mode(root, &meta, bits)?;
    walk(root, &mut |relative, meta| {
        if meta.is_dir() {
            add_mode(&root.join(relative), meta, bits)?;
        }
        Ok(())
    })
}

fn add_mode(path: &Path, meta: &Metadata, bits: u32) -> io::Result<()> {
    let mode = meta.mode() & 0o7777;
    if mode & bits != bits {
        fs::set_permissions(path, fs::Permissions::from_mode(mode | bits))?;
    }
    Ok(())
}

/// Removes `path` whatever it is (a missing path is fine); a directory's
/// read-only subdirectories are made writable first. Links are removed, not
/// followed.
pub fn remove(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        add_dir_mode(path, 0o700)?;
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_read_only_trees_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep"), b"x").unwrap();
        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("m@v1/sub")).unwrap();
        fs::write(tree.join("m@v1/sub/f"), b"data").unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("m@v1/link")).unwrap();
        fs::set_permissions(tree.join("m@v1/sub"), fs::Permissions::from_mode(0o555)).unwrap();
        fs::set_permissions(tree.join("m@v1"), fs::Permissions::from_mode(0o555)).unwrap();
        remove(&tree).unwrap();
        assert!(!tree.exists());
        assert!(
            outside.join("keep").exists(),
            "the link's target is untouched"
        );
        remove(&tree).unwrap(); // a missing path is fine
    }
}
