//! `cargo xtask go-sums`: rewrites the go.sum files (and `vendored`'s
//! vendor/) of the fixtures that use example.com/greeting, as the real `go`
//! computes them against the fixture module proxy. Run after changing
//! tests/fixtures/modules; review and commit what it changed.

use std::path::Path;

use s2i_tests::go::{copy_fixture, fixture_proxy, output_ok, remove_tree, Go};

use crate::tools::Tools;

pub fn regenerate(tools: &Tools) -> Result<(), String> {
    let go = Go::at(&tools.goroot.join("bin/go")).map_err(|e| format!("go does not work: {e}"))?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let proxy = fixture_proxy(&tmp.path().join("proxy")).map_err(|e| e.to_string())?;
    let fixtures = s2i_tests::fixtures_dir();
    let get = |app: &Path, args: &[&str]| {
        output_ok(
            go.command()
                .current_dir(app)
                .env("GOPROXY", proxy.url())
                .env("GOFLAGS", "-mod=mod")
                .args(args),
        )
    };

    // module-dep: both versions' hashes, so that tests can switch between
    // them (and replace one by the other) with -mod=readonly.
    let app = copy_fixture("module-dep", tmp.path());
    let _ = std::fs::remove_file(app.join("go.sum"));
    for version in ["v1.1.0", "v1.0.0"] {
        get(&app, &["get", &format!("example.com/greeting@{version}")]);
    }
    let go_mod = std::fs::read_to_string(app.join("go.mod")).map_err(|e| e.to_string())?;
    if !go_mod.contains("example.com/greeting v1.0.0") {
        return Err(format!(
            "module-dep/go.mod no longer requires v1.0.0:\n{go_mod}"
        ));
    }
    copy(&app.join("go.sum"), &fixtures.join("module-dep/go.sum"))?;

    // vendored: go.sum and vendor/ as `go mod tidy` and `go mod vendor` write them.
    let app = copy_fixture("vendored", tmp.path());
    let _ = std::fs::remove_file(app.join("go.sum"));
    let _ = remove_tree(&app.join("vendor"));
    get(&app, &["mod", "tidy"]);
    output_ok(go.command().current_dir(&app).args(["mod", "vendor"]));
    let fixture = fixtures.join("vendored");
    let _ = remove_tree(&fixture.join("vendor"));
    copy(&app.join("go.sum"), &fixture.join("go.sum"))?;
    for entry in walkdir::WalkDir::new(app.join("vendor")) {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().is_file() {
            let to = fixture.join(entry.path().strip_prefix(&app).unwrap());
            copy(entry.path(), &to)?;
        }
    }
    eprintln!("xtask: rewrote module-dep/go.sum, vendored/go.sum and vendored/vendor/; see git diff tests/fixtures");
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
