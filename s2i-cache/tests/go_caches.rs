//! The caches against a real Go: what a build uses survives a prune, what it
//! does not goes, and the survivors still build offline.

use std::fs;
use std::path::Path;
use std::process::Command;

use s2i_cache::prune::{self, BuildCacheUse, BuildList};
use s2i_cache::{tree, CacheDirs};
use s2i_tests::go::{copy_fixture, fixture_proxy, output_ok, require_go, GoDirs};

/// Compile actions that `go build -x` ran (nothing came from the cache).
fn compiles(go_build_x_stderr: &str) -> usize {
    go_build_x_stderr
        .lines()
        .filter(|l| l.contains("/compile ") && !l.contains("-V=full"))
        .count()
}

fn build_x(go: &s2i_tests::go::Go, dir: &Path) -> String {
    let output = go
        .command()
        .args(["build", "-x", "-o", "app", "."])
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "go build failed:\n{stderr}");
    stderr
}

/// `go` using `caches` as GOCACHE and GOMODCACHE (other folders under `dirs`).
fn with_caches(go: s2i_tests::go::Go, dirs: &Path, caches: &CacheDirs) -> s2i_tests::go::Go {
    let dirs = GoDirs {
        gocache: caches.build.clone(),
        gomodcache: caches.module.clone(),
        ..GoDirs::under(dirs)
    };
    fs::create_dir_all(&dirs.gocache).unwrap();
    go.with_dirs(dirs)
}

/// What an incremental build does to the build cache before go runs: the
/// cache goes out as a stream and comes back from it (dated for the prune).
fn save_and_restore(work: &Path, gocache: &Path) -> BuildCacheUse {
    let caches = CacheDirs {
        build: gocache.to_path_buf(),
        module: work.join("no-module-cache"),
    };
    let mut stream = Vec::new();
    s2i_cache::save::save(&caches, None, &mut stream).unwrap();
    let tar_file = work.join("artifacts.tar");
    fs::write(&tar_file, &stream).unwrap();
    s2i_tests::go::remove_tree(gocache).unwrap();
    let report = s2i_cache::restore::restore(&tar_file, &caches);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!report.build_entries.is_empty());
    BuildCacheUse::begin(gocache, report.build_entries)
}

fn change_code(app: &Path, n: u32) {
    let main = app.join("main.go");
    let mut text = fs::read_to_string(&main).unwrap();
    text.push_str(&format!("\nfunc changed{n}() int {{ return {n} }}\n"));
    fs::write(&main, text).unwrap();
}

#[test]
fn build_cache_prune_keeps_what_the_build_used() {
    let Some(go) = require_go("build_cache_prune_keeps_what_the_build_used") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let go = go.with_dirs(GoDirs::under(&work.path().join("dirs")));
    let app = copy_fixture("module-basic", work.path());

    build_x(&go, &app);
    let first = tree::size(&go.dirs.gocache).unwrap();
    change_code(&app, 1);

    let mut usage = save_and_restore(work.path(), &go.dirs.gocache);
    let second_build = build_x(&go, &app);
    assert_eq!(
        compiles(&second_build),
        1,
        "only main is recompiled:\n{second_build}"
    );
    let pruned = usage.prune().unwrap();

    // The first version of main was not used by the second build: gone.
    assert!(pruned.removed.files >= 2, "{pruned:?}");
    assert!(
        pruned.kept.files > 0 && pruned.kept.files < first.files + 4,
        "{pruned:?} vs {first}"
    );
    // Everything the second build used is still there: nothing recompiles.
    fs::remove_file(app.join("app")).unwrap();
    let again = build_x(&go, &app);
    assert_eq!(compiles(&again), 0, "all from the cache:\n{again}");

    // A build that changes nothing uses few entries (no compile runs), yet
    // what a later change needs must survive its prune: the packages below.
    usage = save_and_restore(work.path(), &go.dirs.gocache);
    fs::remove_file(app.join("app")).unwrap();
    assert_eq!(compiles(&build_x(&go, &app)), 0);
    usage.prune().unwrap();
    change_code(&app, 2);
    let after_noop = build_x(&go, &app);
    assert_eq!(
        compiles(&after_noop),
        1,
        "only main is recompiled:\n{after_noop}"
    );
    s2i_tests::go::remove_tree(work.path()).unwrap();
}

