//! The container's memory limit, read from the process's own cgroup: for
//! s2i-run's GOMEMLIMIT (the Go runtime follows the cgroup's CPU limit by
//! itself (Go 1.25), not its memory limit, and a Go service that does not
//! know its limit is OOM-killed where it could have collected its
//! garbage), and for s2i-assemble's message when the out-of-memory killer
//! stops go's compiler.
//!
//! `/proc/self/cgroup` names the process's cgroup: under cgroup v1 the
//! line whose controllers include `memory` (`4:memory:/a/b`), its limit in
//! `memory.limit_in_bytes` below `/sys/fs/cgroup/memory`; under v2 the line
//! `0::/a/b`, its limit in `memory.max` below `/sys/fs/cgroup`. The limit in
//! force is the smallest of the cgroup's and its ancestors'. A container
//! that sees its own cgroup as the mount's root (a cgroup namespace, or
//! v1's bind mount of it) has no such path below the mount: its limit is
//! the mount root's. Nothing readable, or no limit: nothing to do.

use std::path::{Path, PathBuf};

/// A memory limit and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    pub file: PathBuf,
}

/// cgroup v1's "no limit" is the largest page-aligned counter value
/// (9223372036854771712 on 4 KiB pages); anything from 2^60 up is no limit.
const V1_UNLIMITED: u64 = 1 << 60;

/// The memory limit in force for this process, looking under `root`
/// (`/`, or a fake tree in tests).
// `#[inline]`: s2i-run's size budget. Across the crate boundary, without
// it, LTO inlined differently and s2i-run grew by a page.
#[inline]
pub fn read(root: &Path) -> Option<Limit> {
    let mut buffer = [0u8; 8192];
    let membership = read_small(&root.join("proc/self/cgroup"), &mut buffer)?;
    let mut unified = None;
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_id), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if controllers.split(',').any(|c| c == "memory") {
            // The memory controller is bound to one hierarchy only: this one.
            let mount = root.join("sys/fs/cgroup/memory");
            return smallest(&mount, path, "memory.limit_in_bytes", |text| {
                text.parse::<u64>().ok().filter(|&n| n < V1_UNLIMITED)
            });
        }
        if controllers.is_empty() {
            unified = Some(path);
        }
    }
    let path = unified?;
    let mount = root.join("sys/fs/cgroup");
    // A hybrid system's unified hierarchy (at sys/fs/cgroup/unified) has no
    // memory controller; a v2 mount says which it has.
    let mut buffer = [0u8; 1024];
    let controllers = read_small(&mount.join("cgroup.controllers"), &mut buffer)?;
    if !controllers.split_whitespace().any(|c| c == "memory") {
        return None;
    }
    smallest(&mount, path, "memory.max", |text| match text {
        "max" => None,
        number => number.parse::<u64>().ok(),
    })
}

/// The smallest limit in `file` from the cgroup at `path` below `mount` up
/// to the mount's root (only the root's when `path` is not below it).
fn smallest(
    mount: &Path,
    path: &str,
    file: &str,
    parse: impl Fn(&str) -> Option<u64>,
) -> Option<Limit> {
    let relative = path.trim_start_matches('/');
    let mut dir = mount.join(relative);
    if relative.split('/').any(|part| part == "..") || !dir.is_dir() {
        dir = mount.to_path_buf();
    }
    let mut found: Option<Limit> = None;
    loop {
        let candidate = dir.join(file);
        let mut buffer = [0u8; 64];
        if let Some(bytes) = read_small(&candidate, &mut buffer).and_then(|text| parse(text.trim()))
        {
            let smaller = match &found {
                Some(limit) => bytes < limit.bytes,
                None => true,
            };
            if smaller {
                found = Some(Limit {
                    bytes,
                    file: candidate,
                });
            }
        }
        if dir == mount || !dir.pop() {
            return found;
        }
    }
}

/// The text of a small file (a cgroup or /proc file), read into `buffer`
/// with one `read` or a few: no `stat` for a size, which these files do not
/// have, and no allocation (this runs before every start). `None` when it
/// cannot be read, is not UTF-8 or does not fit.
fn read_small<'b>(path: &Path, buffer: &'b mut [u8]) -> Option<&'b str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    loop {
        match file.read(&mut buffer[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
        if len == buffer.len() {
            return None;
        }
    }
    std::str::from_utf8(&buffer[..len]).ok()
}

