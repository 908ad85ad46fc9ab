//! The ways users meet s2i-go, with the real tools (README's "The builder
//! image"), end to end:
//!
//! 1. `podman build -t gobuilder .` of image/Dockerfile's default target, from
//!    a copy of the repository as a fresh clone has it (no dist/): the Rust
//!    stage compiles the binaries, in a local Rust image
//!    (image/test-base/make-rust.sh: Debian plus this machine's rustup
//!    toolchain, crates fetched from crates.io), on a local Go base image.
//!    The image's four scripts run and report the version of the binaries in
//!    dist/.
//! 2. `docker build -t gobuilder .` of the same, with Debian's Docker Engine
//!    (dockerd, started by the test, stopped by its pid at the end).
//! 3. The s2i CLI's default (API) mode against that Docker Engine, with the
//!    image of step 2: `s2i usage`; a build of module-http with `--env` and
//!    `.s2i/environment`, run as its user 1001 and as UID 100001 on the host
//!    network, stopped with SIGTERM; `--incremental` after a change (the
//!    restore in the log; save-artifacts' stdout is a tar and nothing else);
//!    the labels assemble wrote for s2i (image_metadata.json: the Go version,
//!    the main package, each SBOM's path and digest, checked against the
//!    files); an application with real public dependencies pinned by go.sum, with the
//!    default GOPROXY and GOSUMDB; a build and run as UID 123456 (group 0);
//!    a source whose `.s2i/bin/assemble` wraps ours and writes a label of its
//!    own (kept beside ours), built with OpenShift's OPENSHIFT_BUILD_SOURCE,
//!    _COMMIT and _REFERENCE (the labels source, revision, ref.name); a
//!    failing build;
//!    `--scripts-url image:///usr/libexec/s2i`.
//! 4. The same CLI against podman's Docker-compatible API
//!    (`podman system service`), with the image of step 1: a build, an
//!    incremental rebuild, `s2i usage`, a run (naming
//!    /usr/libexec/s2i/run: podman 4.3 drops the command s2i sets).
//!
//! One test, steps in order: the images are expensive and shared. Every
//! image, container and engine is removed when its guard drops, also when a
//! step fails. Needs root, buildah, podman, dockerd (`docker.io`),
//! debootstrap, rustup with the musl target, Go and the s2i CLI (`.ci/run`
//! and `cargo xtask test` provide them); elsewhere it skips loudly.
//!
//! While working on it: `S2I_FLOWS_STEPS=3,4` runs only those steps;
//! `S2I_E2E_BASE_IMAGE`, `S2I_E2E_RUST_IMAGE` reuse images made earlier, and
//! `S2I_E2E_BUILDER_IMAGE` a builder image (steps 1 and 2 are then skipped;
//! all are kept, not removed).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use s2i_tests::containers::{
    change_http_app, clean_checkout, default_stage_build_args, free_port, http_app_source,
    make_go_base_image, make_rust_image, podman, require_container_tools, run, run_stdout,
    sweep_leftovers, unique_name, Image, RUN_LIMITS,
};
use s2i_tests::engines::{require_docker_engine, sweep_leftover_engines, Engine};
use s2i_tests::go::{copy_fixture, require_go};
use s2i_tests::s2i_cli::{require_s2i_cli, S2iCli};
use s2i_tests::{require_tool, workspace_root};

const TEST: &str = "user_flows_end_to_end";

fn wanted(n: u32) -> bool {
    match std::env::var("S2I_FLOWS_STEPS") {
        Ok(steps) if !steps.trim().is_empty() => {
            steps.split(',').any(|s| s.trim() == n.to_string())
        }
        _ => true,
    }
}

fn given_image(variable: &str) -> Option<Image> {
    std::env::var(variable)
        .ok()
        .filter(|n| !n.is_empty())
        .map(Image::keep)
}

/// Prints the step's title, and how long the previous one took.
struct Steps {
    started: Instant,
    last: Instant,
}

