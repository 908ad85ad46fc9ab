//! The files of the sources that s2i-assemble reads itself,
//! `.s2i/environment` and `.s2i/go.toml`: read without ever blocking and
//! within a bound, before anything else is done with the sources.
//!
//! A FIFO or a device under such a name would block `open` (a FIFO with
//! no writer waits for ever, deaf to SIGTERM) or never end (`/dev/zero`);
//! a 2 GB file would take 2 GB of memory and more to parse. So: a symlink
//! must stay in the sources (as for every file of the sources), the file
//! must be a regular file, checked before it is opened, opened with
//! O_NONBLOCK and checked again, and at most [`MAX_BYTES`] of it is read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::libc;
use s2i_common::paths::normalize;

use crate::errors::Error;

/// How much of a settings file is read: settings are a few lines.
pub const MAX_BYTES: u64 = 1 << 20;

/// The bytes of the settings file `rel` of the sources in `src`, or None
/// when there is no such file.
pub fn read_settings_file(src: &Path, rel: &str) -> Result<Option<Vec<u8>>, Error> {
    let path = src.join(rel);
    let link = match fs::symlink_metadata(&path) {
        Ok(meta) => meta.file_type().is_symlink(),
        // No file, or `.s2i` is not a directory: no settings.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
            return Ok(None)
        }
        Err(error) => return Err(Error::unreadable(path, error)),
    };
    // Where it really is (`.s2i` may be a link too), which must be inside
    // the sources, as for every symlink of the sources.
    let root = fs::canonicalize(src).map_err(|e| Error::unreadable(src, e))?;
    let resolved = match fs::canonicalize(&path) {
        Ok(resolved) => resolved,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A dangling link: judged by where it points.
            let target = fs::read_link(&path).unwrap_or_default();
            let aimed = normalize(&path.parent().unwrap_or(src).join(&target));
            if !aimed.starts_with(&root) && !aimed.starts_with(src) {
                return Err(Error::SymlinkOutside {
                    link: rel.into(),
                    target,
                });
            }
            return Ok(None);
        }
        Err(error) => return Err(Error::unreadable(path, error)),
    };
    if !resolved.starts_with(&root) {
        let target = if link {
            fs::read_link(&path).unwrap_or(resolved)
        } else {
            resolved
        };
        return Err(Error::SymlinkOutside {
            link: rel.into(),
            target,
        });
    }
    // The type, before anything is opened: opening a device can do things.
    let meta = fs::symlink_metadata(&resolved).map_err(|e| Error::unreadable(&path, e))?;
    check_regular(&path, &meta)?;
    check_size(&path, meta.len())?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(&resolved)
        .map_err(|e| Error::unreadable(&path, e))?;
    // Again on what was opened: it may have been replaced in between.
    let meta = file.metadata().map_err(|e| Error::unreadable(&path, e))?;
    check_regular(&path, &meta)?;
    check_size(&path, meta.len())?;
    read_bounded(file, &path).map(Some)
}

fn check_regular(path: &Path, meta: &fs::Metadata) -> Result<(), Error> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(Error::SettingsFileNotRegular {
        path: path.to_path_buf(),
        kind: kind_of(&kind),
    })
}

fn check_size(path: &Path, size: u64) -> Result<(), Error> {
    if size <= MAX_BYTES {
        return Ok(());
    }
    Err(Error::SettingsFileTooLarge {
        path: path.to_path_buf(),
        size,
    })
}

/// At most [`MAX_BYTES`], even when the file grows as it is read.
fn read_bounded(file: File, path: &Path) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::unreadable(path, e))?;
    check_size(path, bytes.len() as u64)?;
    Ok(bytes)
}

/// What a file that is not a regular one is, for messages.
pub fn kind_of(kind: &fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn sources() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(".s2i")).unwrap();
        dir
    }

    fn read(src: &Path) -> Result<Option<String>, String> {
        read_settings_file(src, ".s2i/environment")
            .map(|b| b.map(|b| String::from_utf8(b).unwrap()))
            .map_err(|e| e.to_string().replace(&src.display().to_string(), "[SRC]"))
    }

    #[test]
    fn absent_and_regular_files() {
        let src = sources();
        assert_eq!(read(src.path()), Ok(None));
        fs::write(src.path().join(".s2i/environment"), "A=1\n").unwrap();
        assert_eq!(read(src.path()), Ok(Some("A=1\n".into())));
        // A link inside the sources is followed, as the walk keeps it.
        fs::rename(
            src.path().join(".s2i/environment"),
            src.path().join("env.txt"),
        )
        .unwrap();
        symlink("../env.txt", src.path().join(".s2i/environment")).unwrap();
        assert_eq!(read(src.path()), Ok(Some("A=1\n".into())));
        // `.s2i` a file: no settings.
        let other = tempfile::tempdir().unwrap();
        fs::write(other.path().join(".s2i"), "").unwrap();
        assert_eq!(read(other.path()), Ok(None));
    }

    #[test]
    fn special_files_links_out_and_large_files_are_refused_unread() {
        let src = sources();
        let env = src.path().join(".s2i/environment");
        let mut refused = Vec::new();
        nix::unistd::mkfifo(&env, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        refused.push(read(src.path()).unwrap_err());
        fs::remove_file(&env).unwrap();
        symlink("/dev/zero", &env).unwrap();
        refused.push(read(src.path()).unwrap_err());
        fs::remove_file(&env).unwrap();
        symlink("/nonexistent/outside", &env).unwrap();
        refused.push(read(src.path()).unwrap_err());
        fs::remove_file(&env).unwrap();
        fs::create_dir(&env).unwrap();
        refused.push(read(src.path()).unwrap_err());
        fs::remove_dir(&env).unwrap();
        let big = File::create(&env).unwrap();
        big.set_len(2 << 30).unwrap(); // sparse: 2 GiB, no disk
        refused.push(read(src.path()).unwrap_err());
        insta::assert_snapshot!(refused.join("\n"));
    }
}
