//! What may be restored, one entry of the artifacts at a time: the same
//! check whether the entry comes from a tar header or from the directory
//! s2i extracted the stream into.
//!
//! The artifacts come from the previous application image, which the
//! application's own code could have written to. What could make a restore
//! reach outside the caches refuses the whole artifacts (a clean build is
//! always safe), and is never followed: a symbolic link, a hard link (a file
//! whose data another name shares: re-dating it, or Go rewriting it, would
//! change that other file), an absolute path or a `..`, a device file, a
//! FIFO or a socket (they block, or read what they should not).
//!
//! What passes is placed in the caches' layout ([`crate::layout`]): what is
//! no part of Go's caches (a name that is no build-cache entry, a file where
//! Go keeps a directory) is left out with a warning, so that Go never fails
//! on it and nothing that no prune recognises stays. Modes are normalised as
//! `s2i-save-artifacts` writes them: no set-id or sticky bit, not
//! world-writable, readable and writable by their owner.

use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use s2i_common::display::Escaped;

use crate::layout::{self, Shape};
use crate::{BUILD_ENTRY, MODULE_ENTRY};

/// What an entry of the artifacts is, as its tar header or the file system
/// says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    /// A tar hard-link entry, or a regular file with more than one name.
    HardLink,
    Device,
    Fifo,
    Socket,
    Unsupported,
}

impl Kind {
    pub fn of_tar(kind: tar::EntryType) -> Kind {
        use tar::EntryType::*;
        match kind {
            Regular | Continuous => Kind::File,
            Directory => Kind::Directory,
            Symlink => Kind::Symlink,
            Link => Kind::HardLink,
            Char | Block => Kind::Device,
            Fifo => Kind::Fifo,
            _ => Kind::Unsupported,
        }
    }

    /// The kind of what `meta` describes (not following a link).
    pub fn of(meta: &Metadata) -> Kind {
        let kind = meta.file_type();
        if kind.is_file() && meta.nlink() > 1 {
            Kind::HardLink
        } else if kind.is_file() {
            Kind::File
        } else if kind.is_dir() {
            Kind::Directory
        } else if kind.is_symlink() {
            Kind::Symlink
        } else if kind.is_block_device() || kind.is_char_device() {
            Kind::Device
        } else if kind.is_fifo() {
            Kind::Fifo
        } else if kind.is_socket() {
            Kind::Socket
        } else {
            Kind::Unsupported
        }
    }

    /// Why an entry of this kind refuses the artifacts; None if it may pass.
    fn refusal(self) -> Option<&'static str> {
        match self {
            Kind::File | Kind::Directory => None,
            Kind::Symlink => Some("is a symbolic link"),
            Kind::HardLink => Some("is a hard link (its data is shared with another file)"),
            Kind::Device => Some("is a device file"),
            Kind::Fifo => Some("is a FIFO"),
            Kind::Socket => Some("is a socket"),
            Kind::Unsupported => Some("is not a regular file or directory"),
        }
    }
}

/// One of the two caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cache {
    Build,
    Module,
}

impl Cache {
    /// "build cache" or "module cache", for the build log.
    pub fn what(self) -> &'static str {
        match self {
            Cache::Build => "build cache",
            Cache::Module => "module cache",
        }
    }

    fn shape(self, rest: &Path) -> Shape {
        match self {
            Cache::Build => layout::build_shape(rest),
            Cache::Module => layout::module_shape(rest),
        }
    }
}

/// An entry of the artifacts that may be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path, relative to the artifacts, without `.` components.
    pub relative: PathBuf,
    pub is_dir: bool,
    /// The permission bits it is restored with.
    pub mode: u32,
    pub place: Place,
}

/// Where a checked entry belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In `cache`, in Go's layout: restored. `depth` is the number of the
    /// path's leading components that name the cache (`go-build`: 1,
    /// `pkg/mod`: 2); `shape` what the path is in the cache.
    Cache {
        cache: Cache,
        depth: usize,
        shape: Shape,
    },
    /// In `cache`, but no part of Go's layout: left out, for the reason
    /// given.
    Misplaced { cache: Cache, why: &'static str },
    /// Outside both caches (another builder's artifacts): left out.
    Elsewhere,
}