#[test]
fn module_prune_keeps_the_build_list_and_builds_offline() {
    let Some(go) = require_go("module_prune_keeps_the_build_list_and_builds_offline") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let proxy = fixture_proxy(&work.path().join("proxy")).unwrap();
    let app = copy_fixture("module-dep", work.path());
    let online = |args: &[&str]| {
        let mut command = go.command();
        command
            .args(args)
            .current_dir(&app)
            .env("GOPROXY", proxy.url());
        output_ok(&mut command)
    };
    online(&["build", "-o", "app", "."]);
    let go_mod = app.join("go.mod");
    let text = fs::read_to_string(&go_mod)
        .unwrap()
        .replace("v1.0.0", "v1.1.0");
    fs::write(&go_mod, text).unwrap();
    online(&["build", "-o", "app", "."]);
    let cache = &go.dirs.gomodcache;
    assert!(cache.join("example.com/greeting@v1.0.0").is_dir());
    // Leftovers an unbounded cache would carry along.
    fs::create_dir_all(cache.join("cache/download/sumdb/sum.golang.org/tile")).unwrap();
    fs::write(
        cache.join("cache/download/sumdb/sum.golang.org/tile/x"),
        b"tile",
    )
    .unwrap();

    // As s2i-assemble asks go, offline.
    let ask = |args: &[&str]| output_ok(go.command().current_dir(&app).args(args));
    let list = BuildList::parse(
        &ask(&["list", "-m", "-e", "-f", prune::LIST_FORMAT, "all"]),
        Some(&ask(&["mod", "graph"])),
    );
    let pruned = list.prune(cache).unwrap();

    assert!(pruned.removed.files >= 4, "{pruned:?}");
    assert!(!cache.join("example.com/greeting@v1.0.0").exists());
    assert!(!cache
        .join("cache/download/example.com/greeting/@v/v1.0.0.zip")
        .exists());
    assert!(!cache.join("cache/download/sumdb").exists());
    assert!(cache
        .join("example.com/greeting@v1.1.0/greeting.go")
        .is_file());
    assert!(cache
        .join("cache/download/example.com/greeting/@v/v1.1.0.zip")
        .is_file());

    // Offline (GOPROXY=off, the proxy gone) the build still works.
    s2i_tests::go::remove_tree(proxy.dir()).unwrap();
    fs::remove_file(app.join("app")).unwrap();
    output_ok(
        go.command()
            .args(["build", "-o", "app", "."])
            .current_dir(&app),
    );
    let ran = output_ok(&mut Command::new(app.join("app")));
    assert_eq!(ran.trim(), "module-dep says hello from greeting v1.1.0");
    s2i_tests::go::remove_tree(work.path()).unwrap();
}

#[test]
fn saved_stream_restores_the_same_caches() {
    let Some(go) = require_go("saved_stream_restores_the_same_caches") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let proxy = fixture_proxy(&work.path().join("proxy")).unwrap();
    let root = work.path().join("first");
    let caches = CacheDirs::under(&root);
    let go = with_caches(go, &work.path().join("dirs"), &caches);
    let app = copy_fixture("module-dep", work.path());
    output_ok(
        go.command()
            .args(["build", "-o", "app", "."])
            .current_dir(&app)
            .env("GOPROXY", proxy.url()),
    );

    let mut stream = Vec::new();
    let saved = s2i_cache::save::save(&caches, None, &mut stream).unwrap();
    assert!(
        saved.build.files > 10 && saved.module.files >= 4,
        "{saved:?}"
    );
    let mut names = Vec::new();
    for entry in tar::Archive::new(stream.as_slice()).entries().unwrap() {
        let entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("go-build") || name.starts_with("go-mod"),
            "{name}"
        );
        let mode = entry.header().mode().unwrap();
        if entry.header().entry_type().is_dir() {
            assert_eq!(mode, 0o775, "{name}: directories extract writable");
        }
        names.push(name);
    }
    assert!(names
        .iter()
        .any(|n| n == "go-mod/example.com/greeting@v1.0.0/greeting.go"));

    let tar_file = work.path().join("artifacts.tar");
    fs::write(&tar_file, &stream).unwrap();
    // The next build's root is at the same place (Go's action IDs include
    // the module cache's path): empty it first.
    s2i_tests::go::remove_tree(&root).unwrap();
    let second = CacheDirs::under(&root);
    let report = s2i_cache::restore::restore(&tar_file, &second);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.restored.len(), 2, "{:?}", report.restored);
    assert_eq!(tree::size(&second.build).unwrap(), saved.build);
    assert_eq!(tree::size(&second.module).unwrap(), saved.module);
    assert_eq!(
        report
            .restored
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            format!("build cache: {} (extracted)", saved.build),
            format!("module cache: {} (extracted)", saved.module)
        ]
    );
    // Restored build cache is complete: the same build recompiles nothing.
    fs::remove_file(app.join("app")).unwrap();
    let x = build_x(&go, &app);
    assert_eq!(compiles(&x), 0, "{x}");
    s2i_tests::go::remove_tree(work.path()).unwrap();
}
