//! What may be restored: regular files and directories at relative paths
//! inside the artifacts, nothing else.
//!
//! The artifacts come from the previous application image, which the
//! application's own code could have written to: a symbolic link, an
//! absolute path or a `..` could make a restore write outside the caches, a
//! device file or a FIFO could make it block or read what it should not.
//! Such an entry refuses the whole artifacts (a clean build is always safe);
//! it is never followed.

use std::fs::Metadata;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};

use crate::{tree, Size};

/// Checks every entry of the directory tree at `root` and says how much it
/// holds; the error names the first offending entry.
pub fn check_tree(root: &Path) -> Result<Size, String> {
    let mut size = Size::default();
    tree::walk(root, &mut |relative, meta| {
        check_kind(meta)
            .map_err(|what| std::io::Error::other(format!("{} {what}", relative.display())))?;
        if meta.is_file() {
            size.files += 1;
            size.bytes += meta.len();
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(size)
}

/// Regular files and directories pass; the error says what else it is.
pub(crate) fn check_kind(meta: &Metadata) -> Result<(), &'static str> {
    let kind = meta.file_type();
    if kind.is_file() || kind.is_dir() {
        Ok(())
    } else if kind.is_symlink() {
        Err("is a symbolic link")
    } else if kind.is_block_device() || kind.is_char_device() {
        Err("is a device file")
    } else if kind.is_fifo() {
        Err("is a FIFO")
    } else if kind.is_socket() {
        Err("is a socket")
    } else {
        Err("is not a regular file or directory")
    }
}

/// The kinds of tar entries a restore accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
}

/// Checks one tar entry: its path must stay inside the extraction directory
/// (relative, no `..`) and its type be a regular file or a directory.
/// Returns the path, cleaned of `.` components.
pub fn check_entry(path: &Path, kind: tar::EntryType) -> Result<(PathBuf, EntryKind), String> {
    let shown = path.display();
    let kind = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Directory,
        tar::EntryType::Symlink => return Err(format!("{shown} is a symbolic link")),
        tar::EntryType::Link => return Err(format!("{shown} is a hard link")),
        tar::EntryType::Char | tar::EntryType::Block => {
            return Err(format!("{shown} is a device file"))
        }
        tar::EntryType::Fifo => return Err(format!("{shown} is a FIFO")),
        other => return Err(format!("{shown} has an unsupported entry type ({other:?})")),
    };
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => clean.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("{shown} escapes with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{shown} is an absolute path"))
            }
        }
    }
    if clean.as_os_str().is_empty() {
        return Err(format!("`{shown}` names no file"));
    }
    Ok((clean, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn tree_with_only_files_and_directories_passes() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("go-build/00")).unwrap();
        fs::write(dir.path().join("go-build/00/abc-d"), b"12345").unwrap();
        assert_eq!(check_tree(dir.path()), Ok(Size { files: 1, bytes: 5 }));
    }

    #[test]
    fn tree_refuses_links_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("go-mod/cache")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("go-mod/cache/download")).unwrap();
        assert_eq!(
            check_tree(dir.path()),
            Err("go-mod/cache/download is a symbolic link".to_string())
        );

        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            assert_eq!(check_tree(dir.path()), Err("pipe is a FIFO".to_string()));
        }
    }

    #[test]
    fn entries_must_stay_inside() {
        use tar::EntryType::*;
        let ok = check_entry(Path::new("./go-build/00/x-a"), Regular).unwrap();
        assert_eq!(ok, (PathBuf::from("go-build/00/x-a"), EntryKind::File));
        let refused = |p: &str, t| check_entry(Path::new(p), t).unwrap_err();
        assert_eq!(
            refused("go-mod/../../etc/passwd", Regular),
            "go-mod/../../etc/passwd escapes with `..`"
        );
        assert_eq!(
            refused("/etc/passwd", Regular),
            "/etc/passwd is an absolute path"
        );
        assert_eq!(
            refused("go-build/link", Symlink),
            "go-build/link is a symbolic link"
        );
        assert_eq!(
            refused("go-build/hard", Link),
            "go-build/hard is a hard link"
        );
        assert_eq!(refused("dev/sda", Block), "dev/sda is a device file");
        assert_eq!(refused("./", Directory), "`./` names no file");
    }
}
