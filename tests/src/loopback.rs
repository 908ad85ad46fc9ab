//! A private code host on 127.0.0.1 for tests of private modules: HTTPS
//! with a test CA made when it starts, HTTP basic authentication, `git
//! http-backend` for bare repositories and a Go module proxy folder (see
//! `loopback_server.go`, built once per Go version and source with the
//! test's own Go, standard library only).
//!
//! Loopback only: the server listens on 127.0.0.1, on a port it picks.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::go::{Go, ModuleProxy};

const SOURCE: &str = include_str!("loopback_server.go");

/// What the server serves.
#[derive(Debug, Default, Clone)]
pub struct HostOptions {
    /// Bare git repositories, served under `/git/`.
    pub git_root: Option<PathBuf>,
    /// A module proxy folder (see [`ModuleProxy`]), served under `/proxy/`.
    pub proxy_root: Option<PathBuf>,
    /// The user names and passwords it accepts; none: no authentication.
    pub logins: Vec<(String, String)>,
    /// Requests whose path contains this never get an answer (the server
    /// creates `hang-hit` in its folder when one comes).
    pub hang: Option<String>,
    /// Plain HTTP instead of HTTPS.
    pub plain: bool,
}

/// A running server; stopped when dropped.
pub struct PrivateHost {
    child: Child,
    pub port: u16,
    plain: bool,
    /// Its folder: `ca.pem`, `requests.log`.
    dir: tempfile::TempDir,
}

impl PrivateHost {
    /// Builds (once) and starts the server with `go`.
    pub fn start(go: &Go, options: &HostOptions) -> PrivateHost {
        let server = server_binary(go).unwrap_or_else(|e| panic!("cannot build the server: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("s2i-tests-host-")
            .tempdir()
            .unwrap();
        let mut command = Command::new(server);
        command.arg("-dir").arg(dir.path());
        if let Some(root) = &options.git_root {
            command.arg("-git").arg(root);
        }
        if let Some(root) = &options.proxy_root {
            command.arg("-proxy").arg(root);
        }
        let logins: Vec<String> = options
            .logins
            .iter()
            .map(|(user, password)| format!("{user}:{password}"))
            .collect();
        if !logins.is_empty() {
            command.arg("-auth").arg(logins.join(","));
        }
        if let Some(hang) = &options.hang {
            command.arg("-hang").arg(hang);
        }
        if options.plain {
            command.arg("-plain");
        }
        let mut child = command
            .env("PATH", go.path_env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let port_file = dir.path().join("port");
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                break text.trim().parse().expect("a port number");
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                let _ = io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr);
                panic!("the server exited ({status}): {stderr}");
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        PrivateHost {
            child,
            port,
            plain: options.plain,
            dir,
        }
    }

    /// `https://127.0.0.1:PORT` (or `http://` for a plain one).
    pub fn url(&self) -> String {
        let scheme = if self.plain { "http" } else { "https" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The CA that signed the server's certificate, in PEM.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Each request so far: `METHOD PATH USER STATUS` (`-` for no user,
    /// status `-1` for one left hanging).
    pub fn requests(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default()
    }

    /// Waits until a request matched [`HostOptions::hang`].
    pub fn wait_for_hang(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.dir.path().join("hang-hit").exists() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for PrivateHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server built by `go` from [`SOURCE`], shared by the tests of a run
/// and across runs (keyed by the source and Go version).
fn server_binary(go: &Go) -> io::Result<PathBuf> {
    let key = fnv(&format!("{}\n{SOURCE}", go.version));
    let dir = std::env::temp_dir().join("s2i-tests-go");
    let binary = dir.join(format!("loopback-server-{key:016x}"));
    if binary.is_file() {
        return Ok(binary);
    }
    let work = tempfile::Builder::new()
        .prefix("loopback-server-")
        .tempdir_in({
            std::fs::create_dir_all(&dir)?;
            &dir
        })?;
    std::fs::write(work.path().join("main.go"), SOURCE)?;
    std::fs::write(
        work.path().join("go.mod"),
        "module loopbackserver\n\ngo 1.21\n",
    )?;
    let built = work.path().join("server");
    let output = go
        .command()
        .args(["build", "-o"])
        .arg(&built)
        .arg(".")
        .current_dir(work.path())
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    // Another test may have won the race: either copy is the same.
    std::fs::rename(&built, &binary)?;
    Ok(binary)
}

fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    hash
}

/// A bare git repository `root/<name>` (e.g. `acme/private`) holding
/// `files` in one commit, tagged `tag`. Needs `git`.
pub fn bare_repo(root: &Path, name: &str, files: &[(&str, &str)], tag: &str) {
    let work = tempfile::tempdir().unwrap();
    crate::write_files(work.path(), files);
    let git = |args: &[&str]| crate::git(work.path(), args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "v1"]);
    git(&["tag", tag]);
    let bare = root.join(name);
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    let (work, bare) = (
        work.path().display().to_string(),
        bare.display().to_string(),
    );
    crate::git(root, &["clone", "-q", "--bare", &work, &bare]);
}

/// go.sum's two lines for `module@version` made of `files`, as go
/// computes them (from a module zip of the same files).
pub fn go_sum_lines(go: &Go, module: &str, version: &str, files: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    crate::write_files(&source, files);
    let proxy =
        ModuleProxy::build(&tmp.path().join("proxy"), &[(module, version, &source)]).unwrap();
    let cache = tmp.path().join("mod");
    let output = go
        .command()
        .args(["mod", "download", "-json", &format!("{module}@{version}")])
        .env("GOPROXY", proxy.url())
        .env("GOMODCACHE", &cache)
        .env("GOFLAGS", "-modcacherw")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "go mod download: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    format!(
        "{module} {version} {}\n{module} {version}/go.mod {}\n",
        json["Sum"].as_str().unwrap(),
        json["GoModSum"].as_str().unwrap()
    )
}
