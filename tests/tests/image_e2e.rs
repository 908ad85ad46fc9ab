//! The builder image end to end, with the real container tools: the flow of
//! the README's "The builder image", minus the cluster.
//!
//! One test runs the steps in order because they build on each other and the
//! images are expensive (the Go base image and the builder image are made
//! once): 1. base and builder image, labels, usage, a build and run as
//! UID 1001 and as an arbitrary UID; 2. an application image
//! the way `s2i build --as-dockerfile` makes it; 3. run it as an arbitrary UID,
//! HTTP answer, clean stop; 4. an incremental rebuild after a code change;
//! 5. a chained build into the runtime image; 6. push to a registry with TLS
//! and authentication, pull back, compare digests.
//!
//! Every image, container and registry is removed when its guard drops, also
//! when a step fails. Needs root, buildah, podman, skopeo, docker-registry,
//! htpasswd, openssl and Go (`cargo xtask test` under `.ci/run` has them all);
//! elsewhere it skips loudly.

use std::path::Path;
use std::process::Command;

use s2i_tests::containers::{
    chained_dockerfile, change_http_app, http_app_source, podman, require_container_tools, run,
    run_stdout, Built, Image, Registry, S2iContext,
};
use s2i_tests::go::{copy_fixture, require_go, Go};
use s2i_tests::workspace_root;

const TEST: &str = "builder_image_end_to_end";

fn step(n: u32, what: &str) {
    eprintln!("\n=== image e2e step {n}: {what}");
}

/// While working on one step: `S2I_E2E_STEPS=2,6 cargo test ...` runs only
/// those (the images of step 1 are always built: the others need them).
/// Unset: all. For faster turns, `S2I_E2E_BASE_IMAGE=<image>` reuses a Go base
/// image made earlier with image/test-base/make-base.sh, and
/// `S2I_E2E_BUILDER_IMAGE=<image>` a builder image (both kept, not removed).
fn wanted(n: u32) -> bool {
    match std::env::var("S2I_E2E_STEPS") {
        Ok(steps) if !steps.trim().is_empty() => {
            steps.split(',').any(|s| s.trim() == n.to_string())
        }
        _ => true,
    }
}

#[test]
fn builder_image_end_to_end() {
    let Some(()) = require_container_tools(TEST) else {
        return;
    };
    let Some(()) = Registry::require_tools(TEST) else {
        return;
    };
    let Some(go) = require_go(TEST) else { return };
    let goroot = run_stdout(go.command().args(["env", "GOROOT"]));
    s2i_tests::containers::sweep_leftovers();

    step(
        1,
        "a local Go base image, and the builder image on it (binaries from dist/)",
    );
    let base = match std::env::var("S2I_E2E_BASE_IMAGE") {
        Ok(name) if !name.is_empty() => Image::keep(name),
        _ => s2i_tests::containers::make_go_base_image(Path::new(&goroot)),
    };
    let builder = match std::env::var("S2I_E2E_BUILDER_IMAGE") {
        Ok(name) if !name.is_empty() => Image::keep(name),
        _ => s2i_tests::containers::build_builder_image(&base).image,
    };
    if wanted(1) {
        check_builder_metadata(&builder);
        check_usage(&builder);
        check_arbitrary_uid_can_write(&builder);
        check_builds_as_any_uid(&builder);
    }

    if wanted(2) {
        application_steps(&go, &base, &builder);
    }
    if wanted(6) {
        step(
            6,
            "push the builder image to a registry with TLS and htpasswd auth; pull it back",
        );
        push_and_pull(&builder);
    }
}

