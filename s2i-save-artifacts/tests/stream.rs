//! What `s2i-save-artifacts` writes: a tar on stdout and nothing else.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn save_artifacts(app_root: &Path, base: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"));
    command
        .env("APP_ROOT", app_root)
        .env_remove("S2I_GO_BASE_CACHE");
    if let Some(base) = base {
        command.env("S2I_GO_BASE_CACHE", base);
    }
    command.output().unwrap()
}

/// A build-cache action entry and an output, as Go names them.
fn action_entry() -> String {
    s2i_tests::build_cache_entry("0a11", "a")
}
fn output_entry() -> String {
    s2i_tests::build_cache_entry("0a22", "d")
}

/// A build cache with two entries and a module cache laid out as Go leaves
/// it (read-only directories and files).
fn fake_caches(app_root: &Path) {
    let build = app_root.join(".cache/go-build");
    fs::create_dir_all(build.join("0a")).unwrap();
    fs::write(build.join(action_entry()), b"v1 action entry\n").unwrap();
    fs::write(build.join(output_entry()), b"compiled package").unwrap();
    fs::write(
        build.join("README"),
        b"This directory holds cached build artifacts from the Go build system.\n",
    )
    .unwrap();
    let module = app_root.join(".cache/go-mod/example.com/greeting@v1.0.0");
    fs::create_dir_all(&module).unwrap();
    fs::write(module.join("greeting.go"), b"package greeting\n").unwrap();
    fs::set_permissions(
        module.join("greeting.go"),
        fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    fs::set_permissions(&module, fs::Permissions::from_mode(0o555)).unwrap();
}

/// (name, mode, content) of each entry of a tar stream.
fn entries(stream: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut archive = tar::Archive::new(stream);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mode = entry.header().mode().unwrap();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
            (name, mode, content)
        })
        .collect()
}

#[test]
fn stdout_is_one_tar_stream_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    fake_caches(root.path());
    let output = save_artifacts(root.path(), None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "s2i-save-artifacts: saved the build cache (3 files, <0.1 MiB) and the module cache (1 file, <0.1 MiB)"
    );

    let stream = &output.stdout;
    let listed: Vec<_> = entries(stream)
        .into_iter()
        .map(|(n, m, _)| format!("{n} {m:o}"))
        .collect();
    assert_eq!(
        listed,
        [
            "go-build 775".to_string(),
            "go-build/0a 775".into(),
            format!("go-build/{} 664", action_entry()),
            format!("go-build/{} 664", output_entry()),
            "go-build/README 664".into(),
            "go-mod 775".into(),
            "go-mod/example.com 775".into(),
            "go-mod/example.com/greeting@v1.0.0 775".into(),
            "go-mod/example.com/greeting@v1.0.0/greeting.go 664".into(),
        ]
    );
    let files = entries(stream);
    assert_eq!(files[3].2, b"compiled package");
    // Nothing after the archive: it ends with the two zero end-of-archive
    // blocks, and the whole stream is made of 512-byte blocks.
    assert_eq!(stream.len() % 512, 0);
    assert!(stream[stream.len() - 1024..].iter().all(|&b| b == 0));
    let last_header = stream.len() - 1024 - 512 * 2; // greeting.go: header + one data block
    assert_eq!(&stream[last_header..last_header + 14], b"go-mod/example");

    // The system's tar reads it too, as s2i's incremental build does.
    if let Ok(tar) = which_tar() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.tar"), stream).unwrap();
        let out = Command::new(tar)
            .arg("-xf")
            .arg(dir.path().join("a.tar"))
            .arg("-C")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            fs::read(dir.path().join("go-build").join(action_entry())).unwrap(),
            b"v1 action entry\n"
        );
    }
}

fn which_tar() -> Result<std::path::PathBuf, ()> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("tar"))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn nothing_to_save_writes_zero_bytes() {
    let root = tempfile::tempdir().unwrap();
    // Empty cache directories are nothing worth saving either.
    fs::create_dir_all(root.path().join(".cache/go-build/00")).unwrap();
    let output = save_artifacts(root.path(), None);
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("s2i-save-artifacts: nothing to save (no Go caches in "),
        "{stderr}"
    );
}

