//! Running the real `s2i-assemble` against copies of the fixture apps, with
//! a hermetic, offline Go, and reading what it did.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use s2i_tests::go::{self, Go};

/// One test's world: a Go, a temporary folder with the source copy and the
/// application root.
pub struct Case {
    pub go: Go,
    pub tmp: tempfile::TempDir,
    pub src: PathBuf,
    pub app_root: PathBuf,
    pub envs: Vec<(String, String)>,
}

impl Case {
    /// A copy of fixture `name` (or an empty source when `name` is empty).
    pub fn new(test: &str, name: &str) -> Option<Case> {
        let go = go::require_go(test)?;
        Some(Case::with_go(go, name))
    }

    pub fn with_go(go: Go, name: &str) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let src = if name.is_empty() {
            let src = tmp.path().join("src");
            std::fs::create_dir(&src).unwrap();
            src
        } else {
            go::copy_fixture(name, tmp.path())
        };
        let app_root = tmp.path().join("app");
        Case {
            go,
            tmp,
            src,
            app_root,
            envs: Vec::new(),
        }
    }

    /// Writes `text` to the file `rel` of the sources, its directories made.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn env(mut self, name: &str, value: &str) -> Case {
        self.envs.push((name.to_string(), value.to_string()));
        self
    }

    /// `s2i-assemble --src SRC --app-root APP ARGS...` with the hermetic Go.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("APP_ROOT")
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(&self.app_root)
            .arg("--artifacts")
            .arg(self.tmp.path().join("artifacts"))
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)));
        command
    }

    pub fn assemble(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("s2i-assemble starts")
    }

    /// Assembles and panics unless it succeeds; returns stdout.
    pub fn assemble_ok(&self) -> String {
        let out = self.assemble(&[]);
        assert!(
            out.status.success(),
            "s2i-assemble failed:\n{}",
            self.redact(&all(&out))
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Assembles, expects exit code 1, returns s2i-assemble's own last
    /// line (redacted) and the whole stderr.
    pub fn assemble_fails(&self) -> (String, String) {
        let out = self.assemble(&[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "expected a failure:\n{}",
            all(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let last = stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("s2i-assemble: "))
            .unwrap_or("")
            .to_string();
        (self.redact(&last), stderr)
    }

    /// The dry-run plan, redacted.
    pub fn plan(&self) -> String {
        let out = self.assemble(&["--dry-run"]);
        assert!(out.status.success(), "--dry-run failed:\n{}", all(&out));
        assert!(
            !self.app_root.exists(),
            "--dry-run wrote the application root"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let plan = &stdout[stdout.find("Build plan").expect("a plan")..];
        self.redact(plan)
    }

    /// Runs an installed binary (relative to the app root) in `$APP_ROOT/src`
    /// as s2i-run would, and returns its stdout.
    pub fn run(&self, binary: &str) -> String {
        let out = Command::new(self.app_root.join(binary))
            .current_dir(self.app_root.join("src"))
            .env_clear()
            .output()
            .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
        assert!(out.status.success(), "{binary} failed: {}", all(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The run manifest, as text.
    pub fn manifest(&self) -> String {
        std::fs::read_to_string(self.app_root.join("s2i-run.toml")).expect("a run manifest")
    }

    /// Paths of this machine and run replaced by stable names, times and
    /// sizes by placeholders.
    pub fn redact(&self, text: &str) -> String {
        let mut pairs: Vec<(String, String)> = vec![
            (
                self.go.dirs.gocache.display().to_string(),
                "[GOCACHE]".into(),
            ),
            (
                self.go.dirs.gomodcache.display().to_string(),
                "[GOMODCACHE]".into(),
            ),
            (self.go.dirs.gopath.display().to_string(), "[GOPATH]".into()),
            (self.go.dirs.home.display().to_string(), "[HOME]".into()),
            (self.tmp.path().display().to_string(), "[TMP]".into()),
            // As go prints paths when it runs from `/` (`go work edit`).
            (
                self.tmp.path().display().to_string()[1..].to_string(),
                "[TMP]".into(),
            ),
            (self.go.bin.display().to_string(), "[GO]".into()),
            (
                std::env::temp_dir()
                    .join(".s2i-assemble.")
                    .display()
                    .to_string(),
                "[SYSTEMP]/.s2i-assemble.".into(),
            ),
            (format!("go{}", self.go.version), "go[VERSION]".into()),
            (format!("go {}", self.go.version), "go [VERSION]".into()),
            (
                format!("go {}\\n", major_minor(&self.go.version)),
                "go [VERSION]\\n".into(),
            ),
        ];
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let mut text = text.to_string();
        for (from, to) in pairs {
            text = text.replace(&from, &to);
        }
        redact_numbers(&text)
    }
}

/// "1.27" of "1.27.3".
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// stdout and stderr, for failure messages.
pub use s2i_tests::output_text as all;

/// `.s2i-assemble.1234` -> `.s2i-assemble.[PID]`,
/// `.s2i-assemble.dry-run.Ab3xYz` (a tempfile name) ->
/// `.s2i-assemble.dry-run.[RANDOM]`, `(0.25s)` -> `([TIME])`.
fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(".s2i-assemble.dry-run.") {
            let random = after
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .count();
            if random > 0 {
                out.push_str(".s2i-assemble.dry-run.[RANDOM]");
                rest = &after[random..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix(".s2i-assemble.") {
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            let dry = if after.starts_with("dry-run.") {
                "dry-run.".len()
            } else {
                0
            };
            let digits_after = after[dry..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            if digits > 0 || digits_after > 0 {
                out.push_str(".s2i-assemble.");
                out.push_str(&after[..dry]);
                out.push_str("[PID]");
                rest = &after[dry + digits_after.max(digits)..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('(') {
            let number = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .count();
            if number > 0 && after[number..].starts_with("s)") {
                out.push_str("([TIME])");
                rest = &after[number + 2..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Every path under `root` (the installed files), relative.
pub fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    collect(root, root, &mut out);
    out.sort();
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        if rel == ".cache" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            out.push(format!("{rel}/"));
            collect(root, &entry.path(), out);
        } else {
            out.push(rel);
        }
    }
}

impl Case {
    /// Assembles with stdout and stderr into one file, as a build log shows
    /// them (s2i-assemble writes both in order), and returns the exit code
    /// and that log, redacted (loopback ports too).
    pub fn assemble_log(&self, args: &[&str]) -> (Option<i32>, String) {
        use std::io::{Read, Seek};
        let mut log = tempfile::tempfile().unwrap();
        let status = self
            .command(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log.try_clone().unwrap())
            .status()
            .expect("s2i-assemble starts");
        log.rewind().unwrap();
        let mut text = String::new();
        log.read_to_string(&mut text).unwrap();
        (status.code(), redact_ports(&self.redact(&text)))
    }
}

/// `127.0.0.1:41234` -> `127.0.0.1:[PORT]`.
pub fn redact_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (before, after) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(before);
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        out.push_str(if digits > 0 { "[PORT]" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// An HTTP server on 127.0.0.1 that answers every request with one status
/// (`401 Unauthorized`) and body: a module proxy or git host that refuses.
/// It serves until the test process ends.
pub struct RefusingServer {
    pub port: u16,
}

impl RefusingServer {
    pub fn start(status: &'static str, body: &'static str) -> RefusingServer {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                // The request line and headers, up to the empty line.
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                let mut stream = &stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nWWW-Authenticate: Basic realm=\"private\"\r\n\
                     Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        RefusingServer { port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Every file under `root` with its bytes, to compare a tree before and after.
pub fn contents(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        let bytes = if entry.file_type().is_file() {
            std::fs::read(entry.path()).unwrap()
        } else {
            Vec::new()
        };
        files.push((rel, bytes));
    }
    files
}
