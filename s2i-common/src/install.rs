//! Installing a build into the application root as one step: a redo log.
//!
//! `s2i-assemble` stages the whole installation in a directory on the
//! application root's file system ([`Stage`]). Until the commit the
//! application root is untouched, and a killed build leaves only the stage,
//! which the next build removes with its work area. The commit point is one
//! rename: the stage becomes `$APP_ROOT/.s2i-install` (the journal). From
//! then on the installation is decided, and [`finish`] moves each staged
//! piece into place, every step one that can be done again: a piece still
//! in the journal has not gone into place yet. Whoever finds a journal
//! finishes it, the same `s2i-assemble`, the next one, or `s2i-run` before
//! it starts the application. So the application root always starts the
//! previous build unchanged or the new one whole.
//!
//! The pieces keep the layout chained builds copy out of the image: real
//! `bin/`, `gobinary`, `src/`, `sbom/` and `s2i-run.toml`. `bin/` takes the
//! new binaries one by one and loses those that a previous build installed
//! and this one does not (recorded in `.s2i-binaries`); other files there
//! stay. `src/` and `sbom/` are emptied and refilled rather than renamed, as
//! a directory of a lower overlayfs layer (the builder image's `src/`,
//! HOME) cannot be renamed (EXDEV).
//!
//! [`finish`] works by directory descriptors and libc's `*at` calls: it is
//! in every application image (s2i-run), and std's path-based file system
//! calls would cost it 8 KB more.

use std::ffi::CStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::io::IntoRawFd;
use std::path::{Path, PathBuf};

use nix::libc;

use crate::paths;

/// The journal, under the application root: a committed installation.
pub const JOURNAL: &str = ".s2i-install";
/// The names of the binaries the last installation put into `bin/`.
pub const RECORD: &str = ".s2i-binaries";

/// A finished journal, being removed (the next build removes one that a
/// kill left).
pub const DONE: &str = ".s2i-install.done";

/// In the journal: the pieces, laid out as they go into the application
/// root.
const PIECES: &CStr = c"root";
/// In the journal: empty files named as the pieces (directories) whose
/// old entries all go before the new ones come (`src`, `sbom`); each is
/// removed once that is done.
const CLEAR: &CStr = c"clear";
/// In the journal: empty files named as the binaries to remove from
/// `bin/` (a previous installation's, not this one's).
const FORGET: &CStr = c"forget";

/// An installation being put together in `dir` (which must not exist).
pub struct Stage {
    dir: PathBuf,
}

impl Stage {
    pub fn create(dir: &Path) -> io::Result<Stage> {
        fs::create_dir(dir)?;
        let stage = Stage {
            dir: dir.to_path_buf(),
        };
        for sub in [PIECES, CLEAR, FORGET] {
            fs::create_dir(stage.sub(sub))?;
        }
        fs::create_dir(stage.path(paths::BIN_DIR))?;
        for emptied in [paths::APP_FILES_DIR, paths::SBOM_DIR] {
            File::create(stage.sub(CLEAR).join(emptied))?;
        }
        Ok(stage)
    }

    fn sub(&self, name: &CStr) -> PathBuf {
        self.dir.join(name.to_str().unwrap_or_default())
    }

    /// Where a piece goes in the stage: `bin`, `gobinary`, `src`, `sbom`,
    /// `s2i-run.toml`.
    pub fn path(&self, piece: &str) -> PathBuf {
        self.sub(PIECES).join(piece)
    }

    /// Records the binaries this installation puts into `bin/`, and which
    /// ones of the previous installation (its record in `app_root`) go.
    pub fn binaries(&self, app_root: &Path, names: &[String]) -> io::Result<()> {
        let previous = fs::read_to_string(app_root.join(RECORD)).unwrap_or_default();
        for name in previous.lines() {
            if is_plain_name(name) && !names.iter().any(|n| n == name) {
                File::create(self.sub(FORGET).join(name))?;
            }
        }
        let mut record = File::create(self.path(RECORD))?;
        for name in names {
            writeln!(record, "{name}")?;
        }
        record.sync_all()
    }

    /// The commit point: the stage becomes the application root's journal,
    /// then it is carried out.
    pub fn commit(self, app_root: &Path) -> io::Result<()> {
        fault_point()?;
        crate::rename::no_replace(&self.dir, &app_root.join(JOURNAL))?;
        // The rename is on disk before any piece moves.
        File::open(app_root)?.sync_all()?;
        fault_point()?;
        finish(app_root).map(drop)
    }
}

/// Carries out a committed installation in `app_root`, if there is one
/// (true then). Each step can be interrupted and done again: a piece, an
/// entry or a name still in the journal has not been dealt with yet. The
/// caller holds the application root's lock (see [`finish_locked`]).
pub fn finish(app_root: &Path) -> io::Result<bool> {
    finish_in(&Dir::path(app_root)?)
}

