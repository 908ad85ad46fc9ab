//! Property tests of the artifacts check: random trees (as s2i extracts a
//! stream) and random tar streams, built from a small alphabet of hostile
//! shapes: symbolic links and hard links to a tree outside, `..` and
//! absolute names, device files, FIFOs, files where Go keeps directories,
//! set-id and world-writable modes, deep nesting, long names and names
//! with control characters, truncated streams.
//!
//! Whatever they hold, a restore does not panic, ends (a hang guard fails a
//! case that runs for a minute: FIFOs block), and creates or changes
//! nothing outside the caches and the artifacts themselves: the tree beside
//! them (paths, inode numbers, modes, times, sizes, contents) is the same
//! before and after. And what it does restore fits Go's layout, holds no
//! link, no special file, no file with a second name and no set-id,
//! sticky or world-write bit.
//!
//! Cases: `PROPTEST_CASES` (default 64 a property; about 2 s each here).
//! A failure is saved in `properties.regressions` beside this file and
//! replayed first.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use s2i_cache::layout;
use s2i_cache::restore::{restore, Report};
use s2i_cache::CacheDirs;

/// What a hostile artifacts tree or stream is made of.
#[derive(Debug, Clone)]
enum Piece {
    File {
        path: Vec<&'static str>,
        mode: u32,
    },
    Dir {
        path: Vec<&'static str>,
        mode: u32,
    },
    /// A symbolic link to `target`, which may name the tree outside.
    Symlink {
        path: Vec<&'static str>,
        target: Target,
    },
    /// A second name of a file outside (a tree), or a hard-link entry (a
    /// stream).
    HardLink {
        path: Vec<&'static str>,
        target: Target,
    },
    Fifo {
        path: Vec<&'static str>,
    },
    Device {
        path: Vec<&'static str>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Target {
    /// A file of the tree outside, by its absolute path.
    OutsideFile,
    /// A directory of the tree outside, by its absolute path.
    OutsideDir,
    /// `../../..` up to the tree outside.
    Climbing,
    Root,
}

/// Path components: the caches' own names, valid entry names, and the
/// hostile ones. `..`, `.` and absolute names are added for streams only
/// (a tree cannot hold them).
fn component() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("go-build"),
        Just("go-mod"),
        Just("pkg"),
        Just("mod"),
        Just("cache"),
        Just("download"),
        Just("sumdb"),
        Just("vcs"),
        Just("@v"),
        Just("00"),
        Just("0a"),
        Just("README"),
        Just("lock"),
        Just("v1.0.0.zip"),
        Just("example.com"),
        Just("m@v1.0.0"),
        Just("0a5555555555555555555555555555555555555555555555555555555555555a-a"),
        Just("0a5555555555555555555555555555555555555555555555555555555555555d-d"),
        Just("x"),
        Just("\u{1b}[2J\n---> Done"),
        Just(LONG),
    ]
}

const LONG: &str = "a-name-longer-than-a-tar-header-holds-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A path of 1 to 9 components, starting in one of the caches most of the
/// time.
fn path() -> impl Strategy<Value = Vec<&'static str>> {
    let top = prop_oneof![
        3 => Just(vec!["go-build"]),
        3 => Just(vec!["go-mod"]),
        1 => Just(vec!["pkg", "mod"]),
        1 => Just(vec![]),
    ];
    (top, prop::collection::vec(component(), 0..8)).prop_map(|(mut top, rest)| {
        top.extend(rest);
        if top.is_empty() {
            top.push("x");
        }
        top
    })
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::OutsideFile),
        Just(Target::OutsideDir),
        Just(Target::Climbing),
        Just(Target::Root),
    ]
}

fn mode() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0o644),
        Just(0o755),
        Just(0o444),
        Just(0o777),
        Just(0o4755),
        Just(0o2775),
        Just(0o1777),
        Just(0o000),
    ]
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => (path(), mode()).prop_map(|(path, mode)| Piece::File { path, mode }),
        3 => (path(), mode()).prop_map(|(path, mode)| Piece::Dir { path, mode }),
        1 => (path(), target()).prop_map(|(path, target)| Piece::Symlink { path, target }),
        1 => (path(), target()).prop_map(|(path, target)| Piece::HardLink { path, target }),
        1 => path().prop_map(|path| Piece::Fifo { path }),
        1 => path().prop_map(|path| Piece::Device { path }),
    ]
}

/// What a change to a path would show: inode number, mode, time (seconds,
/// nanoseconds), size, contents.
type Seen = (u64, u32, i64, i64, u64, Vec<u8>);

