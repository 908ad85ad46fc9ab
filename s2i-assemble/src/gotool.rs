//! The Go toolchain: where it is, which version it is, and running its
//! quick commands (the build itself is `build`'s job).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use s2i_common::display::Escaped;

use crate::build::Interrupt;
use crate::errors::Error;
use crate::gofailure;

/// The usual install folders, after PATH and $GOROOT/bin.
const USUAL_DIRS: [&str; 2] = ["/usr/local/go/bin", "/usr/lib/go/bin"];
/// Debian's versioned Go folders; the newest wins.
const DEBIAN_GLOB: (&str, &str) = ("/usr/lib", "go-");

/// Finds `go`: on PATH, then in $GOROOT/bin, then the usual install folders.
pub fn find_go(env: &BTreeMap<String, String>) -> Result<PathBuf, Error> {
    let mut looked = Vec::new();
    let path = env.get("PATH").map(String::as_str).unwrap_or("");
    for dir in std::env::split_paths(path) {
        if let Some(go) = executable(&dir.join("go")) {
            return Ok(go);
        }
    }
    looked.push(if path.is_empty() {
        "PATH (unset)".to_string()
    } else {
        format!("PATH ({path})")
    });
    match env.get("GOROOT").filter(|g| !g.is_empty()) {
        Some(goroot) => {
            if let Some(go) = executable(&Path::new(goroot).join("bin/go")) {
                return Ok(go);
            }
            looked.push(format!("$GOROOT/bin ({goroot}/bin)"));
        }
        None => looked.push("$GOROOT/bin (GOROOT unset)".to_string()),
    }
    for dir in USUAL_DIRS {
        if let Some(go) = executable(&Path::new(dir).join("go")) {
            return Ok(go);
        }
        looked.push(dir.to_string());
    }
    if let Some(go) = newest_debian_go() {
        return Ok(go);
    }
    looked.push(format!("{}/{}*/bin", DEBIAN_GLOB.0, DEBIAN_GLOB.1));
    Err(Error::GoNotFound { looked })
}

/// When the go found is not on PATH (GOROOT's, or an install folder's):
/// a warning naming it, since it may not be the Go meant.
pub fn not_on_path(go: &Path, env: &BTreeMap<String, String>) -> Option<String> {
    let path = env.get("PATH").map(String::as_str).unwrap_or("");
    let on_path = std::env::split_paths(path).any(|dir| Some(dir.as_path()) == go.parent());
    (!on_path).then(|| {
        format!(
            "no `go` on PATH; building with {} ({}), found in $GOROOT/bin or an install folder ({}, {}, {}/{}*/bin): put the Go you want first on PATH",
            Escaped::new(go),
            version_file(go).unwrap_or_else(|| "version unknown".to_string()),
            USUAL_DIRS[0],
            USUAL_DIRS[1],
            DEBIAN_GLOB.0,
            DEBIAN_GLOB.1
        )
    })
}

fn executable(path: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then(|| path.to_path_buf())
}

/// `/usr/lib/go-1.22/bin/go` over `/usr/lib/go-1.19/bin/go`.
fn newest_debian_go() -> Option<PathBuf> {
    let entries = std::fs::read_dir(DEBIAN_GLOB.0).ok()?;
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = parse_version(name.strip_prefix(DEBIAN_GLOB.1)?)?;
            Some((version, executable(&e.path().join("bin/go"))?))
        })
        .max_by_key(|(v, _)| *v)
        .map(|(_, go)| go)
}

/// The version in the `VERSION` file of the Go installation `go` belongs to
/// (`$GOROOT/bin/go`), the same as `go env GOVERSION` reports; None when
/// there is no such file or it does not look like a release.
pub fn version_file(go: &Path) -> Option<String> {
    let goroot = std::fs::canonicalize(go)
        .ok()?
        .parent()?
        .parent()?
        .to_path_buf();
    let text = std::fs::read_to_string(goroot.join("VERSION")).ok()?;
    let first = text.lines().next()?.trim();
    let release = first.starts_with("go") && parse_version(first).is_some();
    release.then(|| first.to_string())
}

