//! Brings the previous build's caches back into place before a build.
//!
//! The artifacts path is either the directory s2i extracted the previous
//! image's stream into (`/tmp/artifacts`), or the stream itself as a tar file
//! (the `--as-dockerfile` flow's `/tmp/artifacts.tar`, or a file handed over
//! by other means).
//!
//! Every entry is checked the same way ([`validate::check`]) whichever way
//! it comes:
//!
//! - A directory is checked whole first (one walk), then what is left out
//!   goes, modes are normalised, and its caches are renamed into place
//!   (copied where they cannot be).
//! - A tar file is read twice: once to check every entry (sizes included),
//!   then to extract it (one checked iterator for both). The
//!   build cache is extracted straight into GOCACHE: its entries are
//!   self-checking, so an interrupted restore costs Go a recompile at worst.
//!   The module cache is extracted next to its place and renamed in whole,
//!   because Go trusts an extracted module directory as complete.
//!
//! Either way what is in place already wins (the image's own base cache is
//! never overwritten), and every build-cache entry brought in is dated
//! [`crate::prune::backdated`] so that the build's use of it shows; the
//! entries brought in are listed for the prune.
//!
//! Before anything is placed, what may be brought in is noted beside the
//! caches ([`unpruned`]), and what an earlier restore noted and no prune
//! looked at is taken up first: a restore cut short (a signal stops it at
//! the next entry; `kill -9` anywhere) leaves nothing that no prune finds.
//!
//! Nothing here fails a build: whatever looks wrong becomes a warning and the
//! cache in question starts empty.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use s2i_common::display::reason;
use s2i_common::display::Escaped;

use crate::prune;
use crate::tree;
use crate::unpruned::{self, Leftover};
use crate::validate::{self, Entry, Kind, Place};
use crate::{CacheDirs, Size, BUILD_ENTRY, MODULE_ENTRY};

/// What a restore did, for the build log.
#[derive(Debug, Default)]
pub struct Report {
    /// What was brought back: which cache, how much, and how.
    pub restored: Vec<Restored>,
    /// Why something was not restored; each means a (partly) clean build.
    pub warnings: Vec<String>,
    /// The build-cache entries brought in (`<xx>/<hex>-a`, `<xx>/<hex>-d`,
    /// relative to GOCACHE), dated for the prune: only these are ever
    /// pruned. Those an earlier restore left unpruned included.
    pub build_entries: Vec<PathBuf>,
    /// The module cache was restored (now, or by an earlier restore) and
    /// is to be pruned.
    pub module_unpruned: bool,
    /// What an earlier restore left unpruned ([`Leftover`]).
    pub leftover: Leftover,
    /// The restore stopped half-way because it was asked to: what it
    /// brought in so far is noted for the next build's prune.
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub cache: Cache,
    pub size: Size,
    /// "moved", "copied", "moved and copied" or "extracted".
    pub how: &'static str,
}

impl Report {
    /// True when there were artifacts at all (restored or refused).
    pub fn found_artifacts(&self) -> bool {
        !self.restored.is_empty() || !self.warnings.is_empty()
    }
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.cache.what(), self.size, self.how)
    }
}

pub use crate::validate::Cache;

/// What the top level of the artifacts holds, for the warnings: each name,
/// and whether it is a directory.
#[derive(Debug, Default)]
struct TopLevel {
    names: BTreeMap<OsString, bool>,
    pkg_mod: bool,
}

impl TopLevel {
    fn note(&mut self, entry: &Entry) {
        let mut components = entry.relative.components();
        let Some(top) = components.next() else { return };
        let nested = components.next();
        let dir = self.names.entry(top.as_os_str().to_owned()).or_insert(true);
        if nested.is_none() {
            *dir = entry.is_dir;
        }
        if top.as_os_str() == "pkg" && nested.is_some_and(|c| c.as_os_str() == "mod") {
            self.pkg_mod |= components.next().is_some() || entry.is_dir;
        }
    }

