//! The application's sources: what their top level says about them, the
//! copy some of them are built in, and the application's non-Go files
//! (templates, assets, config), copied into what becomes `$APP_ROOT/src`.
//!
//! Modules, vendored modules and workspaces build where they are, as `go
//! build` would: go only reads them (go.mod and go.sum are written only when
//! GOFLAGS asks for `-mod=mod`). Sources that need a throwaway go.mod or a
//! GOPATH layout build in a copy, so those writes never touch the user's
//! directory.
//!
//! Symlinks are recreated, never followed, and one that leads out of the
//! source tree stops the build: following it could build or ship any file of
//! the builder.

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use s2i_common::display::Escaped;
use s2i_common::paths::normalize;
use std::path::{Path, PathBuf};

use crate::errors::Error;
use crate::sparse;

/// The files at the top of the sources that decide the kind of build.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TopLevel {
    pub go_work: bool,
    pub go_mod: bool,
    pub vendor_dir: bool,
    pub vendor_modules_txt: bool,
}

/// Checks that `src` is a directory with something in it, and reads its top level.
pub fn inspect(src: &Path) -> Result<TopLevel, Error> {
    let meta = match fs::metadata(src) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::SourceMissing(src.to_path_buf()))
        }
        Err(error) => return Err(Error::unreadable(src.to_path_buf(), error)),
    };
    if !meta.is_dir() {
        return Err(Error::SourceNotDirectory(src.to_path_buf()));
    }
    let mut entries =
        fs::read_dir(src).map_err(|error| Error::unreadable(src.to_path_buf(), error))?;
    if entries.next().is_none() {
        return Err(Error::SourceEmpty(src.to_path_buf()));
    }
    Ok(TopLevel {
        go_work: src.join("go.work").is_file(),
        go_mod: src.join("go.mod").is_file(),
        vendor_dir: src.join("vendor").is_dir(),
        vendor_modules_txt: src.join("vendor/modules.txt").is_file(),
    })
}