#[test]
fn entries_the_image_already_has_are_left_out() {
    let root = tempfile::tempdir().unwrap();
    fake_caches(root.path());
    let base = tempfile::tempdir().unwrap();
    fs::create_dir_all(base.path().join("0a")).unwrap();
    fs::write(base.path().join(output_entry()), b"compiled package").unwrap(); // same
    fs::write(base.path().join(action_entry()), b"v1 other size\n").unwrap(); // differs
    let output = save_artifacts(root.path(), Some(base.path()));
    assert!(output.status.success());
    let names: Vec<_> = entries(&output.stdout)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert!(names.contains(&format!("go-build/{}", action_entry())));
    assert!(
        !names.contains(&format!("go-build/{}", output_entry())),
        "{names:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("; left out 1 file the image already has"),
        "{stderr}"
    );
}

#[test]
fn arguments_are_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"))
        .arg("--verbose")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

#[test]
fn help_to_a_full_disk_is_a_message_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"))
        .arg("--help")
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "s2i-save-artifacts: cannot write to stdout: No space left on device\n"
    );
}

/// `save-artifacts >&-`: the stream would go nowhere (Rust's runtime puts
/// /dev/null there), so it fails instead of reporting a save.
#[test]
fn a_closed_stdout_fails_instead_of_saving_to_nowhere() {
    let root = tempfile::tempdir().unwrap();
    fake_caches(root.path());
    let closed = |args: &[&str]| {
        Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$@" >&-"#)
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_s2i-save-artifacts"))
            .args(args)
            .env("APP_ROOT", root.path())
            .output()
            .unwrap()
    };
    let output = closed(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "s2i-save-artifacts: stdout is closed; redirect the tar stream: s2i-save-artifacts > artifacts.tar"
    );
    let output = closed(&["--help"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "s2i-save-artifacts: cannot write to stdout: it is closed"
    );
}

/// A cache file or directory that cannot be read is left out with a
/// warning naming it; the stream is still a whole tar, and a module that
/// misses a file is marked incomplete for Go.
#[test]
fn an_unreadable_cache_file_is_left_out_by_name_and_the_stream_stays_whole() {
    let root = tempfile::tempdir().unwrap();
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fake_caches(root.path());
    let cache = root.path().join(".cache");
    let other = cache.join("go-mod/example.com/other@v1.0.0");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("other.go"), b"package other\n").unwrap();
    for (path, mode) in [
        (cache.join("go-build").join(output_entry()), 0o000),
        (
            cache.join("go-mod/example.com/greeting@v1.0.0/greeting.go"),
            0o000,
        ),
        (other.clone(), 0o000),
    ] {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
    // Root reads anything: run as nobody then.
    let mut command = Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"));
    command.env("APP_ROOT", root.path());
    if s2i_tests::is_root() {
        std::os::unix::process::CommandExt::uid(&mut command, 65534);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let warnings: Vec<_> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(
        warnings,
        [
            "s2i-save-artifacts: warning: cannot read go-mod/example.com/other@v1.0.0: Permission denied; it is left out of the stream".to_string(),
            format!(
                "s2i-save-artifacts: warning: cannot read go-build/{}: Permission denied; it is left out of the stream",
                output_entry()
            ),
            "s2i-save-artifacts: warning: cannot read go-mod/example.com/greeting@v1.0.0/greeting.go: Permission denied; it is left out of the stream".to_string(),
        ]
    );
    // The whole stream parses, up to its end-of-archive blocks.
    let names: Vec<_> = entries(&output.stdout)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert!(
        names.contains(&format!("go-build/{}", action_entry())),
        "{names:?}"
    );
    assert!(!names.contains(&format!("go-build/{}", output_entry())));
    assert!(!names.iter().any(|n| n.ends_with("greeting.go")));
    for marker in ["greeting/@v/v1.0.0.partial", "other/@v/v1.0.0.partial"] {
        let name = format!("go-mod/cache/download/example.com/{marker}");
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let stream = &output.stdout;
    assert!(stream[stream.len() - 1024..].iter().all(|&b| b == 0));
}
