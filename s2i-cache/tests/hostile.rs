//! Hostile or broken artifacts: each is refused with a warning, nothing is
//! written outside the caches, nothing is followed, and the caches start
//! empty (a clean build).

use std::fs;

use s2i_cache::restore::{restore, Report};
use s2i_cache::CacheDirs;
use s2i_tests::hostile_tar::raw_tar;

fn good_tar() -> Vec<u8> {
    raw_tar(&[
        ("go-build/", tar::EntryType::Directory, b"", ""),
        (
            "go-build/0a/0a11-d",
            tar::EntryType::Regular,
            b"compiled package output",
            "",
        ),
    ])
}

fn restore_bytes(stream: &[u8]) -> (Report, tempfile::TempDir, CacheDirs) {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts.tar");
    fs::write(&artifacts, stream).unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    (restore(&artifacts, &caches), dir, caches)
}

fn assert_refused(report: &Report, caches: &CacheDirs, why: &str) {
    assert!(report.restored.is_empty(), "{:?}", report.restored);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(warning.contains(why), "{warning:?} should say {why:?}");
    assert!(warning.ends_with("; building from scratch"), "{warning}");
    assert!(
        !caches.build.exists() && !caches.module.exists(),
        "clean caches"
    );
    let staging = caches.build.parent().unwrap().join(".artifacts-restoring");
    assert!(!staging.exists(), "no leftovers");
}

#[test]
fn a_good_tar_restores() {
    let (report, _dir, caches) = restore_bytes(&good_tar());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report.restored[0].to_string(),
        "build cache: 1 file, 0.0 MB (extracted)"
    );
    assert_eq!(
        fs::read(caches.build.join("0a/0a11-d")).unwrap(),
        b"compiled package output"
    );
}

#[test]
fn symlink_entries_are_refused_and_not_followed() {
    let stream = raw_tar(&[
        ("go-build/", tar::EntryType::Directory, b"", ""),
        ("go-build/00", tar::EntryType::Symlink, b"", "/etc"),
        ("go-build/00/passwd", tar::EntryType::Regular, b"pwned", ""),
    ]);
    let (report, _dir, caches) = restore_bytes(&stream);
    assert_refused(&report, &caches, "go-build/00 is a symbolic link");
}

#[test]
fn dot_dot_paths_are_refused() {
    let (report, dir, caches) = restore_bytes(&raw_tar(&[(
        "go-build/../../escaped",
        tar::EntryType::Regular,
        b"pwned",
        "",
    )]));
    assert_refused(&report, &caches, "go-build/../../escaped escapes with `..`");
    assert!(!dir.path().join("escaped").exists());
}

#[test]
fn absolute_paths_are_refused() {
    let target = tempfile::tempdir().unwrap();
    let name = format!("{}/pwned", target.path().display());
    let (report, _dir, caches) =
        restore_bytes(&raw_tar(&[(&name, tar::EntryType::Regular, b"x", "")]));
    assert_refused(&report, &caches, "is an absolute path");
    assert!(!target.path().join("pwned").exists());
}

#[test]
fn device_and_hard_link_entries_are_refused() {
    let (report, _dir, caches) =
        restore_bytes(&raw_tar(&[("go-mod/null", tar::EntryType::Char, b"", "")]));
    assert_refused(&report, &caches, "go-mod/null is a device file");
    let (report, _dir, caches) = restore_bytes(&raw_tar(&[(
        "go-mod/x",
        tar::EntryType::Link,
        b"",
        "/etc/shadow",
    )]));
    assert_refused(&report, &caches, "go-mod/x is a hard link");
}

#[test]
fn a_truncated_tar_is_refused() {
    let stream = good_tar();
    // Cut inside the file's data: the entry is incomplete.
    let (report, _dir, caches) = restore_bytes(&stream[..512 * 2 + 10]);
    assert_refused(&report, &caches, "truncated");
    // Cut inside a header.
    let (report, _dir, caches) = restore_bytes(&stream[..512 + 100]);
    assert_refused(&report, &caches, "not a valid tar stream");
}

#[test]
fn random_bytes_are_refused() {
    // A fixed pseudo-random sequence (xorshift), so the test is repeatable.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let (report, _dir, caches) = restore_bytes(&bytes);
    assert_refused(&report, &caches, "not a valid tar stream");
}

#[test]
fn extracted_trees_with_links_are_refused_and_links_kept_unfollowed() {
    // What `tar -xf` leaves in /tmp/artifacts from a hostile stream.
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), b"s").unwrap();
    let artifacts = dir.path().join("artifacts");
    fs::create_dir_all(artifacts.join("go-mod")).unwrap();
    std::os::unix::fs::symlink(&outside, artifacts.join("go-mod/cache")).unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert_refused(&report, &caches, "go-mod/cache is a symbolic link");
    assert_eq!(
        fs::read(outside.join("secret")).unwrap(),
        b"s",
        "the link's target is untouched"
    );
    assert!(
        fs::read_dir(&artifacts).unwrap().next().is_none(),
        "artifacts consumed"
    );
}

#[test]
fn unknown_entries_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    fs::create_dir_all(artifacts.join("go-build/0a")).unwrap();
    fs::write(artifacts.join("go-build/0a/0a11-a"), b"entry").unwrap();
    fs::create_dir_all(artifacts.join("node_modules")).unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert_eq!(report.restored.len(), 1);
    assert_eq!(
        report.warnings,
        ["ignoring \"node_modules\" in the build artifacts: expected only go-build/ and go-mod/"]
    );
    assert!(caches.build.join("0a/0a11-a").is_file());
}

#[test]
fn the_classic_layout_restores_its_module_cache() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let module = artifacts.join("pkg/mod/example.com/greeting@v1.0.0");
    fs::create_dir_all(&module).unwrap();
    fs::write(module.join("greeting.go"), b"package greeting\n").unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(caches
        .module
        .join("example.com/greeting@v1.0.0/greeting.go")
        .is_file());
}

#[test]
fn missing_or_empty_artifacts_are_no_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let caches = CacheDirs::under(dir.path());
    assert!(!restore(&dir.path().join("missing"), &caches).found_artifacts());
    fs::create_dir(dir.path().join("empty")).unwrap();
    assert!(!restore(&dir.path().join("empty"), &caches).found_artifacts());
    fs::write(dir.path().join("empty.tar"), b"").unwrap();
    assert!(!restore(&dir.path().join("empty.tar"), &caches).found_artifacts());
}
