//! Brings the previous build's caches back into place before a build.
//!
//! The artifacts path is either the directory s2i extracted the previous
//! image's stream into (`/tmp/artifacts`), or the stream itself as a tar file
//! (the `--as-dockerfile` flow's `/tmp/artifacts.tar`, or a file handed over
//! by other means): a tar is extracted, entry by entry through
//! [`validate::check_entry`], into a staging directory next to the caches.
//! Either way the tree is checked whole ([`validate::check_tree`]) before
//! anything moves, then renamed into place (copied where it cannot be).
//!
//! Nothing here fails a build: whatever looks wrong becomes a warning and the
//! cache in question starts empty.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::tree::{self, Merged};
use crate::validate::{self, EntryKind};
use crate::{CacheDirs, Size, BUILD_ENTRY, MODULE_ENTRY};

/// What a restore did, for the build log.
#[derive(Debug, Default)]
pub struct Report {
    /// What was brought back: which cache, how much, and how.
    pub restored: Vec<Restored>,
    /// Why something was not restored; each means a (partly) clean build.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// "build cache" or "module cache".
    pub what: &'static str,
    pub size: Size,
    pub merged: Merged,
}

impl Report {
    /// True when there were artifacts at all (restored or refused).
    pub fn found_artifacts(&self) -> bool {
        !self.restored.is_empty() || !self.warnings.is_empty()
    }
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match (self.merged.renamed, self.merged.copied) {
            (_, 0) => "moved",
            (0, _) => "copied",
            _ => "moved and copied",
        };
        write!(f, "{}: {} ({how})", self.what, self.size)
    }
}

/// Restores the caches from `artifacts` (a directory or a tar file; missing
/// or empty means nothing to do) into `caches`. The artifacts are consumed:
/// what is not moved into place is removed, so it does not end up in the
/// application image.
pub fn restore(artifacts: &Path, caches: &CacheDirs) -> Report {
    let mut report = Report::default();
    let refuse = |report: &mut Report, why: String| {
        report.warnings.push(format!(
            "ignoring the build artifacts in {}: {why}; building from scratch",
            artifacts.display()
        ));
    };
    let meta = match fs::symlink_metadata(artifacts) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return report,
        Err(e) => {
            refuse(&mut report, e.to_string());
            return report;
        }
    };
    let staging = caches
        .build
        .parent()
        .unwrap_or(Path::new("."))
        .join(".artifacts-restoring");
    let source: PathBuf = if meta.is_dir() {
        if tree::is_empty_dir(artifacts) {
            return report;
        }
        artifacts.to_path_buf()
    } else if meta.is_file() {
        if meta.len() == 0 {
            return report; // save-artifacts had nothing to save
        }
        let _ = tree::remove(&staging);
        if let Err(why) = extract(artifacts, &staging) {
            let _ = tree::remove(&staging);
            refuse(&mut report, why);
            return report;
        }
        staging.clone()
    } else {
        refuse(
            &mut report,
            "it is neither a directory nor a tar file".into(),
        );
        return report;
    };

    match validate::check_tree(&source) {
        Err(why) => refuse(&mut report, why),
        Ok(_) => restore_checked(&source, caches, &mut report),
    }

    // Whatever is left (refused, unknown, or already in place) goes.
    let _ = tree::remove(&staging);
    if source == artifacts {
        clear(artifacts);
    }
    report
}

/// The caches that a checked tree may hold, by their name in the artifacts:
/// ours, and the classic images' `pkg` (their `$HOME/go/pkg`, whose `mod` is
/// the module cache).
fn restore_checked(source: &Path, caches: &CacheDirs, report: &mut Report) {
    let mut names: Vec<_> = match fs::read_dir(source) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect(),
        Err(e) => {
            report.warnings.push(format!(
                "cannot read the build artifacts: {e}; building from scratch"
            ));
            return;
        }
    };
    names.sort();
    for name in names {
        let (what, from, to) = match name.to_str() {
            Some(BUILD_ENTRY) => ("build cache", source.join(BUILD_ENTRY), &caches.build),
            Some(MODULE_ENTRY) => ("module cache", source.join(MODULE_ENTRY), &caches.module),
            Some("pkg") if source.join("pkg/mod").is_dir() => {
                ("module cache", source.join("pkg/mod"), &caches.module)
            }
            _ => {
                report.warnings.push(format!(
                    "ignoring {:?} in the build artifacts: expected only {BUILD_ENTRY}/ and {MODULE_ENTRY}/",
                    name
                ));
                continue;
            }
        };
        if !from.is_dir() {
            report.warnings.push(format!(
                "ignoring {what} in the build artifacts: not a directory"
            ));
            continue;
        }
        let moved = tree::size(&from).and_then(|size| {
            // Moving a directory to another parent needs it writable, and Go
            // leaves the module cache's directories read-only.
            tree::add_dir_mode(&from, 0o700)?;
            Ok((size, tree::merge(&from, to)?))
        });
        match moved {
            Ok((size, merged)) => report.restored.push(Restored { what, size, merged }),
            Err(e) => {
                // Half a module cache could look complete to Go: start over.
                let _ = tree::remove(to);
                report.warnings.push(format!(
                    "could not restore the {what}: {e}; building it from scratch"
                ));
            }
        }
    }
}

/// Extracts the tar file `archive` into the new directory `dest`, refusing
/// the whole archive at its first doubtful entry.
fn extract(archive: &Path, dest: &Path) -> Result<(), String> {
    let file = File::open(archive).map_err(|e| e.to_string())?;
    fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar stream: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a valid tar stream ({})", printable(&e)))?;
        let path = entry
            .path()
            .map_err(|e| format!("bad entry name: {e}"))?
            .into_owned();
        let (relative, kind) = validate::check_entry(&path, entry.header().entry_type())?;
        let mode = entry.header().mode().unwrap_or(0o644);
        let target = dest.join(&relative);
        let written = match kind {
            EntryKind::Directory => fs::create_dir_all(&target).and_then(|()| {
                fs::set_permissions(&target, fs::Permissions::from_mode(0o700 | (mode & 0o755)))
            }),
            EntryKind::File => write_file(&mut entry, &target, 0o600 | (mode & 0o755)),
        };
        written.map_err(|e| format!("cannot extract {}: {e}", relative.display()))?;
    }
    Ok(())
}

fn write_file(entry: &mut tar::Entry<'_, impl Read>, target: &Path, mode: u32) -> io::Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let expected = entry.header().size()?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(target)?;
    let copied = io::copy(entry, &mut file)?;
    if copied != expected {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("truncated: {copied} of {expected} bytes"),
        ));
    }
    Ok(())
}

/// An error about foreign bytes, fit for a log line: the tar reader quotes
/// what it could not parse, which may be anything.
fn printable(error: &io::Error) -> String {
    let text: String = error
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(120)
        .collect();
    text
}

/// Empties the artifacts directory, best effort (it may not be ours to keep).
fn clear(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let _ = tree::remove(&entry.path());
        }
    }
}