impl Steps {
    fn step(&mut self, n: u32, what: &str) {
        eprintln!(
            "\n=== user flows step {n}: {what} (previous step: {:.0?})",
            self.last.elapsed()
        );
        self.last = Instant::now();
    }
}

#[test]
fn user_flows_end_to_end() {
    let Some(()) = require_container_tools(TEST) else {
        return;
    };
    let Some(()) = require_docker_engine(TEST) else {
        return;
    };
    let Some(_) = require_tool("debootstrap", TEST) else {
        return;
    };
    let Some(_) = require_tool("rustup", TEST) else {
        return;
    };
    let Some(s2i) = require_s2i_cli(TEST) else {
        return;
    };
    let Some(go) = require_go(TEST) else { return };
    let goroot = run_stdout(go.command().args(["env", "GOROOT"]));
    sweep_leftovers();
    sweep_leftover_engines();
    let mut steps = Steps {
        started: Instant::now(),
        last: Instant::now(),
    };
    eprintln!("the s2i CLI: {}", s2i.version());

    steps.step(0, "a local Go base image and a local Rust image");
    let base =
        given_image("S2I_E2E_BASE_IMAGE").unwrap_or_else(|| make_go_base_image(Path::new(&goroot)));
    let given_builder = std::env::var("S2I_E2E_BUILDER_IMAGE")
        .ok()
        .filter(|n| !n.is_empty());
    let rust = (given_builder.is_none() && (wanted(1) || wanted(2)))
        .then(|| given_image("S2I_E2E_RUST_IMAGE").unwrap_or_else(make_rust_image));
    let checkout = clean_checkout();

    // Step 1's image is the builder of step 4, step 2's of step 3.
    let podman_builder = match (&given_builder, &rust) {
        (Some(given), _) => Some(Image::keep(given.clone())),
        (None, Some(rust)) if wanted(1) => {
            steps.step(1, "podman build -t gobuilder . (the default target)");
            let builder = podman_build(checkout.path(), &base, rust);
            check_script_versions(&builder.name, |script| {
                builder.run_once(&["--entrypoint", script], &["--version"])
            });
            Some(builder)
        }
        _ => None,
    };

    if wanted(2) || wanted(3) {
        let docker = Engine::start_docker(TEST);
        let mut docker_built = None;
        let docker_builder = match (&given_builder, &rust) {
            (Some(given), _) => {
                docker.load(&Image::keep(given.clone()));
                Some(given.clone())
            }
            (None, Some(rust)) if wanted(2) => {
                steps.step(2, "docker build -t gobuilder . (the default target)");
                docker.load(&base);
                docker.load(rust);
                let built = docker_build(&docker, checkout.path(), &base, rust);
                check_script_versions(&built.name, |script| {
                    built.run_once(&["--entrypoint", script], &["--version"])
                });
                let name = built.name.clone();
                docker_built = Some(built);
                Some(name)
            }
            _ => None,
        };
        if let (true, Some(builder)) = (wanted(3), &docker_builder) {
            steps.step(3, "the s2i CLI's default mode against a Docker Engine");
            s2i_against_docker(&docker, &s2i, builder);
        }
        drop(docker_built);
        // The engine stops here, by its pid, its data root with it.
    }

    if let (true, Some(builder)) = (wanted(4), &podman_builder) {
        steps.step(4, "the s2i CLI against podman's Docker-compatible API");
        s2i_against_podman_service(&s2i, builder);
    }
    eprintln!(
        "\nuser flows: the last step took {:.0?}; all steps {:.0?}",
        steps.last.elapsed(),
        steps.started.elapsed()
    );
}

/// `podman build` of the default target from `context`, as README gives it,
/// plus what this machine needs: the runc runtime and ulimits below the
/// host's (the sandbox lacks CAP_SYS_RESOURCE).
fn podman_build(context: &Path, base: &Image, rust: &Image) -> Image {
    let image = Image::adopt(format!("localhost/{}", unique_name("gobuilder")));
    let started = Instant::now();
    run(podman()
        .args(["build", "--layers=false", "-t", &image.name])
        .args(RUN_LIMITS)
        .args(default_stage_build_args(&base.name, &rust.name))
        .arg(context));
    eprintln!("podman build took {:.0?}", started.elapsed());
    image
}

