//! Supervisor mode: what a container's PID 1 owes the processes below it.
//!
//! The kernel gives PID 1 no default signal actions, so an application
//! running as PID 1 shrugs off a SIGTERM it has no handler for; and every
//! orphan in the container is re-parented to PID 1, which must wait for it
//! or it stays a zombie. So, in the manner of tini and dumb-init:
//!
//! 1. block every signal, so none is acted on, and none is lost: each waits
//!    in the queue until `sigtimedwait` takes it;
//! 2. fork; the child restores the signal mask and default dispositions,
//!    becomes the leader of a new session and process group (so the whole
//!    group can be signalled, and a terminal's job control leaves it alone),
//!    and execs the application;
//! 3. loop: reap every child that has exited (orphans included), forward
//!    every other signal to the application's process group;
//! 4. when the application exits, SIGTERM what is left of its group,
//!    SIGKILL after the grace period, and exit with its status.
//!
//! Whether `execve` worked comes back through a close-on-exec pipe: it
//! closes without a word when the exec succeeds, and carries the `errno`
//! when it fails, so the parent can say what went wrong, and exit 126/127.

use std::time::{Duration, Instant};

use nix::libc;

use crate::errors::{self, warn, Error, Warning};
use crate::exec::Prepared;
use crate::{signals, terminal};
use s2i_common::signals::name as signal_name;

/// The supervisor's settings (from [`crate::cli::Config`]).
pub struct Settings {
    pub signal_group: bool,
    pub stop_signal: i32,
    pub grace: Duration,
    pub verbose: bool,
    /// Exit statuses to replace: (from, to).
    pub exit_remap: Vec<(i32, i32)>,
}

/// How long `sigtimedwait` waits before the loop looks around again (a
/// missed SIGCHLD can only delay a reaping by this much).
const TICK: Duration = Duration::from_secs(1);

/// After SIGKILL, how long to wait for the group to be reaped before giving up.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// Runs the program under supervision; returns the exit status to exit with.
pub fn run(program: &Prepared, settings: &Settings) -> Result<i32, Error> {
    let is_pid1 = std::process::id() == 1;
    let all_signals = signals::full_set();
    let child_mask = signals::block_all();
    // An inherited "ignore SIGCHLD" would have the kernel reap children
    // itself, and take their exit status with it.
    // SAFETY: resetting a disposition to its default.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    if !is_pid1 {
        // Orphans go to the nearest subreaper, rather than to the real PID 1.
        // SAFETY: plain prctl(2) call.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
            warn(Warning::NotSubreaper {
                reason: errors::last_errno_text(),
            });
        }
    }

    let terminal = terminal::ours();
    let child = spawn(program, &child_mask, terminal)?;
    if terminal && settings.verbose {
        eprintln!("s2i-run: the terminal's foreground process group is now {child}'s");
    }
    let supervisor = Supervisor {
        terminal,
        child,
        settings,
        is_pid1,
        all_signals,
    };
    if settings.verbose {
        eprintln!("s2i-run: started {} as pid {child}", program.path.display());
    }
    Ok(supervisor.run())
}

