//! Every detection case, built by the real s2i-assemble with an offline Go:
//! each built program is run and its output checked, and the `--dry-run`
//! plans are snapshots.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use s2i_tests::go::fixture_proxy;
use support::{listing, Case};

#[test]
fn module_at_the_root() {
    let Some(case) = Case::new("module_at_the_root", "module-basic") else {
        return;
    };
    let stdout = case.assemble_ok();
    assert_eq!(case.run("gobinary"), "hello from module-basic\n");
    assert_eq!(case.run("bin/basic"), "hello from module-basic\n");
    assert_eq!(
        case.manifest(),
        "# Written by s2i-assemble, read by s2i-run. Relative paths are relative to this file.\nprogram = \"bin/basic\"\nworkdir = \"src\"\n"
    );
    // `.s2i-binaries`: which binaries of bin/ this build installed, so
    // that the next one removes those it no longer builds.
    assert_eq!(
        listing(&case.app_root),
        [
            ".s2i-binaries",
            "bin/",
            "bin/basic",
            "gobinary",
            "s2i-run.toml",
            "sbom/",
            "sbom/basic.cdx.json",
            "sbom/basic.spdx.json",
            "src/"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(case.app_root.join(".s2i-binaries")).unwrap(),
        "basic\n"
    );
    // S2I-style steps with times, and the closing summary.
    let shown = case.redact(&stdout);
    assert!(
        shown.contains("---> Checked the sources in [TMP]/module-basic (built in place) ([TIME])"),
        "{shown}"
    );
    assert!(shown.contains("---> Built bin/basic ([TIME])"), "{shown}");
    assert!(shown.contains("---> Done in"), "{shown}");
    assert!(shown.contains("[TMP]/app/bin/basic ("), "{shown}");
    assert!(
        shown.contains(" MiB, also gobinary: s2i-run starts it in src/)"),
        "{shown}"
    );
    assert!(
        shown.contains("go[VERSION]"),
        "the summary names the Go version: {shown}"
    );
    // Caches under the app root unless the environment says otherwise:
    // here the tests' shared cache was used, so none was created.
    assert!(!case.app_root.join(".cache/go-build").exists());
    // The user's source directory is never written to.
    assert_eq!(listing(&case.src), ["go.mod", "main.go"]);
}

#[test]
fn library_at_the_root_and_its_program_under_cmd() {
    let Some(case) = Case::new(
        "library_at_the_root_and_its_program_under_cmd",
        "lib-with-cmd",
    ) else {
        return;
    };
    // The root holds Go files, so it is built first on the guess that it is
    // the program; go says it is not, and the build moves on to cmd/.
    let out = case.assemble(&[]);
    let (stdout, stderr) = (
        case.redact(&String::from_utf8_lossy(&out.stdout)),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("---> The root is not a main package; building with go[VERSION]: go build -trimpath -buildvcs=false -o [TMP]/app/.s2i-assemble/out/ ./cmd/greet\n"),
        "{stdout}"
    );
    assert!(!stderr.contains("no main packages"), "{stderr}");
    assert_eq!(case.run("gobinary"), "hello from lib-with-cmd\n");
    assert!(case.manifest().contains("program = \"bin/greet\""));
}

#[test]
fn root_of_ignored_generators_and_a_program_under_cmd() {
    let Some(case) = Case::new(
        "root_of_ignored_generators_and_a_program_under_cmd",
        "single-cmd",
    ) else {
        return;
    };
    // `go generate` helpers at the root are no package: the program is
    // the one under cmd/.
    std::fs::write(
        case.src.join("gen.go"),
        "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
    )
    .unwrap();
    let stdout = case.redact(&case.assemble_ok());
    assert!(
        stdout.contains("---> The root is not a main package; building with"),
        "{stdout}"
    );
    assert_eq!(case.run("gobinary"), "hello from single-cmd server\n");
}

#[test]
fn git_checkout_builds_in_place_without_running_git() {
    let Some(case) = Case::new(
        "git_checkout_builds_in_place_without_running_git",
        "module-basic",
    ) else {
        return;
    };
    // A .git that git cannot read, as in a build container where the
    // checkout belongs to another user: stamping VCS information would run
    // git and fail the build.
    std::fs::create_dir(case.src.join(".git")).unwrap();
    std::fs::write(case.src.join(".git/HEAD"), "not a ref\n").unwrap();
    case.assemble_ok();
    assert_eq!(case.run("gobinary"), "hello from module-basic\n");
    assert!(!case.app_root.join("src/.git").exists());
    assert_eq!(
        listing(&case.src),
        [".git/", ".git/HEAD", "go.mod", "main.go"]
    );
}

#[test]
fn installed_files_are_group_writable_never_world_writable() {
    let Some(case) = Case::new(
        "installed_files_are_group_writable_never_world_writable",
        "templates",
    ) else {
        return;
    };
    case.assemble_ok();
    for rel in listing(&case.app_root) {
        let meta = std::fs::symlink_metadata(case.app_root.join(&rel)).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o002, 0, "{rel} is world-writable ({mode:o})");
        assert_eq!(
            mode & 0o020,
            0o020,
            "{rel} is not group-writable ({mode:o})"
        );
        if s2i_tests::is_root() {
            assert_eq!(meta.gid(), 0, "{rel} is not group 0");
        }
    }
}

