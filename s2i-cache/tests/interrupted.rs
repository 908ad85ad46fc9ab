//! A restore cut short (a signal, `kill -9`) or a build that failed before
//! its prune: what the restore brought in is noted beside the caches, and
//! the next restore takes it up for the prune after its build. The kill
//! itself, with the real binaries, is in tests/tests/incremental.rs.

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use s2i_cache::prune::BuildCacheUse;
use s2i_cache::restore::{restore, restore_with, Report};
use s2i_cache::{unpruned, CacheDirs};
use s2i_tests::build_cache_entry;

/// `count` build-cache entries, as a stream s2i-save-artifacts could write.
fn entries(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| build_cache_entry(&format!("{:02x}{i:06x}", i % 256), "d"))
        .collect()
}

fn stream(entries: &[String]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o664);
        header.set_size(6);
        builder
            .append_data(&mut header, format!("go-build/{entry}"), &b"output"[..])
            .unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o664);
    header.set_size(1);
    builder
        .append_data(&mut header, "go-mod/example.com/m@v1.0.0/m.go", &b"x"[..])
        .unwrap();
    builder.into_inner().unwrap()
}

/// A `cancelled` that says so from its `after`-th question on.
fn cancel_after(after: usize) -> impl Fn() -> bool {
    let asked = Cell::new(0);
    move || {
        asked.set(asked.get() + 1);
        asked.get() > after
    }
}

/// Which of `entries` are in the build cache, sorted.
fn present(caches: &CacheDirs, entries: &[String]) -> Vec<PathBuf> {
    let mut present: Vec<PathBuf> = entries
        .iter()
        .filter(|e| caches.build.join(e).exists())
        .map(PathBuf::from)
        .collect();
    present.sort();
    present
}

/// The next build: no artifacts, a build that uses nothing restored, and
/// its prune.
fn next_build_prunes(caches: &CacheDirs, dir: &Path) -> Report {
    let report = restore(&dir.join("no-artifacts"), caches);
    let build_use = BuildCacheUse::begin(&caches.build, report.build_entries.clone());
    build_use.prune().unwrap();
    unpruned::forget(&caches.build);
    report
}

#[test]
fn a_cancelled_tar_restore_is_pruned_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let all = entries(300);
    let tar_file = dir.path().join("artifacts.tar");
    fs::write(&tar_file, stream(&all)).unwrap();
    // Past the first reading (a question an entry) and about 100 entries
    // into the second.
    let report = restore_with(&tar_file, &caches, &cancel_after(301 + 100));
    assert!(report.cancelled, "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let placed = present(&caches, &all);
    assert!(
        placed.len() > 50 && placed.len() < 150,
        "stopped half-way: {}",
        placed.len()
    );
    assert!(unpruned::note_of(&caches.build).is_file());

    let report = next_build_prunes(&caches, dir.path());
    let mut recovered = report.leftover.build_entries.clone();
    recovered.sort();
    assert_eq!(recovered, placed, "the next restore takes them up");
    assert!(report.leftover.module, "the module cache is pruned too");
    assert!(present(&caches, &all).is_empty(), "pruned");
    let staging = caches.module.parent().unwrap().join(".artifacts-restoring");
    assert!(!staging.exists(), "the half-extracted module cache is gone");
}

#[test]
fn a_cancelled_directory_restore_is_pruned_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let all = entries(300);
    // GOCACHE is there already (the image's warm cache): the move goes
    // entry by entry.
    for subdir in 0..256 {
        fs::create_dir_all(caches.build.join(format!("{subdir:02x}"))).unwrap();
    }
    let artifacts = dir.path().join("artifacts");
    for entry in &all {
        let path = artifacts.join("go-build").join(entry);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"output").unwrap();
    }
    // The walk asks once an entry (go-build, 256 directories, 300 entries),
    // then the move once an entry.
    let report = restore_with(&artifacts, &caches, &cancel_after(557 + 200));
    assert!(report.cancelled, "{report:?}");
    let placed = present(&caches, &all);
    assert!(
        !placed.is_empty() && placed.len() < all.len(),
        "{}",
        placed.len()
    );
    assert!(
        artifacts.join("go-build").exists(),
        "a cancelled restore leaves the rest"
    );

    let report = next_build_prunes(&caches, dir.path());
    let mut recovered = report.leftover.build_entries.clone();
    recovered.sort();
    assert_eq!(recovered, placed);
    assert!(present(&caches, &all).is_empty(), "pruned");
}

#[test]
fn a_finished_restore_notes_only_what_it_brought_in() {
    let dir = tempfile::tempdir().unwrap();
    let caches = CacheDirs::under(&dir.path().join("app-root"));
    let all = entries(3);
    // The image's own entry, in the stream too: not ours.
    let image = caches.build.join(&all[0]);
    fs::create_dir_all(image.parent().unwrap()).unwrap();
    fs::write(&image, b"image").unwrap();
    let tar_file = dir.path().join("artifacts.tar");
    fs::write(&tar_file, stream(&all)).unwrap();
    let report = restore(&tar_file, &caches);
    assert!(!report.cancelled && report.warnings.is_empty());
    let noted = fs::read_to_string(unpruned::note_of(&caches.build)).unwrap();
    assert_eq!(noted, format!("{}\n{}\n", all[1], all[2]));
    assert!(unpruned::note_of(&caches.module).is_file());
    // A build that failed before its prune: the next one takes them up.
    let report = next_build_prunes(&caches, dir.path());
    assert_eq!(report.leftover.build_entries.len(), 2);
    assert_eq!(
        fs::read(&image).unwrap(),
        b"image",
        "the image's entry stays"
    );
}