/// The place of one case: `outside/` (what must not change), `artifacts`
/// (a tree, or `artifacts.tar`) and `app-root` (the caches).
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(outside.join("dir/go-build/0a")).unwrap();
        fs::write(outside.join("file"), b"someone else's").unwrap();
        fs::write(outside.join("dir/go-build/0a/keep"), b"keep").unwrap();
        // Old enough that a restore would re-date it (as it did a hard
        // link's data, once).
        for path in [outside.join("file"), outside.join("dir/go-build/0a/keep")] {
            let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
            fs::File::open(path).unwrap().set_modified(old).unwrap();
        }
        Case { dir }
    }

    fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    fn caches(&self) -> CacheDirs {
        CacheDirs::under(&self.dir.path().join("app-root"))
    }

    fn target(&self, target: Target, depth: usize) -> PathBuf {
        match target {
            Target::OutsideFile => self.outside().join("file"),
            Target::OutsideDir => self.outside().join("dir"),
            Target::Climbing => PathBuf::from("../".repeat(depth + 1)).join("outside"),
            Target::Root => PathBuf::from("/"),
        }
    }

    /// What is beside the caches and the artifacts: every path under the
    /// case's directory but those two, with what a change would show.
    fn snapshot(&self) -> BTreeMap<PathBuf, Seen> {
        let mut seen = BTreeMap::new();
        for entry in walkdir::WalkDir::new(self.dir.path()).follow_links(false) {
            let entry = entry.unwrap();
            let relative = entry.path().strip_prefix(self.dir.path()).unwrap();
            let Some(top) = relative.components().next().map(|c| c.as_os_str()) else {
                continue; // the case's directory itself: it gains app-root
            };
            if top == "app-root" || top == "artifacts" || top == "artifacts.tar" {
                continue;
            }
            let meta = entry.metadata().unwrap();
            let content = if meta.is_file() {
                fs::read(entry.path()).unwrap_or_default()
            } else {
                Vec::new()
            };
            seen.insert(
                relative.to_path_buf(),
                (
                    meta.ino(),
                    meta.mode(),
                    meta.mtime(),
                    meta.mtime_nsec(),
                    meta.len(),
                    content,
                ),
            );
        }
        seen
    }

    /// Restores on a thread of its own: a restore that blocks (on a FIFO)
    /// or loops fails the case instead of hanging the test.
    fn restore(&self, artifacts: PathBuf) -> Report {
        let caches = self.caches();
        let (done, report) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(restore(&artifacts, &caches));
        });
        report
            .recv_timeout(Duration::from_secs(60))
            .expect("the restore ends (or panicked)")
    }

    /// What the caches hold after a restore fits Go's layout and holds
    /// nothing that could reach outside.
    fn check_caches(&self) -> Result<(), TestCaseError> {
        let caches = self.caches();
        for (root, shape) in [
            (
                &caches.build,
                layout::build_shape as fn(&Path) -> layout::Shape,
            ),
            (&caches.module, layout::module_shape),
        ] {
            if !root.exists() {
                continue;
            }
            for entry in walkdir::WalkDir::new(root).follow_links(false) {
                let entry = entry.unwrap();
                let relative = entry.path().strip_prefix(root).unwrap();
                let meta = entry.metadata().unwrap();
                let kind = meta.file_type();
                prop_assert!(kind.is_dir() || kind.is_file(), "{relative:?} is {kind:?}");
                prop_assert!(
                    shape(relative).fits(kind.is_dir()),
                    "{relative:?} restored but no part of Go's layout"
                );
                prop_assert!(
                    !kind.is_file() || meta.nlink() == 1,
                    "{relative:?} has two names"
                );
                prop_assert_eq!(
                    meta.mode() & 0o7002,
                    0,
                    "{:?}: mode {:o}",
                    relative,
                    meta.mode()
                );
            }
        }
        Ok(())
    }
}

