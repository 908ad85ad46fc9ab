//! A full disk, across the binaries: during the restore of build artifacts
//! (the build goes on from scratch, with a warning, and nothing half
//! restored stays), during the build (go writing its build cache, its work
//! directory and the binaries: the previous install stays, and the next
//! build, on the half-written cache, succeeds) and during save-artifacts
//! (it fails, and the next build refuses what it wrote and starts clean).
//! A full disk during the install (the application root's file system,
//! with a warm build cache elsewhere) is `install_faults.rs`'s.
//!
//! The small file systems are tmpfs mounts made by the test (root only:
//! the tests skip loudly without root, and fail under CI).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use s2i_tests::go::{copy_fixture, require_go, Go};
use s2i_tests::{bytes_available as available, output_text as all, workspace_bin};

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

    /// `s2i-assemble` into `app_root` with no GOCACHE given: go's build
    /// cache is s2i-assemble's default, `$APP_ROOT/.cache/go-build`; go's
    /// temporary files are under `tmp`.
    fn assemble_own_cache(&self, app_root: &Path, tmp: &Path) -> Output {
        let mut command = Command::new(workspace_bin("s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("GOCACHE")
            .env_remove("GOMODCACHE")
            .env_remove("GOTMPDIR")
            .env_remove("APP_ROOT")
            .env("TMPDIR", tmp)
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(app_root)
            .arg("--artifacts")
            .arg(self.path("no-artifacts"));
        command.output().unwrap()
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

/// The application root's installed files with their contents (FNV-1a of
/// the bytes), less what a build may leave changed: the caches, and the
/// test's own filler and temporary directory.
fn installed(app_root: &Path) -> Vec<(String, u64)> {
    let skip = [".cache", "filler", "tmp"];
    tree(app_root)
        .into_iter()
        .filter(|(p, _)| {
            !skip
                .iter()
                .any(|s| p == s || p.starts_with(&format!("{s}/")))
        })
        .map(|(p, _)| {
            let path = app_root.join(&p);
            let hash = match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_file() => fs::read(&path)
                    .unwrap()
                    .iter()
                    .fold(0xcbf29ce484222325u64, |h, b| {
                        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
                    }),
                _ => 0,
            };
            (p, hash)
        })
        .collect()
}

/// A full disk while go builds: the application root's file system holds
/// go's build cache (cold: go compiles the standard library into it), its
/// temporary work directory (TMPDIR) and the binaries it writes, and less
/// and less of it is free. A build that runs out of room fails with exit
/// status 1 and a last line that says the disk is full, the previous
/// install runs unchanged, and no work area or go work directory is left. Once there is room, the next build, on the
/// cache the failed ones half wrote, succeeds and runs the new program.
#[test]
fn a_full_disk_during_the_build_keeps_the_previous_install_and_the_next_build_succeeds() {
    let test =
        "a_full_disk_during_the_build_keeps_the_previous_install_and_the_next_build_succeeds";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go);
    let app_root = app.path("app-root");
    let Some(_tmpfs) = Tmpfs::mount(test, &app_root, "96m") else {
        return;
    };
    let tmp = app_root.join("tmp");
    fs::create_dir(&tmp).unwrap();
    let filler = app_root.join("filler");
    let main_go = app.src.join("main.go");

    // The previous build (the tests' warm cache, elsewhere).
    app.assemble_ok(&app_root, &app.path("no-artifacts"), &[("TMPDIR", &tmp)]);
    let previous = installed(&app_root);
    assert_eq!(runs(&app_root), HELLO);

    // The new build: another program, built with a cold cache.
    let source = fs::read_to_string(&main_go).unwrap();
    fs::write(
        &main_go,
        source.replace("hello from module-basic", "hello from the new build"),
    )
    .unwrap();
    let mut failed_in_go = 0;
    for room in [0u64, 512 << 10, 2 << 20, 8 << 20, 20 << 20] {
        let fill = available(&app_root).saturating_sub(room);
        fs::write(&filler, vec![0u8; fill as usize]).unwrap_or_else(|e| {
            // The last bytes may not fit: the disk is as full as it gets.
            assert_eq!(e.raw_os_error(), Some(28), "{e}");
        });
        let out = app.assemble_own_cache(&app_root, &tmp);
        fs::remove_file(&filler).unwrap();
        let log = all(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        eprintln!("{room} bytes free: {last}");
        if out.status.success() {
            assert_eq!(runs(&app_root), "hello from the new build\n", "{log}");
            break;
        }
        assert_eq!(out.status.code(), Some(1), "{room} bytes free: {log}");
        // The last line says the disk is full, whatever go made of it
        // (`package fmt is not in std`, a compile error in GOROOT).
        let said_by_go = last.starts_with("s2i-assemble: go build ran out of disk space: ")
            || last.starts_with("s2i-assemble: go list ran out of disk space: ")
            || (last.starts_with("s2i-assemble: go ")
                && last.contains(" free on the file system of "));
        let said_before_go =
            last.starts_with("s2i-assemble: ") && last.contains("No space left on device");
        assert!(said_by_go || said_before_go, "{room} bytes free: {log}");
        if said_by_go {
            failed_in_go += 1;
        }
        assert_eq!(installed(&app_root), previous, "{room} bytes free: {log}");
        assert_eq!(runs(&app_root), HELLO);
        let left: Vec<_> = fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(
            left.is_empty(),
            "{room} bytes free: left in TMPDIR: {left:?}"
        );
    }
    assert!(
        failed_in_go > 0,
        "no build ran out of room while go wrote: the test no longer tests it"
    );

    // With room again, the next build uses what the failed ones left in
    // the build cache, and succeeds.
    let out = app.assemble_own_cache(&app_root, &tmp);
    assert!(out.status.success(), "{}", all(&out));
    assert_eq!(runs(&app_root), "hello from the new build\n");
    let left: Vec<_> = fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    assert!(!app_root.join(".s2i-assemble").exists());
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
