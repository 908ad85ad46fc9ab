//! Guards the Go fixtures under tests/fixtures: each good one builds with the
//! plain `go` tool (hermetic, offline, in a temporary copy) and its program
//! prints what the fixture promises; each bad one fails with Go's own error.
//! The s2i-assemble, incremental-build and image tests rely on these claims.
//!
//! Every test shares the per-version GOCACHE of `s2i_tests::go` (see its
//! module docs), so only the first build of a run compiles the standard library.

use std::path::{Path, PathBuf};
use std::process::Command;

use s2i_tests::go::{
    copy_fixture, fixture_proxy, output_err, output_ok, require_go, Go, ModuleProxy,
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

/// Runs a built program in `dir` and returns its standard output.
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

#[test]
fn module_basic_prints_its_greeting() {
    let Some(go) = require_go("module_basic_prints_its_greeting") else {
        return;
    };
    assert_eq!(
        build_and_run_root(&go, "module-basic"),
        "hello from module-basic\n"
    );
}

#[test]
fn module_dep_builds_each_greeting_version_from_the_proxy_with_its_go_sum() {
    let test = "module_dep_builds_each_greeting_version_from_the_proxy_with_its_go_sum";
    let Some(go) = require_go(test) else { return };
    let work = Work::new("module-dep");
    let proxy = fixture_proxy(&work.tmp.path().join("proxy")).expect("proxy");
    let bin = work.bin("module-dep");
    // -mod=readonly (the default) fails if go.sum lacks a hash.
    let build = |go: &Go| {
        output_ok(
            go.command()
                .current_dir(&work.app)
                .env("GOPROXY", proxy.url())
                .args(["build", "-mod=readonly", "-o"])
                .arg(&bin)
                .arg("."),
        )
    };
    build(&go);
    assert_eq!(
        run_in(&bin, &work.app),
        "module-dep says hello from greeting v1.0.0\n"
    );

    let go_mod = work.app.join("go.mod");
    let text = std::fs::read_to_string(&go_mod).unwrap();
    assert!(text.contains("example.com/greeting v1.0.0"), "{text}");
    std::fs::write(&go_mod, text.replace("greeting v1.0.0", "greeting v1.1.0")).unwrap();
    build(&go);
    assert_eq!(
        run_in(&bin, &work.app),
        "module-dep says hello from greeting v1.1.0\n"
    );
}

#[test]
fn module_dep_does_not_build_offline_without_the_proxy() {
    let Some(go) = require_go("module_dep_does_not_build_offline_without_the_proxy") else {
        return;
    };
    let work = Work::new("module-dep");
    let stderr = output_err(
        go.command()
            .current_dir(&work.app)
            .args(["build", "-o"])
            .arg(work.bin("x"))
            .arg("."),
    );
    assert!(stderr.contains("GOPROXY=off"), "{stderr}");
}

/// Not a check: rewrites the go.sum files of the fixtures that download
/// example.com/greeting, computed by the real `go` against the fixture proxy.
/// Run after changing tests/fixtures/modules:
/// `cargo test -p s2i-tests --test fixtures_build -- --ignored regenerate`
#[test]
#[ignore = "rewrites fixture files; run by hand after changing tests/fixtures/modules"]
fn regenerate_go_sums() {
    let Some(go) = require_go("regenerate_go_sums") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proxy: ModuleProxy = fixture_proxy(&tmp.path().join("proxy")).unwrap();
    let app = copy_fixture("module-dep", tmp.path());
    let _ = std::fs::remove_file(app.join("go.sum"));
    // Both versions' hashes, so the incremental tests can switch between them.
    for version in ["v1.1.0", "v1.0.0"] {
        output_ok(
            go.command()
                .current_dir(&app)
                .env("GOPROXY", proxy.url())
                .env("GOFLAGS", "-mod=mod")
                .args(["get", &format!("example.com/greeting@{version}")]),
        );
    }
    let go_sum = std::fs::read_to_string(app.join("go.sum")).unwrap();
    let go_mod = std::fs::read_to_string(app.join("go.mod")).unwrap();
    assert!(go_mod.contains("example.com/greeting v1.0.0"), "{go_mod}");
    let fixtures = s2i_tests::fixtures_dir();
    std::fs::write(fixtures.join("module-dep/go.sum"), &go_sum).unwrap();
    eprintln!("module-dep/go.sum:\n{go_sum}");
}