/// Forks the child, which execs `program`; waits for the exec to succeed or fail.
/// With `terminal`, the child gets a process group of its own in this
/// session and the terminal's foreground; without, a session of its own.
fn spawn(
    program: &Prepared,
    child_mask: &libc::sigset_t,
    terminal: bool,
) -> Result<libc::pid_t, Error> {
    let mut pipe = [0 as libc::c_int; 2];
    // SAFETY: pipe2(2) on a two-element array.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::Pipe {
            reason: errors::last_errno_text(),
        });
    }
    let [read_end, write_end] = pipe;
    // SAFETY: the supervisor has no other thread; the child below only makes
    // async-signal-safe calls before execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::Fork {
            reason: errors::last_errno_text(),
        });
    }
    if pid == 0 {
        // SAFETY (the whole block): async-signal-safe system calls only.
        unsafe {
            libc::close(read_end);
            if terminal {
                // Every signal is still blocked, SIGTTOU included, so that
                // taking the terminal from the background is allowed.
                libc::setpgid(0, 0);
                terminal::give_to(libc::getpid());
            } else {
                libc::setsid();
            }
            signals::restore_for_child(child_mask);
            let errno = program.execve();
            let bytes = errno.to_ne_bytes();
            libc::write(write_end, bytes.as_ptr().cast(), bytes.len());
            let status = if errno == libc::ENOENT {
                errors::NOT_FOUND
            } else {
                errors::NOT_EXECUTABLE
            };
            libc::_exit(status);
        }
    }
    if terminal {
        // Also here, so that the group exists before any signal is sent to
        // it (an error only means the child got there first).
        // SAFETY: setpgid(2) on our own child.
        unsafe { libc::setpgid(pid, pid) };
    }
    // SAFETY: closing our copy of the write end, reading 4 bytes into a buffer.
    let (got, errno) = unsafe {
        libc::close(write_end);
        let mut bytes = [0u8; 4];
        let mut got;
        loop {
            got = libc::read(read_end, bytes.as_mut_ptr().cast(), bytes.len());
            if got >= 0 || errors::last_errno() != libc::EINTR {
                break;
            }
        }
        libc::close(read_end);
        (got, i32::from_ne_bytes(bytes))
    };
    if got == 4 {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        return Err(program.exec_failure(errno));
    }
    Ok(pid)
}

struct Supervisor<'a> {
    /// Whether the child has the terminal's foreground (see [`terminal`]).
    terminal: bool,
    child: libc::pid_t,
    settings: &'a Settings,
    is_pid1: bool,
    all_signals: libc::sigset_t,
}

