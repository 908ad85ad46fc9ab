//! Running `go build`: its output streamed as it comes, and SIGTERM/SIGINT
//! handled so that an interrupted build stops whole and leaves nothing.
//!
//! go runs in its own process group. A signal to s2i-assemble is passed to
//! that group as SIGTERM (go and every compile, link, cgo C compiler or
//! `-toolexec` wrapper it started), and s2i-assemble waits until the whole
//! group is gone, not only go: go has no handler for SIGTERM and dies at
//! once, while what it started may take a moment to stop. What is still
//! there after the grace period ([`GRACE`]) gets SIGKILL. The group's
//! orphans come to s2i-assemble (a child subreaper), which reaps them, so
//! that it never exits while a process of its build runs on; then it exits
//! 128+N without installing anything. go's temporary work directory is in
//! the work area (GOTMPDIR, see `plan::go_env`), which goes however the run
//! ends: go itself removes it only when it ends normally.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::errors::Error;
use crate::gofailure;
use crate::plan::BuildPlan;
use crate::redact;

/// How long go's process group has between SIGTERM and SIGKILL. Go's
/// compile, asm and link have no handler and die at once; the grace is for
/// what cleans up on SIGTERM: a C compiler of cgo removing its temporary
/// files, a `-toolexec` wrapper, git during a download. That takes well
/// under a second; two leave room on a busy machine, and keep the whole
/// stop (grace, then removing the work area) well inside `docker stop`'s
/// 10 seconds and Kubernetes' 30, so that s2i-assemble itself is not
/// killed before it has cleaned up.
const GRACE: Duration = Duration::from_secs(2);
/// How long what got SIGKILL may take to be gone (it may be stuck in the
/// kernel, on a hung network file system) before s2i-assemble stops
/// waiting for it and exits.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// The signals that stop the build, and the go process group to pass them to.
#[derive(Clone)]
pub struct Interrupt {
    signal: Arc<AtomicI32>,
    child_group: Arc<AtomicI32>,
}

impl Interrupt {
    /// Takes over SIGTERM and SIGINT for the rest of the process's life.
    pub fn install() -> std::io::Result<Interrupt> {
        let interrupt = Interrupt {
            signal: Arc::new(AtomicI32::new(0)),
            child_group: Arc::new(AtomicI32::new(0)),
        };
        let mut signals = Signals::new([SIGTERM, SIGINT])?;
        // What go's process group leaves behind when go dies comes to us,
        // to be waited for (see wait_for_group). Without it (an old
        // kernel), init reaps them and the wait still sees them go.
        let _ = nix::sys::prctl::set_child_subreaper(true);
        let shared = interrupt.clone();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                shared
                    .signal
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .ok();
                shared.stop_child();
            }
        });
        let _ = CURRENT.set(interrupt.clone());
        Ok(interrupt)
    }

    /// The one [`install`](Interrupt::install)ed, for the quick go commands
    /// (`gotool::output`), which may wait on a download as long as a build.
    pub fn current() -> Option<&'static Interrupt> {
        CURRENT.get()
    }

    /// Passes a signal to `child`'s process group (its own: `process_group(0)`)
    /// until the guard is dropped; once the child has been waited for, the
    /// guard's drop waits for the rest of a stopped group.
    pub fn watch(&self, child: u32) -> Watching<'_> {
        self.child_group.store(child as i32, Ordering::SeqCst);
        // A signal that came before: stop it now.
        if self.check().is_err() {
            self.stop_child();
        }
        Watching(self)
    }

    /// Err(Interrupted) once a signal has arrived.
    pub fn check(&self) -> Result<(), Error> {
        match self.signal.load(Ordering::SeqCst) {
            0 => Ok(()),
            signal => Err(Error::Interrupted { signal }),
        }
    }

    /// SIGTERM to go's group now, SIGKILL after the grace period if it is
    /// still the running group.
    fn stop_child(&self) {
        let group = self.child_group.load(Ordering::SeqCst);
        if group <= 0 {
            return;
        }
        let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        let child_group = Arc::clone(&self.child_group);
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            if child_group.load(Ordering::SeqCst) == group {
                let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
            }
        });
    }
}

static CURRENT: std::sync::OnceLock<Interrupt> = std::sync::OnceLock::new();

/// See [`Interrupt::watch`].
pub struct Watching<'a>(&'a Interrupt);

impl Drop for Watching<'_> {
    fn drop(&mut self) {
        let group = self.0.child_group.load(Ordering::SeqCst);
        if group > 0 && self.0.check().is_err() {
            // The child is gone; what it started gets the rest of the
            // grace period (the timer of `stop_child` sends SIGKILL).
            wait_for_group(group);
        }
        self.0.child_group.store(0, Ordering::SeqCst);
    }
}

/// Waits until the process group `group` is gone after a stop, reaping its
/// members that came to s2i-assemble as orphans; gives up [`KILL_WAIT`]
/// after the SIGKILL at the end of the grace period.
fn wait_for_group(group: i32) {
    let give_up = Instant::now() + GRACE + KILL_WAIT;
    loop {
        // Only this group's: other children are waited for by their owners.
        while matches!(
            waitpid(Pid::from_raw(-group), Some(WaitPidFlag::WNOHANG)),
            Ok(status) if status != WaitStatus::StillAlive
        ) {}
        if killpg(Pid::from_raw(group), None) == Err(Errno::ESRCH) || Instant::now() >= give_up {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the plan's `go build`, streaming go's output, and returns when it
/// has finished, failed, or been stopped by a signal.
pub fn go_build(plan: &BuildPlan, interrupt: &Interrupt) -> Result<(), Error> {
    interrupt.check()?;
    let mut child = Command::new(&plan.go)
        .args(&plan.go_args)
        .current_dir(&plan.build_dir)
        .env_clear()
        .envs(&plan.env)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::GoCommand {
            command: "go build".into(),
            detail: format!("cannot start {}: {e}", plan.go.display()),
        })?;
    let watching = interrupt.watch(child.id());

    // go's messages go on to our stderr line by line, and are kept to
    // recognise what failed.
    let stderr = child.stderr.take().expect("stderr is piped");
    // A guessed root that is not main: what happens next says so better.
    let hidden: &[u8] = if plan.root_guessed {
        b"go: no main packages to build\n"
    } else {
        b""
    };
    let relay = std::thread::spawn(move || {
        let mut kept = String::new();
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        let mut out = std::io::stderr();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            if line != hidden {
                // go's and git's words may name a URL with credentials.
                let text = String::from_utf8_lossy(&line);
                let _ = match redact::text(&text) {
                    std::borrow::Cow::Borrowed(_) => out.write_all(&line),
                    std::borrow::Cow::Owned(masked) => out.write_all(masked.as_bytes()),
                };
            }
            if kept.len() < 1 << 20 {
                kept.push_str(&String::from_utf8_lossy(&line));
            }
            line.clear();
        }
        kept
    });
    let status = child.wait();
    // After a stop, until the whole group is gone.
    drop(watching);
    let messages = relay.join().unwrap_or_default();
    interrupt.check()?;
    let status = status.map_err(|e| Error::GoCommand {
        command: "go build".into(),
        detail: e.to_string(),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(gofailure::build_error(plan, &status.to_string(), &messages))
    }
}
