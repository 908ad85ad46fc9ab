//! The work area: where the build copy, go's output, the staged files and
//! the SBOMs are made, removed however the run ends.

use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::errors::Error;
use crate::install;

/// The work area under the application root.
pub const WORK_DIR: &str = ".s2i-assemble";
/// The prefix of `--dry-run`'s temporary work area.
const DRY_RUN_PREFIX: &str = ".s2i-assemble.dry-run.";

/// `$APP_ROOT/.s2i-assemble` for a build: on the same file system as the
/// installed files, so installing is a rename. `--dry-run`, which writes
/// nothing under the application root, gets a new temporary directory.
///
/// A build's is always the same path, because Go's build cache keys its
/// index of the main module's packages by directory: from the same path,
/// with the sources' own modification times (which the copy keeps), a
/// warm build finds every package indexed, where a new path would make go
/// read each package again and leave two cache entries per package behind.
///
/// The application root is locked (flock on the directory) while the work
/// area exists: two assembles into one application root cannot mix.
pub struct WorkArea {
    path: PathBuf,
    _lock: Option<Flock<std::fs::File>>,
    /// `--dry-run`'s: removed with it.
    _temporary: Option<tempfile::TempDir>,
    /// An installation that a killed s2i-assemble had committed was
    /// finished first.
    pub finished_interrupted: bool,
}

impl WorkArea {
    pub fn create(app_root: &Path, dry_run: bool) -> Result<WorkArea, Error> {
        if dry_run {
            let temporary = tempfile::Builder::new()
                .prefix(DRY_RUN_PREFIX)
                .tempdir()
                .map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
            let go_tmp = temporary.path().join(crate::plan::GO_TMP_DIR);
            std::fs::create_dir(&go_tmp).map_err(|e| Error::io("create", &go_tmp, e))?;
            return Ok(WorkArea {
                path: temporary.path().to_path_buf(),
                _lock: None,
                _temporary: Some(temporary),
                finished_interrupted: false,
            });
        }
        let not_writable = |error: io::Error| Error::AppRootNotWritable {
            path: app_root.to_path_buf(),
            error,
        };
        install::create_dir(app_root).map_err(not_writable)?;
        let dir = std::fs::File::open(app_root).map_err(|e| Error::io("open", app_root, e))?;
        let lock = Flock::lock(dir, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
            let why = if errno == nix::errno::Errno::EWOULDBLOCK {
                io::Error::other("another s2i-assemble is installing into it")
            } else {
                io::Error::from(errno)
            };
            Error::io("lock the application root", app_root, why)
        })?;
        // What a killed s2i-assemble left (SIGKILL leaves no chance to
        // clean up): an installation it committed is finished; its work
        // area, and the temporary manifest of versions before the journal,
        // go.
        let finished_interrupted = s2i_common::install::finish(app_root)
            .map_err(|e| Error::io("finish the interrupted installation in", app_root, e))?;
        remove_temporary_manifests(app_root);
        let done = app_root.join(s2i_common::install::DONE);
        s2i_common::tree::remove(&done).map_err(|e| Error::io("remove", &done, e))?;
        let path = app_root.join(WORK_DIR);
        let _ = s2i_common::tree::remove(&path);
        std::fs::create_dir(&path).map_err(not_writable)?;
        let go_tmp = path.join(crate::plan::GO_TMP_DIR);
        std::fs::create_dir(&go_tmp).map_err(|e| Error::io("create", &go_tmp, e))?;
        Ok(WorkArea {
            path,
            _lock: Some(lock),
            _temporary: None,
            finished_interrupted,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `.s2i-run.toml.tmp-PID` in the application root: what a kill during
/// the manifest's write left, before the install had a journal.
fn remove_temporary_manifests(app_root: &Path) {
    let prefix = format!(".{}.tmp-", s2i_common::paths::MANIFEST_FILE);
    let Ok(entries) = std::fs::read_dir(app_root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && s2i_common::install::is_temporary(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for WorkArea {
    fn drop(&mut self) {
        if self._temporary.is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
