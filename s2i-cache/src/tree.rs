//! Moving and sizing Go's caches: merging a restored tree into place with a
//! copy fallback, stopping when asked. The plain chores (walking without
//! following links, removing read-only trees) are `s2i_common::tree`'s.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use s2i_common::rename;
pub(crate) use s2i_common::tree::{
    add_dir_mode, is_empty_dir, remove, walk, walk_listing, walk_listing_lenient,
};

use crate::Size;

/// The regular files under `root` and their total size; zero if it is missing.
pub fn size(root: &Path) -> io::Result<Size> {
    let mut size = Size::default();
    if fs::symlink_metadata(root).is_err() {
        return Ok(size);
    }
    walk(root, &mut |_, meta| {
        if meta.is_file() {
            size.files += 1;
            size.bytes += meta.len();
        }
        Ok(())
    })?;
    Ok(size)
}

/// Removes `path` (a file, or a directory and all below it, as `meta`
/// says) and returns what went.
pub fn remove_counted(path: &Path, meta: &fs::Metadata) -> io::Result<Size> {
    let size = if meta.is_dir() {
        self::size(path)?
    } else {
        Size {
            files: 1,
            bytes: meta.len(),
        }
    };
    remove(path)?;
    Ok(size)
}

/// How [`merge`] brought the tree over.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Entries renamed into place (the cheap way: same filesystem).
    pub renamed: u64,
    /// Entries copied because renaming was impossible (another filesystem).
    pub copied: u64,
    /// What was put in place, relative to the merged trees' roots (`""`
    /// for the whole tree); what `dest` already had is not in it.
    pub placed: Vec<PathBuf>,
}

/// Moves the tree `src` to `dest`. When `dest` is missing, `src` is renamed
/// onto it whole; when both are directories, each child is merged in turn
/// and what `dest` already has wins. Where renaming fails (another
/// filesystem), the entry is copied to a hidden sibling and renamed into
/// place, so `dest` never holds half a copy.
pub fn merge(src: &Path, dest: &Path) -> io::Result<Merged> {
    let mut merged = Merged::default();
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    merge_into(src, dest, Path::new(""), &mut merged)?;
    Ok(merged)
}

fn merge_into(src: &Path, dest: &Path, relative: &Path, merged: &mut Merged) -> io::Result<()> {
    match place(src, dest, relative, merged)? {
        Placed::Moved => Ok(()),
        Placed::InPlaceAlready => merge_existing(src, dest, relative, merged),
    }
}

/// [`merge`] for a tree whose listing is known already (`listing`: paths
/// relative to `src` with whether each is a directory, parents before
/// children, as [`walk`] gives them): no directory is read again.
/// `cancelled` is asked before each entry: when it says so, the merge stops
/// with a [`cancelled`] error, what it moved so far in place.
pub fn merge_listed<'a>(
    src: &Path,
    dest: &Path,
    listing: impl IntoIterator<Item = (&'a Path, bool)>,
    cancelled: &dyn Fn() -> bool,
) -> io::Result<Merged> {
    let mut merged = Merged::default();
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    if place(src, dest, Path::new(""), &mut merged)? == Placed::Moved
        || !fs::symlink_metadata(dest)?.is_dir()
    {
        return Ok(merged);
    }
    // The subtree being passed over: moved whole, or in the way of a file.
    let mut passed: Option<&Path> = None;
    for (relative, is_dir) in listing {
        if cancelled() {
            return Err(self::cancelled());
        }
        if passed.is_some_and(|p| relative.starts_with(p)) {
            continue;
        }
        passed = None;
        let target = dest.join(relative);
        let moved = place(&src.join(relative), &target, relative, &mut merged)? == Placed::Moved;
        // Two directories merge child by child (the children come next);
        // otherwise what is in place already wins.
        if is_dir && (moved || !fs::symlink_metadata(&target)?.is_dir()) {
            passed = Some(relative);
        }
    }
    Ok(merged)
}

/// The error of a long walk or move stopped because it was asked to (a
/// signal arrived): see [`is_cancelled`].
pub fn cancelled() -> io::Error {
    io::Error::other(Cancelled)
}

/// True for the error [`cancelled`] makes.
pub fn is_cancelled(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<Cancelled>())
}

#[derive(Debug)]
struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

#[derive(Debug, PartialEq, Eq)]
enum Placed {
    Moved,
    InPlaceAlready,
}

