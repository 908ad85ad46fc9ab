//! Other paths than Go's caches, for builder images of other languages
//! that take `s2i-save-artifacts` as their `save-artifacts` (a Python
//! image's pip cache, a Node image's npm cache): each path is streamed as
//! `NAME/...`, NAME its last component, for the image's `assemble` to move
//! back from `/tmp/artifacts/NAME`. The guarantees are those of the Go
//! caches' stream: stdout carries one tar and nothing else; a symlink is
//! stored as a link, never followed; FIFOs, sockets and devices are left
//! out (never opened); modes are normalised (0775 directories and
//! executables, 0664 files); nothing to save writes nothing at all; and a
//! file that cannot be read stops it before the first byte, naming it.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use s2i_cache::save;
use s2i_cache::sink::Sink;

/// The setting naming the paths, colon-separated as PATH is.
pub const SETTING: &str = s2i_common::settings::SAVE_ARTIFACTS_PATHS.name;

/// What went into the stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// Files and symlinks.
    pub files: u64,
    pub bytes: u64,
    /// FIFOs, sockets and devices, left out.
    pub special: u64,
}

/// Why the paths asked for cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// A relative path, or `/` (no last name to save it under).
    NotAbsolute(PathBuf),
    /// Two paths with this last name: both would be saved as `NAME/...`.
    SameName(OsString),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::NotAbsolute(path) => write!(
                f,
                "{:?} is not an absolute path to a directory or file to save",
                path.display().to_string()
            ),
            Invalid::SameName(name) => write!(
                f,
                "two paths end in {:?}: each is saved under its last name, which must differ",
                name.to_string_lossy()
            ),
        }
    }
}

/// The paths asked for: the arguments, else the setting; `None` when
/// neither names any (the Go caches are saved). Each must be absolute, and
/// no two may end in the same name.
pub fn requested(
    args: Vec<OsString>,
    setting: Option<OsString>,
) -> Result<Option<Vec<PathBuf>>, Invalid> {
    let paths: Vec<PathBuf> = if !args.is_empty() {
        args.into_iter().map(PathBuf::from).collect()
    } else {
        match setting.filter(|v| !v.is_empty()) {
            None => return Ok(None),
            Some(value) => std::env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
        }
    };
    for (i, path) in paths.iter().enumerate() {
        let name = match path.file_name() {
            Some(name) if path.is_absolute() => name,
            _ => return Err(Invalid::NotAbsolute(path.clone())),
        };
        if paths[..i].iter().any(|p| p.file_name() == Some(name)) {
            return Err(Invalid::SameName(name.to_os_string()));
        }
    }
    Ok(Some(paths))
}

/// One entry of the stream.
struct Item {
    name: PathBuf,
    path: PathBuf,
    meta: Metadata,
}

/// Streams `paths` to `out` (see the module's text); paths that do not
/// exist are skipped.
pub fn save(paths: &[PathBuf], out: impl Sink) -> io::Result<Saved> {
    let mut saved = Saved::default();
    let mut items = Vec::new();
    for path in paths {
        let Some(name) = path.file_name() else {
            continue;
        };
        let walk = walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e)
                    if e.io_error()
                        .is_some_and(|e| e.kind() == io::ErrorKind::NotFound) =>
                {
                    continue
                }
                Err(e) => {
                    let at = e.path().unwrap_or(path).to_path_buf();
                    return Err(cannot_read(&at, e.into()));
                }
            };
            let meta = entry
                .metadata()
                .map_err(|e| cannot_read(entry.path(), e.into()))?;
            let kind = meta.file_type();
            if !(kind.is_dir() || kind.is_file() || kind.is_symlink()) {
                saved.special += 1;
                continue;
            }
            if kind.is_file() {
                // Before the first byte: a stream cut short is worse than none.
                File::open(entry.path()).map_err(|e| cannot_read(entry.path(), e))?;
                saved.bytes += meta.len();
            }
            if !kind.is_dir() {
                saved.files += 1;
            }
            let relative = entry.path().strip_prefix(path).unwrap_or(Path::new(""));
            items.push(Item {
                name: Path::new(name).join(relative),
                path: entry.path().to_path_buf(),
                meta,
            });
        }
    }
    if saved.files == 0 {
        // Empty directories only: nothing to save, not even them.
        return Ok(saved);
    }
    let mut builder = tar::Builder::new(out);
    for item in &items {
        append(&mut builder, item)?;
    }
    builder.into_inner()?.flush()?;
    Ok(saved)
}

/// An error naming the file it is about.
fn cannot_read(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "cannot read {}: {}",
            path.display(),
            s2i_common::display::reason(&error)
        ),
    )
}

/// One entry, as the Go caches' stream writes them (s2i-cache's save), or
/// a symlink.
fn append(builder: &mut tar::Builder<impl Sink>, item: &Item) -> io::Result<()> {
    let mtime = item.meta.mtime().max(0) as u64;
    let kind = item.meta.file_type();
    if kind.is_symlink() {
        let target = std::fs::read_link(&item.path).map_err(|e| cannot_read(&item.path, e))?;
        let mut header = tar::Header::new_gnu();
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        return builder.append_link(&mut header, &item.name, target);
    }
    if kind.is_dir() {
        return save::append_dir(builder, &item.name, mtime);
    }
    let file = File::open(&item.path).map_err(|e| cannot_read(&item.path, e))?;
    save::append_file(builder, &item.name, &item.meta, mtime, file)
}
