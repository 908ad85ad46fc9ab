//! Build artifacts as the directory s2i extracted them into (s2i-cache
//! `restore` of a directory). The input is read as a list of entries to
//! lay out (files, directories, symbolic links to the tree outside or up
//! out of the artifacts, second names of a file outside or inside, FIFOs,
//! devices, with any mode), in the shapes of Go's caches and hostile
//! ones. No panic, no hang (a FIFO opened would block); nothing outside
//! the caches is created or changed (the tree beside them, the outside
//! files' times included, is compared before and after); what is restored
//! fits Go's layout with no link, special file, second name, set-id,
//! sticky or world-write bit; warnings are one log line each.

#![no_main]

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use s2i_cache::restore::restore;
use s2i_fuzz::{Case, Input};

// An entry is: its kind (byte % 8: 0 and 6 a file, 1 a directory, 2 a
// symbolic link, 3 a second name of the file outside, 4 a FIFO, 5 a
// device, 7 a second name of the first file laid out), its path (a byte
// for the top: % 4 go-build, go-mod, pkg/mod or none; a byte for the
// count of names, % 8; a byte for each name: NAMES[byte % len], or
// 0xf0 | N then N+1 bytes of a name of its own), a byte for its mode
// (MODES[byte % 8]; a link's target is byte / 8 % 4: the file outside,
// the directory outside, `../` up to outside, `/`), and for a file a
// length byte (% 32) and its data.

/// Names of Go's caches, and hostile ones.
const NAMES: &[&str] = &[
    "go-build",
    "go-mod",
    "pkg",
    "mod",
    "cache",
    "download",
    "sumdb",
    "vcs",
    "@v",
    "00",
    "0a",
    "ff",
    "README",
    "trim.txt",
    "lock",
    "list",
    "v1.0.0.zip",
    "v1.0.0.mod",
    "v1.0.0.info",
    "v1.0.0.partial",
    "example.com",
    "m@v1.0.0",
    "0a5555555555555555555555555555555555555555555555555555555555555a-a",
    "0a5555555555555555555555555555555555555555555555555555555555555d-d",
    "005555555555555555555555555555555555555555555555555555555555555a-a",
    "x",
    "\u{1b}[2J\n---> Done",
    "\u{202e}txt.exe",
];

const MODES: [u32; 8] = [0o644, 0o755, 0o444, 0o777, 0o4755, 0o2775, 0o1777, 0o000];

/// A path of 1 to 8 names, starting in a cache most of the time.
fn path(input: &mut Input) -> PathBuf {
    let mut path = PathBuf::new();
    match input.byte().unwrap_or(0) % 4 {
        0 => path.push("go-build"),
        1 => path.push("go-mod"),
        2 => path.push("pkg/mod"),
        _ => {}
    }
    let count = input.byte().unwrap_or(0) % 8;
    for _ in 0..count {
        let b = input.byte().unwrap_or(0);
        if b >= 0xf0 {
            // A name of the input's own bytes.
            let raw = input.take(usize::from(b & 0x0f) + 1);
            let name: Vec<u8> = raw
                .iter()
                .map(|c| if *c == b'/' || *c == 0 { b'_' } else { *c })
                .collect();
            if name != b"." && name != b".." {
                path.push(std::ffi::OsStr::from_bytes(&name));
            }
        } else {
            path.push(NAMES[usize::from(b) % NAMES.len()]);
        }
    }
    if path.as_os_str().is_empty() {
        path.push("x");
    }
    path
}

/// True when a directory on the way to `path` under `root` is not a real
/// directory (a link: laying out through it would write outside).
fn through_a_link(root: &Path, path: &Path) -> bool {
    let mut at = root.to_path_buf();
    for component in path.parent().into_iter().flat_map(Path::components) {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Ok(meta) if !meta.is_dir() => return true,
            _ => {}
        }
    }
    false
}

fn lay_out(case: &Case, root: &Path, input: &mut Input) {
    let mut modes = Vec::new();
    let mut files = Vec::new();
    for _ in 0..64 {
        let Some(kind) = input.byte() else { break };
        let relative = path(input);
        let mode_byte = input.byte().unwrap_or(0);
        let mode = MODES[usize::from(mode_byte) % MODES.len()];
        let full = root.join(&relative);
        // Laid out once (writing to a FIFO laid out before would block),
        // and never through a link.
        if fs::symlink_metadata(&full).is_ok() || through_a_link(root, &relative) {
            continue;
        }
        if let Some(parent) = full.parent() {
            if fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let made = match kind % 8 {
            0 | 6 => {
                let length = input.byte().unwrap_or(0) % 32;
                let data = input.take(usize::from(length));
                fs::write(&full, data).map(|()| {
                    files.push(full.clone());
                    modes.push((full.clone(), mode));
                })
            }
            1 => fs::create_dir(&full).map(|()| modes.push((full.clone(), mode | 0o700))),
            2 => {
                let depth = relative.components().count();
                let target = match mode_byte / 8 % 4 {
                    0 => case.outside().join("file"),
                    1 => case.outside().join("dir"),
                    2 => PathBuf::from("../".repeat(depth)).join("outside"),
                    _ => PathBuf::from("/"),
                };
                std::os::unix::fs::symlink(target, &full)
            }
            3 => fs::hard_link(case.outside().join("file"), &full),
            4 => nix::unistd::mkfifo(&full, nix::sys::stat::Mode::from_bits_truncate(0o644))
                .map_err(std::io::Error::from),
            5 => nix::sys::stat::mknod(
                &full,
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::from_bits_truncate(0o666),
                nix::sys::stat::makedev(1, 3),
            )
            .map_err(std::io::Error::from),
            _ => match files.first() {
                Some(first) => fs::hard_link(first, &full),
                None => Ok(()),
            },
        };
        let _ = made;
    }
    // Modes last, so that a directory without write or search permission
    // does not stop the laying out of what is in it.
    for (path, mode) in modes.into_iter().rev() {
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(mode));
    }
}

fuzz_target!(|bytes: &[u8]| {
    let case = Case::new();
    let artifacts = case.dir.path().join("artifacts");
    fs::create_dir(&artifacts).unwrap();
    lay_out(&case, &artifacts, &mut Input(bytes));
    let before = case.surroundings(&artifacts);
    let report = restore(&artifacts, &case.caches());
    case.assert_restore_kept_to_its_place(&before, &artifacts, &report);
    // The artifacts are consumed: nothing of them is left to end up in the
    // application image.
    assert!(
        !artifacts.exists() || s2i_common::tree::is_empty_dir(&artifacts),
        "the artifacts are left: {:?}",
        fs::read_dir(&artifacts).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
    );
});