/// `docker build` of the default target from `context`, with the host
/// network (dockerd runs without a bridge here).
fn docker_build(docker: &Engine, context: &Path, base: &Image, rust: &Image) -> Image {
    let image = docker.image("gobuilder");
    let started = Instant::now();
    run(docker
        .docker()
        .args(["build", "--network", "host", "-t", &image.name])
        .args(default_stage_build_args(&base.name, &rust.name))
        .arg(context));
    eprintln!("docker build took {:.0?}", started.elapsed());
    image
}

/// The image's four scripts run and print the version of the binaries in
/// dist/ (built on the host from the same sources).
fn check_script_versions(image: &str, run_script: impl Fn(&str) -> Output) {
    for (script, binary) in [
        ("assemble", "s2i-assemble"),
        ("run", "s2i-run"),
        ("usage", "s2i-usage"),
        ("save-artifacts", "s2i-save-artifacts"),
    ] {
        let dist = workspace_root().join("dist").join(binary);
        let expected = run_stdout(Command::new(&dist).arg("--version"));
        let out = run_script(&format!("/usr/libexec/s2i/{script}"));
        let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success() && got == expected,
            "{image}: /usr/libexec/s2i/{script} --version printed {got:?} ({}), dist/{binary} {expected:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{image}: {script} --version: {got}");
    }
}