/// [`finish`] for a process that does not hold the application root's lock
/// (`s2i-run`): costs an open and a `stat` when there is nothing to
/// finish; else waits for the lock (an `s2i-assemble` installing right now
/// finishes first), then finishes what is left.
// Not inlined into s2i-run's start-up: its text is 2 KB smaller so (and
// s2i-run must stay under 600,000 bytes).
#[inline(never)]
pub fn finish_locked(app_root: &Path) -> io::Result<bool> {
    let Ok(root) = Dir::path(app_root) else {
        return Ok(false);
    };
    if root.kind(c".s2i-install").is_none() {
        return Ok(false);
    }
    // SAFETY: flock(2) (the system call, as every call here) on the
    // descriptor of `root`, which lives until the end of this function;
    // closing it releases the lock.
    check(unsafe { libc::syscall(libc::SYS_flock, root.0, libc::LOCK_EX) })?;
    finish_in(&root)
}

fn finish_in(root: &Dir) -> io::Result<bool> {
    if root.kind(c".s2i-install").is_none() {
        return Ok(false);
    }
    let journal = root.open(c".s2i-install")?;
    let (pieces, clear) = (journal.open(PIECES)?, journal.open(CLEAR)?);
    pieces.each(&mut |name| {
        let (kind, there) = (pieces.kind(name), root.kind(name));
        if kind == Some(libc::S_IFDIR) && there == kind {
            // Into the directory in place: it may be a lower image layer's,
            // which cannot be renamed.
            let (from, to) = (pieces.open(name)?, root.open(name)?);
            if clear.kind(name).is_some() {
                to.each(&mut |entry| to.remove_tree(entry))?;
                clear.remove(name, false)?;
            }
            from.each(&mut |entry| from.rename(entry, &to, entry))?;
            return pieces.remove(name, true);
        }
        if there.is_some() && there != kind {
            root.remove_tree(name)?;
        }
        pieces.rename(name, root, name)
    })?;
    // A previous installation's binaries that this one does not have.
    let (forget, bin) = (journal.open(FORGET)?, root.open(c"bin")?);
    forget.each(&mut |name| {
        bin.remove_tree(name)?;
        forget.remove(name, false)
    })?;
    // Done: out of the way in one step, then removed (a kill half-way
    // through leaves `.s2i-install.done`, which the next build removes).
    let done = c".s2i-install.done";
    root.remove_tree(done)?;
    root.rename(c".s2i-install", root, done)?;
    root.remove_tree(done)?;
    Ok(true)
}

/// A leftover of an atomic write into the application root
/// (`.s2i-run.toml.tmp-PID`, by s2i-assemble before the journal).
pub fn is_temporary(name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|n| n.split_once(".tmp-"))
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// A file name of `bin/`: not empty, no `/`, not `.` or `..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && name != "." && name != ".."
}