/// Moves `src` to the missing `dest`, by a rename (one system call in the
/// usual case) or, across filesystems, a copy to a hidden sibling renamed
/// into place.
fn place(src: &Path, dest: &Path, relative: &Path, merged: &mut Merged) -> io::Result<Placed> {
    match rename::no_replace(src, dest) {
        Ok(()) => {
            merged.renamed += 1;
            merged.placed.push(relative.to_path_buf());
            Ok(Placed::Moved)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Placed::InPlaceAlready),
        Err(e) if e.raw_os_error() == Some(18) /* EXDEV */ => {
            let staging = hidden_sibling(dest);
            remove(&staging)?;
            let copied = copy_tree(src, &staging).and_then(|()| rename::no_replace(&staging, dest));
            if copied.is_err() {
                let _ = remove(&staging);
            }
            match copied {
                Ok(()) => {
                    merged.copied += 1;
                    merged.placed.push(relative.to_path_buf());
                    Ok(Placed::Moved)
                }
                // Another filesystem, and in place already.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Placed::InPlaceAlready),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// `dest` exists: two directories merge child by child; otherwise what is in
/// place already wins.
fn merge_existing(src: &Path, dest: &Path, relative: &Path, merged: &mut Merged) -> io::Result<()> {
    if fs::symlink_metadata(dest)?.is_dir() && fs::symlink_metadata(src)?.is_dir() {
        let mut names: Vec<_> = fs::read_dir(src)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for name in names {
            merge_into(
                &src.join(&name),
                &dest.join(&name),
                &relative.join(&name),
                merged,
            )?;
        }
    }
    Ok(())
}

fn hidden_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.copying-{}", std::process::id()))
}

/// Copies regular files and directories (nothing else: the tree has been
/// validated) from `src` to the new path `dest`.
pub fn copy_tree(src: &Path, dest: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if !meta.is_dir() {
        fs::copy(src, dest)?;
        return Ok(());
    }
    fs::create_dir(dest)?;
    fs::set_permissions(
        dest,
        fs::Permissions::from_mode(0o700 | (meta.mode() & 0o777)),
    )?;
    walk(src, &mut |relative, meta| {
        let target = dest.join(relative);
        if meta.is_dir() {
            fs::create_dir(&target)?;
            fs::set_permissions(
                &target,
                fs::Permissions::from_mode(0o700 | (meta.mode() & 0o777)),
            )
        } else if meta.is_file() {
            fs::copy(src.join(relative), &target).map(drop)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a regular file or directory", relative.display()),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_renames_whole_and_keeps_what_is_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("a")).unwrap();
        fs::write(src.join("a/new"), b"new").unwrap();
        fs::write(src.join("a/both"), b"from artifacts").unwrap();
        let dest = dir.path().join("dest");
        fs::create_dir_all(dest.join("a")).unwrap();
        fs::write(dest.join("a/both"), b"in place").unwrap();
        let merged = merge(&src, &dest).unwrap();
        assert_eq!((merged.renamed, merged.copied), (1, 0));
        assert_eq!(merged.placed, [Path::new("a/new")]);
        assert_eq!(fs::read(dest.join("a/new")).unwrap(), b"new");
        assert_eq!(fs::read(dest.join("a/both")).unwrap(), b"in place");

        let fresh = dir.path().join("fresh/nested");
        let merged = merge(&dest, &fresh).unwrap();
        assert_eq!((merged.renamed, merged.copied), (1, 0));
        assert_eq!(merged.placed, [Path::new("")]);
        assert_eq!(
            size(&fresh).unwrap(),
            Size {
                files: 2,
                bytes: 11
            }
        );
    }

    #[test]
    fn merge_listed_moves_what_is_missing_and_reads_no_directory() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("a/sub")).unwrap();
        fs::write(src.join("a/new"), b"new").unwrap();
        fs::write(src.join("a/both"), b"from artifacts").unwrap();
        fs::write(src.join("a/sub/f"), b"f").unwrap();
        fs::create_dir_all(src.join("blocked")).unwrap();
        fs::write(src.join("blocked/f"), b"f").unwrap();
        let dest = dir.path().join("dest");
        fs::create_dir_all(dest.join("a")).unwrap();
        fs::write(dest.join("a/both"), b"in place").unwrap();
        fs::write(dest.join("blocked"), b"a file in the way").unwrap();
        let mut listing = Vec::new();
        walk(&src, &mut |relative, meta| {
            listing.push((relative.to_path_buf(), meta.is_dir()));
            Ok(())
        })
        .unwrap();
        // Not listed, so not moved: the listing is all it goes by.
        fs::write(src.join("a/unlisted"), b"u").unwrap();
        let merged = merge_listed(
            &src,
            &dest,
            listing.iter().map(|(p, d)| (p.as_path(), *d)),
            &|| false,
        )
        .unwrap();
        assert_eq!((merged.renamed, merged.copied), (2, 0));
        assert_eq!(merged.placed, [Path::new("a/new"), Path::new("a/sub")]);
        assert_eq!(fs::read(dest.join("a/new")).unwrap(), b"new");
        assert_eq!(fs::read(dest.join("a/sub/f")).unwrap(), b"f");
        assert_eq!(fs::read(dest.join("a/both")).unwrap(), b"in place");
        assert_eq!(
            fs::read(dest.join("blocked")).unwrap(),
            b"a file in the way"
        );
        assert!(!dest.join("a/unlisted").exists());

        let fresh = dir.path().join("fresh/nested");
        let merged = merge_listed(&dest, &fresh, [], &|| false).unwrap();
        assert_eq!(merged.placed, [Path::new("")]);
        assert!(fresh.join("a/sub/f").is_file());
    }

    #[test]
    fn copy_refuses_what_is_not_a_file_or_directory() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir(&src).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.join("link")).unwrap();
        let err = copy_tree(&src, &dir.path().join("dest")).unwrap_err();
        assert!(
            err.to_string().contains("link is not a regular file"),
            "{err}"
        );
    }
}
