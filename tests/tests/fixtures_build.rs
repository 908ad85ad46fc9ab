//! Guards what the tests rely on in the Go fixtures under tests/fixtures
//! and in the Go test support (tests/src/go.rs) that the builds through
//! s2i-assemble (s2i-assemble/tests/builds.rs, bad_input.rs, go_failures.rs)
//! do not show: how module-http answers, that module-dep's go.sum serves
//! both greeting versions, that layouts build only the way their tests
//! build them, what the old Go (Go 1.19) says and builds, the generated
//! benchmark app, the fixture proxy's case encoding, and that test go
//! commands are hermetic. A fixture that s2i-assemble builds and runs is
//! not built again here with plain go.
//!
//! Every test shares the per-version GOCACHE of `s2i_tests::go` (see its
//! module docs), so only the first build of a run compiles the standard library.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use s2i_tests::go::{
    copy_fixture, fixture_proxy, generate_app, output_err, output_ok, require_go, require_old_go,
    set_requirement, Go, ModuleProxy,
};

/// A temporary copy of fixture `name`, and a folder for the binaries built from it.
struct Work {
    tmp: tempfile::TempDir,
    app: PathBuf,
}

impl Work {
    fn new(name: &str) -> Work {
        let tmp = tempfile::tempdir().expect("temp dir");
        let app = copy_fixture(name, tmp.path());
        Work { tmp, app }
    }

    /// Where `go build -o` puts the binary called `name`.
    fn bin(&self, name: &str) -> PathBuf {
        self.tmp.path().join("bin").join(name)
    }
}

/// `go build -o <bin> <package>` in `dir`, which must succeed.
fn build(go: &Go, dir: &Path, package: &str, bin: &Path) {
    output_ok(
        go.command()
            .current_dir(dir)
            .args(["build", "-o"])
            .arg(bin)
            .arg(package),
    );
}

/// `go build -o <bin> <package>` in `dir`, which must fail; returns Go's stderr.
fn build_fails(go: &Go, dir: &Path, package: &str, bin: &Path) -> String {
    let stderr = output_err(
        go.command()
            .current_dir(dir)
            .args(["build", "-o"])
            .arg(bin)
            .arg(package),
    );
    assert!(!bin.exists(), "a failed build left {}", bin.display());
    stderr
}

/// Runs a built program in `dir` with an empty environment; returns its stdout.
fn run_in(bin: &Path, dir: &Path) -> String {
    output_ok(Command::new(bin).current_dir(dir).env_clear())
}

/// Builds the root package of fixture `name` and returns what it prints.
fn build_and_run_root(go: &Go, name: &str) -> String {
    let work = Work::new(name);
    let bin = work.bin(name);
    build(go, &work.app, ".", &bin);
    run_in(&bin, &work.app)
}

/// Copies fixture `name` into `go`'s GOPATH as `$GOPATH/src/<import_path>`,
/// the layout IMPORT_URL asks for; returns that folder.
fn copy_into_gopath(go: &Go, name: &str, import_path: &str) -> PathBuf {
    let place = go.dirs.gopath.join("src").join(import_path);
    let parent = place.parent().expect("import paths have a parent");
    std::fs::create_dir_all(parent).unwrap();
    std::fs::rename(copy_fixture(name, parent), &place).unwrap();
    place
}

/// `GO111MODULE=off go build -o <bin> <import path>`, GOPATH mode.
fn gopath_build(go: &Go, dir: &Path, package: &str, bin: &Path) -> std::process::Output {
    go.command()
        .current_dir(dir)
        .env("GO111MODULE", "off")
        .args(["build", "-o"])
        .arg(bin)
        .arg(package)
        .output()
        .expect("go runs")
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET / on 127.0.0.1:`port`, retried until the server answers (10 s at most).
fn http_get_root(port: u16, server: &mut Server) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            return response;
        }
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("the server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn module_http_answers_get_on_port() {
    let Some(go) = require_go("module_http_answers_get_on_port") else {
        return;
    };
    let work = Work::new("module-http");
    let bin = work.bin("module-http");
    build(&go, &work.app, ".", &bin);
    // A port that was free a moment ago (8080 may be taken on a shared machine).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&bin)
        .env_clear()
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let response = http_get_root(port, &mut server);
    assert!(response.starts_with("HTTP/1.0 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with("\r\n\r\nhello from module-http\n"),
        "{response}"
    );
}

#[test]
fn module_http_listens_on_8080_without_port() {
    let Some(go) = require_go("module_http_listens_on_8080_without_port") else {
        return;
    };
    let work = Work::new("module-http");
    let bin = work.bin("module-http");
    build(&go, &work.app, ".", &bin);
    // Only the message is checked: 8080 itself may be taken on a shared machine.
    let mut child = Command::new(&bin)
        .env_clear()
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut server = Server(child);
    let mut line = [0u8; 32];
    let n = stdout.read(&mut line).unwrap();
    server.0.kill().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&line[..n]),
        "module-http listening on :8080\n"
    );
}