/// What the copy found.
#[derive(Debug, Default)]
pub struct Copied {
    pub go_files: usize,
    /// Non-test `.go` files at the top: only then can the root be a package.
    pub root_go_files: usize,
    /// The directory shape, for what detection remembers: a digest of the
    /// paths of the `.go` files, the same whatever order they are walked in.
    pub go_shape: u64,
    /// What the sources look like when they hold no Go, for the error.
    pub looks_like: Option<&'static str>,
    /// The directories below the top with a go.mod that go would take for
    /// a module (not in `vendor/`, `testdata/` or a directory go ignores),
    /// shallowest first: where the application is when the top has none.
    pub modules_below: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// Files that are not the application's run-time files.
fn is_build_only(rel: &Path) -> bool {
    let mut components = rel.components();
    let first = components
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if rel.components().count() > 1 && (first == "vendor" || first == ".s2i") {
        return true;
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".go")
        || matches!(
            name.as_str(),
            "go.mod" | "go.sum" | "go.work" | "go.work.sum"
        )
}

/// Files of the build copy that may be hard links to the user's files:
/// what only the build reads (Go sources, vendor/), never what go may
/// write (go.mod, go.sum with -mod=mod) nor the application's files, whose
/// mode the copy changes.
fn is_linkable(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    is_build_only(rel)
        && !matches!(
            name.as_str(),
            "go.mod" | "go.sum" | "go.work" | "go.work.sum"
        )
}

/// Walks the sources in `src`: checks that every file can be read and that
/// no symlink leads out of them; copies them to `build` (which must not
/// exist) when given; copies the application's run-time files into
/// `app_files` when given. `.git` is left out of both, and so is each of
/// `leave_out` (an application root inside the sources, credential files;
/// resolved).
///
/// A FIFO, socket or device is never opened: where go would read it (see
/// [`go_reads`]) the build stops, since go would wait on it for ever;
/// elsewhere it is left out, with a warning. `stop` is asked between files
/// and during long copies: Err ends the walk (SIGTERM, SIGINT).
pub fn prepare(
    src: &Path,
    build: Option<&Path>,
    app_files: Option<&Path>,
    leave_out: &[PathBuf],
    stop: &dyn Fn() -> Result<(), Error>,
) -> Result<Copied, Error> {
    let root =
        fs::canonicalize(src).map_err(|error| Error::unreadable(src.to_path_buf(), error))?;
    let mut copied = Copied::default();
    if let Some(parent) = build.and_then(Path::parent) {
        fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    if let Some(app) = app_files {
        fs::create_dir_all(app).map_err(|e| Error::io("create", app, e))?;
    }
    let walk = walkdir::WalkDir::new(&root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let git = e.depth() == 1 && e.file_name() == ".git";
            !(git || leave_out.iter().any(|p| p == e.path()))
        });
    let cancelled = || stop().is_err();
    for entry in walk {
        stop()?;
        let entry = entry.map_err(|e| walk_error(e, &root))?;
        let rel = entry
            .path()
            .strip_prefix(&root)
            .expect("walkdir stays under its root")
            .to_path_buf();
        let dest = build.map(|build| build.join(&rel));
        let app_file = app_files
            .filter(|_| !is_build_only(&rel))
            .map(|app| app.join(&rel));
        let kind = entry.file_type();
        if kind.is_dir() {
            if let Some(dest) = &dest {
                fs::create_dir(dest).map_err(|e| Error::io("create", dest, e))?;
            }
        } else if kind.is_symlink() {
            let target = inside_target(&root, entry.path(), &rel)?;
            for link in dest.iter().chain(&app_file) {
                create_parent(link)?;
                std::os::unix::fs::symlink(&target, link)
                    .map_err(|e| Error::io("create symlink", link, e))?;
            }
        } else if kind.is_file() {
            copied.count(&rel);
            let unreadable = |error: io::Error, to: &Path| {
                if let Err(stopped) = stop() {
                    return stopped;
                }
                match error.raw_os_error() {
                    Some(nix::libc::EACCES | nix::libc::ENAMETOOLONG) => {
                        Error::unreadable(src.join(&rel), error)
                    }
                    _ => Error::io("copy the sources to", to, error),
                }
            };
            let copy = Copy {
                cancelled: &cancelled,
                unreadable: &unreadable,
            };
            let from = copy.to_build_copy(entry.path(), &rel, dest.as_deref())?;
            if let Some(app_file) = &app_file {
                copy.to_app_files(entry.path(), &from, app_file)?;
            }
        } else {
            let what = crate::inputs::kind_of(&kind);
            if go_reads(&rel) {
                return Err(Error::SpecialFileGoReads {
                    path: rel,
                    kind: what,
                });
            }
            copied.warnings.push(format!(
                "{} is {what}, not a regular file, folder or symlink: it is left out of the application",
                Escaped::new(&rel)
            ));
        }
    }
    Ok(copied)
}

impl Copied {
    /// Counts a file of the sources, at `rel`.
    fn count(&mut self, rel: &Path) {
        let name = rel.to_string_lossy();
        if name.ends_with(".go") {
            self.go_files += 1;
            self.go_shape = self
                .go_shape
                .wrapping_add(crate::remembered::fnv1a(name.as_bytes()));
            if rel.components().count() == 1 && !name.ends_with("_test.go") {
                self.root_go_files += 1;
            }
        }
        if rel.components().count() == 1 && self.looks_like.is_none() {
            self.looks_like = looks_like(rel);
        }
        if let Some(dir) = module_below(rel) {
            // Stable: the walk's order (by name) within a depth.
            let depth = dir.components().count();
            let at = self
                .modules_below
                .partition_point(|d| d.components().count() <= depth);
            self.modules_below.insert(at, dir.to_path_buf());
        }
    }
}

/// The directory of a go.mod below the top that go would take for a
/// module's: go skips `vendor/`, `testdata/` and directories whose name
/// starts with `.` or `_`.
fn module_below(rel: &Path) -> Option<&Path> {
    if rel.file_name()? != "go.mod" {
        return None;
    }
    let dir = rel.parent().filter(|d| !d.as_os_str().is_empty())?;
    let ignored = dir.components().any(|c| {
        let name = c.as_os_str().as_bytes();
        name == b"vendor" || go_never_looks_in(name)
    });
    (!ignored).then_some(dir)
}

/// A directory go never looks in for packages: a name starting with `.`
/// or `_`, or `testdata`.
fn go_never_looks_in(name: &[u8]) -> bool {
    name.starts_with(b".") || name.starts_with(b"_") || name == b"testdata"
}

/// A walk's error, as the file that could not be read.
fn walk_error(e: walkdir::Error, root: &Path) -> Error {
    let path = e
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.to_path_buf());
    let error = e
        .into_io_error()
        .unwrap_or_else(|| io::Error::other("file system loop"));
    Error::unreadable(path, error)
}

