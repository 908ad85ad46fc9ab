//! The two renames std does not offer: renameat2(2) with RENAME_EXCHANGE
//! and with RENAME_NOREPLACE. The system call is made directly because libc
//! wrappers for it exist on glibc only, and the shipped binaries are static
//! musl.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::libc;

const RENAME_NOREPLACE: libc::c_uint = 1;
const RENAME_EXCHANGE: libc::c_uint = 1 << 1;

/// Swaps two paths in one step; both must exist.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    renameat2(a, b, RENAME_EXCHANGE)
}

/// Renames `src` to `dest` unless `dest` exists (then `AlreadyExists`).
/// Where the file system does not support the flag, a check then a plain
/// rename.
pub fn no_replace(src: &Path, dest: &Path) -> io::Result<()> {
    let error = match renameat2(src, dest, RENAME_NOREPLACE) {
        Ok(()) => return Ok(()),
        Err(error) => error,
    };
    match error.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS) => match fs::symlink_metadata(dest) {
            Ok(_) => Err(io::ErrorKind::AlreadyExists.into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::rename(src, dest),
            Err(e) => Err(e),
        },
        _ => Err(error),
    }
}

fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
    let from = CString::new(from.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let to = CString::new(to.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_swaps_two_directories() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("new"), dir.path().join("src"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("file"), "new").unwrap();
        fs::write(b.join("file"), "old").unwrap();
        exchange(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(b.join("file")).unwrap(), "new");
        assert_eq!(fs::read_to_string(a.join("file")).unwrap(), "old");
        let missing = dir.path().join("missing");
        assert!(exchange(&missing, &b).is_err());
    }

    #[test]
    fn no_replace_keeps_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        let e = no_replace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&b).unwrap(), "b");
        fs::remove_file(&b).unwrap();
        no_replace(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(&b).unwrap(), "a");
        assert!(!a.exists());
    }
}
