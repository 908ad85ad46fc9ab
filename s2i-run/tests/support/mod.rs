//! What the s2i-run tests share: starting s2i-run (as a real PID 1 in a new
//! PID namespace, or as a plain child), reading /proc, and waiting for a
//! condition with a bounded timeout instead of sleeping a fixed time.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any single condition may take before the test fails. Generous:
/// two cores shared with other builds.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub const BIN: &str = env!("CARGO_BIN_EXE_s2i-run");

/// `s2i-run ARGS` with a clean slate: no `S2I_RUN_*`, no `APP_ARGS`, and an
/// `APP_ROOT` that does not exist (tests that want one set it).
pub fn s2i_run(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    clean_env(&mut command);
    command
}

fn clean_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("S2I_RUN_") || name == "APP_ARGS" {
            command.env_remove(&*name);
        }
    }
    command.env("APP_ROOT", "/nonexistent/app-root");
}

/// `unshare --pid --fork --mount-proc s2i-run ARGS`: s2i-run as PID 1 of a
/// new PID namespace. `None` (after a loud skip) where that is impossible.
pub fn s2i_run_as_pid1(test: &str, args: &[&str]) -> Option<Command> {
    s2i_run_as_pid1_from(Path::new(BIN), test, args)
}

/// [`s2i_run_as_pid1`] with another build of s2i-run (dist/, say).
pub fn s2i_run_as_pid1_from(bin: &Path, test: &str, args: &[&str]) -> Option<Command> {
    s2i_tests::require_root(test)?;
    s2i_tests::require_tool("unshare", test)?;
    let mut command = Command::new("unshare");
    command
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(bin)
        .args(args);
    clean_env(&mut command);
    Some(command)
}

/// A temporary directory for a test's scripts and marker files.
pub fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Polls `condition` until it holds; panics with `what` after [`PATIENCE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The lines of a file, or none if it does not exist yet.
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A running s2i-run and the pid (in this namespace) of s2i-run itself.
pub struct Running {
    pub child: Child,
    pub supervisor: i32,
    in_namespace: bool,
    done: bool,
}

impl Running {
    /// Starts `command` and finds s2i-run's pid: the child itself, or, when
    /// the command is `unshare`, unshare's child.
    pub fn start(command: Command) -> Running {
        let mut running = Running::spawn(command);
        if running.in_namespace {
            let unshare = running.supervisor;
            wait_until("unshare has started s2i-run", || {
                children(unshare)
                    .into_iter()
                    .find(|&pid| exe_is_s2i_run(pid))
                    .map(|pid| running.supervisor = pid)
                    .is_some()
            });
        }
        running
    }

    /// Starts `command` without looking for s2i-run's pid (it may be gone
    /// before it could be seen).
    pub fn spawn(mut command: Command) -> Running {
        command.stdin(Stdio::null());
        Running::spawn_as_is(command)
    }

    /// [`Running::spawn`] with the command's own stdin.
    pub fn spawn_as_is(mut command: Command) -> Running {
        let in_namespace = Path::new(command.get_program()) == Path::new("unshare");
        let child = command.spawn().expect("s2i-run starts");
        let supervisor = child.id() as i32;
        Running {
            child,
            supervisor,
            in_namespace,
            done: false,
        }
    }

    /// Sends `signal` to s2i-run.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2).
        let result = unsafe { nix::libc::kill(self.supervisor, signal) };
        assert_eq!(result, 0, "kill({}, {signal})", self.supervisor);
    }

    /// Waits for s2i-run (or unshare around it) to exit, within [`PATIENCE`].
    pub fn wait(mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.done = true;
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("s2i-run did not exit in time");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Like [`Running::wait`], with everything it wrote.
    pub fn output(mut self) -> Output {
        self.done = true;
        let deadline = Instant::now() + PATIENCE;
        let pid = self.child.id() as i32;
        let watchdog = std::thread::spawn(move || {
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                if !matches!(stat(pid), Some(s) if s.state != 'Z') {
                    return;
                }
            }
            // SAFETY: kill(2) on the child we started.
            unsafe { nix::libc::kill(pid, nix::libc::SIGKILL) };
        });
        // wait_with_output takes the child: leave a stand-in behind for Drop.
        let child = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        let output = child.wait_with_output().expect("wait_with_output");
        let _ = watchdog.join();
        output
    }
}

/// A test that fails half-way must not leave its processes behind (they
/// would hold cargo's output pipe open): kill s2i-run's whole tree.
impl Drop for Running {
    fn drop(&mut self) {
        if self.done {
            let _ = self.child.wait();
            return;
        }
        let mut tree = vec![self.child.id() as i32];
        let mut i = 0;
        while i < tree.len() {
            let kids = children(tree[i]);
            tree.extend(kids);
            i += 1;
        }
        for pid in tree.iter().rev() {
            // SAFETY: kill(2) on processes this test started.
            unsafe { nix::libc::kill(*pid, nix::libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// Runs `command` to the end, with a deadline.
pub fn run(mut command: Command) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    Running::spawn(command).output()
}

fn exe_is_s2i_run(pid: i32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .is_ok_and(|exe| exe.file_name() == Path::new(BIN).file_name())
}

/// What /proc/PID/stat says about a process.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub state: char,
    pub ppid: i32,
}

pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(Stat { state, ppid })
}

/// The processes whose parent is `parent`.
pub fn children(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|s| s.ppid == parent))
        .collect()
}

/// Whether a process still runs (not gone, not a zombie).
pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

/// An executable file `name` in `dir` with `contents`.
/// Starts `command` (a supervisor over a trapping child that records each
/// signal it gets as a line of `dir/got`, and touches `dir/ready` once its
/// traps are set), sends `signals` one at a time, and checks each arrives as
/// itself, in order. Returns the run, for the caller to end it.
pub fn deliver_each(mut command: Command, dir: &Path, signals: &[i32]) -> Running {
    let list: Vec<String> = signals.iter().map(|s| s.to_string()).collect();
    command.env("SIGNALS", list.join(" "));
    let running = Running::start(command);
    let got = dir.join("got");
    wait_until("the child has set its traps", || dir.join("ready").exists());
    for (count, signal) in signals.iter().enumerate() {
        running.signal(*signal);
        wait_until(&format!("the child has trapped signal {signal}"), || {
            lines(&got).len() > count
        });
        assert_eq!(
            lines(&got)[count],
            signal.to_string(),
            "signal {signal} arrived as another"
        );
    }
    assert_eq!(lines(&got), list);
    running
}

pub fn script(dir: &Path, name: &str, contents: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// stderr as text, with `dir` (a temporary directory) shown as `[DIR]`.
pub fn stderr_of(output: &Output, dir: &Path) -> String {
    String::from_utf8_lossy(&output.stderr).replace(&dir.display().to_string(), "[DIR]")
}
