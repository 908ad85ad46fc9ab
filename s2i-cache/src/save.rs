//! Writes the caches as one tar stream: `go-build/...` and `go-mod/...`.
//!
//! Modes are normalised (directories 0775, files 0664, or 0775 when
//! executable) so that the stream extracts and later deletes cleanly as any
//! user: Go leaves the module cache's directories read-only, which would
//! otherwise stop a non-root `tar -x` from filling them and anyone from
//! removing them. Build-cache entries that the image already holds in its
//! base cache (`S2I_GO_BASE_CACHE`) are left out: the next build finds them
//! there.

use std::ffi::OsString;
use std::fs::{self, DirEntry, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{layout, prune, tree, CacheDirs, Size, BUILD_ENTRY, MODULE_ENTRY};

/// What went into the stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub build: Size,
    pub module: Size,
    /// How many build-cache entries were left out because the base cache
    /// has them (counted, not sized: most are hard links to the base
    /// cache's files, recognised by their inode number without a `stat`).
    pub in_base: u64,
}

impl Saved {
    pub fn is_empty(&self) -> bool {
        self.build.files == 0 && self.module.files == 0
    }
}

/// One entry of the stream: its name there, the file or directory, what
/// the walk saw of it, and whether it is a build-cache entry (`<xx>/<hex>-a`,
/// `<xx>/<hex>-d`).
struct Item {
    name: PathBuf,
    path: PathBuf,
    meta: Metadata,
    build_entry: bool,
}

/// Writes the caches to `out` as a tar stream, leaving out build-cache
/// entries present (same name, same size) in `base`. Nothing to save: nothing
/// is written at all, not even the end-of-archive blocks.
///
/// Build-cache entries are dated at most [`prune::backdated`] in the stream,
/// so that a restore that keeps the times (s2i's extraction does) need not
/// date them again for the prune.
pub fn save(caches: &CacheDirs, base: Option<&Path>, out: impl Write) -> io::Result<Saved> {
    let mut saved = Saved::default();
    let mut items = Vec::new();
    let mut base = base.map(BaseIndex::new);
    collect(
        &caches.build,
        BUILD_ENTRY,
        base.as_mut(),
        &mut items,
        &mut saved.build,
        &mut saved.in_base,
    )?;
    collect(
        &caches.module,
        MODULE_ENTRY,
        None,
        &mut items,
        &mut saved.module,
        &mut 0,
    )?;
    if saved.is_empty() {
        return Ok(saved);
    }
    let latest = prune::backdated(SystemTime::now());
    let latest = latest
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut builder = tar::Builder::new(out);
    for item in &items {
        append(&mut builder, item, latest)?;
    }
    builder.into_inner()?.flush()?;
    Ok(saved)
}

/// The base cache's entries, read a directory at a time: name and inode
/// number, so that the usual case (the image's GOCACHE hard-linked to its
/// base cache) needs no look-up per entry. The walk visits a directory's
/// entries together, so one listing at a time is enough.
struct BaseIndex {
    root: PathBuf,
    /// The directory listed (relative to `root`), its entries sorted.
    listed: Option<(PathBuf, Vec<(OsString, u64)>)>,
}

impl BaseIndex {
    fn new(root: &Path) -> BaseIndex {
        BaseIndex {
            root: root.to_path_buf(),
            listed: None,
        }
    }

    /// True when the base has the entry at `relative` too: the same file
    /// (a hard link: same name and inode number, no `stat` needed), or a
    /// file of the same size.
    fn has(&mut self, relative: &Path, entry: &DirEntry) -> io::Result<bool> {
        let parent = relative.parent().unwrap_or(Path::new(""));
        if self.listed.as_ref().is_none_or(|(dir, _)| dir != parent) {
            let mut entries: Vec<_> = fs::read_dir(self.root.join(parent))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| (e.file_name(), e.ino()))
                        .collect()
                })
                .unwrap_or_default();
            entries.sort_unstable();
            self.listed = Some((parent.to_path_buf(), entries));
        }
        let Some((_, entries)) = &self.listed else {
            return Ok(false);
        };
        let name = entry.file_name();
        Ok(
            match entries.binary_search_by(|(n, _)| n.as_os_str().cmp(&name)) {
                Err(_) => false,
                Ok(i) if entries[i].1 == entry.ino() => true,
                Ok(_) => crate::in_base(Some(&self.root), relative, &entry.metadata()?),
            },
        )
    }
}

fn collect(
    root: &Path,
    name: &str,
    mut base: Option<&mut BaseIndex>,
    items: &mut Vec<Item>,
    size: &mut Size,
    in_base: &mut u64,
) -> io::Result<()> {
    let root_meta = match fs::symlink_metadata(root) {
        Ok(meta) if meta.is_dir() => meta,
        _ => return Ok(()),
    };
    let start = items.len();
    items.push(Item {
        name: PathBuf::from(name),
        path: root.to_path_buf(),
        meta: root_meta,
        build_entry: false,
    });
    tree::walk_listing(root, &mut |relative, entry| {
        let kind = entry.file_type()?;
        if !kind.is_dir() && !kind.is_file() {
            return Ok(()); // a cache holds no links or devices; never follow one
        }
        if kind.is_file() {
            if let Some(base) = base.as_deref_mut() {
                if base.has(relative, entry)? {
                    *in_base += 1;
                    return Ok(());
                }
            }
        }
        let meta = entry.metadata()?;
        if kind.is_file() {
            size.add(Size {
                files: 1,
                bytes: meta.len(),
            });
        }
        items.push(Item {
            name: Path::new(name).join(relative),
            path: root.join(relative),
            meta,
            build_entry: name == BUILD_ENTRY && layout::is_build_entry(relative),
        });
        Ok(())
    })?;
    if size.files == 0 {
        items.truncate(start); // only empty directories: nothing worth saving
    }
    Ok(())
}

fn append(builder: &mut tar::Builder<impl Write>, item: &Item, latest: u64) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    let mut mtime = item.meta.mtime().max(0) as u64;
    if item.build_entry {
        mtime = mtime.min(latest);
    }
    header.set_mtime(mtime);
    if item.meta.is_dir() {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o775);
        header.set_size(0);
        return builder.append_data(&mut header, &item.name, io::empty());
    }
    let len = item.meta.len();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(if item.meta.mode() & 0o111 != 0 {
        0o775
    } else {
        0o664
    });
    header.set_size(len);
    // Exactly the size announced, even if the file changed meanwhile.
    let data = File::open(&item.path)?
        .take(len)
        .chain(io::repeat(0))
        .take(len);
    builder.append_data(&mut header, &item.name, data)
}
