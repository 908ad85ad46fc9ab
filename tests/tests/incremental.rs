//! Incremental builds across the real binaries: `s2i-assemble` builds,
//! `s2i-save-artifacts` streams the caches out, the next `s2i-assemble`
//! restores them (from the directory s2i extracts, or from the tar itself).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use s2i_tests::go::{self, copy_fixture, fixture_proxy, require_go, Go, ModuleProxy};
use s2i_tests::hostile_tar::raw_tar;
use s2i_tests::workspace_bin;

/// One application being rebuilt: its sources, its application root, the
/// Go to build with, and the module proxy (GOPROXY) it downloads from.
struct App {
    go: Go,
    tmp: tempfile::TempDir,
    src: PathBuf,
    app_root: PathBuf,
    goproxy: String,
    extra_env: Vec<(&'static str, String)>,
}

impl App {
    fn new(go: Go, fixture: &str) -> App {
        let tmp = tempfile::tempdir().unwrap();
        let src = copy_fixture(fixture, tmp.path());
        let goproxy = fixture_proxy(&tmp.path().join("proxy")).unwrap().url();
        let app_root = tmp.path().join("app-root");
        App {
            go,
            tmp,
            src,
            app_root,
            goproxy,
            extra_env: Vec::new(),
        }
    }

    /// `s2i-assemble` with the caches at their places under the application
    /// root (not the tests' shared GOCACHE), and `go build -x` so that the
    /// compile actions go ran are in its output.
    fn assemble(&self, artifacts: &Path) -> Output {
        self.assemble_command(artifacts, &[]).output().unwrap()
    }

    /// The command [`App::assemble`] runs, started by `wrapper` (a command
    /// and its arguments, such as strace) when it is not empty.
    fn assemble_command(&self, artifacts: &Path, wrapper: &[&std::ffi::OsStr]) -> Command {
        let bin = workspace_bin("s2i-assemble");
        let mut command = match wrapper {
            [] => Command::new(&bin),
            [program, args @ ..] => {
                let mut command = Command::new(program);
                command.args(args).arg(&bin);
                command
            }
        };
        self.go.hermetic_env(&mut command);
        command
            .env_remove("GOCACHE")
            .env_remove("GOMODCACHE")
            .env_remove("APP_ROOT")
            .env("GOPROXY", &self.goproxy)
            .env("GOFLAGS", "-x")
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(&self.app_root)
            .arg("--artifacts")
            .arg(artifacts);
        command
    }

    fn assemble_ok(&self, artifacts: &Path) -> Build {
        let output = self.assemble(artifacts);
        let build = Build {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            output.status.success(),
            "s2i-assemble failed:\n{}\n{}",
            build.stdout,
            build.stderr
        );
        build
    }

