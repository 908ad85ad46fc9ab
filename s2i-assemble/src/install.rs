//! Installing a finished build under the application root, as one step.
//!
//! Everything new is staged complete in the work area (on the same file
//! system as the application root): the binaries, `gobinary`, the
//! application's files, the SBOMs, the run manifest. Then s2i-common's `install`
//! commits it with one rename (the redo log's commit point) and moves the
//! pieces into place; an install killed after the commit is finished by
//! the next s2i-assemble or by s2i-run, before anything starts. A failed or
//! interrupted build never gets to the commit, so the previous installation
//! stays as it was.
//!
//! What is written is group-writable and, where the process may, owned by
//! group 0, so that OpenShift's arbitrary UID (always in group 0) can run
//! and update it; nothing is world-writable.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use s2i_common::install::Stage;
use s2i_common::manifest::RunManifest;
use s2i_common::paths;

use crate::errors::Error;
use crate::plan::BuildPlan;

/// What was installed, for the summary.
pub struct Installed {
    pub binaries: Vec<(PathBuf, u64)>,
    /// The program s2i-run starts, if one was chosen.
    pub run: Option<PathBuf>,
}

/// Creates `dir` (and parents) group-writable, group 0 where possible.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o775))?;
        group_zero(dir);
    }
    Ok(())
}

/// chown :0, when the process may (root, or a member of group 0).
pub fn group_zero(path: &Path) {
    let _ = std::os::unix::fs::lchown(path, None, Some(0));
}

/// Stages the built binaries, the classic `gobinary`, the application's
/// files (`app_files`, copied into the work area `work`), their SBOMs
/// (`sbom_dir`, in the work area; empty when they are turned off) and the
/// run manifest, then installs them into the application root in one step.
pub fn install(
    plan: &BuildPlan,
    app_files: &Path,
    sbom_dir: &Path,
    work: &Path,
) -> Result<Installed, Error> {
    let root = &plan.app_root;
    let staging = work.join("install");
    let stage = Stage::create(&staging).map_err(|e| Error::io("stage", &staging, e))?;
    let staged = |piece: &str| stage.path(piece);

    let mut binaries = Vec::new();
    for target in &plan.targets {
        let built = plan.out_dir.join(&target.binary);
        let meta =
            fs::metadata(&built).map_err(|e| Error::io("find the built binary", &built, e))?;
        fs::set_permissions(&built, fs::Permissions::from_mode(0o775))
            .map_err(|e| Error::io("set the mode of", &built, e))?;
        group_zero(&built);
        let to = staged(paths::BIN_DIR).join(&target.binary);
        fs::rename(&built, &to).map_err(|e| Error::io("stage", &to, e))?;
        binaries.push((root.join(paths::BIN_DIR).join(&target.binary), meta.len()));
    }
    for dir in [
        staged(paths::BIN_DIR),
        app_files.to_path_buf(),
        sbom_dir.to_path_buf(),
    ] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o775))
            .map_err(|e| Error::io("set the mode of", &dir, e))?;
        group_zero(&dir);
    }

    // gobinary: a second name for the program to run.
    if let Some(run) = plan.run_target() {
        let run_staged = staged(paths::BIN_DIR).join(&run.binary);
        let classic = staged(paths::CLASSIC_BINARY);
        fs::hard_link(&run_staged, &classic)
            .or_else(|_| fs::copy(&run_staged, &classic).map(drop))
            .map_err(|e| Error::io("stage", &classic, e))?;
    }

    let files = staged(paths::APP_FILES_DIR);
    fs::rename(app_files, &files).map_err(|e| Error::io("stage", &files, e))?;
    // The SBOMs describe these binaries: an earlier build's go with them.
    // The folder is there, empty, when they are turned off, so that a
    // chained build copying it still finds it.
    let sboms = staged(paths::SBOM_DIR);
    fs::rename(sbom_dir, &sboms).map_err(|e| Error::io("stage", &sboms, e))?;

    // None chosen of several: no run manifest (s2i-run then starts the one
    // named on its command line; see decide::several_programs).
    if let Some(run) = plan.run_target() {
        let manifest = RunManifest {
            program: PathBuf::from(paths::BIN_DIR).join(&run.binary),
            args: Vec::new(),
            workdir: Some(PathBuf::from(paths::APP_FILES_DIR)),
            env: plan.run_env.clone(),
        };
        let manifest_path = staged(paths::MANIFEST_FILE);
        write_synced(&manifest_path, manifest.to_toml().as_bytes(), 0o664)
            .map_err(|e| Error::io("write", &manifest_path, e))?;
        group_zero(&manifest_path);
    }

    let names: Vec<String> = plan.targets.iter().map(|t| t.binary.clone()).collect();
    stage
        .binaries(root, &names)
        .map_err(|e| Error::io("stage", &staging, e))?;
    // The commit point, then each piece into place.
    stage
        .commit(root)
        .map_err(|e| Error::io("install", root, e))?;
    Ok(Installed {
        binaries,
        run: plan
            .run_target()
            .map(|t| root.join(paths::BIN_DIR).join(&t.binary)),
    })
}

/// Writes `path` (new) with `contents` and permission bits `mode`, to disk.
fn write_synced(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::File::create(path)?;
    file.write_all(contents)?;
    // The umask may have cleared bits of `mode` (group write, typically).
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.sync_all()
}
