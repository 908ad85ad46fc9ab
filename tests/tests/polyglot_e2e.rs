//! s2i-run and s2i-save-artifacts in a builder image of another language,
//! with the real container tools: a small builder image made here (busybox
//! httpd serving the application's files; tests/fixtures/polyglot-httpd)
//! whose `run` is s2i-run and whose `save-artifacts` is s2i-save-artifacts
//! over its own cache path, as README's "Using s2i-run in another builder
//! image" says. One test, steps in order (they build on each other):
//!
//! 1. the builder image;
//! 2. an application image built as `s2i build --as-dockerfile` lays it out;
//! 3. run as UID 100001: it answers, and `podman stop` ends it well under
//!    the timeout with 143 or 0;
//! 4. an incremental build restores the cache save-artifacts streamed;
//! 5. in a container with `--memory`, s2i-run sets GOMEMLIMIT from the
//!    cgroup limit;
//! 6. the runtime image (image/runtime, its s2i-run from this builder): a Go
//!    program run as `--user 100001:0 --passwd=false` finds its user and home.
//!
//! Needs root, buildah, podman, busybox and Go; elsewhere it skips loudly.

use s2i_tests::containers::{
    build_runtime_image, buildah_bud, podman, require_container_tools, Image, S2iContext,
    RUN_LIMITS,
};
use s2i_tests::go::require_go;
use s2i_tests::{fixtures_dir, workspace_root};

const TEST: &str = "polyglot_builder_image_end_to_end";

fn step(n: u32, what: &str) {
    eprintln!("\n=== polyglot e2e step {n}: {what}");
}

#[test]
fn polyglot_builder_image_end_to_end() {
    let Some(()) = require_container_tools(TEST) else {
        return;
    };
    let Some(busybox) = s2i_tests::require_tool("busybox", TEST) else {
        return;
    };
    let Some(go) = require_go(TEST) else { return };
    s2i_tests::containers::sweep_leftovers();
    let dist = workspace_root().join("dist");
    for bin in ["s2i-run", "s2i-save-artifacts"] {
        assert!(
            dist.join(bin).is_file(),
            "dist/{bin} is missing: run `cargo xtask dist` (or `cargo xtask test`) first"
        );
    }
    let fixture = fixtures_dir().join("polyglot-httpd");

    step(
        1,
        "the busybox httpd builder image, with s2i-run and s2i-save-artifacts",
    );
    let context = tempfile::tempdir().unwrap();
    for (from, to) in [
        (busybox.clone(), "busybox"),
        (dist.join("s2i-run"), "s2i-run"),
        (dist.join("s2i-save-artifacts"), "s2i-save-artifacts"),
        (fixture.join("image/assemble"), "assemble"),
    ] {
        std::fs::copy(&from, context.path().join(to)).unwrap();
    }
    let builder = buildah_bud(
        "polyglot-builder",
        context.path(),
        &fixture.join("image/Dockerfile"),
        &[],
    )
    .image;

    step(
        2,
        "an application image, as s2i build --as-dockerfile makes it",
    );
    let src = fixture.join("app");
    let app = S2iContext::new(&src, &builder.name, None).build("polyglot-app");
    let answer = serve_and_stop(&app.image);
    step(3, "it answered, and stopped on SIGTERM");
    assert!(
        answer.contains("hello from busybox httpd") && answer.contains("builds: 1"),
        "{answer}"
    );

    step(
        4,
        "an incremental build restores the cache save-artifacts streamed",
    );
    let rebuilt =
        S2iContext::new(&src, &builder.name, Some(&app.image.name)).build("polyglot-incr");
    assert!(
        rebuilt
            .log
            .contains("---> Restoring the cache from /tmp/artifacts/cache"),
        "the incremental build did not restore the cache:\n{}",
        rebuilt.log
    );
    let answer = serve_and_stop(&rebuilt.image);
    assert!(answer.contains("builds: 2"), "{answer}");

    step(5, "GOMEMLIMIT from a real container's memory limit");
    let output = podman()
        .args(["run", "--rm", "--memory", "256m"])
        .args(RUN_LIMITS)
        .arg(&builder.name)
        .args([
            "/usr/libexec/s2i/run",
            "-v",
            "--",
            "sh",
            "-c",
            "echo GOMEMLIMIT=$GOMEMLIMIT",
        ])
        .output()
        .unwrap();
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{shown}");
    assert!(output.status.success(), "{shown}");
    // 90% of 256 MiB.
    assert!(shown.contains("GOMEMLIMIT=241591910\n"), "{shown}");

    step(
        6,
        "the runtime image: a Go program as UID 100001 without passwd entry",
    );
    let runtime = build_runtime_image(&builder).image;
    let bin = tempfile::tempdir().unwrap();
    let whoami = bin.path().join("whoami");
    s2i_tests::go::output_ok(
        go.command()
            .args(["build", "-o"])
            .arg(&whoami)
            .arg(".")
            .current_dir(fixtures_dir().join("whoami")),
    );
    let mount = format!("{}:/opt/app-root/bin/whoami:ro", whoami.display());
    let options = ["--user", "100001:0", "--passwd=false", "-v", &mount];
    // Without s2i-run: Go's own failure, the problem s2i-run solves.
    let bare = runtime.run_once(
        &[&options[..], &["--entrypoint", "/opt/app-root/bin/whoami"]].concat(),
        &[],
    );
    assert!(
        String::from_utf8_lossy(&bare.stdout).contains("user: Current requires cgo"),
        "{bare:?}"
    );
    let through_run = runtime.run_once(
        &options,
        &["/usr/libexec/s2i/run", "--", "/opt/app-root/bin/whoami"],
    );
    assert_eq!(
        String::from_utf8_lossy(&through_run.stdout),
        "uid=100001 user=default home=/opt/app-root/src\n",
        "{through_run:?}"
    );
}

/// Runs `image` as UID 100001 with a published port, fetches `/`, stops it
/// with `podman stop -t 10` (SIGTERM must end httpd under s2i-run with 143
/// or 0, in well under the timeout); returns the answer.
fn serve_and_stop(image: &Image) -> String {
    let port = s2i_tests::containers::free_port();
    let publish = format!("127.0.0.1:{port}:8080");
    s2i_tests::containers::serve_and_stop(image, port, &["--user", "100001:0", "-p", &publish], &[])
}
