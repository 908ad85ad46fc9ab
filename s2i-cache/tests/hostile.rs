//! Hostile or broken artifacts: each is refused with a warning, nothing is
//! written outside the caches, nothing is followed, and the caches start
//! empty (a clean build).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use s2i_cache::restore::{restore, Report};
use s2i_cache::CacheDirs;
use s2i_tests::build_cache_entry;
use s2i_tests::hostile_tar::raw_tar;

fn good_tar() -> Vec<u8> {
    raw_tar(&[
        ("go-build/", tar::EntryType::Directory, b"", ""),
        (
            &format!("go-build/{}", build_cache_entry("0a11", "d")),
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
    // restore_bytes's DIR/artifacts.tar, beside DIR/app-root/.cache/go-build.
    let dir = caches.build.ancestors().nth(3).unwrap();
    let tar = dir.join("artifacts.tar");
    assert!(!tar.exists(), "a refused stream is removed too");
}

#[test]
fn a_good_tar_restores() {
    let (report, dir, caches) = restore_bytes(&good_tar());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(
        !dir.path().join("artifacts.tar").exists(),
        "the stream is consumed: it does not stay in the application image"
    );
    assert_eq!(
        report.restored[0].to_string(),
        "build cache: 1 file, <0.1 MiB (extracted)"
    );
    assert_eq!(
        fs::read(caches.build.join(build_cache_entry("0a11", "d"))).unwrap(),
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
    assert!(!artifacts.exists(), "artifacts consumed");
}

#[test]
fn unknown_entries_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let entry = build_cache_entry("0a11", "a");
    fs::create_dir_all(artifacts.join("go-build/0a")).unwrap();
    fs::write(artifacts.join("go-build").join(&entry), b"entry").unwrap();
    fs::create_dir_all(artifacts.join("node_modules")).unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert_eq!(report.restored.len(), 1);
    assert_eq!(
        report.warnings,
        ["ignoring node_modules in the build artifacts: expected only go-build/ and go-mod/"]
    );
    assert!(caches.build.join(&entry).is_file());
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

/// A tree as s2i extracts it, at `dir/artifacts`, made by `make`.
fn artifacts_dir(dir: &Path, make: impl FnOnce(&Path)) -> PathBuf {
    let artifacts = dir.join("artifacts");
    fs::create_dir_all(&artifacts).unwrap();
    make(&artifacts);
    artifacts
}

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

fn set_time(path: &Path, secs: u64) {
    fs::File::open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// What a file outside looks like: what a restore must never change.
fn outside_state(path: &Path) -> (u64, u32, SystemTime, Vec<u8>) {
    let meta = fs::metadata(path).unwrap();
    (
        meta.ino(),
        meta.mode(),
        meta.modified().unwrap(),
        fs::read(path).unwrap(),
    )
}

#[test]
fn a_hard_link_in_an_artifacts_directory_is_refused_and_the_file_outside_keeps_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside/precious");
    write(&outside, b"someone else's file");
    set_time(&outside, 1_600_000_000);
    let before = outside_state(&outside);
    let entry = build_cache_entry("0a11", "d");
    let artifacts = artifacts_dir(dir.path(), |a| {
        fs::create_dir_all(a.join("go-build/0a")).unwrap();
        fs::hard_link(&outside, a.join("go-build").join(&entry)).unwrap();
    });
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert_refused(
        &report,
        &caches,
        &format!("go-build/{entry} is a hard link (its data is shared with another file)"),
    );
    assert_eq!(
        outside_state(&outside),
        before,
        "the file outside is untouched"
    );
}

#[test]
fn a_hard_link_under_go_mod_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside/secret");
    write(&outside, b"secret");
    let before = outside_state(&outside);
    let artifacts = artifacts_dir(dir.path(), |a| {
        let module = a.join("go-mod/example.com/m@v1.0.0");
        fs::create_dir_all(&module).unwrap();
        fs::hard_link(&outside, module.join("m.go")).unwrap();
    });
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert_refused(
        &report,
        &caches,
        "go-mod/example.com/m@v1.0.0/m.go is a hard link",
    );
    assert_eq!(outside_state(&outside), before);
}

#[test]
fn set_id_sticky_and_world_writable_modes_are_dropped_on_restore() {
    let action = build_cache_entry("0a11", "a");
    let module_file = "go-mod/example.com/m@v1.0.0/run.sh";
    let check = |caches: &CacheDirs, how: &str| {
        let mode = |path: &Path| fs::symlink_metadata(path).unwrap().mode() & 0o7777;
        assert_eq!(mode(&caches.build.join(&action)) & 0o7002, 0, "{how}");
        let script = caches.module.join("example.com/m@v1.0.0/run.sh");
        assert_eq!(mode(&script) & 0o7002, 0, "{how}");
        assert_eq!(mode(&script) & 0o100, 0o100, "{how}: still executable");
        assert_eq!(mode(script.parent().unwrap()) & 0o7002, 0, "{how}");
    };
    // A directory, as s2i extracts it.
    let dir = tempfile::tempdir().unwrap();
    let artifacts = artifacts_dir(dir.path(), |a| {
        write(&a.join("go-build").join(&action), b"entry");
        write(&a.join(module_file), b"#!/bin/sh\n");
        let chmod = |p: &Path, mode| fs::set_permissions(p, fs::Permissions::from_mode(mode));
        chmod(&a.join("go-build").join(&action), 0o4777).unwrap();
        chmod(&a.join(module_file), 0o6777).unwrap();
        chmod(&a.join("go-mod/example.com/m@v1.0.0"), 0o1777).unwrap();
    });
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let report = restore(&artifacts, &caches);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    check(&caches, "directory");
    // The stream itself.
    let mut builder = tar::Builder::new(Vec::new());
    for (name, mode, kind) in [
        (
            format!("go-build/{action}"),
            0o4777,
            tar::EntryType::Regular,
        ),
        (
            "go-mod/example.com/m@v1.0.0/".into(),
            0o1777,
            tar::EntryType::Directory,
        ),
        (module_file.into(), 0o6777, tar::EntryType::Regular),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(0);
        builder
            .append_data(&mut header, name, std::io::empty())
            .unwrap();
    }
    let (report, _dir, caches) = restore_bytes(&builder.into_inner().unwrap());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    check(&caches, "tar");
}

#[test]
fn names_that_are_no_cache_entry_are_left_out_of_the_caches() {
    let entry = build_cache_entry("0a11", "a");
    let foreign = [
        "go-build/0a/not-an-entry",
        "go-build/evil.sh",
        "go-build/zz/x",
        "go-mod/cache/evil",
    ];
    let check = |report: &Report, caches: &CacheDirs, how: &str| {
        assert_eq!(
            report.warnings,
            [
                "ignoring go-build/0a/not-an-entry (and 2 more like it) in the build artifacts: not a build-cache entry",
                "ignoring go-mod/cache/evil in the build artifacts: no part of Go's module cache",
            ],
            "{how}"
        );
        assert!(
            caches.build.join(&entry).is_file(),
            "{how}: the entry is restored"
        );
        for path in foreign {
            let (cache, rest) = path.split_once('/').unwrap();
            let root = if cache == "go-build" {
                &caches.build
            } else {
                &caches.module
            };
            assert!(!root.join(rest).exists(), "{how}: {path} left out");
        }
        assert!(!caches.build.join("zz").exists(), "{how}");
    };
    let dir = tempfile::tempdir().unwrap();
    let artifacts = artifacts_dir(dir.path(), |a| {
        write(&a.join("go-build").join(&entry), b"entry");
        for path in foreign {
            write(&a.join(path), b"x");
        }
    });
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    check(&restore(&artifacts, &caches), &caches, "directory");
    assert!(!artifacts.exists(), "artifacts consumed");

    let good = format!("go-build/{entry}");
    let mut entries = vec![(good.as_str(), tar::EntryType::Regular, &b"entry"[..], "")];
    entries.extend(foreign.map(|p| (p, tar::EntryType::Regular, &b"x"[..], "")));
    let (report, _dir, caches) = restore_bytes(&raw_tar(&entries));
    check(&report, &caches, "tar");
}

/// Each shape of a file where Go keeps a directory: the file is left out with
/// a warning, and Go finds its cache directories as it makes them (the
/// build itself is in tests/tests/incremental.rs).
#[test]
fn a_file_where_go_keeps_a_directory_is_left_out() {
    let entry = build_cache_entry("0a11", "d");
    for (shape, warning) in [
        ("go-build/00", "ignoring go-build/00 in the build artifacts: a file where Go keeps a directory"),
        ("go-mod/cache", "ignoring go-mod/cache in the build artifacts: a file where Go keeps a directory"),
        (
            "go-mod/cache/download/example.com/m/@v",
            "ignoring go-mod/cache/download/example.com/m/@v in the build artifacts: a file where Go keeps a directory",
        ),
        (
            "go-mod/example.com/m@v1.0.0",
            "ignoring go-mod/example.com/m@v1.0.0 in the build artifacts: a file where Go keeps a directory",
        ),
        ("go-mod", "ignoring module cache in the build artifacts: not a directory"),
    ] {
        let check = |report: &Report, caches: &CacheDirs, how: &str| {
            assert_eq!(report.warnings, [warning], "{shape} ({how})");
            assert!(caches.build.join(&entry).is_file(), "{shape} ({how}): the rest is restored");
            let (cache, rest) = shape.split_once('/').unwrap_or((shape, ""));
            let root = if cache == "go-build" { &caches.build } else { &caches.module };
            assert!(
                !fs::symlink_metadata(root.join(rest)).is_ok_and(|m| m.is_file()),
                "{shape} ({how}): no file where Go keeps a directory"
            );
        };
        let dir = tempfile::tempdir().unwrap();
        let artifacts = artifacts_dir(dir.path(), |a| {
            write(&a.join("go-build").join(&entry), b"output");
            write(&a.join(shape), b"not a directory");
        });
        let caches = CacheDirs::under(&dir.path().join("app-root"));
        check(&restore(&artifacts, &caches), &caches, "directory");

        let good = format!("go-build/{entry}");
        let (report, _dir, caches) = restore_bytes(&raw_tar(&[
            (&good, tar::EntryType::Regular, b"output", ""),
            (shape, tar::EntryType::Regular, b"not a directory", ""),
        ]));
        check(&report, &caches, "tar");
    }
}

#[test]
fn compressed_artifacts_are_refused_naming_the_compression() {
    let stream = good_tar();
    for (magic, name) in [
        (&b"\x1f\x8b\x08\x00"[..], "gzip"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"\xfd7zXZ\0", "xz"),
        (b"BZh9", "bzip2"),
    ] {
        let mut compressed = magic.to_vec();
        compressed.extend_from_slice(&stream);
        let (report, _dir, caches) = restore_bytes(&compressed);
        assert_refused(
            &report,
            &caches,
            &format!(
                "it is compressed with {name}: s2i's save-artifacts stream must be a plain tar"
            ),
        );
    }
}