    /// The caches to restore; warnings for the rest.
    fn caches(&self, report: &mut Report) -> Vec<Cache> {
        let mut caches = Vec::new();
        for (name, &is_dir) in &self.names {
            let cache = match name.to_str() {
                Some(BUILD_ENTRY) => Cache::Build,
                Some(MODULE_ENTRY) => Cache::Module,
                Some("pkg") if self.pkg_mod => Cache::Module,
                _ => {
                    report.warnings.push(format!(
                        "ignoring {} in the build artifacts: expected only {BUILD_ENTRY}/ and {MODULE_ENTRY}/",
                        Escaped::new(name)
                    ));
                    continue;
                }
            };
            if !is_dir {
                report.warnings.push(format!(
                    "ignoring {} in the build artifacts: not a directory",
                    cache.what()
                ));
            } else if !caches.contains(&cache) {
                caches.push(cache);
            }
        }
        caches
    }
}

/// What was left out of the caches for being no part of Go's layout: for
/// each cache and reason, the first path and how many more.
#[derive(Debug, Default)]
struct LeftOut(BTreeMap<(Cache, &'static str), (PathBuf, u64)>);

impl LeftOut {
    fn note(&mut self, entry: &Entry) {
        if let Place::Misplaced { cache, why } = entry.place {
            self.0
                .entry((cache, why))
                .and_modify(|(_, more)| *more += 1)
                .or_insert_with(|| (entry.relative.clone(), 0));
        }
    }

    /// One warning per cache and reason, for the caches restored.
    fn warn(&self, restoring: &[Cache], report: &mut Report) {
        for ((cache, why), (first, more)) in &self.0 {
            if !restoring.contains(cache) {
                continue;
            }
            let more = match more {
                0 => String::new(),
                n => format!(" (and {n} more like it)"),
            };
            report.warnings.push(format!(
                "ignoring {}{more} in the build artifacts: {why}",
                Escaped::new(first)
            ));
        }
    }
}

/// Restores the caches from `artifacts` (a directory or a tar file; missing
/// or empty means nothing to do) into `caches`, after taking up what an
/// earlier restore left unpruned ([`Leftover::take`]). The artifacts are
/// consumed: what is not moved into place is removed, so it does not end
/// up in the application image.
pub fn restore(artifacts: &Path, caches: &CacheDirs) -> Report {
    restore_with(artifacts, caches, &|| false)
}

/// [`restore`] that stops as soon as `cancelled` says so (it is asked
/// before each entry): the report says it was, and the artifacts are left
/// as they are.
pub fn restore_with(artifacts: &Path, caches: &CacheDirs, cancelled: &dyn Fn() -> bool) -> Report {
    let (report, leftovers) = restore_leaving(artifacts, caches, cancelled);
    if let Some(dir) = leftovers {
        clear(&dir);
    }
    report
}

/// [`restore_with`], except that what is left of an artifacts directory
/// (the directories emptied by the move: hundreds of `rmdir`s) is removed
/// on a thread of its own, while the caller goes on with the build.
/// Dropping the [`Clearing`] waits until the removal is done.
pub fn restore_clearing_in_background(
    artifacts: &Path,
    caches: &CacheDirs,
    cancelled: &dyn Fn() -> bool,
) -> (Report, Clearing) {
    let (report, leftovers) = restore_leaving(artifacts, caches, cancelled);
    let clearing = leftovers.and_then(|dir| {
        let path = dir.clone();
        let thread = std::thread::Builder::new().spawn(move || clear(&path));
        if thread.is_err() {
            clear(&dir); // no thread to be had: the caller waits for it
        }
        thread.ok()
    });
    (report, Clearing(clearing))
}

/// The removal of what is left of the artifacts, under way: dropping it
/// waits for its end.
#[must_use = "dropping it waits for the artifacts' removal"]
pub struct Clearing(Option<std::thread::JoinHandle<()>>);

impl Clearing {
    /// Nothing under way.
    pub fn done() -> Clearing {
        Clearing(None)
    }
}

impl Drop for Clearing {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// True when there are artifacts at `artifacts`: a directory with
/// something in it, a file with something in it (save-artifacts writes
/// nothing when it has nothing to save), or anything else (refused by the
/// restore, not ignored).
pub fn present(artifacts: &Path) -> bool {
    match fs::symlink_metadata(artifacts) {
        Ok(meta) if meta.is_dir() => !tree::is_empty_dir(artifacts),
        Ok(meta) if meta.is_file() => meta.len() > 0,
        Ok(_) => true,
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    }
}

/// Why a restore stopped before its end.
enum Stop {
    /// The artifacts are refused, for this reason.
    Refused(String),
    /// It was asked to stop.
    Cancelled,
}

impl From<String> for Stop {
    fn from(why: String) -> Stop {
        Stop::Refused(why)
    }
}

impl From<io::Error> for Stop {
    fn from(error: io::Error) -> Stop {
        if tree::is_cancelled(&error) {
            Stop::Cancelled
        } else {
            Stop::Refused(error.to_string())
        }
    }
}

/// The restore itself, and the artifacts directory when what is left of it
/// is to be removed.
fn restore_leaving(
    artifacts: &Path,
    caches: &CacheDirs,
    cancelled: &dyn Fn() -> bool,
) -> (Report, Option<PathBuf>) {
    let leftover = Leftover::take(caches, cancelled);
    let mut report = Report {
        build_entries: leftover.build_entries.clone(),
        module_unpruned: leftover.module,
        leftover,
        ..Report::default()
    };
    if cancelled() {
        report.cancelled = true;
        return (report, None);
    }
    if !present(artifacts) {
        return (report, None);
    }
    let meta = match fs::symlink_metadata(artifacts) {
        Ok(meta) => meta,
        Err(e) => {
            refuse(&mut report, artifacts, e.to_string());
            return (report, None);
        }
    };
    let (restored, leftovers) = if meta.is_dir() {
        // Whatever is left (refused, unknown, or already in place) goes.
        let restored = restore_dir(artifacts, caches, cancelled, &mut report);
        (restored, Some(artifacts.to_path_buf()))
    } else if meta.is_file() {
        // The stream is consumed too, refused or not: it would otherwise
        // stay in the application image (tens of MB).
        let restored = restore_tar(artifacts, caches, cancelled, &mut report);
        (restored, Some(artifacts.to_path_buf()))
    } else {
        let why = "it is neither a directory nor a tar file";
        (Err(Stop::Refused(why.into())), None)
    };
    match restored {
        Ok(()) => (report, leftovers),
        Err(Stop::Refused(why)) => {
            refuse(&mut report, artifacts, why);
            (report, leftovers)
        }
        // Left as it is: the caller is on its way out.
        Err(Stop::Cancelled) => {
            report.cancelled = true;
            (report, None)
        }
    }
}

fn refuse(report: &mut Report, artifacts: &Path, why: String) {
    report.warnings.push(format!(
        "ignoring the build artifacts in {}: {why}; building from scratch",
        Escaped::new(artifacts)
    ));
}

/// Where a stream's module cache is extracted before it is renamed into
/// place: beside the module cache.
pub(crate) fn staging_of(caches: &CacheDirs) -> PathBuf {
    caches
        .module
        .parent()
        .unwrap_or(Path::new("."))
        .join(".artifacts-restoring")
}

/// What one walk of an extracted directory found.
#[derive(Default)]
struct Survey {
    top: TopLevel,
    left_out: LeftOut,
    sizes: BTreeMap<Cache, Size>,
    /// What is left out of the caches (each the top of a subtree): removed
    /// from the artifacts before the caches move.
    removals: Vec<PathBuf>,
    /// Entries whose mode changes ([`validate::restored_mode`]), parents
    /// first: a move needs directories writable (Go leaves the module
    /// cache's read-only).
    modes: Vec<(PathBuf, u32)>,
    /// Build-cache entries (relative to the build cache) and their times.
    build_entries: Vec<(PathBuf, SystemTime)>,
    /// Every path that stays, and whether it is a directory: what the move
    /// needs, so that it reads no directory again.
    listing: Vec<(PathBuf, bool)>,
}

impl Survey {
    /// The listing of the tree at `top` (relative to the artifacts),
    /// relative to `top`.
    fn listing_under<'a>(&'a self, top: &'a Path) -> impl Iterator<Item = (&'a Path, bool)> {
        self.listing.iter().filter_map(move |(path, is_dir)| {
            let relative = path.strip_prefix(top).ok()?;
            (!relative.as_os_str().is_empty()).then_some((relative, *is_dir))
        })
    }
}

/// Checks every entry of the extracted tree at `root` ([`validate`], as a
/// tar's entries are checked) and notes what the move needs, in one walk.
fn survey(root: &Path, cancelled: &dyn Fn() -> bool) -> Result<Survey, Stop> {
    let mut survey = Survey::default();
    // The top of the subtree being left out: what is below goes with it.
    let mut removing: Option<PathBuf> = None;
    // The listing's directory handle makes each `stat` a short look-up.
    tree::walk_listing(root, &mut |relative, found| {
        if cancelled() {
            return Err(tree::cancelled());
        }
        let meta = &found.metadata()?;
        let entry = validate::check_found(relative, meta).map_err(io::Error::other)?;
        if removing
            .as_ref()
            .is_some_and(|top| relative.starts_with(top))
        {
            return Ok(());
        }
        survey.top.note(&entry);
        let cache = match entry.place {
            Place::Misplaced { .. } => {
                survey.left_out.note(&entry);
                survey.removals.push(entry.relative.clone());
                removing = Some(entry.relative);
                return Ok(());
            }
            Place::Elsewhere => None,
            Place::Cache { cache, .. } => Some(cache),
        };
        if meta.mode() & 0o7777 != entry.mode {
            survey.modes.push((root.join(relative), entry.mode));
        }
        survey.listing.push((relative.to_path_buf(), entry.is_dir));
        let Some(cache) = cache else { return Ok(()) };
        if meta.is_file() {
            survey.sizes.entry(cache).or_default().add(Size {
                files: 1,
                bytes: meta.len(),
            });
        }
        if entry.is_build_entry() {
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            survey
                .build_entries
                .push((entry.rest().to_path_buf(), mtime));
        }
        Ok(())
    })?;
    Ok(survey)
}

/// The directory s2i extracted: checked whole, then renamed into place.
fn restore_dir(
    source: &Path,
    caches: &CacheDirs,
    cancelled: &dyn Fn() -> bool,
    report: &mut Report,
) -> Result<(), Stop> {
    let survey = survey(source, cancelled)?;
    for (path, mode) in &survey.modes {
        fs::set_permissions(path, fs::Permissions::from_mode(*mode)).map_err(|e| {
            format!(
                "cannot change the mode of {}: {e}",
                Escaped::new(path.strip_prefix(source).unwrap_or(path))
            )
        })?;
    }
    for path in &survey.removals {
        tree::remove(&source.join(path))
            .map_err(|e| format!("cannot remove {}: {e}", Escaped::new(path)))?;
    }
    let restoring = survey.top.caches(report);
    survey.left_out.warn(&restoring, report);
    let candidates: Vec<&Path> = survey
        .build_entries
        .iter()
        .map(|(e, _)| e.as_path())
        .collect();
    let restoring = note_before_restoring(restoring, caches, &candidates, report);
    let now = SystemTime::now();
    for cache in restoring {
        let (from, to) = match cache {
            Cache::Build => (Path::new(BUILD_ENTRY), &caches.build),
            Cache::Module if source.join(MODULE_ENTRY).is_dir() => {
                (Path::new(MODULE_ENTRY), &caches.module)
            }
            Cache::Module => (Path::new("pkg/mod"), &caches.module),
        };
        let listing = survey.listing_under(from);
        let merged = match tree::merge_listed(&source.join(from), to, listing, cancelled) {
            Ok(merged) => merged,
            Err(e) if tree::is_cancelled(&e) => return Err(Stop::Cancelled),
            Err(e) => {
                // Half a module cache could look complete to Go: start over.
                if cache == Cache::Module {
                    let _ = tree::remove(to);
                }
                report.warnings.push(format!(
                    "could not restore the {}: {e}; building it from scratch",
                    cache.what()
                ));
                continue;
            }
        };
        if cache == Cache::Build {
            let placed: HashSet<&Path> = merged.placed.iter().map(PathBuf::as_path).collect();
            for (entry, mtime) in &survey.build_entries {
                if cancelled() {
                    return Err(Stop::Cancelled);
                }
                if !entry.ancestors().any(|a| placed.contains(a)) {
                    continue; // the cache had it already: not ours
                }
                if prune::needs_backdating(*mtime, now) {
                    let _ = set_mtime(&to.join(entry), prune::backdated(now));
                }
                report.build_entries.push(entry.clone());
            }
            narrow_note(caches, report);
        }
        let how = match (merged.renamed, merged.copied) {
            (_, 0) => "moved",
            (0, _) => "copied",
            _ => "moved and copied",
        };
        report.restored.push(Restored {
            cache,
            size: survey.sizes.get(&cache).copied().unwrap_or_default(),
            how,
        });
    }
    Ok(())
}

/// Notes, before anything is placed, what the restore of each cache of
/// `restoring` may bring in ([`unpruned`]): the build-cache entries that
/// an earlier restore left and the `candidates`, or that the module cache
/// is restored. A cache whose note cannot be written is not restored
/// (what it brought in could outlive every prune). Returns the caches to
/// restore.
fn note_before_restoring(
    restoring: Vec<Cache>,
    caches: &CacheDirs,
    candidates: &[&Path],
    report: &mut Report,
) -> Vec<Cache> {
    let mut noted = Vec::new();
    for cache in restoring {
        let written = match cache {
            Cache::Build => {
                let leftover = report.build_entries.iter().map(PathBuf::as_path);
                let all = leftover.chain(candidates.iter().copied());
                unpruned::note_build_entries(&caches.build, all)
                    .map_err(|e| (unpruned::note_of(&caches.build), e))
            }
            Cache::Module => unpruned::note_module_cache(&caches.module)
                .map_err(|e| (unpruned::note_of(&caches.module), e)),
        };
        match written {
            Ok(()) => {
                if cache == Cache::Module {
                    report.module_unpruned = true;
                }
                noted.push(cache)
            }
            Err((note, e)) => report.warnings.push(format!(
                "could not restore the {}: cannot write {}: {}; building it from scratch",
                cache.what(),
                Escaped::new(&note),
                reason(&e)
            )),
        }
    }
    noted
}

/// Once the build cache is restored: its note names exactly what is to be
/// pruned (best effort: a note that names too much costs a later build no
/// more than a few entries pruned early).
fn narrow_note(caches: &CacheDirs, report: &Report) {
    let entries = report.build_entries.iter().map(PathBuf::as_path);
    let _ = unpruned::note_build_entries(&caches.build, entries);
}

pub(crate) fn set_mtime(path: &Path, time: SystemTime) -> io::Result<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let spec = TimeSpec::from_duration(since);
    utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &spec,
        &spec,
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(io::Error::from)
}

/// Big reads: the stream is read twice, mostly in large files.
const READ_BUFFER: usize = 1 << 20;

fn open_tar(archive: &Path) -> Result<tar::Archive<BufReader<File>>, String> {
    let file = File::open(archive).map_err(|e| e.to_string())?;
    Ok(tar::Archive::new(BufReader::with_capacity(
        READ_BUFFER,
        file,
    )))
}

/// The stream as a tar file: checked whole, then extracted.
fn restore_tar(
    archive: &Path,
    caches: &CacheDirs,
    cancelled: &dyn Fn() -> bool,
    report: &mut Report,
) -> Result<(), Stop> {
    let checked = check_tar(archive, cancelled)?;
    let restoring = checked.top.caches(report);
    checked.left_out.warn(&restoring, report);
    let candidates: Vec<&Path> = checked.build_entries.iter().map(PathBuf::as_path).collect();
    let restoring = note_before_restoring(restoring, caches, &candidates, report);
    if restoring.is_empty() {
        return Ok(());
    }
    let staging = staging_of(caches);
    let mut extraction = Extraction {
        build: restoring
            .contains(&Cache::Build)
            .then(|| caches.build.clone()),
        module: restoring.contains(&Cache::Module).then(|| staging.clone()),
        now: SystemTime::now(),
        umask: current_umask(),
        entries: Vec::new(),
        entry_dirs: Vec::new(),
        foreign: HashSet::new(),
        made: HashSet::new(),
        build_size: Size::default(),
        module_size: Size::default(),
        buffer: Vec::new(),
    };
    match extraction.run(archive, cancelled) {
        Ok(()) => {}
        // What is in place stays, noted for the next build's prune.
        Err(Stop::Cancelled) => return Err(Stop::Cancelled),
        Err(refused) => {
            extraction.undo();
            let _ = tree::remove(&staging);
            narrow_note(caches, report);
            return Err(refused);
        }
    }
    if extraction.build.is_some() {
        report.restored.push(Restored {
            cache: Cache::Build,
            size: extraction.build_size,
            how: "extracted",
        });
        report.build_entries.append(&mut extraction.entries);
        narrow_note(caches, report);
    }
    if extraction.module.is_some() && staging.is_dir() {
        match tree::merge(&staging, &caches.module) {
            Ok(_) => report.restored.push(Restored {
                cache: Cache::Module,
                size: extraction.module_size,
                how: "extracted",
            }),
            Err(e) => {
                let _ = tree::remove(&caches.module);
                report.warnings.push(format!(
                    "could not restore the module cache: {e}; building it from scratch"
                ));
            }
        }
    }
    let _ = tree::remove(&staging);
    Ok(())
}

/// What the first reading of a stream found.
#[derive(Default)]
struct CheckedTar {
    top: TopLevel,
    left_out: LeftOut,
    /// Its build-cache entries (relative to the build cache).
    build_entries: Vec<PathBuf>,
}

/// Reads the whole stream, checking every entry and its size, and says what
/// it holds. Nothing is written.
fn check_tar(archive: &Path, cancelled: &dyn Fn() -> bool) -> Result<CheckedTar, Stop> {
    if let Some(compression) = compression(archive) {
        return Err(Stop::Refused(format!(
            "it is compressed with {compression}: s2i's save-artifacts stream must be a plain tar"
        )));
    }
    let mut checked = CheckedTar::default();
    for_each_entry(archive, cancelled, &mut |entry, data| {
        let expected = data.header().size().map_err(|e| e.to_string())?;
        let shown = Escaped::new(&entry.relative);
        let read = io::copy(data, &mut io::sink())
            .map_err(|e| format!("cannot read {shown}: {}", printable(&e)))?;
        if read != expected {
            return Err(format!(
                "cannot extract {shown}: truncated: {read} of {expected} bytes"
            ));
        }
        checked.top.note(entry);
        checked.left_out.note(entry);
        if entry.is_build_entry() {
            checked.build_entries.push(entry.rest().to_path_buf());
        }
        Ok(())
    })?;
    Ok(checked)
}

/// The compression the file at `archive` starts with the magic number of,
/// if any: a tar starts with a file name.
fn compression(archive: &Path) -> Option<&'static str> {
    let mut head = [0u8; 6];
    let mut file = File::open(archive).ok()?;
    let len = file.read(&mut head).ok()?;
    let head = &head[..len];
    [
        (&b"\x1f\x8b"[..], "gzip"),
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\0", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"\x04\x22\x4d\x18", "lz4"),
        (b"LZIP", "lzip"),
    ]
    .into_iter()
    .find(|(magic, _)| head.starts_with(magic))
    .map(|(_, name)| name)
}