impl Entry {
    /// The path inside its cache (empty for the cache itself).
    pub fn rest(&self) -> &Path {
        match self.place {
            Place::Cache { depth, .. } => {
                let mut components = self.relative.components();
                for _ in 0..depth {
                    components.next();
                }
                components.as_path()
            }
            _ => Path::new(""),
        }
    }

    /// The cache it is restored into, if any.
    pub fn cache(&self) -> Option<Cache> {
        match self.place {
            Place::Cache { cache, .. } => Some(cache),
            _ => None,
        }
    }

    /// True for a build-cache entry (`<xx>/<hex>-a`, `<xx>/<hex>-d`).
    pub fn is_build_entry(&self) -> bool {
        matches!(self.place, Place::Cache { cache: Cache::Build, shape, .. } if shape.is_entry())
    }
}

/// Checks one entry of the artifacts: `path` as found (relative to the
/// artifacts), its `kind` and permission bits. Err: why the whole artifacts
/// are refused.
pub fn check(path: &Path, kind: Kind, mode: u32) -> Result<Entry, String> {
    let shown = Escaped::new(path);
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => relative.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("{shown} escapes with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{shown} is an absolute path"))
            }
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(format!("`{shown}` names no file"));
    }
    if let Some(why) = kind.refusal() {
        return Err(format!("{shown} {why}"));
    }
    let is_dir = kind == Kind::Directory;
    let place = place(&relative, is_dir);
    Ok(Entry {
        relative,
        is_dir,
        mode: restored_mode(mode, is_dir),
        place,
    })
}

/// [`check`] for what the file system says of `path` (not following links).
pub fn check_found(path: &Path, meta: &Metadata) -> Result<Entry, String> {
    check(path, Kind::of(meta), meta.mode())
}

/// The mode an entry is restored with, from the `mode` it came with: no
/// set-user-ID, set-group-ID or sticky bit, not writable by others; its
/// owner may read and write it (and search a directory), so that a later
/// restore, prune or save can handle it. As `s2i-save-artifacts` writes them.
pub fn restored_mode(mode: u32, is_dir: bool) -> u32 {
    let owner = if is_dir { 0o700 } else { 0o600 };
    (mode & 0o775) | owner
}