/// Copies one regular file of the sources.
struct Copy<'a> {
    cancelled: &'a dyn Fn() -> bool,
    /// The error for a file that cannot be read or copied to a path.
    unreadable: &'a dyn Fn(io::Error, &Path) -> Error,
}

impl Copy<'_> {
    /// Into the build copy, when there is one (`dest`); else only checked
    /// readable. Returns what the application's file is copied from: the
    /// build copy when there is one (it may be a throwaway), else the
    /// source.
    fn to_build_copy(
        &self,
        source: &Path,
        rel: &Path,
        dest: Option<&Path>,
    ) -> Result<PathBuf, Error> {
        let unreadable = self.unreadable;
        match dest {
            Some(dest) if is_linkable(rel) => {
                // Go only reads these: a hard link costs one call where
                // a copy costs five. The check stands in for the read.
                readable(source).map_err(|e| unreadable(e, dest))?;
                if fs::hard_link(source, dest).is_err() {
                    copy_file(source, dest, self.cancelled).map_err(|e| unreadable(e, dest))?;
                }
                Ok(source.to_path_buf())
            }
            Some(dest) => {
                copy_file(source, dest, self.cancelled).map_err(|e| unreadable(e, dest))?;
                Ok(dest.to_path_buf())
            }
            // Built in place: go reads it there; check it can.
            None => {
                readable(source).map_err(|e| unreadable(e, source))?;
                Ok(source.to_path_buf())
            }
        }
    }

    /// Into the application's files, from `from`, group-writable.
    fn to_app_files(&self, source: &Path, from: &Path, app_file: &Path) -> Result<(), Error> {
        create_parent(app_file)?;
        // The build copy is ours: link it rather than copy again.
        let linked = from != source && fs::hard_link(from, app_file).is_ok();
        if !linked {
            copy_file(from, app_file, self.cancelled)
                .map_err(|e| (self.unreadable)(e, app_file))?;
        }
        let mode = fs::symlink_metadata(from)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        let mode = if mode & 0o111 != 0 { 0o775 } else { 0o664 };
        fs::set_permissions(app_file, fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io("set the mode of", app_file, e))
    }
}

/// Whether go reads the file at `rel` (relative to the sources) when it
/// lists or builds them: the module files, and what decides a package (the
/// extensions go/build looks at: Go, C, C++, assembly, Fortran,
/// Objective-C, SWIG, .syso objects), except where go never looks (names
/// and directories starting with `.` or `_`, `testdata`). Files that only
/// `//go:embed` names are not among them: go refuses to embed a file that
/// is not regular without opening it.
pub fn go_reads(rel: &Path) -> bool {
    let mut names: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
    let Some(name) = names.pop() else {
        return false;
    };
    let hidden = |n: &str| n.starts_with('.') || n.starts_with('_');
    if names.iter().any(|d| go_never_looks_in(d.as_bytes())) {
        return false;
    }
    if matches!(name, "go.mod" | "go.sum" | "go.work" | "go.work.sum")
        || (name == "modules.txt" && names.last() == Some(&"vendor"))
    {
        return true;
    }
    if hidden(name) {
        return false;
    }
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        extension,
        "go" | "c"
            | "cc"
            | "cpp"
            | "cxx"
            | "m"
            | "h"
            | "hh"
            | "hpp"
            | "hxx"
            | "f"
            | "F"
            | "for"
            | "f90"
            | "s"
            | "S"
            | "sx"
            | "swig"
            | "swigcxx"
            | "syso"
    )
}

fn readable(path: &Path) -> io::Result<()> {
    nix::unistd::access(path, nix::unistd::AccessFlags::R_OK).map_err(io::Error::from)
}

/// A copy that keeps the modification time (Go's index of a package keys
/// on it, and the application may too: caching headers of static files),
/// the permissions, and the holes of a sparse file (a 2 GB disk image that
/// is mostly holes stays small). `from` is opened without blocking and
/// must still be a regular file; `cancelled` is asked between chunks.
fn copy_file(from: &Path, to: &Path, cancelled: &dyn Fn() -> bool) -> io::Result<()> {
    let source = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOFOLLOW | nix::libc::O_NOCTTY)
        .open(from)?;
    let meta = source.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no longer a regular file",
        ));
    }
    let dest = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(to)?;
    sparse::copy(&source, &dest, meta.len(), cancelled)?;
    dest.set_permissions(fs::Permissions::from_mode(
        meta.permissions().mode() & 0o777,
    ))?;
    // On our own descriptor: futimens needs ownership, not write
    // permission, and the mode just set may be read-only.
    if let Ok(modified) = meta.modified() {
        let _ = dest.set_modified(modified);
    }
    Ok(())
}

