//! Running `go build`: its output streamed as it comes, and SIGTERM/SIGINT
//! handled so that an interrupted build stops whole and leaves nothing.
//!
//! go runs in its own process group. A signal to s2i-assemble is passed to
//! that group (go and every compile/link it started), then, if they are not
//! gone after a grace period, the group is killed. s2i-assemble itself then
//! exits 128+N without installing anything.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::errors::Error;
use crate::gofailure;
use crate::plan::BuildPlan;
use crate::redact;

/// How long go gets to stop (and remove its temporary files) after SIGTERM.
const GRACE: Duration = Duration::from_secs(2);

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
    /// until the guard is dropped.
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
        self.0.child_group.store(0, Ordering::SeqCst);
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
    let group = child.id() as i32;
    interrupt.child_group.store(group, Ordering::SeqCst);
    // A signal that came between spawn and here found no group to stop.
    if interrupt.check().is_err() {
        interrupt.stop_child();
    }

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
    interrupt.child_group.store(0, Ordering::SeqCst);
    let messages = relay.join().unwrap_or_default();
    if let Err(error) = interrupt.check() {
        // Whatever of the group outlived go goes with it.
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        return Err(error);
    }
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