fn check(result: impl Into<i64>) -> io::Result<()> {
    let result: i64 = result.into();
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// An open directory; the names given to its methods are its entries'.
struct Dir(libc::c_int);

impl Dir {
    fn path(path: &Path) -> io::Result<Dir> {
        Ok(Dir(File::open(path)?.into_raw_fd()))
    }

    /// The directory `name` in this one (not a link to one).
    fn open(&self, name: &CStr) -> io::Result<Dir> {
        Dir::at(self.0, name)
    }

    fn at(dir: libc::c_int, name: &CStr) -> io::Result<Dir> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated name; the descriptor is owned by Dir.
        match unsafe { libc::syscall(libc::SYS_openat, dir, name.as_ptr(), flags) } {
            -1 => Err(io::Error::last_os_error()),
            fd => Ok(Dir(fd as libc::c_int)),
        }
    }

    /// The type bits (`S_IFDIR`...) of the entry `name`, None when it is
    /// not there.
    fn kind(&self, name: &CStr) -> Option<libc::mode_t> {
        self.mode(name).map(|mode| mode & libc::S_IFMT)
    }

    fn mode(&self, name: &CStr) -> Option<libc::mode_t> {
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: a NUL-terminated name and room for one stat.
        let found = unsafe {
            libc::fstatat(
                self.0,
                name.as_ptr(),
                stat.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } == 0;
        // SAFETY: fstatat filled it in.
        found.then(|| unsafe { stat.assume_init() }.st_mode)
    }

    /// Calls `visit` with each entry's name, but `.` and `..`, then passes
    /// a step (see [`fault_point`]). `visit` removes the entry from this
    /// directory (it deletes it or renames it away): the entries are read
    /// again from the start until none is left, so that one that a reading
    /// during the removals skipped is not missed.
    fn each(&self, visit: &mut dyn FnMut(&CStr) -> io::Result<()>) -> io::Result<()> {
        // Half a page: with a whole one the frame needs stack probes, and
        // s2i-run's text is bytes short of its next page.
        let mut buffer = [0u8; 2048];
        loop {
            let mut found = false;
            // SAFETY: lseek on this Dir's own descriptor.
            unsafe { libc::lseek(self.0, 0, libc::SEEK_SET) };
            loop {
                // SAFETY: getdents64(2) into a buffer writable for its length.
                let read = unsafe {
                    libc::syscall(
                        libc::SYS_getdents64,
                        self.0,
                        buffer.as_mut_ptr(),
                        buffer.len(),
                    )
                };
                if read <= 0 {
                    if read < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    break;
                }
                // Records of struct linux_dirent64: the inode (8 bytes), an
                // offset (8), the record's length (2), a type (1), the name
                // (NUL-terminated).
                let mut at = 0;
                while at < read as usize {
                    // SAFETY: `at` is the start of a record the kernel wrote.
                    let (length, name) = unsafe {
                        let record = buffer.as_ptr().add(at);
                        let length = std::ptr::read_unaligned(record.add(16).cast::<u16>());
                        (length as usize, CStr::from_ptr(record.add(19).cast()))
                    };
                    if !matches!(name.to_bytes(), b"." | b"..") {
                        found = true;
                        visit(name)?;
                        fault_point()?;
                    }
                    at += length;
                }
            }
            if !found {
                return Ok(());
            }
        }
    }

    fn rename(&self, from: &CStr, to_dir: &Dir, to: &CStr) -> io::Result<()> {
        // SAFETY: NUL-terminated names.
        check(unsafe {
            libc::syscall(
                libc::SYS_renameat,
                self.0,
                from.as_ptr(),
                to_dir.0,
                to.as_ptr(),
            )
        })
    }

    fn remove(&self, name: &CStr, dir: bool) -> io::Result<()> {
        let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: a NUL-terminated name.
        check(unsafe { libc::syscall(libc::SYS_unlinkat, self.0, name.as_ptr(), flags) })
    }

    /// Removes the entry `name` whatever it is (missing is fine); a
    /// directory with everything in it, made writable where it is not.
    fn remove_tree(&self, name: &CStr) -> io::Result<()> {
        let Some(mode) = self.mode(name) else {
            return Ok(());
        };
        if mode & libc::S_IFMT != libc::S_IFDIR {
            return self.remove(name, false);
        }
        if mode & 0o700 != 0o700 {
            let mode = (mode & 0o7777) | 0o700;
            // SAFETY: a NUL-terminated name (the system call: libc's
            // wrapper is ten times the size).
            let changed = unsafe { libc::syscall(libc::SYS_fchmodat, self.0, name.as_ptr(), mode) };
            if changed != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let dir = self.open(name)?;
        dir.each(&mut |entry| dir.remove_tree(entry))?;
        self.remove(name, true)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: the descriptor is this Dir's own.
        unsafe { libc::close(self.0) };
    }
}

/// Debug builds: the step at which [`fault_point`] kills the process (0:
/// none), set by [`kill_at`].
#[cfg(debug_assertions)]
static KILL_AT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Debug builds: kill the process at the `step`-th step of an installation
/// (the fault tests' `S2I_TEST_KILL_AT`, which the binaries read: the
/// library reads no variable of its own).
#[cfg(debug_assertions)]
pub fn kill_at(step: Option<String>) {
    let step = step.and_then(|s| s.parse().ok()).unwrap_or(0);
    KILL_AT.store(step, std::sync::atomic::Ordering::SeqCst);
}

/// A point between two steps of an installation. In debug builds, the
/// [`KILL_AT`]-th point passed kills the process with SIGKILL (the fault
/// tests of interrupted installations: the first is before the commit, the
/// second right after it); in unit tests, a budget of steps stops
/// [`finish`] half-way. Release builds: nothing.
#[inline(always)]
fn fault_point() -> io::Result<()> {
    #[cfg(test)]
    if let Some(left) = STEPS.with(|steps| steps.get()) {
        if left == 0 {
            STEPS.with(|steps| steps.set(None));
            return Err(io::ErrorKind::Interrupted.into());
        }
        STEPS.with(|steps| steps.set(Some(left - 1)));
    }
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static PASSED: AtomicUsize = AtomicUsize::new(0);
        let passed = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
        if KILL_AT.load(Ordering::SeqCst) == passed {
            // SAFETY: raise(3) with a valid signal number.
            unsafe { libc::raise(libc::SIGKILL) };
        }
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Unit tests only: how many more steps [`finish`] may take.
    static STEPS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(root: &Path) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                if fs::symlink_metadata(&path).unwrap().is_dir() {
                    out.push(format!("{rel}/"));
                    walk(root, &path, out);
                } else {
                    out.push(format!("{rel}={}", fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(root, root, &mut out);
        out.sort();
        out
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// An application root with build "old" installed by hand, and a stage
    /// of build "new" in `work`.
    fn old_root_and_new_stage(dir: &Path) -> (PathBuf, Stage) {
        let root = dir.join("app");
        write(&root.join("bin/api"), "old api");
        write(&root.join("bin/worker"), "old worker");
        write(&root.join("bin/tool-of-the-image"), "base");
        write(&root.join(RECORD), "api\nworker\n");
        write(&root.join("gobinary"), "old api");
        write(&root.join("src/old.html"), "old");
        write(&root.join("src/.config/go/x"), "go's");
        write(&root.join("s2i-run.toml"), "old");
        write(&root.join("sbom/worker.cdx.json"), "old sbom");
        write(&root.join(".cache/go-build/README"), "cache");
        fs::create_dir(dir.join("work")).unwrap();
        let stage = Stage::create(&dir.join("work/install")).unwrap();
        write(&stage.path("bin/api"), "new api");
        write(&stage.path("gobinary"), "new api");
        write(&stage.path("src/new.html"), "new");
        write(&stage.path("src/static/app.css"), "css");
        write(&stage.path("s2i-run.toml"), "new");
        write(&stage.path("sbom/api.cdx.json"), "new sbom");
        stage.binaries(&root, &["api".to_string()]).unwrap();
        (root, stage)
    }

    const NEW: &[&str] = &[
        ".cache/",
        ".cache/go-build/",
        ".cache/go-build/README=cache",
        ".s2i-binaries=api\n",
        "bin/",
        "bin/api=new api",
        "bin/tool-of-the-image=base",
        "gobinary=new api",
        "s2i-run.toml=new",
        "sbom/",
        "sbom/api.cdx.json=new sbom",
        "src/",
        "src/new.html=new",
        "src/static/",
        "src/static/app.css=css",
    ];

    #[test]
    fn commit_installs_the_stage_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (root, stage) = old_root_and_new_stage(dir.path());
        stage.commit(&root).unwrap();
        assert_eq!(tree(&root), NEW);
        assert!(!dir.path().join("work/install").exists());
        assert!(!finish(&root).unwrap(), "nothing left to finish");
    }

    #[test]
    fn into_an_empty_application_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        fs::create_dir(&root).unwrap();
        let stage = Stage::create(&dir.path().join("install")).unwrap();
        write(&stage.path("bin/api"), "api");
        write(&stage.path("gobinary"), "api");
        fs::create_dir(stage.path("src")).unwrap();
        write(&stage.path("s2i-run.toml"), "m");
        stage.binaries(&root, &["api".to_string()]).unwrap();
        stage.commit(&root).unwrap();
        assert_eq!(
            tree(&root),
            [
                ".s2i-binaries=api\n",
                "bin/",
                "bin/api=api",
                "gobinary=api",
                "s2i-run.toml=m",
                "src/"
            ]
        );
    }

    /// Every state a kill can leave after the commit: the journal as it
    /// is after any number of steps. Each one finishes into the same root.
    #[test]
    fn a_journal_interrupted_anywhere_finishes_the_same() {
        // Stop after each step in turn (the fault points are between
        // steps), until a run gets through.
        for stop_after in 0.. {
            let dir = tempfile::tempdir().unwrap();
            let (root, stage) = old_root_and_new_stage(dir.path());
            crate::rename::no_replace(&stage.dir, &root.join(JOURNAL)).unwrap();
            let done = STEPS.with(|steps| {
                steps.set(Some(stop_after));
                let result = finish(&root);
                let left = steps.take();
                (result, left)
            });
            match done {
                (Ok(true), Some(_)) => {
                    // Ran to the end within the budget: every stop tried.
                    assert_eq!(tree(&root), NEW);
                    assert!(stop_after > 10, "only {stop_after} steps?");
                    return;
                }
                (Err(e), None) if e.kind() == io::ErrorKind::Interrupted => {
                    // Stopped half-way: the next finish completes it (or
                    // it was done, but for removing the journal, which
                    // the next build does).
                    finish(&root).unwrap();
                    crate::tree::remove(&root.join(".s2i-install.done")).unwrap();
                    assert_eq!(tree(&root), NEW, "after a stop at step {stop_after}");
                }
                other => panic!("step {stop_after}: {other:?}"),
            }
        }
    }

    #[test]
    fn temporary_names() {
        assert!(is_temporary(".s2i-run.toml.tmp-1234"));
        assert!(!is_temporary(".s2i-run.toml.tmp-"));
        assert!(!is_temporary("s2i-run.toml.tmp-12"));
        assert!(!is_temporary(".cache"));
    }
}