/// Step 3: every flow of the s2i CLI's default mode a user relies on.
fn s2i_against_docker(docker: &Engine, s2i: &S2iCli, builder: &str) {
    let work = tempfile::tempdir().expect("a temporary folder");
    check_s2i_usage(docker, s2i, builder);

    eprintln!("\n--- a build with .s2i/environment and --env; run as 1001 and as UID 100001");
    let src = http_app_source(work.path());
    let app = docker.image("app");
    let built = s2i.build(
        docker,
        &src,
        builder,
        &app.name,
        &["--env", "APP_VOICE=calm"],
    );
    assert_built_by_us(&built.log);
    assert_eq!(
        app.inspect("{{json .Config.Cmd}}"),
        r#"["/usr/libexec/s2i/run"]"#,
        "s2i sets the run script as the image's command"
    );
    assert_eq!(app.inspect("{{.Config.User}}"), "1001");
    check_image_labels(&app);
    let expected = "hello from module-http (mood: cheerful, voice: calm)";
    assert_eq!(serve_and_stop(&app, &[], &[]), expected);
    assert_eq!(serve_and_stop(&app, &["--user", "100001:0"], &[]), expected);

    eprintln!("\n--- --incremental after a change");
    change_http_app(&src);
    let previous = app.id();
    let rebuilt = s2i.build(
        docker,
        &src,
        builder,
        &app.name,
        &["--incremental", "--env", "APP_VOICE=calm"],
    );
    app.remove_previous(&previous);
    assert!(
        rebuilt
            .log
            .contains("---> Restoring build artifacts from /tmp/artifacts")
            && rebuilt.log.contains("build cache: "),
        "the incremental build does not show the restore:\n{}",
        rebuilt.log
    );
    assert_eq!(
        serve_and_stop(&app, &["--user", "100001:0"], &[]),
        "hello again from module-http (mood: cheerful, voice: calm)"
    );
    check_save_artifacts_stdout(&app);

    eprintln!("\n--- real public dependencies, pinned by go.sum, default GOPROXY and GOSUMDB");
    let public = copy_fixture("module-public-deps", work.path());
    let public_app = docker.image("app-public-deps");
    assert_built_by_us(
        &s2i.build(docker, &public, builder, &public_app.name, &[])
            .log,
    );
    assert_eq!(
        serve_and_stop(&public_app, &["--user", "100001:0"], &[]),
        "Hello From Module-Public-Deps 2d848baf-c362-59a3-abed-207a40098bd2"
    );

    eprintln!("\n--- built and run as an arbitrary UID (123456, group 0)");
    let uid_app = docker.image("app-uid");
    let built = s2i.build(
        docker,
        &src,
        builder,
        &uid_app.name,
        &["--assemble-user", "123456:0", "--env", "APP_VOICE=calm"],
    );
    assert_built_by_us(&built.log);
    assert_eq!(
        serve_and_stop(&uid_app, &["--user", "123456:0"], &[]),
        "hello again from module-http (mood: cheerful, voice: calm)"
    );
    drop(uid_app);

    eprintln!("\n--- a source whose .s2i/bin/assemble wraps ours and labels the image too; OpenShift's build variables");
    let wrapped = copy_fixture("module-http", &work.path().join("wrapped"));
    std::fs::create_dir_all(wrapped.join(".s2i/bin")).expect("create .s2i/bin");
    let script = wrapped.join(".s2i/bin/assemble");
    std::fs::write(
        &script,
        "#!/bin/sh\nset -e\necho \"custom assemble: before s2i-go, as $(id -u)\"\n\
         mkdir -p /tmp/.s2i\n\
         echo '{\"labels\": [{\"com.example.team\": \"payments\"}]}' > /tmp/.s2i/image_metadata.json\n\
         exec /usr/libexec/s2i/assemble \"$@\"\n",
    )
    .expect("write .s2i/bin/assemble");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("chmod .s2i/bin/assemble");
    let wrapped_app = docker.image("app-wrapped");
    let built = s2i.build(
        docker,
        &wrapped,
        builder,
        &wrapped_app.name,
        &[
            "--env",
            "OPENSHIFT_BUILD_SOURCE=https://git.example.com/team/app.git",
            "--env",
            &format!("OPENSHIFT_BUILD_COMMIT={OPENSHIFT_COMMIT}"),
            "--env",
            "OPENSHIFT_BUILD_REFERENCE=release-1.2",
        ],
    );
    check_openshift_labels(&wrapped_app);
    assert!(
        built
            .log
            .contains("custom assemble: before s2i-go, as 1001"),
        "the source's assemble did not run:\n{}",
        built.log
    );
    assert_built_by_us(&built.log);
    assert_eq!(
        serve_and_stop(&wrapped_app, &[], &[]),
        "hello from module-http"
    );
    drop(wrapped_app);

    eprintln!("\n--- a source that does not build");
    let bad = copy_fixture("bad-syntax", work.path());
    let bad_app = docker.image("app-bad");
    let src_arg = bad.to_str().expect("a UTF-8 path");
    let failed = s2i.run(
        docker,
        &[
            "build",
            src_arg,
            builder,
            &bad_app.name,
            "--network",
            "host",
        ],
    );
    eprintln!("{}", tail(&failed.log, 8));
    // Our one-line message (its wording is s2i-assemble's tests' business),
    // after go's own error.
    let ours = failed
        .log
        .lines()
        .any(|l| l.starts_with("s2i-assemble: ") && !l.contains("warning"));
    assert!(
        !failed.success() && ours && failed.log.contains("main.go:7"),
        "a source that does not compile: s2i exited {} and printed:\n{}",
        failed.output.status,
        failed.log
    );

    eprintln!("\n--- --scripts-url image:///usr/libexec/s2i");
    let scripts_app = docker.image("app-scripts-url");
    let built = s2i.build(
        docker,
        &src,
        builder,
        &scripts_app.name,
        &["--scripts-url", "image:///usr/libexec/s2i"],
    );
    assert_built_by_us(&built.log);
    assert_eq!(
        serve_and_stop(&scripts_app, &[], &[]),
        "hello again from module-http (mood: cheerful, voice: )"
    );
}