impl Supervisor<'_> {
    fn run(&self) -> i32 {
        let status = loop {
            if let Some(status) = self.reap() {
                break status;
            }
            if let Some(signal) = signals::wait_for(&self.all_signals, TICK) {
                self.handle(signal);
            }
        };
        if self.settings.verbose {
            eprintln!(
                "s2i-run: pid {} (the program) exited; exit status {status}",
                self.child
            );
        }
        if self.terminal {
            // What is left of its group must not keep the terminal.
            // SAFETY: getpgrp(2) cannot fail.
            terminal::give_to(unsafe { libc::getpgrp() });
        }
        self.finish_group();
        self.remap(status)
    }

    /// The status to exit with: `S2I_RUN_EXIT_REMAP`'s replacement, if any.
    fn remap(&self, status: i32) -> i32 {
        match self
            .settings
            .exit_remap
            .iter()
            .find(|&&(from, _)| from == status)
        {
            Some(&(_, to)) => {
                if self.settings.verbose {
                    eprintln!("s2i-run: exit status {status} remapped to {to}");
                }
                to
            }
            None => status,
        }
    }

    /// Waits for every child that has exited; the main child's exit status
    /// if it was one of them.
    fn reap(&self) -> Option<i32> {
        let mut main_status = None;
        loop {
            let mut raw = 0;
            // SAFETY: waitpid(2) with a valid status pointer.
            let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG | self.untraced()) };
            if pid <= 0 {
                // 0: children left, none exited; -1: ECHILD, no children.
                return main_status;
            }
            if libc::WIFSTOPPED(raw) {
                if pid == self.child {
                    self.child_stopped();
                }
                continue;
            }
            let status = if libc::WIFSIGNALED(raw) {
                128 + libc::WTERMSIG(raw)
            } else {
                libc::WEXITSTATUS(raw)
            };
            if self.settings.verbose {
                eprintln!("s2i-run: reaped pid {pid} ({})", describe_status(raw));
            }
            if pid == self.child {
                main_status = Some(status);
            }
        }
    }

    /// With the terminal handed over, stopped children are reported too.
    fn untraced(&self) -> libc::c_int {
        if self.terminal {
            libc::WUNTRACED
        } else {
            0
        }
    }

    /// The program stopped (Ctrl-Z at the terminal): take the terminal back
    /// and, when not PID 1, stop along with it, so that the shell that
    /// started s2i-run sees its job stopped; when continued, hand the
    /// terminal back and continue the program.
    fn child_stopped(&self) {
        // SAFETY: getsid(2), getpid(2) and getpgrp(2) cannot fail here.
        let (session_leader, group) =
            unsafe { (libc::getsid(0) == libc::getpid(), libc::getpgrp()) };
        // PID 1 cannot be stopped, and a session leader has no shell above
        // it to continue it: the program stays stopped with the terminal.
        if self.is_pid1 || session_leader {
            return;
        }
        terminal::give_to(group);
        // SAFETY: kill(2) on ourselves.
        unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
        self.handle(libc::SIGCONT);
    }

    /// Passes a signal on: SIGCHLD only means "time to reap"; SIGTERM may be
    /// rewritten; the job-control stops become SIGSTOP.
    fn handle(&self, signal: i32) {
        if signal == libc::SIGCHLD {
            return;
        }
        // The application's group is in a session with no job control (no
        // shell of its own), where the kernel discards the terminal stop
        // signals; SIGSTOP is what stops it, as dumb-init does.
        let job_control = matches!(signal, libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU);
        if signal == libc::SIGCONT && self.terminal && terminal::is_foreground() {
            // Continued in the foreground (`fg`): the program gets the terminal.
            terminal::give_to(self.child);
        }
        let delivered = match signal {
            libc::SIGTERM => self.settings.stop_signal,
            _ if job_control => libc::SIGSTOP,
            other => other,
        };
        self.send(delivered, signal);
        if job_control && !self.is_pid1 {
            // Stop along with the application, so the shell that sent the
            // stop sees its job stopped; its SIGCONT is forwarded in turn.
            // (PID 1 cannot be stopped, so it does not try.)
            // SAFETY: kill(2) on ourselves.
            unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
        }
    }

    fn send(&self, delivered: i32, received: i32) {
        let (target, whom) = if self.settings.signal_group {
            (-self.child, "process group")
        } else {
            (self.child, "pid")
        };
        // SAFETY: kill(2).
        let result = unsafe { libc::kill(target, delivered) };
        if self.settings.verbose {
            let as_what = if delivered == received {
                String::new()
            } else {
                format!(" as {}", signal_name(delivered))
            };
            let outcome = if result == 0 {
                String::new()
            } else {
                format!(": {}", errors::last_errno_text())
            };
            eprintln!(
                "s2i-run: forwarded {}{as_what} to {whom} {}{outcome}",
                signal_name(received),
                self.child
            );
        }
    }

    /// The application has exited: SIGTERM what is left of its process
    /// group, SIGKILL after the grace period, reaping all the while.
    fn finish_group(&self) {
        if !self.group_alive() {
            return;
        }
        self.signal_group(libc::SIGTERM);
        let now = Instant::now();
        // A grace period too long to add to the clock is as good as forever.
        let mut deadline = now
            .checked_add(self.settings.grace)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        let mut killed = false;
        loop {
            self.reap();
            if !self.group_alive() {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                if killed {
                    warn(Warning::GroupOutlivedKill { group: self.child });
                    return;
                }
                self.signal_group(libc::SIGKILL);
                killed = true;
                deadline = now + KILL_WAIT;
                continue;
            }
            // Signals still arrive (a second Ctrl-C, say): pass them on.
            if let Some(signal) = signals::wait_for(&self.all_signals, (deadline - now).min(TICK)) {
                self.handle(signal);
            }
        }
    }

    fn signal_group(&self, signal: i32) {
        if self.settings.verbose {
            eprintln!(
                "s2i-run: sending {} to what is left of process group {}",
                signal_name(signal),
                self.child
            );
        }
        // SAFETY: kill(2).
        unsafe { libc::kill(-self.child, signal) };
    }

    /// Whether any process (zombies included) is left in the application's group.
    fn group_alive(&self) -> bool {
        // SAFETY: kill(2) with signal 0 only checks.
        unsafe { libc::kill(-self.child, 0) == 0 || errors::last_errno() == libc::EPERM }
    }
}

fn describe_status(raw: libc::c_int) -> String {
    if libc::WIFSIGNALED(raw) {
        format!("killed by {}", signal_name(libc::WTERMSIG(raw)))
    } else {
        format!("exit code {}", libc::WEXITSTATUS(raw))
    }
}
