//! Every bad input of the issue: a clear one-line message naming the fix
//! (snapshotted, temporary paths redacted), a non-zero exit, and nothing
//! installed or half-written.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use s2i_tests::go::{require_old_go, GoDirs};
use support::{all, listing, Case};

/// The application root after a failure: nothing there, or only the
/// application root itself (no binary, manifest or work area).
fn assert_nothing_installed(case: &Case) {
    if case.app_root.exists() {
        let left: Vec<String> = listing(&case.app_root);
        assert!(left.is_empty(), "a failed build left {left:?}");
    }
}

#[test]
fn help() {
    let out = Command::new(env!("CARGO_BIN_EXE_s2i-assemble"))
        .arg("-h")
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    let long = Command::new(env!("CARGO_BIN_EXE_s2i-assemble"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(
        long.stdout,
        Command::new(env!("CARGO_BIN_EXE_s2i-assemble"))
            .arg("-h")
            .output()
            .unwrap()
            .stdout
    );
}

#[test]
fn help_to_a_full_disk_is_a_message_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_s2i-assemble"))
        .arg("--help")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "s2i-assemble: cannot write to stdout: No space left on device\n"
    );
}

#[test]
fn dry_run_plan_to_a_full_disk_fails_with_a_message() {
    let Some(case) = Case::new(
        "dry_run_plan_to_a_full_disk_fails_with_a_message",
        "module-basic",
    ) else {
        return;
    };
    let out = case
        .command(&["--dry-run"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().last(),
        Some("s2i-assemble: cannot write the plan to stdout: No space left on device")
    );
}

#[test]
fn build_log_to_a_full_disk_still_builds() {
    let Some(case) = Case::new("build_log_to_a_full_disk_still_builds", "module-basic") else {
        return;
    };
    let out = case
        .command(&[])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all(&out));
    assert_eq!(case.run("gobinary"), "hello from module-basic\n");
}

#[test]
fn unknown_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_s2i-assemble"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}

