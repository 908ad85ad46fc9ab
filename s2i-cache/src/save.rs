//! Writes the caches as one tar stream: `go-build/...` and `go-mod/...`.
//!
//! Modes are normalised (directories 0775, files 0664, or 0775 when
//! executable) so that the stream extracts and later deletes cleanly as any
//! user: Go leaves the module cache's directories read-only, which would
//! otherwise stop a non-root `tar -x` from filling them and anyone from
//! removing them. Build-cache entries that the image already holds in its
//! base cache (`S2I_GO_BASE_CACHE`) are left out: the next build finds them
//! there.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::{tree, CacheDirs, Size, BUILD_ENTRY, MODULE_ENTRY};

/// What went into the stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub build: Size,
    pub module: Size,
    /// Build-cache entries left out because the base cache has them.
    pub in_base: Size,
}

impl Saved {
    pub fn is_empty(&self) -> bool {
        self.build.files == 0 && self.module.files == 0
    }
}

/// One entry of the stream: its name there, and the file or directory.
struct Item {
    name: PathBuf,
    path: PathBuf,
    is_dir: bool,
}

/// Writes the caches to `out` as a tar stream, leaving out build-cache
/// entries present (same name, same size) in `base`. Nothing to save: nothing
/// is written at all, not even the end-of-archive blocks.
pub fn save(caches: &CacheDirs, base: Option<&Path>, out: impl Write) -> io::Result<Saved> {
    let mut saved = Saved::default();
    let mut items = Vec::new();
    collect(
        &caches.build,
        BUILD_ENTRY,
        base,
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
        &mut Size::default(),
    )?;
    if saved.is_empty() {
        return Ok(saved);
    }
    let mut builder = tar::Builder::new(out);
    for item in &items {
        append(&mut builder, item)?;
    }
    builder.into_inner()?.flush()?;
    Ok(saved)
}

fn collect(
    root: &Path,
    name: &str,
    base: Option<&Path>,
    items: &mut Vec<Item>,
    size: &mut Size,
    in_base: &mut Size,
) -> io::Result<()> {
    if !fs::symlink_metadata(root).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    let start = items.len();
    items.push(Item {
        name: PathBuf::from(name),
        path: root.to_path_buf(),
        is_dir: true,
    });
    tree::walk(root, &mut |relative, meta| {
        let is_dir = meta.is_dir();
        if !is_dir && !meta.is_file() {
            return Ok(()); // a cache holds no links or devices; never follow one
        }
        if !is_dir && crate::in_base(base, relative, meta) {
            in_base.add(Size {
                files: 1,
                bytes: meta.len(),
            });
            return Ok(());
        }
        if !is_dir {
            size.add(Size {
                files: 1,
                bytes: meta.len(),
            });
        }
        items.push(Item {
            name: Path::new(name).join(relative),
            path: root.join(relative),
            is_dir,
        });
        Ok(())
    })?;
    if size.files == 0 {
        items.truncate(start); // only empty directories: nothing worth saving
    }
    Ok(())
}

fn append(builder: &mut tar::Builder<impl Write>, item: &Item) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    if item.is_dir {
        let meta = fs::symlink_metadata(&item.path)?;
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o775);
        header.set_mtime(meta.mtime().max(0) as u64);
        header.set_size(0);
        return builder.append_data(&mut header, &item.name, io::empty());
    }
    let file = File::open(&item.path)?;
    let meta = file.metadata()?;
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(if meta.mode() & 0o111 != 0 {
        0o775
    } else {
        0o664
    });
    header.set_mtime(meta.mtime().max(0) as u64);
    header.set_size(meta.len());
    // Exactly the size announced, even if the file changed meanwhile.
    let mut data = file.take(meta.len());
    builder.append_data(&mut header, &item.name, &mut data)
}
