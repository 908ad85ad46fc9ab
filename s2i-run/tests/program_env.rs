//! What s2i-run sets in the program's environment where it is unset, in
//! both modes: GOMEMLIMIT from the cgroup memory limit (a fake cgroup tree
//! through S2I_RUN_CGROUP_ROOT), and USER, LOGNAME and HOME for an
//! arbitrary UID, checked with a real Go program calling os/user.Current()
//! and os.UserHomeDir().

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use support::*;

/// Prints the program's GOMEMLIMIT (empty when unset).
const SHOW: [&str; 4] = ["--", "sh", "-c", "echo \"GOMEMLIMIT=$GOMEMLIMIT\""];

fn fake_cgroup_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = workdir();
    for (path, text) in files {
        let path = root.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    root
}

fn stdout_and_stderr(mut command: Command, init: &str) -> (String, String) {
    command.env("S2I_RUN_INIT", init);
    let output = run(command);
    assert!(output.status.success(), "{output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn gomemlimit_is_a_share_of_the_cgroup_v2_memory_limit_in_both_modes() {
    let tree = fake_cgroup_tree(&[
        ("proc/self/cgroup", "0::/app.slice/app\n"),
        ("sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n"),
        ("sys/fs/cgroup/app.slice/memory.max", "max\n"),
        ("sys/fs/cgroup/app.slice/app/memory.max", "536870912\n"),
    ]);
    for init in ["never", "always"] {
        let mut command = s2i_run(&["-v"]);
        command.args(SHOW).env("S2I_RUN_CGROUP_ROOT", tree.path());
        let (stdout, stderr) = stdout_and_stderr(command, init);
        // 90% of 512 MiB, in bytes.
        assert_eq!(stdout, "GOMEMLIMIT=483183820\n", "S2I_RUN_INIT={init}");
        let log = stderr.replace(&tree.path().display().to_string(), "[ROOT]");
        assert!(
            log.contains(
                "s2i-run: memory limit 512.0 MiB ([ROOT]/sys/fs/cgroup/app.slice/app/memory.max): GOMEMLIMIT=483183820 (90%)"
            ),
            "{log}"
        );
    }
}

#[test]
fn gomemlimit_follows_the_share_and_cgroup_v1_and_is_left_alone_when_set_or_turned_off() {
    let tree = fake_cgroup_tree(&[
        ("proc/self/cgroup", "5:memory:/docker/abc\n0::/\n"),
        ("sys/fs/cgroup/memory/memory.limit_in_bytes", "1000000000\n"),
    ]);
    let show = |vars: &[(&str, &str)]| {
        let mut command = s2i_run(&SHOW);
        command
            .env("S2I_RUN_CGROUP_ROOT", tree.path())
            .env_remove("GOMEMLIMIT");
        for (name, value) in vars {
            command.env(name, value);
        }
        stdout_and_stderr(command, "never").0
    };
    assert_eq!(show(&[]), "GOMEMLIMIT=900000000\n");
    assert_eq!(
        show(&[("S2I_RUN_GOMEMLIMIT_SHARE", "75%")]),
        "GOMEMLIMIT=750000000\n"
    );
    assert_eq!(show(&[("GOMEMLIMIT", "64MiB")]), "GOMEMLIMIT=64MiB\n");
    assert_eq!(show(&[("GOMEMLIMIT", "")]), "GOMEMLIMIT=900000000\n");
    assert_eq!(show(&[("S2I_RUN_GOMEMLIMIT", "false")]), "GOMEMLIMIT=\n");
    // No limit: v1's "unlimited" value.
    fs::write(
        tree.path()
            .join("sys/fs/cgroup/memory/memory.limit_in_bytes"),
        "9223372036854771712\n",
    )
    .unwrap();
    assert_eq!(show(&[]), "GOMEMLIMIT=\n");
}

#[test]
fn no_cgroup_files_means_no_gomemlimit_and_no_error() {
    let mut command = s2i_run(&SHOW);
    command
        .env("S2I_RUN_CGROUP_ROOT", "/nonexistent/root")
        .env_remove("GOMEMLIMIT");
    let (stdout, stderr) = stdout_and_stderr(command, "always");
    assert_eq!(stdout, "GOMEMLIMIT=\n");
    assert_eq!(stderr, "");
}

/// Builds tests/fixtures/whoami (static, no cgo: the pure-Go os/user) into `dir`.
fn build_whoami(go: &s2i_tests::go::Go, dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("whoami");
    s2i_tests::go::output_ok(
        go.command()
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(s2i_tests::fixtures_dir().join("whoami")),
    );
    bin
}

#[test]
fn a_go_program_run_as_an_arbitrary_uid_without_user_or_home_finds_both() {
    let test = "a_go_program_run_as_an_arbitrary_uid_without_user_or_home_finds_both";
    let Some(go) = s2i_tests::go::require_go(test) else {
        return;
    };
    if s2i_tests::require_root(test).is_none() {
        return;
    }
    let dir = workdir();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let whoami = build_whoami(&go, dir.path());
    // The application root: src/ writable by group 0, as the image has it.
    let app_root = dir.path().join("app-root");
    let app_files = app_root.join("src");
    fs::create_dir_all(&app_files).unwrap();
    fs::set_permissions(&app_files, fs::Permissions::from_mode(0o775)).unwrap();
    std::os::unix::fs::chown(&app_files, None, Some(0)).unwrap();

    // Go's own message without s2i-run: what OpenShift's arbitrary UIDs get.
    let mut bare = Command::new(&whoami);
    bare.env_clear()
        .env("HOME", "/nonexistent")
        .uid(100001)
        .gid(0);
    let output = run(bare);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("user: Current requires cgo or $USER set"),
        "{output:?}"
    );

    for init in ["never", "always"] {
        for home in [None, Some("/root")] {
            let mut command = Command::new(BIN);
            command
                .arg("--")
                .arg(&whoami)
                .env_clear()
                .env("APP_ROOT", &app_root)
                .env("S2I_RUN_INIT", init)
                .uid(100001)
                .gid(0);
            if let Some(home) = home {
                command.env("HOME", home); // not writable by UID 100001
            }
            let output = run(command);
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                format!("uid=100001 user=default home={}\n", app_files.display()),
                "S2I_RUN_INIT={init}, HOME={home:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    // Set values are kept; root has a passwd entry, whose name is used.
    let mut command = Command::new(BIN);
    command
        .arg("--")
        .arg(&whoami)
        .env_clear()
        .env("APP_ROOT", &app_root)
        .env("USER", "alice")
        .env("HOME", dir.path());
    let output = run(command);
    // os/user prefers /etc/passwd's name for UID 0 when it can read it.
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("uid=0 user=root home={}\n", dir.path().display())
    );
    let mut command = Command::new(BIN);
    command
        .args(["--", "sh", "-c", "echo $USER $LOGNAME"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("USER", "alice");
    assert_eq!(
        String::from_utf8_lossy(&run(command).stdout),
        "alice root\n"
    );
}