#[test]
fn default_caches_live_under_the_app_root() {
    let Some(case) = Case::new("default_caches_live_under_the_app_root", "bare-main") else {
        return;
    };
    // GOCACHE left unset: s2i-assemble puts it under the app root. The
    // build is tiny (fmt only), but cold.
    let mut command = case.command(&[]);
    command.env_remove("GOCACHE").env_remove("GOMODCACHE");
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", support::all(&out));
    assert!(case.app_root.join(".cache/go-build").is_dir());
    assert!(case.app_root.join(".cache/go-mod").is_dir());
    let mode = std::fs::metadata(case.app_root.join(".cache/go-build"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o022,
        0o020,
        "group-writable, not world-writable: {mode:o}"
    );
    assert_eq!(case.run("gobinary"), "hello from bare-main\n");
}

#[test]
fn dependency_from_a_local_module_proxy() {
    let Some(case) = Case::new("dependency_from_a_local_module_proxy", "module-dep") else {
        return;
    };
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    let case = case.env("GOPROXY", &proxy.url());
    case.assemble_ok();
    assert_eq!(
        case.run("gobinary"),
        "module-dep says hello from greeting v1.0.0\n"
    );
}

#[test]
fn vendored_module_builds_offline() {
    let Some(case) = Case::new("vendored_module_builds_offline", "vendored") else {
        return;
    };
    insta::assert_snapshot!(case.plan());
    case.assemble_ok();
    assert_eq!(
        case.run("gobinary"),
        "vendored says hello from greeting v1.0.0\n"
    );
    assert!(
        !case.app_root.join("src/vendor").exists(),
        "vendor/ is not a run-time file"
    );
}

#[test]
fn workspace() {
    let Some(case) = Case::new("workspace", "workspace") else {
        return;
    };
    insta::assert_snapshot!(case.plan());
    case.assemble_ok();
    assert!(case
        .run("gobinary")
        .starts_with("hello from workspace app, "));
}

#[test]
fn several_cmd_programs_with_go_run() {
    let Some(case) = Case::new("several_cmd_programs_with_go_run", "multi-cmd") else {
        return;
    };
    let case = case.env("GO_RUN", "worker");
    insta::assert_snapshot!(case.plan());
    case.assemble_ok();
    let worker = case.run("gobinary");
    assert!(worker.contains("worker"), "{worker}");
    assert_eq!(case.run("bin/worker"), worker);
    assert!(case.run("bin/api").contains("api"));
    assert!(case.manifest().contains("program = \"bin/worker\""));
}

#[test]
fn go_targets_picks_programs() {
    let Some(case) = Case::new("go_targets_picks_programs", "multi-cmd") else {
        return;
    };
    let case = case.env("GO_TARGETS", "./cmd/api");
    case.assemble_ok();
    assert!(case.run("gobinary").contains("api"));
    assert!(!case.app_root.join("bin/worker").exists());
}

#[test]
fn the_only_cmd_program() {
    let Some(case) = Case::new("the_only_cmd_program", "single-cmd") else {
        return;
    };
    case.assemble_ok();
    assert_eq!(case.run("gobinary"), "hello from single-cmd server\n");
    assert_eq!(case.run("bin/server"), "hello from single-cmd server\n");
}

#[test]
fn templates_are_found_at_run_time() {
    let Some(case) = Case::new("templates_are_found_at_run_time", "templates") else {
        return;
    };
    case.assemble_ok();
    let out = case.run("gobinary");
    let css = std::fs::read_to_string(case.src.join("static/style.css")).unwrap();
    assert!(out.contains("templates") && out.ends_with(&css), "{out}");
    let files = listing(&case.app_root.join("src"));
    assert_eq!(
        files,
        [
            "static/",
            "static/style.css",
            "templates/",
            "templates/index.tmpl"
        ],
        "no Go files at run time"
    );
    // The program reads them relative to its working directory: started
    // anywhere but src/, it cannot find them (so the test above shows the
    // working directory is right, not that any would do).
    let elsewhere = std::process::Command::new(case.app_root.join("gobinary"))
        .current_dir(&case.app_root)
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&elsewhere.stderr);
    assert!(stderr.contains("templates/index.tmpl"), "{stderr}");
}

