//! A full disk, across the binaries: during the restore of build artifacts
//! (the build goes on from scratch, with a warning, and nothing half
//! restored stays) and during save-artifacts (it fails, and the next build
//! refuses what it wrote and starts clean). A full disk during the build
//! and the install (the application root's file system, which holds the
//! work area and the caches) is `install_faults.rs`'s.
//!
//! The small file systems are tmpfs mounts made by the test (root only:
//! the tests skip loudly without root, and fail under CI).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use s2i_tests::go::{copy_fixture, require_go, Go};
use s2i_tests::workspace_bin;

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts it, or skips `test` loudly (not root, or no mount allowed).
    fn mount(test: &str, dir: &Path, size: &str) -> Option<Tmpfs> {
        s2i_tests::require_root(test)?;
        fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0755"))
            .arg("tmpfs")
            .arg(dir)
            .status();
        if !mounted.is_ok_and(|s| s.success()) {
            return s2i_tests::skip(test, "cannot mount a tmpfs (no CAP_SYS_ADMIN here)");
        }
        Some(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn all(out: &Output) -> String {
    format!(
        "--- status {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `len` bytes that no file system compresses or keeps as holes.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e3779b97f4a7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Every path under `dir` with its size in bytes (directories: 0).
fn tree(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if path != dir {
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            out.push((rel, if meta.is_dir() { 0 } else { meta.len() }));
        }
        if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        }
    }
    out.sort();
    out
}

/// One application and where it is built: the sources, the application
/// root, and the Go it builds with (the tests' shared, warm GOCACHE unless
/// a test gives another).
struct App {
    go: Go,
    tmp: tempfile::TempDir,
    src: PathBuf,
}

impl App {
    fn new(go: Go) -> App {
        let tmp = tempfile::tempdir().unwrap();
        let src = copy_fixture("module-basic", tmp.path());
        App { go, tmp, src }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// `s2i-assemble` into `app_root`, from `artifacts`, with `env` on top.
    fn assemble(&self, app_root: &Path, artifacts: &Path, env: &[(&str, &Path)]) -> Output {
        let mut command = Command::new(workspace_bin("s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("GOMODCACHE") // $APP_ROOT/.cache/go-mod
            .env_remove("APP_ROOT")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(app_root)
            .arg("--artifacts")
            .arg(artifacts);
        command.output().unwrap()
    }

    fn assemble_ok(&self, app_root: &Path, artifacts: &Path, env: &[(&str, &Path)]) -> Output {
        let out = self.assemble(app_root, artifacts, env);
        assert!(out.status.success(), "{}", all(&out));
        out
    }
}

/// What the application root runs, through `s2i-run`.
fn runs(app_root: &Path) -> String {
    let out = Command::new(workspace_bin("s2i-run"))
        .env("APP_ROOT", app_root)
        .env("S2I_RUN_INIT", "never")
        .env_remove("APP_ARGS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const HELLO: &str = "hello from module-basic\n";

/// Artifacts holding a module cache larger than the disk it is restored
/// to: a module download and its extracted directory, in Go's layout.
fn big_module_artifacts(dir: &Path) {
    let download = dir.join("go-mod/cache/download/example.com/big/@v");
    fs::create_dir_all(&download).unwrap();
    fs::write(download.join("v1.0.0.mod"), "module example.com/big\n").unwrap();
    fs::write(download.join("v1.0.0.zip"), noise(12 << 20)).unwrap();
    let module = dir.join("go-mod/example.com/big@v1.0.0");
    fs::create_dir_all(&module).unwrap();
    fs::write(module.join("go.mod"), "module example.com/big\n").unwrap();
    fs::write(module.join("blob"), noise(12 << 20)).unwrap();
}

/// The restore of artifacts larger than the room left: the module cache is
/// copied (the artifacts are on another file system) or extracted (a tar)
/// until the disk is full; then the build goes on from scratch with a
/// warning that says why, nothing of the module is left half restored in
/// GOMODCACHE, the artifacts are gone, and the next build succeeds.
#[test]
fn a_full_disk_during_the_restore_gives_a_clean_build_with_a_warning() {
    let test = "a_full_disk_during_the_restore_gives_a_clean_build_with_a_warning";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go);
    let app_root = app.path("app-root");
    let Some(_tmpfs) = Tmpfs::mount(test, &app_root, "16m") else {
        return;
    };
    let gomodcache = app_root.join(".cache/go-mod");

    // As s2i extracted them (a directory), then as the stream (a tar).
    let dir = app.path("artifacts");
    big_module_artifacts(&dir);
    let tar = app.path("artifacts.tar");
    let status = Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .arg("go-mod")
        .status()
        .unwrap();
    assert!(status.success());

    for artifacts in [&dir, &tar] {
        let out = app.assemble_ok(&app_root, artifacts, &[]);
        let log = all(&out);
        // `could not restore the module cache: …; building it from
        // scratch` (a directory), `ignoring the build artifacts in …:
        // cannot extract …; building from scratch` (a tar).
        let warning = String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| l.contains("No space left on device"))
            .map(str::to_string)
            .unwrap_or_default();
        assert!(
            warning.starts_with("s2i-assemble: warning: ") && warning.contains("from scratch"),
            "{}: {log}",
            artifacts.display()
        );
        assert!(!log.contains("Restored build artifacts"), "{log}");
        assert_eq!(runs(&app_root), HELLO);
        let left: Vec<_> = tree(&gomodcache)
            .into_iter()
            .filter(|(p, _)| p.contains("big"))
            .collect();
        assert!(
            left.is_empty(),
            "{}: half restored: {left:?}",
            artifacts.display()
        );
        let cache_bytes: u64 = tree(&app_root.join(".cache")).iter().map(|(_, n)| n).sum();
        assert!(
            cache_bytes < 1 << 20,
            "{}: {cache_bytes} bytes left in .cache: {:?}",
            artifacts.display(),
            tree(&app_root.join(".cache"))
        );
        if artifacts == &dir {
            assert!(!dir.exists() || tree(&dir).is_empty(), "{:?}", tree(&dir));
        }
        // The next build, without artifacts, succeeds and leaves nothing
        // of the restore either.
        app.assemble_ok(&app_root, &app.path("no-artifacts"), &[]);
        assert_eq!(runs(&app_root), HELLO);
        assert!(!tree(&app_root).iter().any(|(p, _)| p.contains("big")));
    }
}

/// Go's caches as a build leaves them, without a build: the README Go
/// writes, and build-cache entries of `count` MB each.
fn fake_caches(app_root: &Path, count: usize) {
    let build = app_root.join(s2i_common::paths::GO_BUILD_CACHE);
    fs::create_dir_all(&build).unwrap();
    fs::write(
        build.join("README"),
        "This directory holds cached build artifacts from the Go build system.\n",
    )
    .unwrap();
    for i in 0..count {
        let entry = build.join(s2i_tests::build_cache_entry(&format!("{i:02x}"), "d"));
        fs::create_dir_all(entry.parent().unwrap()).unwrap();
        fs::write(entry, noise(1 << 20)).unwrap();
    }
}

/// s2i-save-artifacts writing to a full disk (`/dev/full`: no root
/// needed): it fails with the reason, in one line, and does not report a
/// save.
#[test]
fn saving_to_a_full_disk_fails_with_the_reason() {
    let root = tempfile::tempdir().unwrap();
    fake_caches(root.path(), 2);
    let out = Command::new(workspace_bin("s2i-save-artifacts"))
        .env("APP_ROOT", root.path())
        .env_remove("S2I_SAVE_ARTIFACTS_PATHS")
        .env_remove("S2I_GO_BASE_CACHE")
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "s2i-save-artifacts: cannot write the artifacts stream: No space left on device\n"
    );
}

/// s2i-save-artifacts running out of room half-way through the stream
/// (its stdout a file on a small tmpfs): it fails; the next build, given
/// what it wrote, refuses the truncated stream with a warning and builds
/// from scratch.
#[test]
fn a_stream_cut_by_a_full_disk_fails_save_artifacts_and_the_next_build_starts_clean() {
    let test = "a_stream_cut_by_a_full_disk_fails_save_artifacts_and_the_next_build_starts_clean";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go);
    let previous = app.path("previous");
    fake_caches(&previous, 4);
    let small = app.path("small");
    let Some(_tmpfs) = Tmpfs::mount(test, &small, "2m") else {
        return;
    };
    let stream = small.join("artifacts.tar");
    let out = Command::new(workspace_bin("s2i-save-artifacts"))
        .env("APP_ROOT", &previous)
        .env_remove("S2I_SAVE_ARTIFACTS_PATHS")
        .env_remove("S2I_GO_BASE_CACHE")
        .stdout(fs::File::create(&stream).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "s2i-save-artifacts: cannot write the artifacts stream: No space left on device\n"
    );
    let written = fs::metadata(&stream).unwrap().len();
    assert!(written > 0 && written < 4 << 20, "{written} bytes written");

    // The next build takes the cut stream as its artifacts.
    let artifacts = app.path("artifacts.tar");
    fs::copy(&stream, &artifacts).unwrap();
    let app_root = app.path("app-root");
    let out = app.assemble_ok(&app_root, &artifacts, &[]);
    let log = all(&out);
    assert!(
        log.contains("s2i-assemble: warning: ignoring the build artifacts in ")
            && log.contains("building from scratch"),
        "{log}"
    );
    assert_eq!(runs(&app_root), HELLO);
    // Nothing of the cut stream was restored (into the tests' GOCACHE,
    // which holds no entry of these made-up names otherwise).
    for i in 0..4 {
        let entry = s2i_tests::build_cache_entry(&format!("{i:02x}"), "d");
        assert!(
            !app.go.dirs.gocache.join(&entry).exists(),
            "{entry} restored"
        );
    }
}
