//! Where a saved stream goes. Tar headers, padding and small files go
//! through one large buffer; a large file's data goes from the page cache
//! straight to the output (`sendfile(2)`), without a copy through this
//! process: a saved build cache is hundreds of megabytes, and copying it in
//! and out of user space was most of `s2i-save-artifacts`' time.
//!
//! The kernel may refuse: an output opened for appending (`>>`), or one whose
//! file system or driver cannot take spliced data. The first refusal switches
//! the sink to reads and writes for good, from where the copy stood, so the
//! stream is the same bytes either way. A `sendfile` error that could be the
//! file's or the output's (`EIO`) is settled by finishing that file with reads
//! and writes: a failing read then names the file, a failing write is the
//! output's.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

use nix::errno::Errno;
use s2i_common::display::reason;
use s2i_common::display::Escaped;

/// Files at least this large go to the output by `sendfile`; smaller ones
/// are read into the buffer, where a few hundred of them make one write
/// (the build cache's action entries are a few hundred bytes each, and two
/// system calls per file would cost more than the copy they save).
pub const KERNEL_COPY_MIN: u64 = 64 * 1024;

/// How much the buffer holds before it is written out.
const BUFFER: usize = 1 << 20;

/// An output for a tar stream: a writer that can also take a file's data.
pub trait Sink: Write {
    /// Appends `len` bytes of `file`, from its start: zeros for what is
    /// missing if it shrank, never more than `len` if it grew. A read that
    /// fails names the file as `name` (its name in the stream).
    fn file_data(&mut self, file: &File, len: u64, name: &Path) -> io::Result<()> {
        let mut chunk = vec![0; len.min(BUFFER as u64) as usize];
        let mut at = 0;
        while at < len {
            let n = (len - at).min(chunk.len() as u64) as usize;
            read_at(file, &mut chunk[..n], at, name)?;
            self.write_all(&chunk[..n])?;
            at += n as u64;
        }
        Ok(())
    }
}

/// A stream in memory (tests, and callers that want the bytes).
impl Sink for Vec<u8> {}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn file_data(&mut self, file: &File, len: u64, name: &Path) -> io::Result<()> {
        (**self).file_data(file, len, name)
    }
}

/// A buffered output on a file descriptor (stdout: a pipe, a file, a
/// socket), whose large files go by `sendfile`.
pub struct FdSink<F: AsFd> {
    fd: F,
    /// Allocated (and zeroed) once, whole: its first `filled` bytes are
    /// the output's. A file is read straight into the rest, which so needs
    /// no zeroing per file (built for size, that zeroing went a byte at a
    /// time: a third of the save's CPU for a cache of small files).
    buffer: Box<[u8]>,
    filled: usize,
    /// The kernel refused a `sendfile` to this output: reads and writes
    /// from now on.
    refused: bool,
    /// Bytes that went by `sendfile` (for tests and benchmarks).
    sent_by_kernel: u64,
}

impl<F: AsFd> FdSink<F> {
    pub fn new(fd: F) -> FdSink<F> {
        FdSink {
            fd,
            buffer: vec![0; BUFFER].into_boxed_slice(),
            filled: 0,
            refused: false,
            sent_by_kernel: 0,
        }
    }

    /// When the output is a pipe, asks for one as large as the buffer
    /// (the default is 64 KiB): the writer and the reader then take turns
    /// once a megabyte instead of sixteen times, which on a busy machine is
    /// most of the wall time. Not a pipe, or a refusal (a pipe's size is
    /// capped by /proc/sys/fs/pipe-max-size for unprivileged users): as it is.
    pub fn widen_pipe(&self) {
        use nix::fcntl::{fcntl, FcntlArg};
        let _ = fcntl(&self.fd, FcntlArg::F_SETPIPE_SZ(BUFFER as i32));
    }

    /// How many bytes of file data went to the output by `sendfile`.
    pub fn sent_by_kernel(&self) -> u64 {
        self.sent_by_kernel
    }

    /// Writes out what the buffer holds.
    fn drain(&mut self) -> io::Result<()> {
        let result = write_fd(&self.fd, &self.buffer[..self.filled]);
        self.filled = 0;
        result
    }