#[test]
fn bare_main_go_without_go_mod() {
    let Some(case) = Case::new("bare_main_go_without_go_mod", "bare-main") else {
        return;
    };
    insta::assert_snapshot!(case.plan());
    let log = case.assemble_ok();
    assert!(
        log.contains("\n---> Detected Go files without go.mod (built as a throwaway module `app`); main package(s): ."),
        "{log}"
    );
    assert_eq!(case.run("gobinary"), "hello from bare-main\n");
    assert_eq!(
        listing(&case.src),
        ["main.go"],
        "the throwaway go.mod stays out of the user's source"
    );
}

#[test]
fn gopath_era_source_with_import_url() {
    let Some(case) = Case::new("gopath_era_source_with_import_url", "gopath-legacy") else {
        return;
    };
    let case = case.env("IMPORT_URL", "github.com/example/legacy");
    let log = case.assemble_ok();
    assert!(
        log.contains("\n---> Detected GOPATH-era sources (IMPORT_URL=github.com/example/legacy, GO111MODULE=off); main package(s): "),
        "{log}"
    );
    assert!(case.run("gobinary").contains("gopath-legacy"));
}

#[test]
fn gopath_era_source_with_install_url() {
    let Some(case) = Case::new("gopath_era_source_with_install_url", "gopath-legacy-cmd") else {
        return;
    };
    let case = case
        .env("IMPORT_URL", "github.com/example/legacy")
        .env("INSTALL_URL", "github.com/example/legacy/cmd/legacy");
    insta::assert_snapshot!(case.plan());
    case.assemble_ok();
    assert!(case.run("gobinary").contains("gopath-legacy-cmd"));
    assert!(case.manifest().contains("program = \"bin/legacy\""));
}

#[test]
fn gopath_era_vendor_with_import_url() {
    let Some(case) = Case::new("gopath_era_vendor_with_import_url", "vendor-no-modules-txt") else {
        return;
    };
    let case = case.env("IMPORT_URL", "github.com/example/oldvendor");
    case.assemble_ok();
    assert!(case
        .run("gobinary")
        .starts_with("vendor-no-modules-txt says "));
}

#[test]
fn settings_from_s2i_environment_and_go_toml() {
    let Some(case) = Case::new("settings_from_s2i_environment_and_go_toml", "s2i-env") else {
        return;
    };
    insta::assert_snapshot!(case.plan());
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", support::all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("s2i-assemble: warning: .s2i/environment line 4: no `=`: expected NAME=VALUE; the line is skipped, as s2i does"),
        "{stderr}"
    );
    // .s2i/environment's GO_LDFLAGS wins over go.toml's ldflags; go.toml's tags apply.
    assert!(case
        .run("gobinary")
        .starts_with("hello from s2i-env version=from-environment tag=on"));
    // s2i puts .s2i/environment into the image's environment; the run
    // manifest carries it for s2i-run too (set where the environment lacks it).
    let manifest = case.manifest();
    assert!(
        manifest.contains("GREETING = \"hello from .s2i/environment\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("QUOTED = '\"quotes are kept\"'"),
        "{manifest}"
    );
    // The process environment wins over both.
    let case = case
        .env("GO_LDFLAGS", "-X main.version=from-process")
        .env("GO_TAGS", "other");
    case.assemble_ok();
    assert!(case
        .run("gobinary")
        .starts_with("hello from s2i-env version=from-process tag=off"));
}

#[test]
fn dry_run_of_a_plain_module() {
    let Some(case) = Case::new("dry_run_of_a_plain_module", "module-basic") else {
        return;
    };
    let case = case
        .env("GO_LDFLAGS", "-s -w")
        .env("GO_BUILD_FLAGS", "-v -p 2")
        .env("GOFLAGS", "-buildvcs=false");
    insta::assert_snapshot!(case.plan());
}