/// Where `relative` (clean) belongs: `go-build/...`, `go-mod/...`, and the
/// classic images' `pkg/mod/...`.
fn place(relative: &Path, is_dir: bool) -> Place {
    let mut components = relative.components();
    let top = components.next().map(|c| c.as_os_str());
    let (cache, depth) = if top == Some(BUILD_ENTRY.as_ref()) {
        (Cache::Build, 1)
    } else if top == Some(MODULE_ENTRY.as_ref()) {
        (Cache::Module, 1)
    } else if top == Some("pkg".as_ref())
        && components.next().map(|c| c.as_os_str()) == Some("mod".as_ref())
    {
        (Cache::Module, 2)
    } else {
        return Place::Elsewhere;
    };
    let mut rest = relative.components();
    for _ in 0..depth {
        rest.next();
    }
    let rest = rest.as_path();
    let shape = cache.shape(rest);
    // The cache itself: what it is, [`TopLevel`](crate::restore) judges.
    if rest.as_os_str().is_empty() || shape.fits(is_dir) {
        return Place::Cache {
            cache,
            depth,
            shape,
        };
    }
    let why = match (shape, cache) {
        (Shape::Foreign, Cache::Build) => "not a build-cache entry",
        (Shape::Foreign, Cache::Module) => "no part of Go's module cache",
        (_, _) if is_dir => "a directory where Go keeps a file",
        (_, _) => "a file where Go keeps a directory",
    };
    Place::Misplaced { cache, why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::entry;

    fn placed(path: &str, kind: Kind) -> Place {
        check(Path::new(path), kind, 0o644).unwrap().place
    }

    #[test]
    fn entries_must_stay_inside() {
        let ok = check(Path::new("./go-build/00/"), Kind::Directory, 0o755).unwrap();
        assert_eq!(ok.relative, PathBuf::from("go-build/00"));
        assert!(ok.is_dir);
        assert_eq!(ok.rest(), Path::new("00"));
        let refused = |p: &str, kind| check(Path::new(p), kind, 0o644).unwrap_err();
        assert_eq!(
            refused("go-mod/../../etc/passwd", Kind::File),
            "go-mod/../../etc/passwd escapes with `..`"
        );
        assert_eq!(
            refused("/etc/passwd", Kind::File),
            "/etc/passwd is an absolute path"
        );
        assert_eq!(
            refused("go-build/link", Kind::Symlink),
            "go-build/link is a symbolic link"
        );
        assert_eq!(
            refused("go-build/hard", Kind::HardLink),
            "go-build/hard is a hard link (its data is shared with another file)"
        );
        assert_eq!(refused("dev/sda", Kind::Device), "dev/sda is a device file");
        assert_eq!(refused("./", Kind::Directory), "`./` names no file");
        assert_eq!(
            refused("go-build/\x1b[2J\n---> Done", Kind::Fifo),
            r#""go-build/\x1b[2J\n---> Done" is a FIFO"#,
            "names are shown escaped"
        );
    }

    #[test]
    fn a_regular_file_with_two_names_is_a_hard_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        let meta = |name: &str| std::fs::symlink_metadata(dir.path().join(name)).unwrap();
        assert_eq!(Kind::of(&meta("a")), Kind::File);
        std::fs::hard_link(dir.path().join("a"), dir.path().join("b")).unwrap();
        assert_eq!(Kind::of(&meta("a")), Kind::HardLink);
        assert_eq!(Kind::of(&meta(".")), Kind::Directory);
    }

    #[test]
    fn entries_are_placed_in_the_caches_layout() {
        let build = |shape| Place::Cache {
            cache: Cache::Build,
            depth: 1,
            shape,
        };
        assert_eq!(placed("go-build", Kind::Directory), build(Shape::Dir));
        assert_eq!(
            placed("go-build", Kind::File),
            build(Shape::Dir),
            "TopLevel judges it"
        );
        let action = format!("go-build/{}", entry("0a", "a"));
        assert_eq!(placed(&action, Kind::File), build(Shape::Action));
        assert!(check(Path::new(&action), Kind::File, 0)
            .unwrap()
            .is_build_entry());
        assert_eq!(
            placed("pkg/mod/example.com/m@v1.0.0", Kind::Directory),
            Place::Cache {
                cache: Cache::Module,
                depth: 2,
                shape: Shape::Dir
            }
        );
        assert_eq!(placed("node_modules/x", Kind::File), Place::Elsewhere);
        let misplaced = |cache, why| Place::Misplaced { cache, why };
        assert_eq!(
            placed("go-build/00", Kind::File),
            misplaced(Cache::Build, "a file where Go keeps a directory")
        );
        assert_eq!(
            placed("go-build/evil.sh", Kind::File),
            misplaced(Cache::Build, "not a build-cache entry")
        );
        assert_eq!(
            placed(&action, Kind::Directory),
            misplaced(Cache::Build, "a directory where Go keeps a file")
        );
        assert_eq!(
            placed("go-mod/cache", Kind::File),
            misplaced(Cache::Module, "a file where Go keeps a directory")
        );
        assert_eq!(
            placed("go-mod/cache/evil", Kind::File),
            misplaced(Cache::Module, "no part of Go's module cache")
        );
    }

    #[test]
    fn modes_lose_set_id_sticky_and_world_write() {
        assert_eq!(restored_mode(0o4777, false), 0o775);
        assert_eq!(restored_mode(0o2755, false), 0o755);
        assert_eq!(restored_mode(0o1777, true), 0o775);
        assert_eq!(restored_mode(0o444, false), 0o644);
        assert_eq!(restored_mode(0o555, true), 0o755);
        assert_eq!(restored_mode(0o664, false), 0o664);
        assert_eq!(restored_mode(0o000, true), 0o700);
    }
}
