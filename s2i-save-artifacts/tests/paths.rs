//! `s2i-save-artifacts PATH...` (or S2I_SAVE_ARTIFACTS_PATHS): other paths
//! than Go's caches, for other builder images, with the same guarantees.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

fn save_artifacts(args: &[&Path], setting: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"));
    command
        .args(args)
        .env("APP_ROOT", "/nonexistent/app-root")
        .env_remove("S2I_SAVE_ARTIFACTS_PATHS");
    if let Some(setting) = setting {
        command.env("S2I_SAVE_ARTIFACTS_PATHS", setting);
    }
    command
}

/// (name, kind, mode, content or link target) of each entry of a tar stream.
fn entries(stream: &[u8]) -> Vec<(String, char, u32, String)> {
    let mut archive = tar::Archive::new(stream);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let header = entry.header().clone();
            let kind = match header.entry_type() {
                tar::EntryType::Directory => 'd',
                tar::EntryType::Symlink => 'l',
                tar::EntryType::Regular => 'f',
                other => panic!("unexpected entry type {other:?}"),
            };
            let mut content = String::new();
            if kind == 'l' {
                content = header.link_name().unwrap().unwrap().display().to_string();
            } else {
                std::io::Read::read_to_string(&mut entry, &mut content).unwrap();
            }
            (name, kind, header.mode().unwrap(), content)
        })
        .collect()
}

/// A pip-like cache: a file, an executable, a read-only directory, a
/// symlink out of it, and a FIFO (which must never be opened).
fn pip_cache(root: &Path) -> std::path::PathBuf {
    let pip = root.join("home/.cache/pip");
    fs::create_dir_all(pip.join("http/a")).unwrap();
    fs::write(pip.join("http/a/entry"), "wheel bytes").unwrap();
    fs::write(pip.join("selfcheck.json"), "{}").unwrap();
    fs::write(pip.join("tool"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(pip.join("tool"), fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", pip.join("escape")).unwrap();
    nix_mkfifo(&pip.join("fifo"));
    fs::set_permissions(pip.join("http/a"), fs::Permissions::from_mode(0o555)).unwrap();
    pip
}

fn nix_mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn other_paths_are_streamed_by_argument_or_setting_and_links_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let pip = pip_cache(dir.path());
    let npm = dir.path().join("npm-cache");
    fs::create_dir_all(&npm).unwrap();
    fs::write(npm.join("index"), "npm").unwrap();
    let setting = format!("{}:{}", pip.display(), npm.display());
    for command in [
        save_artifacts(&[&pip, &npm], None),
        save_artifacts(&[], Some(&setting)),
    ] {
        let mut command = command;
        let output: Output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let got = entries(&output.stdout);
        let expect = |name: &str, kind: char, mode: u32, content: &str| {
            (name.to_string(), kind, mode, content.to_string())
        };
        assert_eq!(
            got,
            [
                expect("pip/", 'd', 0o775, ""),
                expect("pip/escape", 'l', 0o777, "/etc/passwd"),
                expect("pip/http", 'd', 0o775, ""),
                expect("pip/http/a", 'd', 0o775, ""),
                expect("pip/http/a/entry", 'f', 0o664, "wheel bytes"),
                expect("pip/selfcheck.json", 'f', 0o664, "{}"),
                expect("pip/tool", 'f', 0o775, "#!/bin/sh\n"),
                expect("npm-cache/", 'd', 0o775, ""),
                expect("npm-cache/index", 'f', 0o664, "npm"),
            ]
        );
        assert!(
            stderr.starts_with("s2i-save-artifacts: saved ") && stderr.contains("left out 1 fifo"),
            "{stderr}"
        );
    }
}

#[test]
fn other_paths_with_nothing_in_them_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("empty/sub")).unwrap();
    let output = save_artifacts(
        &[&dir.path().join("missing"), &dir.path().join("empty")],
        None,
    )
    .output()
    .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "{} bytes", output.stdout.len());
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with("s2i-save-artifacts: nothing to save")
    );
}

#[test]
fn an_unreadable_file_stops_before_the_first_byte_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let cache = dir.path().join("cache");
    fs::create_dir_all(&cache).unwrap();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(cache.join("a-readable"), "x".repeat(100_000)).unwrap();
    fs::write(cache.join("secret"), "no").unwrap();
    fs::set_permissions(cache.join("secret"), fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = save_artifacts(&[&cache], None);
    if s2i_tests::is_root() {
        command.uid(65534).gid(65534); // root reads anything
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "{} bytes written",
        output.stdout.len()
    );
    assert_eq!(
        stderr,
        format!(
            "s2i-save-artifacts: cannot write the artifacts stream: cannot read {}: Permission denied\n",
            cache.join("secret").display()
        )
    );
}

#[test]
fn paths_to_save_must_be_absolute_with_different_names() {
    for args in [
        vec!["relative/pip"],
        vec!["/a/cache", "/b/cache"],
        vec!["/"],
    ] {
        let paths: Vec<&Path> = args.iter().map(Path::new).collect();
        let output = save_artifacts(&paths, None).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("s2i-save-artifacts: invalid paths to save: "),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}