/// Makes `pieces` as files in the tree `root`, as `tar -x` could leave
/// them. A piece whose place is taken, or below a link (making it would
/// follow the link), is passed over.
fn make_tree(case: &Case, root: &Path, pieces: &[Piece]) {
    for piece in pieces {
        let (Piece::File { path, .. }
        | Piece::Dir { path, .. }
        | Piece::Symlink { path, .. }
        | Piece::HardLink { path, .. }
        | Piece::Fifo { path }
        | Piece::Device { path }) = piece;
        let at = path.iter().fold(root.to_path_buf(), |p, c| p.join(c));
        let mut parent = root.to_path_buf();
        let mut blocked = false;
        for component in &path[..path.len() - 1] {
            parent.push(component);
            match fs::symlink_metadata(&parent) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => blocked = true,
                Err(_) => {
                    if fs::create_dir(&parent).is_err() {
                        blocked = true;
                    }
                }
            }
            if blocked {
                break;
            }
        }
        if blocked || fs::symlink_metadata(&at).is_ok() {
            continue;
        }
        let _ = match piece {
            Piece::File { mode, .. } => fs::write(&at, b"data")
                .and_then(|()| fs::set_permissions(&at, fs::Permissions::from_mode(*mode))),
            Piece::Dir { mode, .. } => fs::create_dir(&at)
                .and_then(|()| fs::set_permissions(&at, fs::Permissions::from_mode(*mode | 0o700))),
            Piece::Symlink { target, .. } => {
                std::os::unix::fs::symlink(case.target(*target, path.len()), &at)
            }
            Piece::HardLink { .. } => fs::hard_link(case.outside().join("file"), &at),
            Piece::Fifo { .. } => nix::unistd::mkfifo(&at, nix::sys::stat::Mode::S_IRWXU)
                .map_err(std::io::Error::from),
            // Root only (CI runs as root); elsewhere the piece is passed over.
            Piece::Device { .. } => nix::sys::stat::mknod(
                &at,
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::S_IRWXU,
                nix::sys::stat::makedev(1, 3),
            )
            .map_err(std::io::Error::from),
        };
    }
}

/// Writes `pieces` as a tar stream, names raw (`..` and absolute ones
/// included: the tar crate's own writer refuses them); long names as GNU
/// long-name entries; then cut at `cut` bytes if that is shorter.
fn make_stream(
    case: &Case,
    pieces: &[Piece],
    hostile: &[(u8, &'static str)],
    cut: usize,
) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (i, piece) in pieces.iter().enumerate() {
        let (kind, path, mode, link) = match piece {
            Piece::File { path, mode } => (tar::EntryType::Regular, path, *mode, None),
            Piece::Dir { path, mode } => (tar::EntryType::Directory, path, *mode, None),
            Piece::Symlink { path, target } => (
                tar::EntryType::Symlink,
                path,
                0o777,
                Some(case.target(*target, path.len())),
            ),
            Piece::HardLink { path, target } => (
                tar::EntryType::Link,
                path,
                0o644,
                Some(case.target(*target, path.len())),
            ),
            Piece::Fifo { path } => (tar::EntryType::Fifo, path, 0o644, None),
            Piece::Device { path } => (tar::EntryType::Char, path, 0o644, None),
        };
        // Some names get a hostile start: `..` climbing out, or absolute
        // into the tree outside.
        let mut name = path.join("/");
        if let Some((_, prefix)) = hostile.iter().find(|(at, _)| *at as usize == i) {
            name = match *prefix {
                "/" => format!("{}/{name}", case.outside().display()),
                prefix => format!("{prefix}{name}"),
            };
        }
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"data"
        } else {
            b""
        };
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        if let Some(link) = &link {
            let link = link.as_os_str().as_encoded_bytes();
            let room = link.len().min(100);
            header.as_old_mut().linkname[..room].copy_from_slice(&link[..room]);
        }
        if name.len() <= 100 {
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder.append(&header, data).unwrap();
        } else if !name.contains("..") && !name.starts_with('/') {
            // The tar crate writes the GNU long-name entry first.
            let _ = builder.append_data(&mut header, &name, data);
        }
    }
    let mut stream = builder.into_inner().unwrap();
    stream.truncate(cut.max(512));
    stream
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Failures are kept beside this file and replayed first.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// A tree as s2i extracts a stream (`/tmp/artifacts`).
    #[test]
    fn a_hostile_artifacts_tree_changes_nothing_outside(
        pieces in prop::collection::vec(piece(), 1..16),
    ) {
        let case = Case::new();
        let artifacts = case.dir.path().join("artifacts");
        fs::create_dir(&artifacts).unwrap();
        make_tree(&case, &artifacts, &pieces);
        let before = case.snapshot();
        let report = case.restore(artifacts);
        prop_assert_eq!(case.snapshot(), before, "{:?}", report);
        case.check_caches()?;
    }

    /// The stream itself (`--artifacts /tmp/artifacts.tar`).
    #[test]
    fn a_hostile_artifacts_stream_changes_nothing_outside(
        pieces in prop::collection::vec(piece(), 1..16),
        hostile in prop::collection::vec(
            (0u8..16, prop_oneof![Just("../"), Just("../../"), Just("./../"), Just("/")]),
            0..3,
        ),
        cut in prop_oneof![3 => Just(usize::MAX), 1 => 0usize..20_000],
    ) {
        let case = Case::new();
        let stream = make_stream(&case, &pieces, &hostile, cut);
        let tar_file = case.dir.path().join("artifacts.tar");
        fs::write(&tar_file, stream).unwrap();
        let before = case.snapshot();
        let report = case.restore(tar_file);
        prop_assert_eq!(case.snapshot(), before, "{:?}", report);
        case.check_caches()?;
    }
}