/// Step 4: the s2i CLI against `podman system service`.
fn s2i_against_podman_service(s2i: &S2iCli, builder: &Image) {
    let service = Engine::start_podman_service(TEST);
    let work = tempfile::tempdir().expect("a temporary folder");
    check_s2i_usage(&service, s2i, &builder.name);

    let src = http_app_source(work.path());
    let app = service.image("app-podman");
    let built = s2i.build(
        &service,
        &src,
        &builder.name,
        &app.name,
        &["--env", "APP_VOICE=calm"],
    );
    assert_built_by_us(&built.log);
    // podman 4.3 drops the command s2i sets when it commits (README says
    // to name the run script): start it by name, whatever the image says.
    eprintln!(
        "the application image's command, as podman committed it: {}",
        app.inspect("{{json .Config.Cmd}}")
    );
    let run_script = ["/usr/libexec/s2i/run"];
    assert_eq!(
        serve_and_stop(&app, &["--user", "100001:0"], &run_script),
        "hello from module-http (mood: cheerful, voice: calm)"
    );

    change_http_app(&src);
    let previous = app.id();
    let rebuilt = s2i.build(
        &service,
        &src,
        &builder.name,
        &app.name,
        // --rm: the previous image goes (podman's store outlives the test).
        &["--incremental", "--rm", "--env", "APP_VOICE=calm"],
    );
    app.remove_previous(&previous);
    assert!(
        rebuilt
            .log
            .contains("---> Restoring build artifacts from /tmp/artifacts"),
        "the incremental build does not show the restore:\n{}",
        rebuilt.log
    );
    assert_eq!(
        serve_and_stop(&app, &["--user", "100001:0"], &run_script),
        "hello again from module-http (mood: cheerful, voice: calm)"
    );
}

/// `s2i usage BUILDER` runs the image's usage script.
fn check_s2i_usage(engine: &Engine, s2i: &S2iCli, builder: &str) {
    let usage = s2i.run(engine, &["usage", builder]);
    remove_usage_leftovers(engine);
    assert!(
        usage.success() && usage.log.contains("s2i build") && usage.log.contains("gobuilder"),
        "s2i usage {builder} ({}):\n{}",
        usage.output.status,
        usage.log
    );
}

