//! How s2i-assemble reads its inputs (issue 10 items 7, 12, 13): the files
//! of the sources it reads itself (`.s2i/environment`, `.s2i/go.toml`)
//! never block and are bounded, special files go would read stop the
//! build, sparse files stay sparse, bad variables are refused where they
//! are written, and names from the outside reach the log escaped.
//!
//! Every run has a hang guard (a build that outlives it is killed and the
//! test fails): what used to hang must now fail at once, and a guard is
//! what turns a hang into a failure. It is no speed assertion.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{all, listing, Case};

/// Longer than any build here takes: only a hang reaches it.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Runs `command`, killing it (and failing) if it is still running after
/// [`HANG_GUARD`].
fn output_unless_hung(mut command: Command) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("s2i-assemble starts");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > HANG_GUARD {
            // go too (in a process group of its own): it is what hangs on
            // a FIFO, and it holds the output pipes open.
            for pid in descendants(child.id()).into_iter().chain([child.id()]) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let out = child.wait_with_output().unwrap();
            panic!("s2i-assemble hung; killed:\n{}", all(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The processes below `pid`, from /proc (their parent is the 4th field
/// of /proc/PID/stat, after the command's name in parentheses).
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let parent = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((child, parent))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// Assembles (with the hang guard), expects exit code 1, returns
/// s2i-assemble's last line, redacted.
fn fails(case: &Case) -> String {
    let out = output_unless_hung(case.command(&[]));
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("s2i-assemble: "))
        .unwrap_or("");
    case.redact(last)
}

fn assert_nothing_installed(case: &Case) {
    if case.app_root.exists() {
        let left = listing(&case.app_root);
        assert!(left.is_empty(), "a failed build left {left:?}");
    }
}

fn s2i_file(case: &Case, name: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(case.src.join(".s2i")).unwrap();
    case.src.join(".s2i").join(name)
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
}

#[test]
fn fifo_as_s2i_environment_is_refused_unopened() {
    let Some(case) = Case::new(
        "fifo_as_s2i_environment_is_refused_unopened",
        "module-basic",
    ) else {
        return;
    };
    mkfifo(&s2i_file(&case, "environment"));
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn fifo_as_go_toml_is_refused_unopened() {
    let Some(case) = Case::new("fifo_as_go_toml_is_refused_unopened", "module-basic") else {
        return;
    };
    mkfifo(&s2i_file(&case, "go.toml"));
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn s2i_environment_linked_to_dev_zero_is_refused_unread() {
    let Some(case) = Case::new(
        "s2i_environment_linked_to_dev_zero_is_refused_unread",
        "module-basic",
    ) else {
        return;
    };
    std::os::unix::fs::symlink("/dev/zero", s2i_file(&case, "environment")).unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn two_gigabyte_go_toml_is_refused_unread() {
    let Some(case) = Case::new("two_gigabyte_go_toml_is_refused_unread", "module-basic") else {
        return;
    };
    // Sparse: 2 GiB that take no disk, and would take 2 GiB of memory.
    let file = std::fs::File::create(s2i_file(&case, "go.toml")).unwrap();
    file.set_len(2 << 30).unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn fifo_named_like_a_go_file_stops_the_build() {
    let Some(case) = Case::new("fifo_named_like_a_go_file_stops_the_build", "module-basic") else {
        return;
    };
    // go would open it and wait for a writer for ever.
    mkfifo(&case.src.join("x.go"));
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn fifo_where_go_does_not_look_is_left_out_with_a_warning() {
    let Some(case) = Case::new(
        "fifo_where_go_does_not_look_is_left_out_with_a_warning",
        "templates",
    ) else {
        return;
    };
    mkfifo(&case.src.join("static/log.pipe"));
    std::fs::create_dir(case.src.join("testdata")).unwrap();
    mkfifo(&case.src.join("testdata/input.go"));
    let out = output_unless_hung(case.command(&[]));
    assert!(out.status.success(), "{}", all(&out));
    let warnings: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("warning"))
        .map(String::from)
        .collect();
    insta::assert_snapshot!(warnings.join("\n"));
    assert!(!case.app_root.join("src/static/log.pipe").exists());
}

#[test]
fn sparse_asset_is_copied_with_its_holes_and_time() {
    let Some(case) = Case::new(
        "sparse_asset_is_copied_with_its_holes_and_time",
        "templates",
    ) else {
        return;
    };
    let image = case.src.join("static/disk.img");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::File::create(&image).unwrap();
        file.set_len(2 << 30).unwrap();
        file.seek(SeekFrom::Start(1 << 30)).unwrap();
        file.write_all(b"data in the middle").unwrap();
    }
    let when = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    std::fs::File::options()
        .write(true)
        .open(&image)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let out = output_unless_hung(case.command(&[]));
    assert!(out.status.success(), "{}", all(&out));
    let copy = case.app_root.join("src/static/disk.img");
    let meta = std::fs::metadata(&copy).unwrap();
    assert_eq!(meta.len(), 2 << 30);
    let allocated = meta.blocks() * 512;
    assert!(
        allocated < 16 << 20,
        "the copy takes {allocated} bytes of disk: its holes were written out"
    );
    assert_eq!(meta.modified().unwrap(), when, "the copy keeps the time");
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(&copy).unwrap();
    file.seek(SeekFrom::Start(1 << 30)).unwrap();
    let mut data = [0; 18];
    file.read_exact(&mut data).unwrap();
    assert_eq!(&data, b"data in the middle");
}

#[test]
fn large_value_in_s2i_environment_names_the_variable_and_line() {
    let Some(case) = Case::new(
        "large_value_in_s2i_environment_names_the_variable_and_line",
        "module-basic",
    ) else {
        return;
    };
    // 1 MB: under the file's 1 MiB bound, over Linux's 128 KiB a variable.
    let text = format!("GO_LDFLAGS=-s\nHUGE={}\n", "x".repeat(1_000_000));
    std::fs::write(s2i_file(&case, "environment"), text).unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn nul_in_go_toml_env_names_the_key_and_line() {
    let Some(case) = Case::new("nul_in_go_toml_env_names_the_key_and_line", "module-basic") else {
        return;
    };
    std::fs::write(
        s2i_file(&case, "go.toml"),
        "run = \"basic\"\n\n[env]\nGOFLAGS = \"-v\"\nSECRET = \"a\\u0000b\"\n",
    )
    .unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn byte_order_mark_in_s2i_environment_is_refused() {
    let Some(case) = Case::new(
        "byte_order_mark_in_s2i_environment_is_refused",
        "module-basic",
    ) else {
        return;
    };
    std::fs::write(
        s2i_file(&case, "environment"),
        "\u{feff}GO_LDFLAGS=-s\nOTHER=1\n",
    )
    .unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn export_in_s2i_environment_is_refused() {
    let Some(case) = Case::new("export_in_s2i_environment_is_refused", "module-basic") else {
        return;
    };
    std::fs::write(
        s2i_file(&case, "environment"),
        "# settings\nexport GO_LDFLAGS=-s\n",
    )
    .unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn invalid_names_in_go_toml_env_are_refused() {
    let Some(case) = Case::new("invalid_names_in_go_toml_env_are_refused", "module-basic") else {
        return;
    };
    let mut messages = Vec::new();
    for key in ["\"A B\"", "\"X=Y\"", "\"\"", "\"N\\u0000\""] {
        std::fs::write(
            s2i_file(&case, "go.toml"),
            format!("[env]\nGOFLAGS = \"-v\"\n{key} = \"1\"\n"),
        )
        .unwrap();
        messages.push(fails(&case));
    }
    insta::assert_snapshot!(messages.join("\n"));
    assert_nothing_installed(&case);
}

#[test]
fn binary_go_toml_is_invalid_not_unreadable() {
    let Some(case) = Case::new("binary_go_toml_is_invalid_not_unreadable", "module-basic") else {
        return;
    };
    std::fs::write(
        s2i_file(&case, "go.toml"),
        b"run = \"basic\"\n\x7fELF\x02\x01\x01\x00\xff\xfe",
    )
    .unwrap();
    let message = fails(&case);
    assert!(!message.contains("make it readable"), "{message}");
    insta::assert_snapshot!(message);
}

/// Runs `command` as nobody when this process is root (root reads
/// everything), by `setpriv`.
fn as_nobody(case: &Case, command: Command) -> Command {
    if !s2i_tests::is_root() {
        return command;
    }
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

/// The sources' `dir` (created with one file) given `mode`; the message
/// of a build as nobody.
fn with_directory_mode(test: &str, mode: u32) -> Option<String> {
    let case = Case::new(test, "templates")?;
    if s2i_tests::is_root() && s2i_tests::require_tool("setpriv", test).is_none() {
        return None;
    }
    let dir = case.src.join("assets");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("site.css"), "body {}\n").unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
    std::fs::create_dir(&case.app_root).unwrap();
    std::fs::set_permissions(&case.app_root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = output_unless_hung(as_nobody(&case, case.command(&[])));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert_nothing_installed(&case);
    let stderr = String::from_utf8_lossy(&out.stderr);
    Some(case.redact(stderr.lines().last().unwrap()))
}

#[test]
fn directory_without_search_permission_is_named_with_the_x_fix() {
    let Some(message) = with_directory_mode(
        "directory_without_search_permission_is_named_with_the_x_fix",
        0o644,
    ) else {
        return;
    };
    assert!(!message.contains("make it readable"), "{message}");
    insta::assert_snapshot!(message);
}

#[test]
fn directory_without_read_permission_gets_the_rx_fix() {
    let Some(message) =
        with_directory_mode("directory_without_read_permission_gets_the_rx_fix", 0o311)
    else {
        return;
    };
    insta::assert_snapshot!(message);
}

#[test]
fn path_too_long_is_not_told_to_be_made_readable() {
    let Some(case) = Case::new("path_too_long_is_not_told_to_be_made_readable", "templates") else {
        return;
    };
    // 20 levels of 250-byte names: over Linux's 4096-byte path limit.
    // Made one level at a time from the one above, as only that reaches.
    let name = "d".repeat(250);
    {
        use nix::fcntl::{open, openat, OFlag};
        use nix::sys::stat::{mkdirat, Mode};
        let mut dir = open(
            &case.src.join("static"),
            OFlag::O_DIRECTORY | OFlag::O_RDONLY,
            Mode::empty(),
        )
        .unwrap();
        for _ in 0..20 {
            mkdirat(&dir, name.as_str(), Mode::from_bits_truncate(0o755)).unwrap();
            dir = openat(
                &dir,
                name.as_str(),
                OFlag::O_DIRECTORY | OFlag::O_RDONLY,
                Mode::empty(),
            )
            .unwrap();
        }
        let file = openat(
            &dir,
            "f.txt",
            OFlag::O_CREAT | OFlag::O_WRONLY,
            Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        nix::unistd::write(&file, b"x\n").unwrap();
    }
    let message = fails(&case);
    let shown = message.replace(&name, "[250 d]");
    assert!(!shown.contains("make it readable"), "{shown}");
    insta::assert_snapshot!(shown);
    // rm -r from inside too: the paths are too long for remove_dir_all.
    let _ = Command::new("rm")
        .args(["-rf", "static"])
        .current_dir(&case.src)
        .status();
}

#[test]
fn main_package_in_a_directory_with_a_space_says_why_go_cannot_load_it() {
    let Some(case) = Case::new(
        "main_package_in_a_directory_with_a_space_says_why_go_cannot_load_it",
        "not-main",
    ) else {
        return;
    };
    let dir = case.src.join("cmd/my app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    insta::assert_snapshot!(fails(&case));
    assert_nothing_installed(&case);
}

#[test]
fn crafted_file_names_cannot_fake_log_lines() {
    let Some(case) = Case::new("crafted_file_names_cannot_fake_log_lines", "templates") else {
        return;
    };
    // A FIFO is warned about with its name; the name ends a line and
    // starts a fake one.
    mkfifo(
        &case
            .src
            .join("static/x\n---> Done in 0.01s with go9.9\n\u{1b}[2Jy"),
    );
    let out = output_unless_hung(case.command(&[]));
    assert!(out.status.success(), "{}", all(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fake_lines = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("---> Done in 0.01s"))
        .count();
    assert_eq!(fake_lines, 0, "{}", all(&out));
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    let warning = stderr.lines().find(|l| l.contains("warning")).unwrap();
    insta::assert_snapshot!(warning);

    // An error naming a crafted symlink, too.
    let Some(case) = Case::new("crafted_file_names_cannot_fake_log_lines", "templates") else {
        return;
    };
    std::os::unix::fs::symlink("/etc/passwd", case.src.join("a\n---> Done\u{1b}[0m")).unwrap();
    insta::assert_snapshot!("crafted_symlink_name", fails(&case));
}
