//! Writes that a reader sees whole or not at all.
//!
//! The new content goes to a temporary file in the destination's directory,
//! is flushed to disk, and is renamed over the destination: a build that fails
//! or is killed half-way leaves the previous file where it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Replaces `dest` with `contents`, with permission bits `mode`.
pub fn write(dest: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    replace_with(dest, mode, |file| file.write_all(contents))
}

/// Replaces `dest` with a copy of `src`, with permission bits `mode`.
pub fn copy(src: &Path, dest: &Path, mode: u32) -> io::Result<()> {
    let mut from = File::open(src)?;
    replace_with(dest, mode, |file| io::copy(&mut from, file).map(drop))
}

fn replace_with(
    dest: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temporary_sibling(dest);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        fill(&mut file)?;
        // The umask may have cleared bits of `mode` (group write, typically).
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        file.sync_all()?;
        fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp-PID`: hidden, in the same directory (so the rename is
/// atomic), and unique per process.
fn temporary_sibling(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_whole_file_with_mode() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("app");
        fs::write(&dest, b"old").unwrap();
        write(&dest, b"new", 0o775).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o775
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn failed_copy_keeps_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("app");
        fs::write(&dest, b"good").unwrap();
        let err = copy(&dir.path().join("missing"), &dest, 0o775).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(fs::read(&dest).unwrap(), b"good");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