/// Steps 2 to 5: an application built, run, rebuilt and chained.
fn application_steps(go: &Go, base: &Image, builder: &Image) {
    step(
        2,
        "an application image, built as `s2i build --as-dockerfile` lays it out",
    );
    let work = tempfile::tempdir().expect("a temporary folder");
    let src = http_app_source(work.path());
    let app = S2iContext::new(&src, &builder.name, None).build("app");
    eprintln!("{}", tail(&app.log, 40));

    step(3, "run it as an arbitrary UID; HTTP answer; podman stop");
    let answer = serve_and_stop(&app.image);
    assert_eq!(
        answer.trim(),
        "hello from module-http (mood: cheerful, voice: )"
    );

    step(
        4,
        "incremental rebuild after a code change (save-artifacts, restore)",
    );
    change_http_app(&src);
    let rebuilt =
        S2iContext::new(&src, &builder.name, Some(&app.image.name)).build("app-incremental");
    eprintln!("{}", tail(&rebuilt.log, 40));
    check_restored(&rebuilt);
    let answer = serve_and_stop(&rebuilt.image);
    assert_eq!(
        answer.trim(),
        "hello again from module-http (mood: cheerful, voice: )"
    );

    step(5, "a chained build into the runtime image");
    let runtime = s2i_tests::containers::build_runtime_image(builder).image;
    check_system_files_go_reads(go, &runtime);
    let chained = chained_build(&runtime, &rebuilt.image);
    let answer = serve_and_stop(&chained);
    assert_eq!(
        answer.trim(),
        "hello again from module-http (mood: cheerful, voice: )"
    );
    report_sizes(&[
        ("Go base image (test)", base),
        ("builder image", builder),
        ("application image (builder-based)", &rebuilt.image),
        ("runtime image", &runtime),
        ("application image (chained, runtime-based)", &chained),
    ]);
    assert!(
        chained.size() < 64 << 20 && chained.size() * 4 < rebuilt.image.size(),
        "the chained application image ({} bytes) should be a few MB, far below the builder-based one ({} bytes)",
        chained.size(),
        rebuilt.image.size()
    );
}

/// The labels, user, command, ports and environment of the contract.
fn check_builder_metadata(builder: &Image) {
    let expected_labels = [
        ("io.openshift.s2i.scripts-url", "image:///usr/libexec/s2i"),
        ("io.openshift.expose-services", "8080:http"),
        ("io.openshift.tags", "builder,go,golang"),
        ("name", "s2i-go/go-builder"),
        ("version", &workspace_version()),
    ];
    for (label, value) in expected_labels {
        assert_eq!(builder.label(label), value, "label {label}");
    }
    for label in [
        "io.k8s.description",
        "io.k8s.display-name",
        "summary",
        "description",
    ] {
        assert!(
            !builder.label(label).is_empty(),
            "the builder image lacks the label {label}"
        );
    }
    assert_eq!(builder.inspect("{{.Config.User}}"), "1001");
    assert_eq!(
        builder.inspect("{{json .Config.Cmd}}"),
        r#"["/usr/libexec/s2i/usage"]"#
    );
    assert!(
        builder
            .inspect("{{json .Config.ExposedPorts}}")
            .contains("8080/tcp"),
        "the builder image does not EXPOSE 8080"
    );
    let env = builder.inspect("{{json .Config.Env}}");
    for var in ["APP_ROOT=/opt/app-root", "HOME=/opt/app-root/src"] {
        assert!(
            env.contains(var),
            "the builder image's environment lacks {var}: {env}"
        );
    }
    let scripts = builder.run_once(&["--entrypoint", "ls"], &["/usr/libexec/s2i"]);
    let listed = String::from_utf8_lossy(&scripts.stdout);
    let mut names: Vec<&str> = listed.split_whitespace().collect();
    names.sort();
    assert_eq!(names, ["assemble", "run", "save-artifacts", "usage"]);
}