/// module-dep's go.sum holds v1.1.0's hashes too (`cargo xtask go-sums`):
/// tests switch to it, or replace one version by the other, under
/// `-mod=readonly`. (v1.0.0, the version go.mod names, is built by
/// s2i-assemble's tests.)
#[test]
fn module_dep_go_sum_also_serves_greeting_v1_1_0() {
    let Some(go) = require_go("module_dep_go_sum_also_serves_greeting_v1_1_0") else {
        return;
    };
    let work = Work::new("module-dep");
    let proxy = fixture_proxy(&work.tmp.path().join("proxy")).expect("proxy");
    let bin = work.bin("module-dep");
    set_requirement(&work.app, "example.com/greeting", "v1.1.0").unwrap();
    // -mod=readonly (the default, made explicit) fails if go.sum lacks a hash.
    output_ok(
        go.command()
            .current_dir(&work.app)
            .env("GOPROXY", proxy.url())
            .args(["build", "-mod=readonly", "-o"])
            .arg(&bin)
            .arg("."),
    );
    assert_eq!(
        run_in(&bin, &work.app),
        "module-dep says hello from greeting v1.1.0\n"
    );
    assert!(
        go.dirs
            .gomodcache
            .join("example.com/greeting@v1.1.0/greeting.go")
            .is_file(),
        "the dependency was downloaded into the private GOMODCACHE"
    );
}

/// What makes s2i-assemble's builds of these fixtures meaningful: each
/// builds only the way its test builds it (at its import path, through
/// go.work). Go fails before compiling anything here.
#[test]
fn layouts_build_only_the_way_their_tests_build_them() {
    let Some(go) = require_go("layouts_build_only_the_way_their_tests_build_them") else {
        return;
    };
    // gopath-legacy: in place (no IMPORT_URL) its own import path is not found.
    let work = Work::new("gopath-legacy");
    assert!(!work.app.join("go.mod").exists());
    let failed = gopath_build(&go, &work.app, ".", &work.bin("x"));
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("github.com/example/legacy/internal/greet"),
        "{stderr}"
    );

    // gopath-legacy-cmd: its root (IMPORT_URL alone) has no Go files: it
    // needs INSTALL_URL.
    let place = copy_into_gopath(&go, "gopath-legacy-cmd", "github.com/example/legacy");
    let root = gopath_build(&go, &place, "github.com/example/legacy", &work.bin("x"));
    assert!(!root.status.success(), "the root has no Go files");
    let stderr = String::from_utf8_lossy(&root.stderr);
    assert!(stderr.contains("no Go files"), "{stderr}");

    // workspace: without go.work the app cannot find lib.
    let work = Work::new("workspace");
    let stderr = output_err(
        go.command()
            .current_dir(work.app.join("app"))
            .env("GOWORK", "off")
            .args(["build", "-o"])
            .arg(work.bin("x"))
            .arg("."),
    );
    assert!(stderr.contains("example.com/workspace/lib"), "{stderr}");
}

#[test]
fn module_proxy_case_encodes_uppercase_module_paths_as_go_expects() {
    let Some(go) = require_go("module_proxy_case_encodes_uppercase_module_paths_as_go_expects")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(lib.join("sub")).unwrap();
    std::fs::write(
        lib.join("go.mod"),
        "module example.com/Upper/Lib\n\ngo 1.19\n",
    )
    .unwrap();
    std::fs::write(
        lib.join("sub/sub.go"),
        "package sub\n\nconst Word = \"upper\"\n",
    )
    .unwrap();
    let proxy = ModuleProxy::build(
        &tmp.path().join("proxy"),
        &[("example.com/Upper/Lib", "v0.2.0-RC1", &lib)],
    )
    .unwrap();
    assert!(proxy
        .dir()
        .join("example.com/!upper/!lib/@v/v0.2.0-!r!c1.zip")
        .is_file());
    assert_eq!(
        std::fs::read_to_string(proxy.dir().join("example.com/!upper/!lib/@v/list")).unwrap(),
        "v0.2.0-RC1\n"
    );

    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.19\n\nrequire example.com/Upper/Lib v0.2.0-RC1\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/Upper/Lib/sub\"\n)\n\nfunc main() { fmt.Println(sub.Word) }\n",
    )
    .unwrap();
    let bin = tmp.path().join("bin/app");
    output_ok(
        go.command()
            .current_dir(&app)
            .env("GOPROXY", proxy.url())
            .env("GOFLAGS", "-mod=mod")
            .args(["build", "-o"])
            .arg(&bin)
            .arg("."),
    );
    assert_eq!(run_in(&bin, &app), "upper\n");
}

