//! Go's build and module caches across incremental S2I builds.
//!
//! An incremental S2I build hands what the previous application image's
//! `save-artifacts` streamed out to the next `assemble`. This crate is both
//! ends of that hand-over, and keeps what crosses it small:
//!
//! - [`restore`] moves the caches from the artifacts (a directory s2i
//!   extracted, or a tar file) into place, after [`validate`] has checked
//!   every entry; anything doubtful means a warning and a clean build;
//! - [`layout`] knows the shapes of Go's caches (what a build-cache entry is
//!   called, where files and directories go), for restore, prune and save;
//! - [`unpruned`] notes beside the caches what a restore brings in until a
//!   prune has looked at it, so that a restore or build cut short is pruned
//!   by the next build;
//! - [`prune`] keeps only what the last build used: the build-cache entries it
//!   touched and the module versions of its build list;
//! - [`save`] writes both caches as one tar stream, to a [`sink`] that
//!   moves large files' data by the kernel where it can;
//! - [`clean`] removes them (`GO_CLEAN_CACHE=true`), and only what Go put
//!   there;
//! - [`toolchain`] keeps the Go toolchain the build used (GOTOOLCHAIN=auto)
//!   and only it.
//!
//! [`tree`] moves and sizes the caches (a merge with a copy fallback); the
//! plain chores (walks, removing read-only trees) are `s2i_common::tree`'s.
//!
//! The stream's layout is `go-build/...` (GOCACHE) and `go-mod/...`
//! (GOMODCACHE); restore also accepts the classic images' `pkg/mod/...`.

use std::path::{Path, PathBuf};

pub mod clean;
pub mod header;
pub mod layout;
pub mod prune;
pub mod restore;
pub mod save;
pub mod sink;
pub mod toolchain;
pub mod tree;
pub mod unpruned;
pub mod validate;

/// The name of the build cache inside the artifacts.
pub const BUILD_ENTRY: &str = "go-build";
/// The name of the module cache inside the artifacts.
pub const MODULE_ENTRY: &str = "go-mod";

/// Where the two caches live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheDirs {
    /// GOCACHE.
    pub build: PathBuf,
    /// GOMODCACHE.
    pub module: PathBuf,
}

impl CacheDirs {
    /// The agreed layout: `.cache/go-build` and `.cache/go-mod` under the
    /// application root (outside the application's files).
    pub fn under(app_root: &Path) -> CacheDirs {
        CacheDirs {
            build: app_root.join(s2i_common::paths::GO_BUILD_CACHE),
            module: app_root.join(s2i_common::paths::GO_MOD_CACHE),
        }
    }
}

/// True when the base build cache (`S2I_GO_BASE_CACHE`: what the image
/// itself ships) has the entry at `relative` too: a file of the same size,
/// or a directory. Such entries are neither saved nor touched: every image
/// built from the builder has them, and changing one (even its time) would
/// copy it into the application image's layer.
pub fn in_base(base: Option<&Path>, relative: &Path, meta: &std::fs::Metadata) -> bool {
    let Some(base) = base else { return false };
    match std::fs::symlink_metadata(base.join(relative)) {
        Ok(there) if meta.is_dir() => there.is_dir(),
        Ok(there) => there.is_file() && there.len() == meta.len(),
        Err(_) => false,
    }
}

/// How much a tree holds, for messages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub files: u64,
    pub bytes: u64,
}

impl Size {
    pub fn add(&mut self, other: Size) {
        self.files += other.files;
        self.bytes += other.bytes;
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.files == 1 { "" } else { "s" };
        let size = s2i_common::display::MiB(self.bytes);
        write!(f, "{} file{s}, {size}", self.files)
    }
}