/// An entry's data, read from the stream.
type TarData<'a> = tar::Entry<'a, BufReader<File>>;

/// Reads the stream at `archive` and hands each entry, checked
/// ([`validate::check`]), to `visit` with its data; the first entry refused
/// stops it, and so does `cancelled` (asked before each entry). Both
/// readings of a stream go through here.
fn for_each_entry(
    archive: &Path,
    cancelled: &dyn Fn() -> bool,
    visit: &mut dyn FnMut(&Entry, &mut TarData<'_>) -> Result<(), String>,
) -> Result<(), Stop> {
    let mut tar = open_tar(archive)?;
    let entries = tar
        .entries()
        .map_err(|e| format!("not a tar stream: {e}"))?;
    for data in entries {
        if cancelled() {
            return Err(Stop::Cancelled);
        }
        let mut data = data.map_err(|e| format!("not a valid tar stream ({})", printable(&e)))?;
        let header = data.header();
        let kind = Kind::of_tar(header.entry_type());
        let mode = header.mode().unwrap_or(0o644);
        let path = data
            .path()
            .map_err(|e| format!("bad entry name: {}", printable(&e)))?
            .into_owned();
        let entry = validate::check(&path, kind, mode)?;
        visit(&entry, &mut data)?;
    }
    Ok(())
}

/// The second reading of a checked stream: the build cache straight into
/// place, the module cache into its staging directory.
struct Extraction {
    /// GOCACHE, when the build cache is restored.
    build: Option<PathBuf>,
    /// The module cache's staging directory, when it is restored.
    module: Option<PathBuf>,
    now: SystemTime,
    umask: u32,
    /// Build-cache entries created (relative to GOCACHE).
    entries: Vec<PathBuf>,
    /// Entry directories (executables) created: dated once filled.
    entry_dirs: Vec<PathBuf>,
    /// Entry directories that were in place already: not ours to fill.
    foreign: HashSet<PathBuf>,
    /// Directories known to exist.
    made: HashSet<PathBuf>,
    build_size: Size,
    module_size: Size,
    buffer: Vec<u8>,
}

impl Extraction {
    fn run(&mut self, archive: &Path, cancelled: &dyn Fn() -> bool) -> Result<(), Stop> {
        for_each_entry(archive, cancelled, &mut |entry, data| {
            let root = match entry.cache() {
                Some(Cache::Build) => self.build.clone(),
                Some(Cache::Module) => self.module.clone(),
                None => None, // left out, or another builder's
            };
            let Some(root) = root else { return Ok(()) };
            self.extract(&root, entry, data)
                .map_err(|e| format!("cannot extract {}: {e}", Escaped::new(&entry.relative)))
        })?;
        // Filling a directory dates it: executables' entries are dated last.
        let backdated = prune::backdated(self.now);
        if let Some(build) = &self.build {
            for dir in &self.entry_dirs {
                set_mtime(&build.join(dir), backdated).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn extract(&mut self, root: &Path, checked: &Entry, data: &mut impl Read) -> io::Result<()> {
        let (cache, rest, mode) = (checked.cache(), checked.rest(), checked.mode);
        let entry = checked.is_build_entry();
        if cache == Some(Cache::Build) {
            let owner = rest.iter().take(2).collect::<PathBuf>();
            if self.foreign.contains(&owner) {
                return Ok(());
            }
        }
        let target = root.join(rest);
        if checked.is_dir {
            let created = self.make_dir(&target, mode)?;
            if entry {
                if created {
                    self.entries.push(rest.to_path_buf());
                    self.entry_dirs.push(rest.to_path_buf());
                } else {
                    self.foreign.insert(rest.to_path_buf());
                }
            }
            return Ok(());
        }
        if let Some(parent) = target.parent() {
            if !self.made.contains(parent) {
                fs::create_dir_all(parent)?;
                self.made.insert(parent.to_path_buf());
            }
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&target);
        let mut file = match file {
            Ok(file) => file,
            // What is in place already wins (the image's own entries).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(e),
        };
        self.buffer.clear();
        data.read_to_end(&mut self.buffer)?;
        let written = file.write_all(&self.buffer).and_then(|()| {
            if entry {
                file.set_modified(prune::backdated(self.now))?;
            }
            Ok(())
        });
        if let Err(e) = written {
            drop(file);
            let _ = fs::remove_file(&target);
            return Err(e);
        }
        let size = Size {
            files: 1,
            bytes: self.buffer.len() as u64,
        };
        match cache {
            Some(Cache::Build) => {
                self.build_size.add(size);
                if entry {
                    self.entries.push(rest.to_path_buf());
                }
            }
            _ => self.module_size.add(size),
        }
        Ok(())
    }

    /// Makes the directory `dir` (and its parents) with `mode`; false when it
    /// was there already.
    fn make_dir(&mut self, dir: &Path, mode: u32) -> io::Result<bool> {
        if self.made.contains(dir) {
            return Ok(false);
        }
        let created = match DirBuilder::new().mode(mode).create(dir) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => false,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new().recursive(true).create(dir)?;
                true
            }
            Err(e) => return Err(e),
        };
        if created && mode & self.umask != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode))?;
        }
        self.made.insert(dir.to_path_buf());
        Ok(created)
    }

    /// After a failure: the build-cache entries created go again.
    fn undo(&mut self) {
        if let Some(build) = &self.build {
            for entry in &self.entries {
                let _ = tree::remove(&build.join(entry));
            }
        }
        self.entries.clear();
    }
}

