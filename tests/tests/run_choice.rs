//! Several programs under `cmd/` and no `GO_RUN`: s2i-assemble installs
//! them all with no run manifest, and s2i-run starts the one its command
//! line names (the image's `run NAME`, a Deployment's command), a choice
//! made where the application runs; without one it says there is nothing
//! to start.

use std::path::Path;
use std::process::{Command, Output};

use s2i_tests::go::{copy_fixture, require_go};
use s2i_tests::workspace_bin;

fn s2i_run(app_root: &Path, command: &[&str]) -> Output {
    Command::new(workspace_bin("s2i-run"))
        .args(command)
        .env_clear()
        .env("APP_ROOT", app_root)
        // As the builder image's PATH: the application's binaries first.
        .env("PATH", app_root.join("bin"))
        .env("S2I_RUN_INIT", "never")
        .current_dir(app_root.join("src"))
        .output()
        .unwrap()
}

#[test]
fn several_programs_and_no_go_run_start_by_name() {
    let Some(go) = require_go("several_programs_and_no_go_run_start_by_name") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = copy_fixture("multi-cmd", tmp.path());
    let app_root = tmp.path().join("app-root");
    let mut assemble = Command::new(workspace_bin("s2i-assemble"));
    go.hermetic_env(&mut assemble);
    let out = assemble
        .env_remove("APP_ROOT")
        .env_remove("GO_RUN")
        .arg("--src")
        .arg(&src)
        .arg("--app-root")
        .arg(&app_root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let none = s2i_run(&app_root, &[]);
    assert_eq!(none.status.code(), Some(127), "{none:?}");
    assert!(
        String::from_utf8_lossy(&none.stderr).starts_with("s2i-run: nothing to start: "),
        "{none:?}"
    );
    let worker = s2i_run(&app_root, &["worker"]);
    assert!(worker.status.success(), "{worker:?}");
    assert!(String::from_utf8_lossy(&worker.stdout).contains("worker"));
    let api = s2i_run(&app_root, &["--", "api"]);
    assert!(
        String::from_utf8_lossy(&api.stdout).contains("api"),
        "{api:?}"
    );
}