#[test]
fn node_app_has_no_go_at_all() {
    let dir = s2i_tests::fixtures_dir().join("node-app");
    let files = walk(&dir);
    assert!(files.contains(&dir.join("package.json")) && files.contains(&dir.join("index.js")));
    let go_files: Vec<_> = files
        .iter()
        .filter(|f| {
            f.extension().is_some_and(|e| e == "go")
                || f.ends_with("go.mod")
                || f.ends_with("go.work")
        })
        .collect();
    assert!(go_files.is_empty(), "{go_files:?}");
}

#[test]
fn newer_go_is_refused_by_this_go() {
    let Some(go) = require_go("newer_go_is_refused_by_this_go") else {
        return;
    };
    let work = Work::new("newer-go");
    let stderr = build_fails(&go, &work.app, ".", &work.bin("x"));
    assert!(
        stderr.contains("go.mod requires go >= 1.99") && stderr.contains("GOTOOLCHAIN=local"),
        "{stderr}"
    );
}

#[test]
fn newer_go_fails_on_the_old_go_too() {
    let Some(old) = require_old_go("newer_go_fails_on_the_old_go_too") else {
        return;
    };
    let work = Work::new("newer-go");
    let stderr = build_fails(&old, &work.app, ".", &work.bin("x"));
    assert!(stderr.contains("module requires Go 1.99"), "{stderr}");
}

#[test]
fn old_go_builds_the_fixtures_that_say_go_1_19() {
    let Some(old) = require_old_go("old_go_builds_the_fixtures_that_say_go_1_19") else {
        return;
    };
    assert!(
        old.version.starts_with("1.19"),
        "S2I_TEST_OLD_GO is Go {}",
        old.version
    );
    assert_eq!(
        build_and_run_root(&old, "module-basic"),
        "hello from module-basic\n"
    );
    let work = Work::new("vendored");
    let bin = work.bin("vendored");
    build(&old, &work.app, ".", &bin);
    assert_eq!(
        run_in(&bin, &work.app),
        "vendored says hello from greeting v1.0.0\n"
    );

    // The module proxy's zips suit the old Go too.
    let work = Work::new("module-dep");
    let proxy = fixture_proxy(&work.tmp.path().join("proxy")).expect("proxy");
    let bin = work.bin("module-dep");
    output_ok(
        old.command()
            .current_dir(&work.app)
            .env("GOPROXY", proxy.url())
            .args(["build", "-o"])
            .arg(&bin)
            .arg("."),
    );
    assert_eq!(
        run_in(&bin, &work.app),
        "module-dep says hello from greeting v1.0.0\n"
    );
}

#[test]
fn generated_app_builds_and_prints_its_size() {
    let Some(go) = require_go("generated_app_builds_and_prints_its_size") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("generated");
    generate_app(&app, 45).unwrap();
    let packages = walk(&app.join("pkg")).len();
    assert_eq!(packages, 45);
    let listed = output_ok(go.command().current_dir(&app).args(["list", "./..."]));
    assert_eq!(listed.lines().count(), 46, "45 packages and main");
    let bin = tmp.path().join("bin/generated");
    build(&go, &app, ".", &bin);
    let deps = output_ok(go.command().current_dir(&app).args(["list", "-deps", "."]));
    assert!(
        deps.lines()
            .any(|p| p == "example.com/generated/pkg/l00/p000"),
        "main depends on the first package"
    );
    assert!(deps.lines().any(|p| p == "net/http") && deps.lines().any(|p| p == "encoding/json"));
    let printed = run_in(&bin, &app);
    assert!(
        printed.starts_with("hello from generated app: 45 packages, checksum "),
        "{printed}"
    );
    // Deterministic: generating again writes the same files.
    let again = tmp.path().join("again");
    generate_app(&again, 45).unwrap();
    for file in walk(&app) {
        let twin = again.join(file.strip_prefix(&app).unwrap());
        assert_eq!(
            std::fs::read(&file).unwrap(),
            std::fs::read(&twin).unwrap(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn go_commands_are_hermetic() {
    let Some(go) = require_go("go_commands_are_hermetic") else {
        return;
    };
    let env = output_ok(
        go.command()
            .env("GOFLAGS", "-mod=mod") // set after: allowed, the caller's choice
            .args([
                "env",
                "GOTOOLCHAIN",
                "GOPROXY",
                "GOSUMDB",
                "GOCACHE",
                "GOMODCACHE",
                "GOPATH",
                "GOFLAGS",
            ]),
    );
    let expected = format!(
        "local\noff\noff\n{}\n{}\n{}\n-mod=mod\n",
        go.dirs.gocache.display(),
        go.dirs.gomodcache.display(),
        go.dirs.gopath.display()
    );
    assert_eq!(env, expected);
    assert!(go.dirs.gocache.starts_with(std::env::temp_dir()));
    assert!(
        !go.version.starts_with("go") && go.version.starts_with("1."),
        "{}",
        go.version
    );
}