/// GOMEMLIMIT for a limit: `share` percent of it, in bytes (Go reads a
/// plain number as bytes).
pub fn gomemlimit(limit: &Limit, share: u8) -> u64 {
    (u128::from(limit.bytes) * u128::from(share) / 100) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    #[test]
    fn v2_reads_memory_max_of_the_process_cgroup_and_its_ancestors() {
        let root = tree(&[
            ("proc/self/cgroup", "0::/kubepods/pod1/ctr\n"),
            ("sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n"),
            ("sys/fs/cgroup/kubepods/memory.max", "max\n"),
            ("sys/fs/cgroup/kubepods/pod1/memory.max", "268435456\n"),
            ("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "536870912\n"),
        ]);
        let limit = read(root.path()).unwrap();
        assert_eq!(limit.bytes, 268435456);
        assert!(limit.file.ends_with("kubepods/pod1/memory.max"));
        assert_eq!(gomemlimit(&limit, 90), 241591910);
    }

    #[test]
    fn v2_max_everywhere_is_no_limit() {
        let root = tree(&[
            ("proc/self/cgroup", "0::/a\n"),
            ("sys/fs/cgroup/cgroup.controllers", "memory\n"),
            ("sys/fs/cgroup/a/memory.max", "max\n"),
        ]);
        assert_eq!(read(root.path()), None);
    }

    #[test]
    fn v2_in_a_cgroup_namespace_reads_the_mount_root() {
        // podman's default: /proc/self/cgroup says `0::/`.
        let root = tree(&[
            ("proc/self/cgroup", "0::/\n"),
            ("sys/fs/cgroup/cgroup.controllers", "memory pids\n"),
            ("sys/fs/cgroup/memory.max", "104857600\n"),
        ]);
        assert_eq!(read(root.path()).unwrap().bytes, 104857600);
    }

    #[test]
    fn v1_reads_the_memory_hierarchy_and_falls_back_to_the_mount_root() {
        // A v1 container: its cgroup is bind-mounted as the hierarchy's root,
        // while /proc/self/cgroup still names the host's path.
        let root = tree(&[
            (
                "proc/self/cgroup",
                "9:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n",
            ),
            ("sys/fs/cgroup/memory/memory.limit_in_bytes", "134217728\n"),
        ]);
        let limit = read(root.path()).unwrap();
        assert_eq!(limit.bytes, 134217728);
        assert!(limit
            .file
            .ends_with("sys/fs/cgroup/memory/memory.limit_in_bytes"));
    }

    #[test]
    fn v1_nested_takes_the_smallest_and_ignores_the_unlimited_value() {
        let root = tree(&[
            ("proc/self/cgroup", "3:cpu,memory:/a/b\n"),
            (
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
            (
                "sys/fs/cgroup/memory/a/memory.limit_in_bytes",
                "1073741824\n",
            ),
            (
                "sys/fs/cgroup/memory/a/b/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        assert_eq!(read(root.path()).unwrap().bytes, 1073741824);
        let root = tree(&[
            ("proc/self/cgroup", "4:memory:/\n"),
            (
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        assert_eq!(read(root.path()), None);
    }

    #[test]
    fn hybrid_unified_without_memory_and_unreadable_files_are_no_limit() {
        let root = tree(&[
            ("proc/self/cgroup", "0::/user.slice\n"),
            ("sys/fs/cgroup/cgroup.controllers", "cpu pids\n"),
            ("sys/fs/cgroup/user.slice/memory.max", "1000\n"),
        ]);
        assert_eq!(read(root.path()), None);
        let root = tree(&[("proc/self/cgroup", "garbage\n")]);
        assert_eq!(read(root.path()), None);
        assert_eq!(read(Path::new("/nonexistent")), None);
        let root = tree(&[
            ("proc/self/cgroup", "0::/../../etc\n"),
            ("sys/fs/cgroup/cgroup.controllers", "memory\n"),
            ("sys/fs/cgroup/memory.max", "not a number\n"),
        ]);
        assert_eq!(read(root.path()), None);
    }
}