/// The process's umask (read by setting it, then put back).
fn current_umask() -> u32 {
    use nix::sys::stat::{umask, Mode};
    let old = umask(Mode::from_bits_truncate(0o022));
    umask(old);
    old.bits()
}

/// An error about foreign bytes, fit for a log line: the tar reader quotes
/// what it could not parse, which may be anything.
fn printable(error: &io::Error) -> String {
    let text: String = error.to_string().chars().take(120).collect();
    Escaped::new(&text).to_string()
}

/// Empties the artifacts directory, best effort (it may not be ours to keep).
/// Removes what is left of the artifacts: a directory's remains and then
/// the directory itself, or the tar file. Where the build user may: in a
/// sticky `/tmp`, a directory or file of another user stays (emptied).
fn clear(artifacts: &Path) {
    match fs::symlink_metadata(artifacts) {
        Ok(meta) if meta.is_dir() => {
            if let Ok(entries) = fs::read_dir(artifacts) {
                for entry in entries.flatten() {
                    let _ = tree::remove(&entry.path());
                }
            }
            let _ = fs::remove_dir(artifacts);
        }
        Ok(meta) if meta.is_file() => {
            let _ = fs::remove_file(artifacts);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::entry;

    fn mtime(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    #[test]
    fn a_directory_merges_into_the_cache_in_place_and_only_new_entries_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let caches = CacheDirs::under(&dir.path().join("app-root"));
        let (image, new, other) = (entry("0a22", "d"), entry("0a11", "a"), entry("0b33", "d"));
        // The image's own entry, already in GOCACHE.
        fs::create_dir_all(caches.build.join("0a")).unwrap();
        fs::write(caches.build.join(&image), b"image").unwrap();
        let image_time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        File::open(caches.build.join(&image))
            .unwrap()
            .set_modified(image_time)
            .unwrap();
        // What s2i extracted: the same entry, a new one in the same
        // directory (extracted just now), one in a new directory.
        let artifacts = dir.path().join("artifacts");
        fs::create_dir_all(artifacts.join("go-build/0a")).unwrap();
        fs::create_dir_all(artifacts.join("go-build/0b")).unwrap();
        let build = artifacts.join("go-build");
        fs::write(build.join(&image), b"stream").unwrap();
        fs::write(build.join(&new), b"entry").unwrap();
        fs::write(build.join(&other), b"output").unwrap();

        let report = restore(&artifacts, &caches);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let mut entries = report.build_entries.clone();
        entries.sort();
        assert_eq!(entries, [PathBuf::from(&new), PathBuf::from(&other)]);
        assert_eq!(fs::read(caches.build.join(&image)).unwrap(), b"image");
        assert_eq!(mtime(&caches.build.join(&image)), image_time);
        let now = SystemTime::now();
        for entry in &entries {
            let time = mtime(&caches.build.join(entry));
            assert!(!prune::needs_backdating(time, now), "{entry:?} dated back");
        }
        assert!(!artifacts.exists(), "artifacts consumed, the directory too");
    }
}