    /// Sends `file`'s bytes from `at` on by `sendfile`, until `len` or the
    /// file's end. Returns where it stopped, and the error that stopped it
    /// short of both (the caller finishes with reads and writes).
    fn send(&mut self, file: &File, mut at: u64, len: u64) -> (u64, Option<Errno>) {
        while at < len {
            // One call moves at most about 2 GB; ask for no more than 1 GB.
            let count = (len - at).min(1 << 30) as usize;
            let mut offset = at as nix::libc::off_t;
            match nix::sys::sendfile::sendfile(&self.fd, file, Some(&mut offset), count) {
                Ok(0) => break, // the file shrank: zeros follow
                Ok(n) => {
                    at += n as u64;
                    self.sent_by_kernel += n as u64;
                }
                Err(Errno::EINTR) => {}
                Err(errno) => return (at, Some(errno)),
            }
        }
        (at, None)
    }
}

impl<F: AsFd> Write for FdSink<F> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.filled + data.len() > BUFFER {
            self.drain()?;
        }
        if data.len() >= BUFFER {
            write_fd(&self.fd, data)?;
        } else {
            self.buffer[self.filled..self.filled + data.len()].copy_from_slice(data);
            self.filled += data.len();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()
    }
}

impl<F: AsFd> Sink for FdSink<F> {
    fn file_data(&mut self, file: &File, len: u64, name: &Path) -> io::Result<()> {
        let mut at = 0;
        if len >= KERNEL_COPY_MIN && !self.refused {
            self.drain()?;
            let (sent, stopped) = self.send(file, 0, len);
            at = sent;
            if let Some(errno) = stopped {
                // EINVAL: an O_APPEND output, or one the kernel cannot
                // splice to (or a file it cannot splice from: reads and
                // writes are right for every case, just slower); ENOSYS,
                // EOPNOTSUPP: no sendfile here.
                if matches!(errno, Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP) {
                    self.refused = true;
                }
            } else {
                // Sent, or the file ended early: the rest is zeros.
                return self.zeros(len - at);
            }
        }
        // Read straight into the buffer: one copy, as small as it gets.
        while at < len {
            if self.filled == BUFFER {
                self.drain()?;
            }
            let start = self.filled;
            let n = ((len - at) as usize).min(BUFFER - start);
            read_at(file, &mut self.buffer[start..start + n], at, name)?;
            self.filled += n;
            at += n as u64;
        }
        Ok(())
    }
}

impl<F: AsFd> FdSink<F> {
    fn zeros(&mut self, mut count: u64) -> io::Result<()> {
        let block = [0; 4096];
        while count > 0 {
            let n = count.min(block.len() as u64) as usize;
            self.write_all(&block[..n])?;
            count -= n as u64;
        }
        Ok(())
    }
}

/// Fills `buf` from `file` at `at`; past the file's end it stays as it is
/// (zeros: the file shrank since its size was read). Errors name the file.
fn read_at(file: &File, buf: &mut [u8], at: u64, name: &Path) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => {
                buf[done..].fill(0);
                break;
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot read {}: {}", Escaped::new(name), reason(&e)),
                ))
            }
        }
    }
    Ok(())
}