#[test]
fn missing_source_directory() {
    let Some(mut case) = Case::new("missing_source_directory", "") else {
        return;
    };
    case.src = case.tmp.path().join("nowhere");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn empty_source_directory() {
    let Some(case) = Case::new("empty_source_directory", "") else {
        return;
    };
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn no_go_sources() {
    let Some(case) = Case::new("no_go_sources", "node-app") else {
        return;
    };
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn syntax_error_keeps_gos_messages() {
    let Some(case) = Case::new("syntax_error_keeps_gos_messages", "bad-syntax") else {
        return;
    };
    let (message, stderr) = case.assemble_fails();
    assert!(
        stderr.contains("main.go:7:") && stderr.contains("syntax error"),
        "go's own message: {stderr}"
    );
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn type_error_keeps_gos_messages() {
    let Some(case) = Case::new("type_error_keeps_gos_messages", "bad-types") else {
        return;
    };
    let (message, stderr) = case.assemble_fails();
    assert!(
        stderr.contains("main.go:8:") && stderr.contains("cannot use \"three\""),
        "go's own message: {stderr}"
    );
    assert!(!stderr.contains("syntax error"), "a type error: {stderr}");
    insta::assert_snapshot!(message);
}

#[test]
fn dependency_that_cannot_be_fetched_offline() {
    let Some(case) = Case::new("dependency_that_cannot_be_fetched_offline", "module-dep") else {
        return;
    };
    // GOPROXY=off, as the hermetic Go has it: no way to fetch example.com/greeting.
    let (message, stderr) = case.assemble_fails();
    assert!(
        stderr.contains("example.com/greeting"),
        "go's own message: {stderr}"
    );
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn go_mod_needs_a_newer_go() {
    let Some(case) = Case::new("go_mod_needs_a_newer_go", "newer-go") else {
        return;
    };
    let (message, stderr) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert!(
        !stderr.contains("---> Building"),
        "it fails before compiling: {stderr}"
    );
    assert_nothing_installed(&case);
}

#[test]
fn go_mod_needs_a_newer_go_on_debian_go_1_19() {
    let Some(old) = require_old_go("go_mod_needs_a_newer_go_on_debian_go_1_19") else {
        return;
    };
    let case = Case::with_go(old, "newer-go");
    let (message, stderr) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert!(
        !stderr.contains("---> Building"),
        "it fails before compiling: {stderr}"
    );
    assert_nothing_installed(&case);
}

#[test]
fn no_main_package_at_all() {
    let Some(case) = Case::new("no_main_package_at_all", "not-main") else {
        return;
    };
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
}

#[test]
fn go_targets_naming_a_non_main_package() {
    let Some(case) = Case::new("go_targets_naming_a_non_main_package", "multi-cmd") else {
        return;
    };
    let case = case.env("GO_TARGETS", "./cmd/api,./internal/shared");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn install_url_naming_a_library() {
    let Some(case) = Case::new("install_url_naming_a_library", "gopath-legacy") else {
        return;
    };
    let case = case
        .env("IMPORT_URL", "github.com/example/legacy")
        .env("INSTALL_URL", "github.com/example/legacy/internal/greet");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn install_url_naming_a_missing_package_says_where_go_looked() {
    let Some(case) = Case::new(
        "install_url_naming_a_missing_package_says_where_go_looked",
        "gopath-legacy",
    ) else {
        return;
    };
    let case = case
        .env("IMPORT_URL", "github.com/example/legacy")
        .env("INSTALL_URL", "github.com/example/elsewhere");
    let (message, _) = case.assemble_fails();
    assert!(!message.contains("in any of:)"), "{message}");
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn go_targets_naming_a_missing_package() {
    let Some(case) = Case::new("go_targets_naming_a_missing_package", "multi-cmd") else {
        return;
    };
    let case = case.env("GO_TARGETS", "./cmd/web");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
}

#[test]
fn go_run_naming_no_built_program() {
    let Some(case) = Case::new("go_run_naming_no_built_program", "multi-cmd") else {
        return;
    };
    let case = case.env("GO_RUN", "web");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
}

#[test]
fn vendor_without_modules_txt_needs_import_url() {
    let Some(case) = Case::new(
        "vendor_without_modules_txt_needs_import_url",
        "vendor-no-modules-txt",
    ) else {
        return;
    };
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
}

#[test]
fn invalid_s2i_environment_line_is_warned_and_skipped() {
    let Some(case) = Case::new(
        "invalid_s2i_environment_line_is_warned_and_skipped",
        "module-basic",
    ) else {
        return;
    };
    std::fs::create_dir(case.src.join(".s2i")).unwrap();
    std::fs::write(
        case.src.join(".s2i/environment"),
        "GO_LDFLAGS=-s\njust some words\n=novalue\n",
    )
    .unwrap();
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", all(&out));
    let warnings: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    insta::assert_snapshot!(warnings.join("\n"));
    assert_eq!(case.run("gobinary"), "hello from module-basic\n");
}

#[test]
fn invalid_go_toml() {
    let Some(case) = Case::new("invalid_go_toml", "module-basic") else {
        return;
    };
    std::fs::create_dir(case.src.join(".s2i")).unwrap();
    std::fs::write(
        case.src.join(".s2i/go.toml"),
        "# build settings\ntargets = [\"./cmd/api\"]\nldflags = -s\n",
    )
    .unwrap();
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn symlink_pointing_outside_the_source_tree() {
    let Some(case) = Case::new("symlink_pointing_outside_the_source_tree", "templates") else {
        return;
    };
    let secret = case.tmp.path().join("secret.txt");
    std::fs::write(&secret, "not for the image").unwrap();
    std::os::unix::fs::symlink(&secret, case.src.join("templates/secret.txt")).unwrap();
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn symlink_inside_the_source_tree_is_kept() {
    let Some(case) = Case::new("symlink_inside_the_source_tree_is_kept", "templates") else {
        return;
    };
    std::os::unix::fs::symlink("templates/index.tmpl", case.src.join("index.tmpl")).unwrap();
    case.assemble_ok();
    let link = std::fs::read_link(case.app_root.join("src/index.tmpl")).unwrap();
    assert_eq!(link, std::path::Path::new("templates/index.tmpl"));
    assert!(case.app_root.join("src/index.tmpl").is_file());
}

/// Runs `command` as an unprivileged user when this process is root (root
/// reads and writes everything), by `setpriv`.
fn as_nobody(case: &Case, command: Command) -> Command {
    if !s2i_tests::is_root() {
        return command;
    }
    // nobody must be able to reach the temporary folder.
    std::fs::set_permissions(case.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut wrapped = Command::new("setpriv");
    wrapped.args([
        "--reuid",
        "65534",
        "--regid",
        "65534",
        "--clear-groups",
        "--",
    ]);
    wrapped.arg(command.get_program()).args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    wrapped
}

/// A file of the sources that the build user cannot read, as `rel`.
fn unreadable(test: &str, rel: &str) -> Option<String> {
    let case = Case::new(test, "templates")?;
    if s2i_tests::is_root() && s2i_tests::require_tool("setpriv", test).is_none() {
        return None;
    }
    let secret = case.src.join(rel);
    std::fs::write(&secret, "package main\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir(&case.app_root).unwrap();
    std::fs::set_permissions(&case.app_root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = as_nobody(&case, case.command(&[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert_nothing_installed(&case);
    let stderr = String::from_utf8_lossy(&out.stderr);
    Some(case.redact(stderr.lines().last().unwrap()))
}

#[test]
fn unreadable_file() {
    let Some(message) = unreadable("unreadable_file", "templates/private.tmpl") else {
        return;
    };
    insta::assert_snapshot!(message);
}

#[test]
fn unreadable_go_file() {
    let Some(message) = unreadable("unreadable_go_file", "helper.go") else {
        return;
    };
    insta::assert_snapshot!(message);
}

#[test]
fn read_only_application_root() {
    let Some(case) = Case::new("read_only_application_root", "module-basic") else {
        return;
    };
    if s2i_tests::is_root()
        && s2i_tests::require_tool("setpriv", "read_only_application_root").is_none()
    {
        return;
    }
    std::fs::create_dir(&case.app_root).unwrap();
    std::fs::set_permissions(&case.app_root, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = as_nobody(&case, case.command(&[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!(case.redact(stderr.lines().last().unwrap()));
    std::fs::set_permissions(&case.app_root, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_nothing_installed(&case);
}

/// The folders where s2i-assemble looks for Go after PATH and GOROOT.
const USUAL_GO_DIRS: [&str; 2] = ["/usr/local/go", "/usr/lib/go"];

#[test]
fn no_go_toolchain() {
    let Some(case) = Case::new("no_go_toolchain", "module-basic") else {
        return;
    };
    let mut hidden: Vec<String> = USUAL_GO_DIRS.iter().map(|d| d.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        hidden.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("go-"))
                .map(|e| e.path().display().to_string()),
        );
    }
    hidden.retain(|d| std::path::Path::new(d).exists());
    let mut command = case.command(&[]);
    command.env("PATH", "/nonexistent/bin");
    if !hidden.is_empty() {
        // This machine has Go in a usual folder: hide those folders in a
        // private mount namespace (root only), so s2i-assemble finds none.
        if s2i_tests::require_root("no_go_toolchain").is_none()
            || s2i_tests::require_tool("unshare", "no_go_toolchain").is_none()
        {
            return;
        }
        let script = format!(
            "for d in {}; do mount -t tmpfs none \"$d\" || exit 90; done; exec \"$@\"",
            hidden.join(" ")
        );
        let mut wrapped = Command::new("unshare");
        // sh and mount come from the usual PATH; s2i-assemble gets none.
        wrapped
            .args([
                "--mount",
                "/bin/sh",
                "-c",
                &script,
                "sh",
                "/usr/bin/env",
                "PATH=/nonexistent/bin",
            ])
            .arg(command.get_program())
            .args(command.get_args());
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(name, value),
                None => wrapped.env_remove(name),
            };
        }
        wrapped.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        command = wrapped;
    }
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!(case.redact(stderr.lines().last().unwrap()));
    assert_nothing_installed(&case);
}

/// Processes whose environment holds `marker` (a test's own GOCACHE): the
/// go command and everything it started.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(environ) = std::fs::read(entry.path().join("environ")) {
            if String::from_utf8_lossy(&environ).contains(marker) {
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                found.push(format!(
                    "{name}: {}",
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                ));
            }
        }
    }
    found
}

/// A `-toolexec` wrapper for every compile and link of the build, with the
/// shell `on_term` as its SIGTERM trap (its marks go to `$MARKS`). It marks
/// its start and stays 5 seconds after the tool ends: a SIGTERM soon after
/// a start finds it running. go's questions for the tools' versions
/// (`-V=full`) are not wrapped. What the wrapper waits for ignores SIGTERM
/// (SIGKILL at the end of the grace period ends it): when the signal ended
/// the tool or the sleep too, dash could see the child end first and exit
/// without running the trap, and the test then failed one time in five.
fn toolexec_wrapper(dir: &Path, on_term: &str) -> PathBuf {
    let wrapper = dir.join("wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             case \"$2\" in -V=full) exec \"$@\";; esac\n\
             trap '{on_term}' TERM\n\
             echo \"started $*\" > \"$MARKS/started-$$\"\n\
             (trap '' TERM; exec \"$@\") &\n\
             wait $!\n\
             status=$?\n\
             (trap '' TERM; exec sleep 5) &\n\
             wait $!\n\
             exit $status\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// Interrupts a slow build with `signal` and checks what it leaves: exit
/// 128+N and one line, no process of the build, nothing in TMPDIR (go's
/// work directory) nor in the application root but the previous
/// installation. With `on_term`, every compile runs under a wrapper with
/// that SIGTERM trap (see [`toolexec_wrapper`]); returns the marks left.
fn interrupt_during_build(
    test: &str,
    signal: nix::sys::signal::Signal,
    on_term: Option<&str>,
) -> Vec<String> {
    let Some(case) = Case::new(test, "module-basic") else {
        return Vec::new();
    };
    // A good installation first.
    case.assemble_ok();
    let before_binary = std::fs::read(case.app_root.join("gobinary")).unwrap();
    let before_manifest = case.manifest();
    let before = listing(&case.app_root);

    // Then a slow build (a cold, private build cache) of another app into
    // the same application root, interrupted half-way.
    let slow = Case::with_go(
        s2i_tests::go::require_go(test)
            .unwrap()
            .with_dirs(GoDirs::under(&case.tmp.path().join("cold"))),
        "module-http",
    );
    let mut command = slow.command(&[]);
    command.arg("--app-root").arg(&case.app_root);
    // Where go's work directory would be without GOTMPDIR.
    let tmpdir = case.tmp.path().join("tmpdir");
    std::fs::create_dir(&tmpdir).unwrap();
    command.env("TMPDIR", &tmpdir);
    let marks = case.tmp.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    if let Some(on_term) = on_term {
        let wrapper = toolexec_wrapper(case.tmp.path(), on_term);
        command
            .env("MARKS", &marks)
            .env("GO_BUILD_FLAGS", format!("-toolexec={}", wrapper.display()));
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("---> Building") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the build starts");
    let marker = slow.go.dirs.gocache.display().to_string();
    // Let go get going, until a compiler runs (s2i-assemble and go have
    // the marker too): compiling the standard library takes many seconds.
    let compiling = || {
        processes_with(&marker)
            .iter()
            .any(|p| p.contains("/compile "))
    };
    let wrapped = || {
        std::fs::read_dir(&marks)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("started-"))
    };
    let running = || match on_term {
        Some(_) => wrapped(),
        None => compiling(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !running() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "no compiler ran: {}",
                all(&child.wait_with_output().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    let stopped = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "stopped promptly"
    );
    assert_eq!(
        out.status.code(),
        Some(128 + signal as i32),
        "{}",
        all(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("").to_string();
    assert_eq!(
        last,
        format!("s2i-assemble: stopped by {}: the build was cancelled and the previous installation is unchanged", signal.as_str())
    );
    // The whole go process tree is gone as s2i-assemble exits: no
    // compiler runs on.
    assert_eq!(
        processes_with(&marker),
        Vec::<String>::new(),
        "go processes outlived the build"
    );
    // go's work directory was in the work area, which is gone.
    let left: Vec<_> = std::fs::read_dir(&tmpdir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    // The previous installation is intact, and no work area is left.
    assert_eq!(
        std::fs::read(case.app_root.join("gobinary")).unwrap(),
        before_binary
    );
    assert_eq!(case.manifest(), before_manifest);
    assert_eq!(listing(&case.app_root), before);
    s2i_tests::go::remove_tree(&case.tmp.path().join("cold")).unwrap();
    std::fs::read_dir(&marks)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

#[test]
fn sigterm_during_the_build() {
    interrupt_during_build(
        "sigterm_during_the_build",
        nix::sys::signal::Signal::SIGTERM,
        None,
    );
}

/// The build's processes get SIGTERM, and the time to stop, before SIGKILL:
/// a compile wrapper that takes a fifth of a second to clean up (SIGKILL used
/// to come a millisecond after go died) gets to finish.
#[test]
fn sigterm_gives_the_build_a_grace_period_to_stop() {
    let marks = interrupt_during_build(
        "sigterm_gives_the_build_a_grace_period_to_stop",
        nix::sys::signal::Signal::SIGTERM,
        Some("sleep 0.2; echo cleaned > \"$MARKS/$$\"; exit 143"),
    );
    if s2i_tests::go::require_go("sigterm_gives_the_build_a_grace_period_to_stop").is_some() {
        assert!(
            marks.iter().any(|m| m == "cleaned\n"),
            "no compile wrapper had the time to stop after SIGTERM: {marks:?}"
        );
    }
}

/// What does not stop on SIGTERM gets SIGKILL after the grace period, and
/// s2i-assemble still ends, with nothing of the build left running.
#[test]
fn sigterm_kills_what_ignores_it_after_the_grace_period() {
    let marks = interrupt_during_build(
        "sigterm_kills_what_ignores_it_after_the_grace_period",
        nix::sys::signal::Signal::SIGTERM,
        Some("echo ignored > \"$MARKS/$$\"; sleep 60; echo outlived > \"$MARKS/$$\""),
    );
    if s2i_tests::go::require_go("sigterm_kills_what_ignores_it_after_the_grace_period").is_some() {
        assert!(marks.iter().any(|m| m == "ignored\n"), "{marks:?}");
        assert!(!marks.iter().any(|m| m == "outlived\n"), "{marks:?}");
    }
}

#[test]
fn sigint_during_the_build() {
    interrupt_during_build(
        "sigint_during_the_build",
        nix::sys::signal::Signal::SIGINT,
        None,
    );
}

#[test]
fn failed_build_keeps_the_previous_installation() {
    let Some(good) = Case::new(
        "failed_build_keeps_the_previous_installation",
        "module-basic",
    ) else {
        return;
    };
    good.assemble_ok();
    let before = listing(&good.app_root);
    let binary = std::fs::read(good.app_root.join("bin/basic")).unwrap();
    let mut bad = Case::with_go(
        s2i_tests::go::require_go("failed_build_keeps_the_previous_installation").unwrap(),
        "bad-types",
    );
    bad.app_root = good.app_root.clone();
    let (message, _) = bad.assemble_fails();
    assert!(
        message.starts_with(
            "s2i-assemble: compile error at main.go:8 in package example.com/badtypes"
        ),
        "{message}"
    );
    assert_eq!(
        listing(&good.app_root),
        before,
        "nothing added, nothing left behind"
    );
    assert_eq!(
        std::fs::read(good.app_root.join("bin/basic")).unwrap(),
        binary
    );
    assert_eq!(good.run("gobinary"), "hello from module-basic\n");
}

#[test]
fn one_assemble_at_a_time_per_application_root() {
    let Some(case) = Case::new(
        "one_assemble_at_a_time_per_application_root",
        "module-basic",
    ) else {
        return;
    };
    std::fs::create_dir(&case.app_root).unwrap();
    let dir = std::fs::File::open(&case.app_root).unwrap();
    let held = nix::fcntl::Flock::lock(dir, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
    drop(held);
    case.assemble_ok();
}

/// Files under `dir` that have another name somewhere (a hard link).
fn hard_linked_files(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.metadata().unwrap().nlink() > 1)
        .map(|e| e.path().display().to_string())
        .collect()
}

#[test]
fn import_url_that_is_no_import_path_is_refused_before_anything_is_written() {
    let Some(case) = Case::new(
        "import_url_that_is_no_import_path_is_refused_before_anything_is_written",
        "gopath-legacy",
    ) else {
        return;
    };
    let outside = case.tmp.path().join("outside");
    let absolute = outside.join("app").display().to_string();
    let mut messages = Vec::new();
    let mut check = |command: &mut Command| {
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", all(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        messages.push(case.redact(stderr.lines().last().unwrap_or("")));
        assert!(!outside.exists(), "sources placed outside: {}", all(&out));
        assert!(
            !case.app_root.exists(),
            "something was written: {}",
            all(&out)
        );
        assert_eq!(hard_linked_files(case.tmp.path()), Vec::<String>::new());
    };
    for value in [
        absolute.as_str(),
        "../../../outside/app",
        "github.com//app",
        "github.com/org/my app",
    ] {
        check(case.command(&[]).env("IMPORT_URL", value));
    }
    check(
        case.command(&[])
            .env("IMPORT_URL", "github.com/example/legacy")
            .env(
                "INSTALL_URL",
                "github.com/example/legacy/../../../../outside",
            ),
    );
    std::fs::create_dir(case.src.join(".s2i")).unwrap();
    std::fs::write(
        case.src.join(".s2i/go.toml"),
        format!("import_url = {absolute:?}\n"),
    )
    .unwrap();
    check(&mut case.command(&[]));
    insta::assert_snapshot!(messages.join("\n"));
}

/// Every path under `dir` with what it holds (a file's bytes, a link's
/// target), but `leave_out`: to see that nothing changed.
fn tree_state(dir: &std::path::Path, leave_out: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut state: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            !leave_out.iter().any(|l| rel.starts_with(l))
        })
        .map(|e| {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let what = if e.path_is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                b"/".to_vec()
            };
            (rel, what)
        })
        .collect();
    state.sort();
    state
}

/// Bytes of the files under `dir`, leaving out `.cache`.
fn tree_bytes(dir: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".cache")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn application_root_holding_the_sources_is_refused_before_anything_is_written() {
    let Some(case) = Case::new(
        "application_root_holding_the_sources_is_refused_before_anything_is_written",
        "module-basic",
    ) else {
        return;
    };
    // The probe's layout: the sources at P/src, where the install puts the
    // application's files.
    let p = case.tmp.path().join("P");
    std::fs::create_dir(&p).unwrap();
    let src = p.join("src");
    std::fs::rename(&case.src, &src).unwrap();
    std::os::unix::fs::symlink(&p, case.tmp.path().join("alias")).unwrap();
    std::os::unix::fs::symlink(&src, case.tmp.path().join("alias-src")).unwrap();
    let before = tree_state(&p, &[]);
    let path = |rel: &str| case.tmp.path().join(rel).display().to_string();
    let mut messages = Vec::new();
    for (src, app_root) in [
        (path("P/src"), path("P")),
        (path("P/src"), path("P/src/..")),
        (path("P/src"), path("P/src")),
        (path("P/src"), path("alias")),
        (path("alias/src"), path("P")),
        (path("P/src"), path("alias-src")),
    ] {
        let out = case
            .command(&["--src", &src, "--app-root", &app_root])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", all(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        messages.push(case.redact(stderr.lines().last().unwrap_or("")));
        assert_eq!(
            tree_state(&p, &[]),
            before,
            "--src {src} --app-root {app_root} changed the sources or wrote next to them"
        );
    }
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn application_root_inside_the_sources_is_left_out_and_does_not_grow() {
    let Some(mut case) = Case::new(
        "application_root_inside_the_sources_is_left_out_and_does_not_grow",
        "templates",
    ) else {
        return;
    };
    let before = tree_state(&case.src, &[]);
    // README's local use, run from the sources, again and again.
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let out = case
            .command(&["--src", ".", "--app-root", "./out"])
            .current_dir(&case.src)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", all(&out));
        sizes.push(tree_bytes(&case.src.join("out")));
    }
    // The same through a symlink to it from outside.
    let alias = case.tmp.path().join("alias");
    std::os::unix::fs::symlink(case.src.join("out"), &alias).unwrap();
    let out = case
        .command(&["--app-root", alias.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all(&out));
    sizes.push(tree_bytes(&case.src.join("out")));
    assert!(
        sizes.windows(2).all(|w| w[0] == w[1]),
        "the application root grew from build to build: {sizes:?} bytes"
    );
    assert_eq!(
        tree_state(&case.src, &["out"]),
        before,
        "the sources changed"
    );
    case.app_root = case.src.join("out");
    let installed = listing(&case.app_root);
    assert!(
        installed.contains(&"src/templates/index.tmpl".to_string())
            && !installed.iter().any(|p| p.starts_with("src/out")),
        "{installed:?}"
    );
    case.run("gobinary");
}

#[test]
fn application_root_inside_the_sources_holding_their_files_is_refused() {
    let Some(case) = Case::new(
        "application_root_inside_the_sources_holding_their_files_is_refused",
        "templates",
    ) else {
        return;
    };
    let before = tree_state(&case.src, &[]);
    let out = case
        .command(&["--src", ".", "--app-root", "./templates"])
        .current_dir(&case.src)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!(case.redact(stderr.lines().last().unwrap_or("")));
    assert_eq!(tree_state(&case.src, &[]), before);
}

#[test]
fn go_targets_naming_a_standard_library_package_is_refused() {
    // The sources have no cmd/gofmt; Go's standard library has.
    let Some(case) = Case::new(
        "go_targets_naming_a_standard_library_package_is_refused",
        "multi-cmd",
    ) else {
        return;
    };
    let case = case.env("GO_TARGETS", "cmd/gofmt");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn go_targets_as_an_absolute_path_outside_the_sources_is_refused() {
    let Some(case) = Case::new(
        "go_targets_as_an_absolute_path_outside_the_sources_is_refused",
        "multi-cmd",
    ) else {
        return;
    };
    let outside = case.tmp.path().join("elsewhere/cmd/api");
    std::fs::create_dir_all(&outside).unwrap();
    let case = case.env("GO_TARGETS", &outside.display().to_string());
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

#[test]
fn go_found_off_path_is_named_in_a_warning() {
    // No go on PATH: the one found through GOROOT (or an install folder)
    // may not be the Go meant, so the log says which it is and where.
    let Some(case) = Case::new("go_found_off_path_is_named_in_a_warning", "module-basic") else {
        return;
    };
    let goroot = case
        .go
        .bin
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let case = case
        .env("PATH", "/nonexistent/bin")
        .env("GOROOT", &goroot.display().to_string());
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("s2i-assemble: warning: no `go` on PATH"))
        .unwrap_or_else(|| panic!("no warning in:\n{stderr}"));
    insta::assert_snapshot!(case.redact(warning));
}

/// A repository whose Go module is in a directory of its own (and one go
/// ignores, in testdata/): the message names the module's directory and
/// s2i's context dir, before go runs.
#[test]
fn module_below_the_top_names_the_context_dir() {
    let Some(case) = Case::new("module_below_the_top_names_the_context_dir", "") else {
        return;
    };
    case.write("README.md", "# shop\n");
    case.write("server/go.mod", "module example.com/shop\n\ngo 1.21\n");
    case.write("server/main.go", "package main\n\nfunc main() {}\n");
    case.write("server/testdata/x/go.mod", "module example.com/x\n");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

/// A library at the root, no cmd/, and the program in a directory of its
/// own (and an example deeper down): the message names both, the
/// shallower as the GO_TARGETS to set.
#[test]
fn no_main_package_where_looked_names_those_elsewhere() {
    let Some(case) = Case::new("no_main_package_where_looked_names_those_elsewhere", "") else {
        return;
    };
    let main = "package main\n\nfunc main() {}\n";
    case.write("go.mod", "module example.com/shop\n\ngo 1.21\n");
    case.write("shop.go", "package shop\n");
    case.write("examples/basic/main.go", main);
    case.write("server/main.go", main);
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

/// go.work uses a directory the sources do not have (a git submodule not
/// checked out): the message says it is missing, not that it lacks a
/// go.mod.
#[test]
fn workspace_module_missing_from_the_sources() {
    let Some(case) = Case::new("workspace_module_missing_from_the_sources", "") else {
        return;
    };
    case.write("go.work", "go 1.21\n\nuse ./api\nuse ./compliance\n");
    case.write("api/go.mod", "module example.com/api\n\ngo 1.21\n");
    case.write("api/main.go", "package main\n\nfunc main() {}\n");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}

/// The same in a workspace, whose root is no module: each module's
/// packages are searched.
#[test]
fn no_main_package_in_a_workspace_names_those_elsewhere() {
    let Some(case) = Case::new("no_main_package_in_a_workspace_names_those_elsewhere", "") else {
        return;
    };
    case.write("go.work", "go 1.21\n\nuse ./lib\n");
    case.write("lib/go.mod", "module example.com/lib\n\ngo 1.21\n");
    case.write("lib/lib.go", "package lib\n");
    case.write("lib/server/main.go", "package main\n\nfunc main() {}\n");
    let (message, _) = case.assemble_fails();
    insta::assert_snapshot!(message);
    assert_nothing_installed(&case);
}
