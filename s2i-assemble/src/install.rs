//! Installing a finished build under the application root, atomically.
//!
//! Everything new is complete in the work area (on the same file system as
//! the application root) before anything is touched; then each piece is
//! renamed into place, the run manifest last. A failed or interrupted build
//! never gets here, so the previous installation stays as it was.
//!
//! What is written is group-writable and, where the process may, owned by
//! group 0, so that OpenShift's arbitrary UID (always in group 0) can run
//! and update it; nothing is world-writable.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use s2i_common::manifest::RunManifest;
use s2i_common::{atomic, paths, rename};

use crate::errors::Error;
use crate::plan::BuildPlan;

/// What was installed, for the summary.
pub struct Installed {
    pub binaries: Vec<(PathBuf, u64)>,
    pub run: PathBuf,
}

/// Puts the staged application files at `files_dir`: swapped in whole where
/// the file system can (the old ones go with the work area), else entry by
/// entry into the directory that is there.
fn replace_app_files(staged: &Path, files_dir: &Path) -> Result<(), Error> {
    if fs::symlink_metadata(files_dir).is_err() {
        return fs::rename(staged, files_dir).map_err(|e| Error::io("install", files_dir, e));
    }
    if rename::exchange(staged, files_dir).is_ok() {
        return Ok(());
    }
    // In a container build the application root comes from an image layer,
    // and overlayfs will not rename a directory of a lower layer (EXDEV);
    // other file systems lack RENAME_EXCHANGE (EINVAL). The directory stays;
    // its entries are replaced: the old ones removed, the staged ones (new
    // in this build, so renamable) moved in. The binaries and the run
    // manifest stay atomic; only these files are swapped one by one.
    let entries = |dir: &Path| -> Result<Vec<PathBuf>, Error> {
        fs::read_dir(dir)
            .and_then(|list| list.map(|e| e.map(|e| e.path())).collect())
            .map_err(|e| Error::io("read", dir, e))
    };
    for old in entries(files_dir)? {
        s2i_common::tree::remove(&old).map_err(|e| Error::io("replace", &old, e))?;
    }
    for new in entries(staged)? {
        let to = files_dir.join(new.file_name().unwrap_or_default());
        fs::rename(&new, &to).map_err(|e| Error::io("install", &to, e))?;
    }
    Ok(())
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

/// Moves the built binaries, the classic `gobinary`, the application's
/// files (`app_files`, staged in the work area), their SBOMs (`sbom_dir`,
/// staged; empty when they are turned off) and the run manifest into
/// the application root.
pub fn install(plan: &BuildPlan, app_files: &Path, sbom_dir: &Path) -> Result<Installed, Error> {
    let root = &plan.app_root;
    let bin = root.join(paths::BIN_DIR);
    create_dir(&bin).map_err(|e| Error::io("create", &bin, e))?;

    let mut binaries = Vec::new();
    for target in &plan.targets {
        let built = plan.out_dir.join(&target.binary);
        let meta =
            fs::metadata(&built).map_err(|e| Error::io("find the built binary", &built, e))?;
        fs::set_permissions(&built, fs::Permissions::from_mode(0o775))
            .map_err(|e| Error::io("set the mode of", &built, e))?;
        group_zero(&built);
        binaries.push((bin.join(&target.binary), meta.len()));
    }

    // gobinary: a second name for the program to run, staged beside it.
    let run_built = plan.out_dir.join(&plan.run_target().binary);
    let classic_staged = plan.out_dir.join(format!(".{}", paths::CLASSIC_BINARY));
    fs::hard_link(&run_built, &classic_staged)
        .or_else(|_| fs::copy(&run_built, &classic_staged).map(drop))
        .map_err(|e| Error::io("stage", &classic_staged, e))?;

    fs::set_permissions(app_files, fs::Permissions::from_mode(0o775))
        .map_err(|e| Error::io("set the mode of", app_files, e))?;
    group_zero(app_files);

    // Everything is ready: rename it into place.
    for target in &plan.targets {
        let from = plan.out_dir.join(&target.binary);
        let to = bin.join(&target.binary);
        fs::rename(&from, &to).map_err(|e| Error::io("install", &to, e))?;
    }
    let classic = root.join(paths::CLASSIC_BINARY);
    fs::rename(&classic_staged, &classic).map_err(|e| Error::io("install", &classic, e))?;

    let files_dir = root.join(paths::APP_FILES_DIR);
    replace_app_files(app_files, &files_dir)?;
    // The SBOMs describe these binaries: an earlier build's go with them.
    // The folder is there, empty, when they are turned off, so that a
    // chained build copying it still finds it.
    fs::set_permissions(sbom_dir, fs::Permissions::from_mode(0o775))
        .map_err(|e| Error::io("set the mode of", sbom_dir, e))?;
    group_zero(sbom_dir);
    replace_app_files(sbom_dir, &root.join(crate::provenance::SBOM_DIR))?;

    let manifest = RunManifest {
        program: PathBuf::from(paths::BIN_DIR).join(&plan.run_target().binary),
        args: Vec::new(),
        workdir: Some(PathBuf::from(paths::APP_FILES_DIR)),
        env: plan.run_env.clone(),
    };
    let manifest_path = root.join(paths::MANIFEST_FILE);
    atomic::write(&manifest_path, manifest.to_toml().as_bytes(), 0o664)
        .map_err(|e| Error::io("write", &manifest_path, e))?;
    group_zero(&manifest_path);
    Ok(Installed {
        binaries,
        run: bin.join(&plan.run_target().binary),
    })
}