/// Writes all of `data` to `fd`.
fn write_fd(fd: &impl AsFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A file of `len` bytes that are not all alike.
    fn file_of(dir: &Path, len: usize) -> (File, Vec<u8>) {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let path = dir.join(format!("f{len}"));
        std::fs::write(&path, &data).unwrap();
        (File::open(&path).unwrap(), data)
    }

    /// Header-like bytes, a small file, a large one and a large one that
    /// shrank after its size was taken, as the tar writer sends them.
    fn send_some(sink: &mut impl Sink, dir: &Path) -> Vec<u8> {
        let mut expected = Vec::new();
        for (len, claimed) in [(100, 100), (300_000, 300_000), (200_000, 250_000)] {
            sink.write_all(b"header").unwrap();
            expected.extend_from_slice(b"header");
            let (file, data) = file_of(dir, len);
            sink.file_data(&file, claimed, Path::new("x")).unwrap();
            expected.extend_from_slice(&data);
            expected.resize(expected.len() + (claimed - len as u64) as usize, 0);
        }
        sink.flush().unwrap();
        expected
    }

    #[test]
    fn a_pipe_gets_large_files_from_the_kernel_and_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut reader, writer) = std::io::pipe().unwrap();
        let received = std::thread::spawn(move || {
            let mut all = Vec::new();
            reader.read_to_end(&mut all).unwrap();
            all
        });
        let mut sink = FdSink::new(writer);
        let expected = send_some(&mut sink, dir.path());
        assert_eq!(sink.sent_by_kernel(), 300_000 + 200_000);
        drop(sink);
        assert!(received.join().unwrap() == expected);
    }

    /// A sink on a new file opened for appending (`>>`), which sendfile(2)
    /// refuses (EINVAL): every byte goes through the buffer.
    fn appending_sink(dir: &Path) -> (std::path::PathBuf, FdSink<File>) {
        let out = dir.join("out");
        let appending = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out)
            .unwrap();
        (out, FdSink::new(appending))
    }

    #[test]
    fn an_appending_output_falls_back_to_reads_and_writes_with_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (out, mut sink) = appending_sink(dir.path());
        let expected = send_some(&mut sink, dir.path());
        // sendfile(2) refuses an O_APPEND output (EINVAL).
        assert_eq!(sink.sent_by_kernel(), 0);
        assert!(sink.refused);
        assert!(std::fs::read(&out).unwrap() == expected);
    }

    /// The buffer is reused, not zeroed, after it is written out: what a
    /// file that shrank leaves missing is zeros all the same, not the bytes
    /// of an earlier file.
    #[test]
    fn a_file_that_shrank_reads_as_zeros_in_a_reused_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let (out, mut sink) = appending_sink(dir.path());
        let (large, mut expected) = file_of(dir.path(), BUFFER + 100_000);
        sink.file_data(&large, expected.len() as u64, Path::new("large"))
            .unwrap();
        let (shrank, data) = file_of(dir.path(), 10);
        sink.file_data(&shrank, 5000, Path::new("shrank")).unwrap();
        sink.flush().unwrap();
        expected.extend_from_slice(&data);
        expected.resize(expected.len() + 4990, 0);
        assert!(sink.refused);
        assert!(std::fs::read(&out).unwrap() == expected);
    }

    #[test]
    fn a_pipe_is_widened_to_the_buffer_and_anything_else_left_alone() {
        use nix::fcntl::{fcntl, FcntlArg};
        let (_reader, writer) = std::io::pipe().unwrap();
        let sink = FdSink::new(writer);
        sink.widen_pipe();
        let size = fcntl(&sink.fd, FcntlArg::F_GETPIPE_SZ).unwrap();
        // Capped by /proc/sys/fs/pipe-max-size (1 MiB unless lowered).
        let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .map_or(BUFFER as i32, |s| s.trim().parse().unwrap());
        assert_eq!(size, (BUFFER as i32).min(max));
        let dir = tempfile::tempdir().unwrap();
        let file = FdSink::new(File::create(dir.path().join("out")).unwrap());
        file.widen_pipe(); // not a pipe: nothing happens, nothing fails
    }

    #[test]
    fn memory_gets_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut stream = Vec::new();
        let expected = send_some(&mut stream, dir.path());
        assert!(stream == expected);
    }

    #[test]
    fn a_read_that_fails_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory opens, and every read of it fails (EISDIR).
        let file = File::open(dir.path()).unwrap();
        let mut sink = FdSink::new(File::create(dir.path().join("out")).unwrap());
        let name = Path::new("go-build/0a/x\n---> Done");
        let error = sink.file_data(&file, 100, name).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"cannot read "go-build/0a/x\n---> Done": Is a directory"#
        );
        // Large: sendfile fails first (EINVAL), then the read names it.
        let error = sink.file_data(&file, 1 << 20, name).unwrap_err();
        assert!(error.to_string().starts_with("cannot read "), "{error}");
    }
}