/// `podman run <builder>` prints how to use it (CMD is usage).
fn check_usage(builder: &Image) {
    let out = builder.run_once(&[], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`podman run <builder>` failed ({}): {}{}",
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    assert!(
        stdout.contains("s2i build"),
        "usage does not show `s2i build`:\n{stdout}"
    );
    assert!(
        stdout.contains("gobuilder"),
        "usage does not name the image (S2I_BUILDER_IMAGE):\n{stdout}"
    );
}

/// OpenShift's arbitrary UIDs (group 0, no passwd entry) can write the
/// application root and the Go build cache.
fn check_arbitrary_uid_can_write(builder: &Image) {
    let out = builder.run_once(
        &["--user", "100001:0", "--entrypoint", "sh"],
        &["-c", "touch \"$HOME/probe\" \"$APP_ROOT/bin/probe\" \"$APP_ROOT/.cache/go-build/probe\" && echo writable"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "writable",
        "UID 100001 cannot write the application root: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// assemble then run, in one container with the sources mounted at
/// /tmp/src, as the image's user (1001) and as an arbitrary UID in group 0,
/// as OpenShift runs builds: nothing the image left behind may be owned by
/// 1001 alone (go's telemetry under $HOME/.config once was).
fn check_builds_as_any_uid(builder: &Image) {
    let work = tempfile::tempdir().expect("a temporary folder");
    let src = copy_fixture("module-basic", work.path());
    let mount = format!("{}:/tmp/src:ro", src.display());
    for user in ["1001", "123456:0"] {
        let out = builder.run_once(
            &["--user", user, "-v", &mount, "--entrypoint", "/bin/sh"],
            &["-c", "/usr/libexec/s2i/assemble && /usr/libexec/s2i/run"],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("hello from module-basic"),
            "assemble and run as --user {user} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("built and ran as --user {user}");
    }
}

/// A Go program on the runtime image (`scratch` underneath) finds what it
/// reads from the system: CA certificates for TLS (an HTTPS call to any
/// public API needs them) and the time zones of `time.LoadLocation`.
fn check_system_files_go_reads(go: &Go, runtime: &Image) {
    const PROBE: &str = r#"package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

func main() {
	roots, err := x509.SystemCertPool()
	if err != nil || roots.Equal(x509.NewCertPool()) {
		fmt.Println("no CA certificates:", err)
		os.Exit(1)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("CA certificates, and the time in", paris)
}
"#;
    let work = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(
        work.path().join("go.mod"),
        "module example.com/probe\n\ngo 1.21\n",
    )
    .unwrap();
    std::fs::write(work.path().join("main.go"), PROBE).unwrap();
    run(go
        .command()
        .current_dir(work.path())
        .args(["build", "-trimpath", "-o", "probe", "."]));
    let mount = format!("{}:/probe:ro", work.path().join("probe").display());
    let out = runtime.run_once(
        &["--user", "100001:0", "-v", &mount, "--entrypoint", "/probe"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout == "CA certificates, and the time in Europe/Paris\n",
        "a Go program on the runtime image ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `image` as UID 100001 with a published port, fetches `/`, stops it
/// with `podman stop -t 10`; returns the answer.
fn serve_and_stop(image: &Image) -> String {
    let port = s2i_tests::containers::free_port();
    let publish = format!("127.0.0.1:{port}:8080");
    s2i_tests::containers::serve_and_stop(image, port, &["--user", "100001:0", "-p", &publish], &[])
}

/// The incremental build restored the previous build's artifacts, and
/// save-artifacts left out the standard library's cache, which the builder
/// image already has (so the artifacts are the application's entries only).
fn check_restored(rebuilt: &Built) {
    let log = &rebuilt.log;
    assert!(
        log.contains("Restor") && log.contains("/tmp/artifacts"),
        "the incremental build log does not show a restore of /tmp/artifacts:\n{}",
        tail(log, 60)
    );
    let saved = log
        .lines()
        .find(|l| l.starts_with("s2i-save-artifacts: saved the build cache ("))
        .unwrap_or_else(|| {
            panic!(
                "save-artifacts did not report what it saved:\n{}",
                tail(log, 60)
            )
        });
    eprintln!("{saved}");
    assert!(
        saved.contains("the image already has"),
        "save-artifacts saved the image's own build cache again: {saved}"
    );
    let build_cache_mib: f64 = saved
        .split_once("saved the build cache (")
        .and_then(|(_, rest)| rest.split(" MiB)").next())
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|mb| mb.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the size in {saved:?}"));
    assert!(
        build_cache_mib < 30.0,
        "the artifacts' build cache is {build_cache_mib} MiB: more than one small app's entries ({saved})"
    );
}

/// The chained build: the runtime image plus what its
/// `io.openshift.s2i.assemble-input-files` label names, from `app`.
fn chained_build(runtime: &Image, app: &Image) -> Image {
    let input_files = runtime.label("io.openshift.s2i.assemble-input-files");
    assert!(
        !input_files.is_empty(),
        "the runtime image lacks io.openshift.s2i.assemble-input-files"
    );
    let context = tempfile::tempdir().expect("a temporary folder");
    let dockerfile = context.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        chained_dockerfile(&runtime.name, &app.name, &input_files),
    )
    .expect("write the chained Dockerfile");
    let built = s2i_tests::containers::buildah_bud("app-chained", context.path(), &dockerfile, &[]);
    built.image
}

fn report_sizes(images: &[(&str, &Image)]) {
    eprintln!("\nimage sizes:");
    for (what, image) in images {
        eprintln!("  {:>8.1} MB  {what}", image.size() as f64 / 1e6);
    }
}

/// Step 6: the seed document's two ways to push (podman tag + login + push;
/// one skopeo copy with --dest-creds), to a registry with a self-signed
/// certificate, then pull back and compare.
fn push_and_pull(builder: &Image) {
    let registry = Registry::start();
    let host = registry.host();
    let auth = tempfile::tempdir().expect("a temporary folder");
    let authfile = auth.path().join("auth.json");
    let authfile = authfile.to_str().expect("a UTF-8 temporary path");

    // A wrong password is refused.
    let refused = podman()
        .args([
            "login",
            "--tls-verify=false",
            "--authfile",
            authfile,
            "-u",
            &registry.user,
        ])
        .args(["-p", "not-the-password", &host])
        .output()
        .expect("run podman login");
    assert!(
        !refused.status.success(),
        "podman login accepted a wrong password"
    );
    let refused = Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false", "--dest-creds"])
        .arg(format!("{}:not-the-password", registry.user))
        .arg(format!("containers-storage:{}", builder.name))
        .arg(format!("docker://{host}/s2i/gobuilder-refused:latest"))
        .output()
        .expect("run skopeo copy");
    let stderr = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(
        !refused.status.success(),
        "skopeo pushed with a wrong password"
    );
    assert!(
        stderr.contains("unauthorized") || stderr.contains("authentication required"),
        "skopeo's refusal does not say why: {stderr}"
    );

    // podman: tag, log in, push (as in the seed document), with the
    // self-signed certificate accepted by --tls-verify=false.
    let podman_ref = format!("{host}/s2i/gobuilder:latest");
    run(podman().args(["tag", &builder.name, &podman_ref]));
    let _tag = Image::adopt(podman_ref.clone()); // untags on drop
    run(podman()
        .args([
            "login",
            "--tls-verify=false",
            "--authfile",
            authfile,
            "-u",
            &registry.user,
        ])
        .args(["-p", &registry.password, &host]));
    let digest_file = auth.path().join("podman.digest");
    run(podman()
        .args([
            "push",
            "--tls-verify=false",
            "--authfile",
            authfile,
            "--digestfile",
        ])
        .arg(&digest_file)
        .arg(&podman_ref));
    let pushed = std::fs::read_to_string(&digest_file).expect("podman wrote the digest file");
    assert_eq!(
        remote_digest(&registry, &podman_ref),
        pushed.trim(),
        "podman push"
    );

    // skopeo: one command with the credentials.
    let skopeo_ref = format!("{host}/s2i/gobuilder-skopeo:latest");
    let skopeo_digest_file = auth.path().join("skopeo.digest");
    run(Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &registry.creds(),
            "--digestfile",
        ])
        .arg(&skopeo_digest_file)
        .arg(format!("containers-storage:{}", builder.name))
        .arg(format!("docker://{skopeo_ref}")));
    let pushed =
        std::fs::read_to_string(&skopeo_digest_file).expect("skopeo wrote the digest file");
    assert_eq!(
        remote_digest(&registry, &skopeo_ref),
        pushed.trim(),
        "skopeo copy"
    );

    // Pull back under a new name: the same image (same ID: the config digest).
    let local_id = builder.inspect("{{.Id}}");
    run(podman().args(["rmi", &podman_ref]));
    run(podman().args([
        "pull",
        "--tls-verify=false",
        "--creds",
        &registry.creds(),
        &skopeo_ref,
    ]));
    let pulled = Image::adopt(skopeo_ref.clone());
    assert_eq!(
        pulled.inspect("{{.Id}}"),
        local_id,
        "the pulled image differs from the pushed one"
    );
    let unauthenticated = Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--no-creds"])
        .arg(format!("docker://{skopeo_ref}"))
        .output()
        .expect("run skopeo inspect");
    assert!(
        !unauthenticated.status.success(),
        "the registry answered without credentials"
    );
    eprintln!(
        "pushed with podman and skopeo to {host}; digests match; pulled back image {local_id}"
    );
}

fn remote_digest(registry: &Registry, reference: &str) -> String {
    run_stdout(
        Command::new("skopeo")
            .args([
                "inspect",
                "--tls-verify=false",
                "--creds",
                &registry.creds(),
                "--format",
                "{{.Digest}}",
            ])
            .arg(format!("docker://{reference}")),
    )
}

/// The `version` of `[workspace.package]` in the root Cargo.toml.
fn workspace_version() -> String {
    let manifest =
        std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("read Cargo.toml");
    let section = manifest
        .split("[workspace.package]")
        .nth(1)
        .expect("Cargo.toml has [workspace.package]");
    section
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("version").map(|v| {
                v.trim_start_matches([' ', '='])
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .expect("[workspace.package] has a version")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