/// In a container build the application root, `src/` included, comes from
/// an image layer, and overlayfs refuses to rename a directory of a lower
/// layer (EXDEV). Here the application root is a real overlay mount (in a
/// private mount namespace) whose lower layer holds `src/` with a file of
/// the image's: the build must still install, replacing what was there.
#[test]
fn application_root_on_overlayfs_with_src_in_a_lower_layer() {
    let test = "application_root_on_overlayfs_with_src_in_a_lower_layer";
    let Some(mut case) = Case::new(test, "templates") else {
        return;
    };
    if s2i_tests::require_root(test).is_none() || s2i_tests::require_tool("unshare", test).is_none()
    {
        return;
    }
    let layers = case.tmp.path().join("layers");
    for dir in ["lower/src", "upper", "work", "merged"] {
        std::fs::create_dir_all(layers.join(dir)).unwrap();
    }
    std::fs::write(layers.join("lower/src/from-the-image.txt"), "old\n").unwrap();
    case.app_root = layers.join("merged");

    // Mount, assemble, and look at the result, all inside the namespace.
    let assemble = case.command(&[]);
    // sh -c SCRIPT APP_ROOT LAYERS ASSEMBLE ARGS...
    let script = r#"
        root=$0 layers=$1; shift
        mount -t overlay overlay -o "lowerdir=$layers/lower,upperdir=$layers/upper,workdir=$layers/work" "$root" || exit 99
        "$@" >&2 || exit $?
        cd "$root/src" && ls -A && "$root/gobinary"
    "#;
    let mut command = std::process::Command::new("unshare");
    command
        .args(["--mount", "sh", "-c", script])
        .arg(&case.app_root)
        .arg(&layers)
        .arg(assemble.get_program())
        .args(assemble.get_args())
        .envs(assemble.get_envs().filter_map(|(k, v)| Some((k, v?))));
    for (name, value) in assemble.get_envs() {
        if value.is_none() {
            command.env_remove(name);
        }
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(99),
        "cannot mount overlayfs here: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "s2i-assemble on overlayfs failed:\n{}",
        case.redact(&String::from_utf8_lossy(&out.stderr))
    );
    assert!(
        !stdout.contains("from-the-image.txt"),
        "the old files stay:\n{stdout}"
    );
    assert!(
        stdout.contains("templates\n"),
        "the app's files are missing:\n{stdout}"
    );
    assert!(
        stdout.contains("hello from templates index.tmpl"),
        "the program did not find its templates:\n{stdout}"
    );
}

/// Every file under `dir` with its bytes.
fn files_with_contents(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn go_clean_cache_removes_only_what_go_put_into_the_caches() {
    let Some(case) = Case::new(
        "go_clean_cache_removes_only_what_go_put_into_the_caches",
        "module-dep",
    ) else {
        return;
    };
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    // Folders of the user's, named by the sources' .s2i/environment.
    let mine = case.tmp.path().join("mine");
    let mine_build = case.tmp.path().join("mine-build");
    for (dir, files) in [
        (
            &mine,
            &["notes.txt", "photos/cat.jpg", "me@example.com/letter.txt"][..],
        ),
        (&mine_build, &["todo.txt", "00/notes.txt"][..]),
    ] {
        for file in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("the user's {file}")).unwrap();
        }
    }
    let before = [files_with_contents(&mine), files_with_contents(&mine_build)];
    std::fs::create_dir(case.src.join(".s2i")).unwrap();
    std::fs::write(
        case.src.join(".s2i/environment"),
        format!(
            "GOMODCACHE={}\nGOCACHE={}\nGO_CLEAN_CACHE=true\n",
            mine.display(),
            mine_build.display()
        ),
    )
    .unwrap();
    let out = case
        .command(&[])
        .env_remove("GOCACHE")
        .env_remove("GOMODCACHE")
        .env("GOPROXY", proxy.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::all(&out));
    assert_eq!(
        case.run("gobinary"),
        "module-dep says hello from greeting v1.0.0\n"
    );
    // The user's files are all there, and nothing of Go's is.
    assert_eq!(
        [files_with_contents(&mine), files_with_contents(&mine_build)],
        before
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .map(|l| case.redact(l))
        .collect();
    insta::assert_snapshot!(warnings.join("\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("---> Removed Go's caches (GO_CLEAN_CACHE=true): "),
        "{stdout}"
    );
}

#[test]
fn go_targets_without_dot_slash_names_the_sources_directory() {
    // `cmd/api` is also Go's own standard-library command: go alone would
    // build that one (and fail: "build constraints exclude all Go files").
    let Some(case) = Case::new(
        "go_targets_without_dot_slash_names_the_sources_directory",
        "multi-cmd",
    ) else {
        return;
    };
    let case = case.env("GO_TARGETS", "cmd/api");
    let out = case.assemble_ok();
    assert!(out.contains("main package(s): ./cmd/api;"), "{out}");
    assert!(case.run("gobinary").contains("api"));
    assert!(!case.app_root.join("bin/worker").exists());
}

#[test]
fn go_targets_as_an_absolute_path_inside_the_sources_is_their_directory() {
    // GOPATH sources build in a copy: go given the path of the original
    // would build it outside GOPATH, where its imports do not resolve.
    let Some(case) = Case::new(
        "go_targets_as_an_absolute_path_inside_the_sources_is_their_directory",
        "gopath-legacy-cmd",
    ) else {
        return;
    };
    let absolute = case.src.join("cmd/legacy").display().to_string();
    let case = case
        .env("IMPORT_URL", "github.com/example/legacy")
        .env("GO_TARGETS", &absolute);
    let out = case.assemble_ok();
    assert!(out.contains("main package(s): ./cmd/legacy;"), "{out}");
    assert!(case.app_root.join("bin/legacy").is_file());
}

#[test]
fn several_cmd_programs_without_go_run_are_all_installed_and_none_chosen() {
    let Some(case) = Case::new(
        "several_cmd_programs_without_go_run_are_all_installed_and_none_chosen",
        "multi-cmd",
    ) else {
        return;
    };
    insta::assert_snapshot!(case.plan());
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", support::all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("s2i-assemble: warning: several main packages under cmd/ (api, worker) and GO_RUN is unset: all are installed in bin/, with no run manifest, and none starts by itself; set GO_RUN for this build, or start one by name (/usr/libexec/s2i/run api)"),
        "{stderr}"
    );
    assert!(case.run("bin/api").contains("api"));
    assert!(case.run("bin/worker").contains("worker"));
    assert!(!case.app_root.join("gobinary").exists());
    assert!(!case.app_root.join("s2i-run.toml").exists());
}

