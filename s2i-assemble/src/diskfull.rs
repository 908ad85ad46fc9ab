//! A go command that failed for want of disk space is said to have, in
//! place of what go made of it: go may say it (`write PATH: no space left
//! on device`), or blame the sources for it (a module index it could not
//! write reads as `package fmt is not in std`, then as a compile error).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::errors::Error;

/// Less free than this where go writes, after it failed: the disk was
/// full (go frees its work directory as it exits, so a little more than
/// nothing is left). Any build needs more.
const NEARLY_FULL: u64 = 1 << 20;
/// Less free than this, where go's standard library read as missing: go
/// could not write its index (a cold build cache takes tens of MiB).
const NO_ROOM_FOR_THE_INDEX: u64 = 64 << 20;

/// What go's failure was, if the disk was full: `go_said` is its output,
/// `env` the environment it ran with, `writes_to` where else it wrote
/// (the work area). None if there was room.
pub fn check(
    command: &'static str,
    go_said: &str,
    env: &BTreeMap<String, String>,
    writes_to: &[&Path],
) -> Option<Error> {
    if let Some(full) = refused(command, go_said, env) {
        return Some(full);
    }
    let (available, path) = places(env, writes_to)
        .into_iter()
        .filter_map(|dir| Some((available(&dir)?, dir)))
        .min()?;
    let threshold = if std_unreadable(go_said) {
        NO_ROOM_FOR_THE_INDEX
    } else {
        NEARLY_FULL
    };
    (available < threshold).then_some(Error::DiskFull {
        command,
        path,
        go_said_it: false,
        available,
    })
}

/// go's own standard library reads as missing (`package fmt is not in std
/// (/usr/local/go/src/fmt)`, a directory that is there): go could not
/// write, then read, its index of it in the build cache.
fn std_unreadable(go_said: &str) -> bool {
    go_said.lines().any(|line| {
        line.split_once(" is not in std (")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .is_some_and(|dir| Path::new(dir).is_dir())
    })
}

/// What go said, if it said it could not write a file for want of room
/// (`go list -e` says it as the packages' errors, and succeeds).
pub fn refused(
    command: &'static str,
    go_said: &str,
    env: &BTreeMap<String, String>,
) -> Option<Error> {
    let path = path_refused(go_said, env)?;
    Some(Error::DiskFull {
        command,
        available: available(&path).unwrap_or(0),
        path,
        go_said_it: true,
    })
}

/// The file go could not write for want of room, from its words: `write
/// /app/.cache/go-build/9c/9c13…-d: no space left on device`, `compile:
/// writing output: write $WORK/b005/_pkg_.a: no space left on device`.
fn path_refused(said: &str, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let line = said.lines().find(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("no space left on device") || l.contains("disk quota exceeded")
    })?;
    let before = line.rsplit_once(": ").map_or("", |(before, _)| before);
    let word = before
        .split_whitespace()
        .rev()
        .find(|w| w.starts_with('/') || w.starts_with("$WORK"))
        .unwrap_or("");
    let word = word.trim_end_matches(':');
    Some(if word.starts_with('/') {
        PathBuf::from(word)
    } else {
        // `$WORK/…` is in go's temporary directory; and where go named no
        // file, that is the likeliest place.
        temp_dir(env)
    })
}

/// Where go's temporary work directory is: GOTMPDIR (s2i-assemble sets it
/// to the work area), else the system's.
fn temp_dir(env: &BTreeMap<String, String>) -> PathBuf {
    env.get("GOTMPDIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// Where go writes: its build cache, its temporary directory, and ours.
fn places(env: &BTreeMap<String, String>, writes_to: &[&Path]) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = env
        .get("GOCACHE")
        .filter(|v| !v.is_empty() && *v != "off")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    places.push(temp_dir(env));
    places.extend(writes_to.iter().map(|p| p.to_path_buf()));
    places
}

/// Bytes free to an unprivileged writer on the file system of `path` (or
/// of its nearest existing directory); None on a read-only one, which is
/// never "full".
fn available(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let stat = nix::sys::statvfs::statvfs(existing).ok()?;
    if stat.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
        return None;
    }
    Some(stat.blocks_available().saturating_mul(stat.fragment_size()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_in(said: &str) -> Option<PathBuf> {
        let env = BTreeMap::from([("GOTMPDIR".to_string(), "/scratch".to_string())]);
        path_refused(said, &env)
    }

    #[test]
    fn the_file_go_could_not_write_is_found_in_its_words() {
        let cases = [
            (
                "write /app/.cache/go-build/9c/9c13-d: no space left on device",
                "/app/.cache/go-build/9c/9c13-d",
            ),
            (
                "example.com/basic: go build example.com/basic: copying /tmp/go-build1/b001/exe/a.out to /app/.s2i-assemble/out/basic: write /app/.s2i-assemble/out/basic: no space left on device",
                "/app/.s2i-assemble/out/basic",
            ),
            (
                "go: creating work dir: mkdir /tmp/go-build123: No space left on device",
                "/tmp/go-build123",
            ),
            ("compile: writing output: write $WORK/b005/_pkg_.a: no space left on device", "/scratch"),
            ("open /home/u/.cache/x: disk quota exceeded", "/home/u/.cache/x"),
            ("no space left on device", "/scratch"),
        ];
        for (said, path) in cases {
            let text = format!("# internal/abi\n{said}\n");
            assert_eq!(refused_in(&text), Some(PathBuf::from(path)), "{said}");
        }
    }

    #[test]
    fn a_standard_library_that_reads_as_missing_is_seen() {
        let goroot = tempfile::tempdir().unwrap();
        let fmt = goroot.path().join("src/fmt");
        std::fs::create_dir_all(&fmt).unwrap();
        let said = format!(
            "main.go:4:8: package fmt is not in std ({})\n",
            fmt.display()
        );
        assert!(std_unreadable(&said));
        let gone = goroot.path().join("src/nothere");
        let said = format!(
            "main.go:4:8: package nothere is not in std ({})\n",
            gone.display()
        );
        assert!(
            !std_unreadable(&said),
            "a package that is not there is the code's"
        );
    }

    #[test]
    fn other_failures_are_not_a_full_disk() {
        for said in [
            "main.go:4:8: package fmt is not in std (/usr/local/go/src/fmt)",
            "write /app/out/basic: permission denied",
            "",
        ] {
            assert_eq!(refused_in(said), None, "{said}");
        }
    }
}
