//! Supervisor mode with a terminal: the program gets the terminal's
//! foreground, so it can read it (and /dev/tty), and Ctrl-C reaches it.
//! Through a pseudo-terminal that is s2i-run's controlling terminal, as
//! `podman run -it` gives PID 1.

mod support;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::sync::{Arc, Mutex};

use nix::libc;
use support::*;

/// s2i-run ARGS in supervisor mode, in a session of its own whose
/// controlling terminal is a new pseudo-terminal; the terminal's master
/// side, and everything the terminal showed so far (read all along).
fn under_a_terminal(args: &[&str]) -> (Running, File, Arc<Mutex<String>>) {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave: OwnedFd = pty.slave;
    let mut command = s2i_run(args);
    command
        .env("S2I_RUN_INIT", "always")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    // SAFETY: setsid(2) and ioctl(2) only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // The command held the terminal's slave side: gone with it.
    let running = Running::spawn_as_is(command);
    let master = File::from(pty.master);
    let shown = Arc::new(Mutex::new(String::new()));
    let mut reader = master.try_clone().unwrap();
    let sink = shown.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1024];
        // Ends with EIO once the last holder of the terminal is gone.
        while let Ok(n @ 1..) = reader.read(&mut buffer) {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    (running, master, shown)
}

fn wait_for_text(shown: &Mutex<String>, text: &str) {
    wait_until(&format!("the terminal shows {text:?}"), || {
        shown.lock().unwrap().contains(text)
    });
}

#[test]
fn a_program_reads_the_terminal_and_dev_tty_in_supervisor_mode() {
    let script = "IFS= read -r a; IFS= read -r b < /dev/tty; echo \"got:$a+$b\"; \
                  exec cat /proc/self/stat";
    let (running, mut master, shown) = under_a_terminal(&["--", "sh", "-c", script]);
    master.write_all(b"one\ntwo\n").unwrap();
    wait_for_text(&shown, "got:one+two");
    let supervisor = running.supervisor;
    assert_eq!(running.wait().code(), Some(0), "{}", shown.lock().unwrap());
    // The program's own process group, in s2i-run's session, is the
    // terminal's foreground one: stat's pgrp, session and tpgid fields.
    let text = shown.lock().unwrap().clone();
    let stat = text.lines().last().unwrap_or_default();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let (pgrp, session, tpgid) = (fields[2], fields[3], fields[5]);
    assert_eq!(session, supervisor.to_string(), "{stat}");
    assert_ne!(pgrp, supervisor.to_string(), "{stat}");
    assert_eq!(tpgid, pgrp, "{stat}");
}

#[test]
fn ctrl_c_at_the_terminal_ends_the_program_with_130() {
    let (running, mut master, shown) =
        under_a_terminal(&["--", "sh", "-c", "echo ready; exec sleep 30"]);
    wait_for_text(&shown, "ready");
    master.write_all(&[0x03]).unwrap(); // Ctrl-C
    assert_eq!(
        running.wait().code(),
        Some(130),
        "{}",
        shown.lock().unwrap()
    );
}

#[test]
fn without_a_terminal_the_program_has_a_session_of_its_own() {
    let mut command = s2i_run(&["--", "sh", "-c", "exec cat /proc/self/stat"]);
    command.env("S2I_RUN_INIT", "always");
    let running = Running::spawn({
        command.stdout(std::process::Stdio::piped());
        command
    });
    let supervisor = running.supervisor;
    let output = running.output();
    let stat = String::from_utf8_lossy(&output.stdout).into_owned();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    assert_ne!(fields[3], supervisor.to_string(), "{stat}");
}
