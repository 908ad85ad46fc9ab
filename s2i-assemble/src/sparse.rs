//! Copying a file's data and only its data: the holes of a sparse file
//! stay holes (`std::fs::copy` writes them out as zeros: a 2 GB sparse
//! asset took 2 GB of disk and as long to copy).
//!
//! SEEK_DATA/SEEK_HOLE find the data; copy_file_range copies it in the
//! kernel (a reflink where the file system has them), and read/write does
//! where copy_file_range cannot (across some file systems, old kernels).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use nix::errno::Errno;
use nix::unistd::{lseek, Whence};

/// Copied between two questions of `cancelled`.
const CHUNK: usize = 64 << 20;

/// Copies the `len` bytes of `source` into `dest` (new and empty), holes
/// as holes. Err(Interrupted) when `cancelled` says so.
pub fn copy(source: &File, dest: &File, len: u64, cancelled: &dyn Fn() -> bool) -> io::Result<()> {
    let len = len as i64;
    let mut offset = 0;
    let mut kernel_copy = true;
    while offset < len {
        let data = match lseek(source, offset, Whence::SeekData) {
            Ok(data) => data,
            // Nothing but a hole from here to the end.
            Err(Errno::ENXIO) => break,
            // No SEEK_DATA here: all of it is data.
            Err(Errno::EINVAL | Errno::EOPNOTSUPP) => offset,
            Err(e) => return Err(e.into()),
        };
        let end = match lseek(source, data, Whence::SeekHole) {
            Ok(hole) => hole.min(len),
            Err(_) => len,
        };
        if end <= data {
            break;
        }
        copy_range(source, dest, data, end - data, &mut kernel_copy, cancelled)?;
        offset = end;
    }
    // The trailing hole, if any (and the size a shrunk source had).
    dest.set_len(len as u64)
}

/// Copies `count` bytes at `start` of `source` to the same place in `dest`.
fn copy_range(
    source: &File,
    dest: &File,
    start: i64,
    count: i64,
    kernel_copy: &mut bool,
    cancelled: &dyn Fn() -> bool,
) -> io::Result<()> {
    let end = start + count;
    let mut at = start;
    let mut buffer = Vec::new();
    while at < end {
        if cancelled() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        let want = (end - at).min(CHUNK as i64) as usize;
        if *kernel_copy {
            let (mut from, mut to) = (at, at);
            match nix::fcntl::copy_file_range(source, Some(&mut from), dest, Some(&mut to), want) {
                // The file shrank under us: what is left is a hole.
                Ok(0) => return Ok(()),
                Ok(n) => {
                    at += n as i64;
                    continue;
                }
                Err(
                    Errno::EXDEV | Errno::ENOSYS | Errno::EINVAL | Errno::EOPNOTSUPP | Errno::EPERM,
                ) => {
                    *kernel_copy = false;
                }
                Err(e) => return Err(e.into()),
            }
        }
        buffer.resize(want.min(1 << 20), 0);
        let n = source.read_at(&mut buffer, at as u64)?;
        if n == 0 {
            return Ok(());
        }
        dest.write_all_at(&buffer[..n], at as u64)?;
        at += n as i64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};
    use std::os::unix::fs::MetadataExt;

    /// A file of `size` bytes with `data` written at each offset.
    fn sparse_file(dir: &std::path::Path, size: u64, data: &[(u64, &[u8])]) -> File {
        let path = dir.join("sparse");
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        file.set_len(size).unwrap();
        for (offset, bytes) in data {
            file.seek(SeekFrom::Start(*offset)).unwrap();
            file.write_all(bytes).unwrap();
        }
        file.sync_all().unwrap();
        file
    }

    fn copied(dir: &std::path::Path, source: &File) -> (File, Vec<u8>) {
        let dest = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("copy"))
            .unwrap();
        copy(source, &dest, source.metadata().unwrap().len(), &|| false).unwrap();
        let bytes = std::fs::read(dir.join("copy")).unwrap();
        (dest, bytes)
    }

    #[test]
    fn data_is_copied_and_holes_stay_holes() {
        let dir = tempfile::tempdir().unwrap();
        let size = 256 << 20;
        let source = sparse_file(
            dir.path(),
            size,
            &[(0, b"head"), (100 << 20, b"middle"), (size - 4, b"tail")],
        );
        let (dest, bytes) = copied(dir.path(), &source);
        assert_eq!(bytes.len() as u64, size);
        assert_eq!(&bytes[..4], b"head");
        assert_eq!(&bytes[100 << 20..(100 << 20) + 6], b"middle");
        assert_eq!(&bytes[bytes.len() - 4..], b"tail");
        assert!(bytes[4..100 << 20].iter().all(|b| *b == 0));
        // Allocated: a few blocks around the data, not 256 MiB.
        let allocated = dest.metadata().unwrap().blocks() * 512;
        assert!(allocated < 4 << 20, "{allocated} bytes allocated");
    }

    #[test]
    fn dense_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("dense"), &text).unwrap();
        let (_, bytes) = copied(dir.path(), &File::open(dir.path().join("dense")).unwrap());
        assert_eq!(bytes, text);
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        let (_, bytes) = copied(dir.path(), &File::open(dir.path().join("empty")).unwrap());
        assert!(bytes.is_empty());
    }

    #[test]
    fn cancelled_copies_stop() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data"), vec![7u8; 1 << 20]).unwrap();
        let source = File::open(dir.path().join("data")).unwrap();
        let dest = File::create(dir.path().join("copy")).unwrap();
        let e = copy(&source, &dest, 1 << 20, &|| true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted);
    }
}