/// A Go version as (major, minor, patch): "go1.27.3", "1.22", "1.21rc2"
/// (a pre-release counts as its patch 0), "1.22.0".
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let text = text.trim().trim_start_matches("go");
    let mut parts = text.split('.');
    let number = |part: Option<&str>| -> Option<u32> {
        let digits: String = part?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let major = number(parts.next())?;
    let minor = number(parts.next()).unwrap_or(0);
    let patch = number(parts.next()).unwrap_or(0);
    Some((major, minor, patch))
}

/// True when a toolchain of version `have` (`go env GOVERSION`) can build
/// what needs `needs` (go.mod's `go` line). Unknown versions (devel builds)
/// are given the benefit of the doubt: go itself will say.
pub fn satisfies(have: &str, needs: &str) -> bool {
    match (parse_version(have), parse_version(needs)) {
        (Some(have), Some(needs)) => have >= needs,
        _ => true,
    }
}

/// Runs a quick `go` command and returns its standard output; on failure
/// the error carries go's own message.
pub fn output(
    go: &Path,
    args: &[&str],
    dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Captured, Error> {
    let cannot = |e: std::io::Error| Error::GoCommand {
        command: format!("go {}", args.first().copied().unwrap_or("")),
        detail: format!("cannot start {}: {e}", go.display()),
    };
    // In a process group of its own, which SIGTERM stops (see `build`):
    // a download may keep even a quick command waiting.
    let child = Command::new(go)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(cannot)?;
    let interrupt = Interrupt::current();
    let watching = interrupt.map(|i| i.watch(child.id()));
    let out = child.wait_with_output().map_err(cannot)?;
    drop(watching);
    if let Some(interrupt) = interrupt {
        interrupt.check()?;
    }
    Ok(Captured {
        success: out.status.success(),
        status: out.status.to_string(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

pub struct Captured {
    pub success: bool,
    /// How go ended: `exit status: 1`.
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
    /// The error for this failed `command`: go's stderr shown whole, as
    /// go would have shown it, and the line that explains it after.
    pub fn failure(
        &self,
        command: &'static str,
        go: &Path,
        dir: &Path,
        env: &BTreeMap<String, String>,
    ) -> Error {
        eprint!("{}", crate::redact::text(&self.stderr));
        gofailure::error(command, &self.status, &self.stderr, env, dir, go)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_like_go() {
        assert_eq!(parse_version("go1.27.3"), Some((1, 27, 3)));
        assert_eq!(parse_version("1.22"), Some((1, 22, 0)));
        assert_eq!(parse_version("1.21rc2"), Some((1, 21, 0)));
        assert_eq!(parse_version("devel +abc"), None);
        assert!(satisfies("go1.27.3", "1.22"));
        assert!(satisfies("go1.22.0", "1.22"));
        assert!(satisfies("go1.22.5", "1.22.3"));
        assert!(!satisfies("go1.19.8", "1.22"));
        assert!(!satisfies("go1.27.3", "1.99"));
        assert!(!satisfies("go1.22.1", "1.22.3"));
        assert!(satisfies("devel go1.28-abc", "1.99"));
    }

    #[test]
    fn version_from_the_installation() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("bin")).unwrap();
        let go = root.path().join("bin/go");
        std::fs::write(&go, "").unwrap();
        assert_eq!(version_file(&go), None);
        std::fs::write(root.path().join("VERSION"), "go1.22.5\ntime 2024-06-04\n").unwrap();
        assert_eq!(version_file(&go).as_deref(), Some("go1.22.5"));
        std::fs::write(root.path().join("VERSION"), "devel +abcdef\n").unwrap();
        assert_eq!(version_file(&go), None);
    }

    #[test]
    fn not_found_lists_where_it_looked() {
        let env: BTreeMap<String, String> = [("PATH".to_string(), "/nonexistent/bin".to_string())]
            .into_iter()
            .collect();
        match find_go(&env) {
            // This machine may have Go in a usual folder; then it must be one.
            Ok(go) => assert!(go.starts_with("/usr/local/go") || go.starts_with("/usr/lib")),
            Err(e) => assert_eq!(
                e.to_string(),
                "no `go` toolchain found; looked in PATH (/nonexistent/bin), $GOROOT/bin (GOROOT unset), \
/usr/local/go/bin, /usr/lib/go/bin, /usr/lib/go-*/bin: install Go there, put it on PATH, or set GOROOT"
            ),
        }
    }
}