fn create_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(parent) if !parent.is_dir() => {
            fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))
        }
        _ => Ok(()),
    }
}

/// The target to recreate for the symlink at `link` (relative path `rel`),
/// or an error when it leads out of `root` (canonical).
fn inside_target(root: &Path, link: &Path, rel: &Path) -> Result<PathBuf, Error> {
    let target =
        fs::read_link(link).map_err(|error| Error::unreadable(link.to_path_buf(), error))?;
    let parent = link.parent().expect("a link under the root has a parent");
    let joined = parent.join(&target);
    let resolved = match fs::canonicalize(&joined) {
        Ok(path) => path,
        // Dangling: judge where it would point.
        Err(_) => normalize(&joined),
    };
    if !resolved.starts_with(root) {
        return Err(Error::SymlinkOutside {
            link: rel.to_path_buf(),
            target,
        });
    }
    if target.is_relative() && normalize(&joined).starts_with(root) {
        Ok(target)
    } else {
        Ok(relative_to(&resolved, parent))
    }
}

/// The relative path from directory `from` to `to` (both absolute).
fn relative_to(to: &Path, from: &Path) -> PathBuf {
    let to: Vec<_> = to.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

/// A hint for sources that hold no Go.
fn looks_like(rel: &Path) -> Option<&'static str> {
    Some(match rel.to_str()? {
        "package.json" => "a Node.js application (package.json)",
        "requirements.txt" | "pyproject.toml" | "setup.py" => "a Python application",
        "pom.xml" | "build.gradle" => "a Java application",
        "Gemfile" => "a Ruby application (Gemfile)",
        "composer.json" => "a PHP application (composer.json)",
        "Cargo.toml" => "a Rust application (Cargo.toml)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        s2i_tests::write_files(dir.path(), files);
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                if e.path_is_symlink() {
                    format!("{rel} -> {}", fs::read_link(e.path()).unwrap().display())
                } else if e.file_type().is_dir() {
                    format!("{rel}/")
                } else {
                    rel
                }
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn copies_everything_and_links_app_files() {
        let src = tree(&[
            ("go.mod", "module m\n"),
            ("main.go", "package main\n"),
            ("templates/index.html", "<p>hi</p>"),
            ("vendor/modules.txt", ""),
            ("static/vendor/lib.js", ""),
            (".git/HEAD", "ref"),
            (".s2i/environment", "A=1"),
        ]);
        symlink("templates/index.html", src.path().join("index.html")).unwrap();
        symlink(src.path().join("templates"), src.path().join("views")).unwrap();
        let work = tempfile::tempdir().unwrap();
        let copied = prepare(
            src.path(),
            Some(&work.path().join("build")),
            Some(&work.path().join("app")),
            &[],
            &|| Ok(()),
        )
        .unwrap();
        assert_eq!(copied.go_files, 1);
        insta::assert_snapshot!(format!(
            "build:\n{}\napp:\n{}",
            listing(&work.path().join("build")).join("\n"),
            listing(&work.path().join("app")).join("\n")
        ));
        // Go sources are linked, go.mod (which go may write) and the
        // application's files (whose mode changes) are copies.
        use std::os::unix::fs::MetadataExt;
        let inode = |p: &Path| fs::metadata(p).unwrap().ino();
        let build = work.path().join("build");
        assert_eq!(
            inode(&src.path().join("main.go")),
            inode(&build.join("main.go"))
        );
        assert_ne!(
            inode(&src.path().join("go.mod")),
            inode(&build.join("go.mod"))
        );
        let index = Path::new("templates/index.html");
        assert_ne!(inode(&src.path().join(index)), inode(&build.join(index)));
        let mode = fs::metadata(work.path().join("app/templates/index.html"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o664);
    }

    #[test]
    fn in_place_copies_only_the_app_files_and_leaves_the_sources_alone() {
        let src = tree(&[
            ("go.mod", "module m\n"),
            ("main.go", "package main\n"),
            ("main_test.go", "package main\n"),
            ("cmd/x/main.go", "package main\n"),
            ("templates/index.html", "<p>hi</p>"),
            (".git/HEAD", "ref"),
        ]);
        symlink("templates/index.html", src.path().join("index.html")).unwrap();
        let index = src.path().join("templates/index.html");
        fs::set_permissions(&index, fs::Permissions::from_mode(0o444)).unwrap();
        let before = listing(src.path());
        let work = tempfile::tempdir().unwrap();
        let app = work.path().join("app");
        let copied = prepare(src.path(), None, Some(&app), &[], &|| Ok(())).unwrap();
        assert_eq!((copied.go_files, copied.root_go_files), (3, 1));
        assert_eq!(listing(src.path()), before);
        assert_eq!(
            listing(&app),
            [
                "index.html -> templates/index.html",
                "templates/",
                "templates/index.html"
            ]
        );
        use std::os::unix::fs::MetadataExt;
        let (theirs, ours) = (
            fs::metadata(&index).unwrap(),
            fs::metadata(app.join("templates/index.html")).unwrap(),
        );
        assert_ne!(theirs.ino(), ours.ino());
        assert_eq!(theirs.mode() & 0o777, 0o444);
        assert_eq!(ours.mode() & 0o777, 0o664);
        assert_eq!(theirs.modified().unwrap(), ours.modified().unwrap());
    }

    #[test]
    fn symlink_out_of_the_tree_is_refused() {
        let outside = tree(&[("secret", "x")]);
        for target in [
            outside.path().join("secret"),
            PathBuf::from("../../etc/passwd"),
            PathBuf::from("../../nowhere"),
        ] {
            let src = tree(&[("main.go", "package main\n")]);
            fs::create_dir(src.path().join("conf")).unwrap();
            symlink(&target, src.path().join("conf/link")).unwrap();
            let e = prepare(src.path(), None, None, &[], &|| Ok(())).unwrap_err();
            assert!(
                matches!(&e, Error::SymlinkOutside { link, .. } if link == Path::new("conf/link")),
                "{e}"
            );
        }
    }

    #[test]
    fn top_level_and_bad_directories() {
        let src = tree(&[("go.mod", ""), ("vendor/modules.txt", "")]);
        let top = inspect(src.path()).unwrap();
        assert!(top.go_mod && top.vendor_dir && top.vendor_modules_txt && !top.go_work);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(inspect(empty.path()), Err(Error::SourceEmpty(_))));
        assert!(matches!(
            inspect(&empty.path().join("nope")),
            Err(Error::SourceMissing(_))
        ));
        assert!(matches!(
            inspect(&src.path().join("go.mod")),
            Err(Error::SourceNotDirectory(_))
        ));
    }

    #[test]
    fn paths() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            relative_to(Path::new("/r/t/x.html"), Path::new("/r/v")),
            PathBuf::from("../t/x.html")
        );
        assert!(is_build_only(Path::new("cmd/api/main.go")));
        assert!(is_build_only(Path::new("vendor/x/y.txt")));
        assert!(!is_build_only(Path::new("static/vendor/lib.js")));
        assert!(!is_build_only(Path::new("vendor")));
    }

    #[test]
    fn the_walk_stops_when_asked() {
        let src = tree(&[
            ("main.go", "package main\n"),
            ("a/b.txt", ""),
            ("c.txt", ""),
        ]);
        let work = tempfile::tempdir().unwrap();
        let asked = std::cell::Cell::new(0);
        let stop = || {
            asked.set(asked.get() + 1);
            if asked.get() > 2 {
                Err(Error::Interrupted { signal: 15 })
            } else {
                Ok(())
            }
        };
        let build = work.path().join("build");
        let e = prepare(src.path(), Some(&build), None, &[], &stop).unwrap_err();
        assert!(matches!(e, Error::Interrupted { signal: 15 }), "{e}");
        assert_eq!(asked.get(), 3, "asked before each entry, then stopped");
        assert!(listing(&build).len() < 2, "{:?}", listing(&build));
    }

    #[test]
    fn go_reads_what_go_reads() {
        let read = [
            "main.go",
            "x_test.go",
            "cmd/api/main.go",
            "asm_amd64.s",
            "lib.c",
            "lib.h",
            "lib.syso",
            "go.mod",
            "go.sum",
            "go.work",
            "sub/go.mod",
            "vendor/modules.txt",
            "vendor/example.com/x/x.go",
        ];
        let not_read = [
            "static/app.js",
            "README.md",
            "x.go.txt",
            "_x.go",
            ".x.go",
            "testdata/x.go",
            "a/testdata/b/x.go",
            "_tools/x.go",
            ".s2i/environment",
            "modules.txt",
            "static/vendor/modules.txt.bak",
        ];
        for rel in read {
            assert!(go_reads(Path::new(rel)), "{rel}");
        }
        for rel in not_read {
            assert!(!go_reads(Path::new(rel)), "{rel}");
        }
    }
}