/// seaweedfs's layout: the service at ./weed, two tools under cmd/. The
/// warning names the main package outside cmd/.
#[test]
fn several_cmd_programs_and_a_main_package_elsewhere_are_named() {
    let Some(case) = Case::new(
        "several_cmd_programs_and_a_main_package_elsewhere_are_named",
        "multi-cmd",
    ) else {
        return;
    };
    let server = case.src.join("server");
    std::fs::create_dir(&server).unwrap();
    std::fs::write(
        server.join("main.go"),
        "package main\n\nfunc main() { println(\"server\") }\n",
    )
    .unwrap();
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", support::all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("several main packages under cmd/ (api, worker) and GO_RUN is unset: all are installed in bin/, with no run manifest, and none starts by itself; set GO_RUN for this build, or start one by name (/usr/libexec/s2i/run api); main packages elsewhere: ./server: if the program is one of those, GO_TARGETS=./server builds it"),
        "{stderr}"
    );
}

#[test]
fn several_cmd_programs_one_named_like_the_module_starts() {
    let Some(case) = Case::new(
        "several_cmd_programs_one_named_like_the_module_starts",
        "multi-cmd",
    ) else {
        return;
    };
    // The module is example.com/multi.
    let multi = case.src.join("cmd/multi");
    std::fs::create_dir(&multi).unwrap();
    std::fs::write(
        multi.join("main.go"),
        "package main\n\nfunc main() { println(\"multi\") }\n",
    )
    .unwrap();
    let log = case.assemble_ok();
    assert!(
        log.contains("---> Several main packages under cmd/ (api, multi, worker): s2i-run starts multi, named like the module (GO_RUN picks another)"),
        "{log}"
    );
    let manifest = case.manifest();
    assert!(manifest.contains("program = \"bin/multi\""), "{manifest}");
    assert!(case.app_root.join("gobinary").is_file());

    // With a library at the root (jaeger's layout), the programs are
    // found after the root fails to build: said all the same.
    std::fs::write(case.src.join("multi.go"), "package multi\n").unwrap();
    let log = case.assemble_ok();
    assert!(
        log.contains("---> The root is not a main package; building with"),
        "{log}"
    );
    assert!(
        log.contains("---> Several main packages under cmd/ (api, multi, worker): s2i-run starts multi, named like the module (GO_RUN picks another)"),
        "{log}"
    );
}

#[test]
fn several_mains_in_a_workspace_without_go_run_are_all_installed() {
    let Some(case) = Case::new(
        "several_mains_in_a_workspace_without_go_run_are_all_installed",
        "workspace",
    ) else {
        return;
    };
    let tool = case.src.join("lib/cmd/tool");
    std::fs::create_dir_all(&tool).unwrap();
    std::fs::write(tool.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", support::all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("s2i-assemble: warning: several main packages in the workspace's modules ("),
        "{stderr}"
    );
    assert!(case.app_root.join("bin/tool").is_file());
    assert!(!case.app_root.join("gobinary").exists());
}