/// `s2i usage` commits the container it ran the usage script in: an
/// untagged image whose command runs it, left in podman's store (which
/// outlives the test) once per run. Removed.
fn remove_usage_leftovers(engine: &Engine) {
    let Ok(listed) = engine
        .docker()
        .args(["images", "-q", "--no-trunc", "--filter", "dangling=true"])
        .output()
    else {
        return;
    };
    for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
        let command = engine
            .docker()
            .args(["image", "inspect", "--format", "{{json .Config.Cmd}}", id])
            .output();
        let runs_usage = command.is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout).contains("/usr/libexec/s2i/usage")
        });
        if runs_usage {
            let _ = engine
                .docker()
                .args(["rmi", id])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// The labels s2i-assemble wrote into /tmp/.s2i/image_metadata.json, as
/// s2i applied them to the image: the Go version, the main package, the
/// creation time, and each SBOM's path and digest, which are those of the
/// files in the image.
fn check_image_labels(app: &Image) {
    let text = app.inspect("{{json .Config.Labels}}");
    let labels: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("labels {text:?}: {e}"));
    let label = |name: &str| -> String {
        labels[name]
            .as_str()
            .unwrap_or_else(|| panic!("the image has no label {name}: {text}"))
            .to_string()
    };
    assert!(
        label("io.openshift.s2i.go.version").starts_with("go1."),
        "{text}"
    );
    assert_eq!(
        label("io.openshift.s2i.go.main-packages"),
        "example.com/http"
    );
    assert!(
        label("org.opencontainers.image.created").ends_with('Z'),
        "{text}"
    );
    let sboms = label("io.openshift.s2i.go.sbom");
    let entries: Vec<&str> = sboms.split(',').collect();
    assert_eq!(entries.len(), 2, "{sboms}");
    for entry in entries {
        let (path, digest) = entry
            .split_once("@sha256:")
            .unwrap_or_else(|| panic!("not PATH@sha256:HEX: {entry}"));
        assert!(path.starts_with("/opt/app-root/sbom/http."), "{entry}");
        let out = app.run_once(&["--entrypoint", "sha256sum"], &[path]);
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            printed.split_whitespace().next(),
            Some(digest),
            "the label's digest of {path} is not the file's: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A made-up commit, as OpenShift's OPENSHIFT_BUILD_COMMIT gives it.
const OPENSHIFT_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// The labels of a build with OpenShift's variables and a wrapper
/// `assemble` that wrote its own label first: both kept, as s2i applied them.
fn check_openshift_labels(app: &Image) {
    let text = app.inspect("{{json .Config.Labels}}");
    let labels: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("labels {text:?}: {e}"));
    for (name, value) in [
        ("com.example.team", "payments"),
        (
            "org.opencontainers.image.source",
            "https://git.example.com/team/app.git",
        ),
        ("org.opencontainers.image.revision", OPENSHIFT_COMMIT),
        ("org.opencontainers.image.ref.name", "release-1.2"),
        ("io.openshift.s2i.go.main-packages", "example.com/http"),
    ] {
        assert_eq!(
            labels[name].as_str(),
            Some(value),
            "the label {name} of the image: {text}"
        );
    }
}

/// s2i-assemble built the application (its last line).
fn assert_built_by_us(log: &str) {
    assert!(
        log.contains("---> Done in "),
        "s2i-assemble did not finish the build:\n{log}"
    );
}

/// Runs `image` on the host network (the engines here have no bridge)
/// with PORT set to a free port; the answer to `GET /` (see
/// [`s2i_tests::containers::serve_and_stop`]).
fn serve_and_stop(image: &Image, options: &[&str], args: &[&str]) -> String {
    let port = free_port();
    let port_env = format!("PORT={port}");
    let mut all = vec!["-e", &port_env];
    all.extend_from_slice(options);
    s2i_tests::containers::serve_and_stop(image, port, &all, args)
}

/// save-artifacts, run in the application image as s2i runs it: its stdout
/// is one tar stream of go-build/ and go-mod/ and nothing else (messages
/// go to stderr).
fn check_save_artifacts_stdout(image: &Image) {
    let out = image.run_once(&["--entrypoint", "/usr/libexec/s2i/save-artifacts"], &[]);
    assert!(
        out.status.success(),
        "save-artifacts failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut archive = tar::Archive::new(out.stdout.as_slice());
    let mut entries = 0;
    for entry in archive.entries().expect("a tar stream") {
        let entry = entry.unwrap_or_else(|e| panic!("save-artifacts' stdout is not a tar: {e}"));
        let path = entry.path().expect("an entry path").to_path_buf();
        assert!(
            path.starts_with("go-build") || path.starts_with("go-mod"),
            "save-artifacts streamed {}: only go-build/ and go-mod/ belong there",
            path.display()
        );
        entries += 1;
    }
    let total = out.stdout.len();
    assert!(entries > 0, "save-artifacts streamed no entries");
    // The archive ends where the stream ends: two zero blocks, padded to
    // tar's record size, and not a byte of anything else.
    let mut archive = tar::Archive::new(out.stdout.as_slice());
    let consumed = archive
        .entries()
        .expect("a tar stream")
        .map(|e| {
            let e = e.expect("an entry");
            e.raw_file_position() + e.size().div_ceil(512) * 512
        })
        .max()
        .unwrap_or(0);
    let trailer = &out.stdout[consumed as usize..];
    assert!(
        trailer.iter().all(|b| *b == 0),
        "save-artifacts' stdout has {} bytes after the tar's last entry that are not its zero end blocks",
        trailer.len()
    );
    eprintln!(
        "save-artifacts: {entries} entries, {total} bytes of tar on stdout; stderr: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