    /// `s2i-save-artifacts` of this application root: the stream.
    fn save_artifacts(&self) -> Vec<u8> {
        let output = Command::new(workspace_bin("s2i-save-artifacts"))
            .env("APP_ROOT", &self.app_root)
            .env_remove("S2I_GO_BASE_CACHE")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// What the next build's container starts from: the builder image's
    /// application root, without the previous build's files.
    fn fresh_app_root(&self) {
        go::remove_tree(&self.app_root).unwrap();
    }

    fn run_app(&self) -> String {
        let out = Command::new(self.app_root.join("gobinary"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.src.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        fs::write(&path, text.replace(from, to)).unwrap();
    }

    /// The next build of an incremental BuildConfig: this root's caches
    /// saved as the stream file (`artifacts.tar`, as --as-dockerfile
    /// leaves it), a fresh application root, `main.go` edited, assembled.
    /// `offline`: the module proxies gone first.
    fn rebuild(&self, from: &str, to: &str, offline: &[&Path]) -> Build {
        let tar_file = self.path("artifacts.tar");
        fs::write(&tar_file, self.save_artifacts()).unwrap();
        for proxy in offline {
            go::remove_tree(proxy).unwrap();
        }
        self.fresh_app_root();
        self.edit("main.go", from, to);
        self.assemble_ok(&tar_file)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = go::remove_tree(self.tmp.path());
    }
}

struct Build {
    stdout: String,
    stderr: String,
}

impl Build {
    /// The packages go compiled (rather than took from the build cache).
    fn compiled(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter(|l| l.contains("/compile ") && l.contains(" -p "))
            .map(|l| {
                l.split(" -p ")
                    .nth(1)
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
}

/// Extracts `stream` into a new directory the way S2I's incremental build
/// does (`tar -xf artifacts.tar -C /tmp/artifacts`); None without `tar`.
fn extract_like_s2i(stream: &[u8], dir: &Path, test: &str) -> Option<PathBuf> {
    let tar = s2i_tests::require_tool("tar", test)?;
    fs::create_dir_all(dir).unwrap();
    let file = dir.join("artifacts.tar");
    fs::write(&file, stream).unwrap();
    let artifacts = dir.join("artifacts");
    fs::create_dir_all(&artifacts).unwrap();
    // Like S2I, whatever tar makes of it (it may fail half-way) is what
    // assemble gets.
    let _ = Command::new(tar)
        .arg("-xf")
        .arg(&file)
        .arg("-C")
        .arg(&artifacts)
        .output()
        .unwrap();
    fs::remove_file(&file).unwrap();
    Some(artifacts)
}

#[test]
fn round_trip_reuses_the_caches_after_a_code_change() {
    let test = "round_trip_reuses_the_caches_after_a_code_change";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-dep");
    let first = app.assemble_ok(&app.path("no-artifacts"));
    assert!(
        !first.stdout.contains("Restoring build artifacts"),
        "{}",
        first.stdout
    );
    assert!(
        first.compiled().len() > 20,
        "a cold build compiles the standard library"
    );
    let stream = app.save_artifacts();

    app.fresh_app_root();
    app.edit("main.go", "module-dep says ", "module-dep now says ");
    let Some(artifacts) = extract_like_s2i(&stream, app.tmp.path(), test) else {
        return;
    };
    let second = app.assemble_ok(&artifacts);

    assert!(
        second
            .stdout
            .contains("---> Restoring build artifacts from "),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("     build cache: "),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("     module cache: "),
        "{}",
        second.stdout
    );
    assert_eq!(
        second.compiled(),
        ["main"],
        "only the changed package is compiled:\n{}",
        second.stderr
    );
    assert_eq!(
        app.run_app(),
        "module-dep now says hello from greeting v1.0.0"
    );
    assert!(!artifacts.exists(), "the artifacts were moved, not copied");

    // What is left of the artifacts goes while go builds; a build that
    // fails still leaves none of it behind.
    let stream = app.save_artifacts();
    app.fresh_app_root();
    app.edit(
        "main.go",
        "module-dep now says ",
        "module-dep now says \" + undefined + \"",
    );
    let Some(artifacts) = extract_like_s2i(&stream, &app.path("third"), test) else {
        return;
    };
    let failed = app.assemble(&artifacts);
    assert!(!failed.status.success(), "the broken build fails");
    assert!(
        !artifacts.exists(),
        "a failed build consumed the artifacts too"
    );
}

#[test]
fn module_cache_round_trip_builds_offline() {
    let test = "module_cache_round_trip_builds_offline";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-dep");
    app.assemble_ok(&app.path("no-artifacts"));
    let tar_file = app.path("artifacts.tar");
    fs::write(&tar_file, app.save_artifacts()).unwrap();

    // The proxy is gone: only the restored module cache can serve greeting.
    go::remove_tree(&app.path("proxy")).unwrap();
    app.fresh_app_root();
    app.edit("main.go", "module-dep says ", "module-dep offline says ");
    // The stream itself, as --as-dockerfile leaves it at /tmp/artifacts.tar.
    let second = app.assemble_ok(&tar_file);
    assert!(
        second.stdout.contains("     module cache: "),
        "{}",
        second.stdout
    );
    assert!(
        !tar_file.exists(),
        "the stream is consumed: it does not stay in the application image"
    );
    assert_eq!(
        app.run_app(),
        "module-dep offline says hello from greeting v1.0.0"
    );

    // Without the artifacts the same build cannot download greeting: the
    // offline success above came from the restored cache.
    app.fresh_app_root();
    let output = app.assemble(&app.path("no-artifacts"));
    assert!(!output.status.success());
}

#[test]
fn unchanged_go_mod_keeps_the_module_cache_without_asking_go() {
    let test = "unchanged_go_mod_keeps_the_module_cache_without_asking_go";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-dep");
    app.assemble_ok(&app.path("no-artifacts"));
    // Build 2 prunes the module cache to its build list (asking go) and
    // notes what that list came from.
    let second = app.rebuild("module-dep says ", "module-dep two says ", &[]);
    assert!(
        second.stdout.contains(", module cache ") && !second.stdout.contains("as restored"),
        "{}",
        second.stdout
    );
    // Build 3, same go.mod and go.sum, offline: the cache is kept as it
    // came, and it is enough.
    let third = app.rebuild(
        "module-dep two says ",
        "module-dep three says ",
        &[&app.path("proxy")],
    );
    assert!(
        third
            .stdout
            .contains("module cache as restored (same go.mod and go.sum)"),
        "{}",
        third.stdout
    );
    assert_eq!(
        app.run_app(),
        "module-dep three says hello from greeting v1.0.0"
    );
    let stream = app.save_artifacts();
    let saved: Vec<String> = tar::Archive::new(stream.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        saved
            .iter()
            .any(|n| n == "go-mod/example.com/greeting@v1.0.0/greeting.go"),
        "{saved:?}"
    );
}

#[test]
fn hostile_artifacts_are_refused_and_the_build_succeeds_clean() {
    let test = "hostile_artifacts_are_refused_and_the_build_succeeds_clean";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-basic");
    // The caches the image itself has (a warm build cache), so that each
    // case below builds in seconds; the hostile artifacts must add nothing.
    app.assemble_ok(&app.path("no-artifacts"));
    let outside = app.path("outside");
    fs::create_dir_all(&outside).unwrap();
    let escape_target = format!("{}/pwned", outside.display());
    let good_entry = format!("go-build/{}", s2i_tests::build_cache_entry("0a11", "d"));
    let good = (
        good_entry.as_str(),
        tar::EntryType::Regular,
        &b"hostile"[..],
        "",
    );
    let legit_tar = raw_tar(&[good]);
    let mut random = Vec::new();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..8192 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        random.push(x as u8);
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "symlink",
            raw_tar(&[
                good,
                (
                    "go-build/00",
                    tar::EntryType::Symlink,
                    b"",
                    &outside.display().to_string(),
                ),
                ("go-build/00/pwned", tar::EntryType::Regular, b"x", ""),
            ]),
            "go-build/00 is a symbolic link",
        ),
        (
            "dot-dot",
            raw_tar(&[
                good,
                ("go-build/../../../pwned", tar::EntryType::Regular, b"x", ""),
            ]),
            "escapes with `..`",
        ),
        (
            "absolute",
            raw_tar(&[good, (&escape_target, tar::EntryType::Regular, b"x", "")]),
            "is an absolute path",
        ),
        ("truncated", legit_tar[..512 + 3].to_vec(), "truncated"),
        ("random", random, "not a valid tar stream"),
    ];
    for (name, stream, why) in cases {
        let tar_file = app.path(&format!("{name}.tar"));
        fs::write(&tar_file, &stream).unwrap();
        let build = app.assemble_ok(&tar_file);
        let warning = format!(
            "s2i-assemble: warning: ignoring the build artifacts in {}: ",
            tar_file.display()
        );
        let line = build.stderr.lines().find(|l| l.starts_with(&warning));
        let line = line.unwrap_or_else(|| panic!("{name}: no warning in:\n{}", build.stderr));
        assert!(
            line.contains(why) && line.ends_with("; building from scratch"),
            "{name}: {line}"
        );
        assert!(
            !build.stdout.contains("     build cache:"),
            "{name}: nothing restored:\n{}",
            build.stdout
        );
        assert!(
            !build.stdout.contains("Restored build artifacts"),
            "{name}: refused, so not restored:\n{}",
            build.stdout
        );
        assert!(
            !app.app_root.join(".cache").join(&good_entry).exists(),
            "{name}: nothing from it restored"
        );
        assert!(
            !outside.join("pwned").exists() && !app.tmp.path().join("pwned").exists(),
            "{name}"
        );
        assert_eq!(app.run_app(), "hello from module-basic", "{name}");
    }

    // S2I extracts the stream itself: what tar makes of a symlink entry
    // reaches assemble as a directory tree, and is refused there.
    let stream = raw_tar(&[
        good,
        (
            "go-mod/cache",
            tar::EntryType::Symlink,
            b"",
            &outside.display().to_string(),
        ),
    ]);
    let Some(artifacts) = extract_like_s2i(&stream, &app.path("s2i"), test) else {
        return;
    };
    let build = app.assemble_ok(&artifacts);
    assert!(
        build
            .stderr
            .contains("go-mod/cache is a symbolic link; building from scratch"),
        "{}",
        build.stderr
    );
    assert!(!app.app_root.join(".cache").join(&good_entry).exists());
}

/// README: corrupt artifacts never fail a build. A file where Go keeps a
/// directory (which made go fail to open its cache) is left out with a
/// warning, the rest is restored, and the build works.
#[test]
fn a_file_where_go_keeps_a_directory_does_not_fail_the_build() {
    let test = "a_file_where_go_keeps_a_directory_does_not_fail_the_build";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-dep");
    app.assemble_ok(&app.path("no-artifacts"));
    let stream = app.save_artifacts();
    for shape in ["go-build/00", "go-mod/cache", "go-mod/cache/download"] {
        let dir = app.path(&shape.replace('/', "-"));
        let Some(artifacts) = extract_like_s2i(&stream, &dir, test) else {
            return;
        };
        go::remove_tree(&artifacts.join(shape)).unwrap();
        fs::write(artifacts.join(shape), b"not a directory").unwrap();
        // A new container: the caches come from the artifacts alone.
        app.fresh_app_root();
        let build = app.assemble_ok(&artifacts);
        let warning = format!(
            "s2i-assemble: warning: ignoring {shape} in the build artifacts: a file where Go keeps a directory"
        );
        assert!(
            build.stderr.contains(&warning),
            "{shape}:\n{}",
            build.stderr
        );
        assert!(
            build.stdout.contains("---> Restored build artifacts"),
            "{shape}"
        );
        assert!(app.app_root.join(".cache").join(shape).is_dir(), "{shape}");
        assert_eq!(
            app.run_app(),
            "module-dep says hello from greeting v1.0.0",
            "{shape}"
        );
    }
}

/// `count` build-cache entries that no build uses, and a tar of them as
/// save-artifacts writes it.
fn unused_entries(count: usize) -> (Vec<String>, Vec<u8>) {
    let entries: Vec<String> = (0..count)
        .map(|i| s2i_tests::build_cache_entry(&format!("{:02x}ffff{i:06x}", i % 256), "d"))
        .collect();
    let mut builder = tar::Builder::new(Vec::new());
    for entry in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o664);
        header.set_size(6);
        builder
            .append_data(&mut header, format!("go-build/{entry}"), &b"unused"[..])
            .unwrap();
    }
    (entries, builder.into_inner().unwrap())
}

impl App {
    /// How many of `entries` the application root's build cache holds.
    fn count_present(&self, entries: &[String]) -> usize {
        let cache = self.app_root.join(".cache/go-build");
        entries.iter().filter(|e| cache.join(e).exists()).count()
    }

    /// The next build, without artifacts: it finds what the interrupted
    /// one restored and prunes it after its build.
    fn next_build_prunes(&self, entries: &[String], left: usize, how: &str) {
        let build = self.assemble_ok(&self.path("no-artifacts"));
        assert!(
            build.stdout.contains(&format!(
                "---> Found what an interrupted build restored and did not prune ({left} build-cache entries"
            )),
            "{how}:\n{}",
            build.stdout
        );
        assert_eq!(self.count_present(entries), 0, "{how}: all pruned");
        let note = self.app_root.join(".cache/.go-build.unpruned");
        assert!(!note.exists(), "{how}: the note goes with the prune");
        assert_eq!(self.run_app(), "hello from module-basic", "{how}");
    }
}

/// README: a restore killed half-way leaves nothing that no prune
/// removes. `kill -9` (strace's fault injection) inside the extraction of a
/// tar, then inside the move of a directory: the next build prunes what it
/// had brought in.
#[test]
fn a_restore_killed_half_way_is_pruned_by_the_next_build() {
    let test = "a_restore_killed_half_way_is_pruned_by_the_next_build";
    let Some(go) = require_go(test) else { return };
    let Some(strace) = s2i_tests::require_tool("strace", test) else {
        return;
    };
    let app = App::new(go, "module-basic");
    app.assemble_ok(&app.path("no-artifacts"));
    let (entries, stream) = unused_entries(2000);
    let tar_file = app.path("artifacts.tar");
    fs::write(&tar_file, &stream).unwrap();
    let Some(artifacts) = extract_like_s2i(&stream, &app.path("s2i"), test) else {
        return;
    };
    // Each entry extracted is dated (utimensat); each one moved is a
    // renameat2 (the build cache is there already: entry by entry).
    for (syscall, artifacts, how) in [
        ("utimensat", &tar_file, "tar"),
        ("renameat2", &artifacts, "directory"),
    ] {
        let inject = format!("inject={syscall}:signal=KILL:when=500");
        let wrapper = ["-f", "-qq", "-o", "/dev/null", "-e"].map(std::ffi::OsStr::new);
        let mut wrapper = Vec::from(wrapper);
        wrapper.insert(0, strace.as_os_str());
        wrapper.push(std::ffi::OsStr::new(&inject));
        let killed = app.assemble_command(artifacts, &wrapper).output().unwrap();
        assert!(!killed.status.success(), "{how}: killed");
        let left = app.count_present(&entries);
        assert!(
            left > 0 && left < entries.len(),
            "{how}: killed half-way ({left})"
        );
        app.next_build_prunes(&entries, left, how);
    }
}

/// A SIGTERM during a long restore stops it half-way: s2i-assemble ends
/// with 143 at once, rather than after the restore; the next build prunes
/// what it had brought in.
#[test]
fn sigterm_during_a_long_restore_stops_it_half_way() {
    let test = "sigterm_during_a_long_restore_stops_it_half_way";
    let Some(go) = require_go(test) else { return };
    let app = App::new(go, "module-basic");
    app.assemble_ok(&app.path("no-artifacts"));
    let (entries, stream) = unused_entries(30_000);
    let tar_file = app.path("artifacts.tar");
    fs::write(&tar_file, &stream).unwrap();
    let mut child = app
        .assemble_command(&tar_file, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(n > 0, "no restore announced:\n{seen}");
        seen.push_str(&line);
        if line.starts_with("---> Restoring build artifacts from ") {
            break;
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    std::io::Read::read_to_string(&mut stdout, &mut seen).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{seen}\n{stderr}");
    assert!(
        stderr.contains("s2i-assemble: stopped by SIGTERM"),
        "{stderr}"
    );
    assert!(!seen.contains("Restored build artifacts"), "{seen}");
    let left = app.count_present(&entries);
    assert!(
        left < entries.len(),
        "stopped half-way, not after the restore"
    );
    if left > 0 {
        app.next_build_prunes(&entries, left, "SIGTERM");
    }
}

#[test]
fn clean_cache_removes_the_caches_and_they_never_mix_with_the_app() {
    let test = "clean_cache_removes_the_caches_and_they_never_mix_with_the_app";
    let Some(go) = require_go(test) else { return };
    let mut app = App::new(go, "module-dep");
    app.assemble_ok(&app.path("no-artifacts"));
    let cache = app.app_root.join(".cache");
    assert!(cache.join("go-build").is_dir() && cache.join("go-mod").is_dir());
    // Never among the application's files, never in the run manifest.
    for entry in walk(&app.app_root.join("src")) {
        let name = entry.to_string_lossy();
        assert!(
            !name.contains("go-build") && !name.contains("go-mod") && !name.contains("@v"),
            "{name}"
        );
    }
    let manifest = fs::read_to_string(app.app_root.join("s2i-run.toml")).unwrap();
    assert!(
        !manifest.contains(".cache")
            && !manifest.contains("GOCACHE")
            && !manifest.contains("GOMODCACHE"),
        "{manifest}"
    );

    app.extra_env.push(("GO_CLEAN_CACHE", "true".into()));
    let build = app.assemble_ok(&app.path("no-artifacts"));
    assert!(
        build
            .stdout
            .contains("---> Removed Go's caches (GO_CLEAN_CACHE=true)"),
        "{}",
        build.stdout
    );
    assert!(!cache.join("go-build").exists() && !cache.join("go-mod").exists());
    assert!(app.save_artifacts().is_empty(), "nothing left to save");
    assert_eq!(app.run_app(), "module-dep says hello from greeting v1.0.0");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            out.push(path.clone());
            if path.is_dir() {
                out.extend(walk(&path));
            }
        }
    }
    out
}

/// A version of example.com/greeting with about 1 MB of data in it, so
/// that keeping old versions would show in the saved size.
fn heavy_greeting(dir: &Path, version: &str) -> PathBuf {
    let source = dir.join(version);
    fs::create_dir_all(&source).unwrap();
    fs::write(
        source.join("go.mod"),
        "module example.com/greeting\n\ngo 1.19\n",
    )
    .unwrap();
    let mut blob = String::with_capacity(1 << 20);
    let mut x: u64 = version.bytes().fold(1469598103934665603, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    });
    while blob.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        blob.push_str(&format!("{x:016x}"));
    }
    let code = format!(
        "package greeting\n\n// Blob makes each version weigh about 1 MB.\nvar Blob = \"{blob}\"\n\n// Hello names this module's version.\nfunc Hello() string {{\n\treturn \"hello from greeting {version}\" + Blob[:0]\n}}\n"
    );
    fs::write(source.join("greeting.go"), code).unwrap();
    source
}

#[test]
fn saved_caches_stay_bounded_over_ten_builds() {
    let test = "saved_caches_stay_bounded_over_ten_builds";
    let Some(go) = require_go(test) else { return };
    let mut app = App::new(go, "module-dep");
    let versions: Vec<String> = (0..=10).map(|n| format!("v1.{}.0", n + 2)).collect();
    let sources = app.path("greeting-sources");
    let modules: Vec<(String, PathBuf)> = versions
        .iter()
        .map(|v| (v.clone(), heavy_greeting(&sources, v)))
        .collect();
    let fixture_version = s2i_tests::fixtures_dir().join("modules/greeting/v1.0.0");
    let mut listed: Vec<(&str, &str, &Path)> = modules
        .iter()
        .map(|(v, s)| ("example.com/greeting", v.as_str(), s.as_path()))
        .collect();
    listed.push(("example.com/greeting", "v1.0.0", &fixture_version));
    let proxy = ModuleProxy::build(&app.path("heavy-proxy"), &listed).unwrap();
    app.goproxy = proxy.url();
    // Each build: the developer bumps greeting with `go get` (which updates
    // go.mod and go.sum) and changes a line of code.
    let bump = |app: &App, version: &str| {
        let mut get = app.go.command();
        get.args(["get", &format!("example.com/greeting@{version}")])
            .current_dir(&app.src)
            .env("GOPROXY", &app.goproxy);
        go::output_ok(&mut get);
    };

    bump(&app, &versions[0]);
    app.assemble_ok(&app.path("no-artifacts"));
    let after_one = app.save_artifacts();
    let mut stream = after_one.clone();
    for (n, version) in versions.iter().enumerate().skip(1) {
        bump(&app, version);
        app.edit("main.go", "module-dep", &format!("module-dep{n}"));
        let tar_file = app.path("artifacts.tar");
        fs::write(&tar_file, &stream).unwrap();
        app.fresh_app_root();
        let build = app.assemble_ok(&tar_file);
        assert!(
            build.stdout.contains("     build cache: "),
            "{}",
            build.stdout
        );
        assert!(
            !build.compiled().iter().any(|p| p == "fmt"),
            "build {n} reuses the standard library"
        );
        stream = app.save_artifacts();
    }
    assert!(
        app.run_app().ends_with("hello from greeting v1.12.0"),
        "{}",
        app.run_app()
    );

    let ratio = stream.len() as f64 / after_one.len() as f64;
    eprintln!(
        "saved stream: {} bytes after one build, {} after ten more ({ratio:.3}x)",
        after_one.len(),
        stream.len()
    );
    assert!(
        ratio <= 1.2,
        "the saved caches grew {ratio:.2}x over ten builds"
    );
    // Only the current version of greeting is in the stream.
    let mut greeting_versions = std::collections::BTreeSet::new();
    for entry in tar::Archive::new(stream.as_slice()).entries().unwrap() {
        let name = entry
            .unwrap()
            .path()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if let Some(rest) = name.strip_prefix("go-mod/example.com/greeting@") {
            greeting_versions.insert(rest.split('/').next().unwrap().to_string());
        }
    }
    assert_eq!(
        greeting_versions.into_iter().collect::<Vec<_>>(),
        ["v1.12.0"]
    );
}

/// A module the main module requires for its tests only (a test helper):
/// the build never downloads it, and offline `go list -m all` and `go mod
/// graph` cannot read its go.mod. The prune still runs (the build's
/// modules kept, the rest removed, every go.mod kept), with no warning,
/// and the next build works offline from what it kept.
#[test]
fn a_test_only_requirement_does_not_stop_the_module_cache_prune() {
    let test = "a_test_only_requirement_does_not_stop_the_module_cache_prune";
    let Some(go) = require_go(test) else { return };
    let mut app = App::new(go, "module-dep");
    let testdep = app.path("testdep-source");
    fs::create_dir_all(&testdep).unwrap();
    fs::write(
        testdep.join("go.mod"),
        "module example.com/testdep\n\ngo 1.21\n",
    )
    .unwrap();
    fs::write(
        testdep.join("testdep.go"),
        "package testdep\n\nconst Ok = true\n",
    )
    .unwrap();
    let greeting = s2i_tests::fixtures_dir().join("modules/greeting/v1.0.0");
    let proxy = ModuleProxy::build(
        &app.path("test-only-proxy"),
        &[
            ("example.com/greeting", "v1.0.0", &greeting),
            ("example.com/testdep", "v1.0.0", &testdep),
        ],
    )
    .unwrap();
    app.goproxy = proxy.url();
    fs::write(
        app.src.join("main_test.go"),
        "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/testdep\"\n)\n\nfunc TestOk(t *testing.T) {\n\tif !testdep.Ok {\n\t\tt.Fatal()\n\t}\n}\n",
    )
    .unwrap();
    let mut get = app.go.command();
    get.args(["get", "example.com/testdep@v1.0.0"])
        .current_dir(&app.src)
        .env("GOPROXY", &app.goproxy);
    go::output_ok(&mut get);

    app.assemble_ok(&app.path("no-artifacts"));
    let downloaded = app.app_root.join(".cache/go-mod/example.com");
    assert!(
        !downloaded.join("testdep@v1.0.0").exists(),
        "the build does not download a test-only requirement"
    );
    let second = app.rebuild("module-dep says ", "module-dep two says ", &[]);
    assert!(
        !second.stderr.contains("kept whole"),
        "the prune gave up:\n{}",
        second.stderr
    );
    assert!(
        second.stdout.contains(", module cache "),
        "{}",
        second.stdout
    );

    // Offline, from what the prune kept.
    app.rebuild(
        "module-dep two says ",
        "module-dep three says ",
        &[proxy.dir(), &app.path("proxy")],
    );
    assert_eq!(
        app.run_app(),
        "module-dep three says hello from greeting v1.0.0"
    );
}
