//! What the program is handed by s2i-run, in both modes: the signal
//! dispositions and the signal mask s2i-run itself was started with, not
//! those Rust's runtime or the supervisor set for themselves.

mod support;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use support::*;

/// A program that prints its own ignored and blocked signal sets (grep,
/// not a shell: a shell may block signals of its own while it waits).
const SHOW_SIGNALS: [&str; 4] = ["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"];

fn stdout_of(command: Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_program_gets_the_signal_dispositions_and_mask_s2i_run_got_in_both_modes() {
    let mut direct = Command::new(SHOW_SIGNALS[0]);
    direct.args(&SHOW_SIGNALS[1..]);
    let expected = stdout_of(direct);
    assert!(expected.contains("SigIgn:"), "{expected}");
    for init in ["never", "always"] {
        let mut command = s2i_run(&["--"]);
        command.args(SHOW_SIGNALS);
        command.env("S2I_RUN_INIT", init);
        let expected = match init {
            "never" => expected.clone(),
            // The supervisor starts the program with every signal at its
            // default (README: an ignore inherited from whatever started
            // the container included, as `nohup` leaves SIGHUP); only the C
            // library's own signals (32 to 34) cannot be reset.
            _ => with_ignored(&expected, |ignored| ignored & (0b111 << 31)),
        };
        assert_eq!(
            stdout_of(command),
            expected,
            "S2I_RUN_INIT={init}: the program's ignored or blocked signals are not as README says"
        );
    }
}

/// `status` (SigBlk and SigIgn lines) with its SigIgn mask changed by `change`.
fn with_ignored(status: &str, change: impl Fn(u64) -> u64) -> String {
    status
        .lines()
        .map(|line| match line.strip_prefix("SigIgn:\t") {
            Some(hex) => {
                let ignored = u64::from_str_radix(hex, 16).expect("SigIgn is hex");
                format!("SigIgn:\t{:016x}\n", change(ignored))
            }
            None => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn exec_mode_keeps_the_signals_ignored_when_s2i_run_started() {
    // As `nohup` would: SIGHUP and SIGPIPE ignored before s2i-run starts.
    let mut direct = Command::new("sh");
    direct
        .args(["-c", "trap '' HUP PIPE; exec \"$@\"", "sh"])
        .args(SHOW_SIGNALS);
    let expected = stdout_of(direct);
    let ignored = expected
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .unwrap_or_else(|| panic!("no SigIgn in {expected:?}"));
    assert_eq!(ignored & 0x1001, 0x1001, "the shell ignores HUP and PIPE");
    let mut command = Command::new("sh");
    command
        .args(["-c", "trap '' HUP PIPE; exec \"$@\"", "sh", BIN, "--"])
        .args(SHOW_SIGNALS)
        .env("S2I_RUN_INIT", "never");
    assert_eq!(stdout_of(command), expected);
}

#[test]
fn a_program_writing_to_a_closed_pipe_dies_of_sigpipe_quietly_in_both_modes() {
    for init in ["never", "always"] {
        // `s2i-run -- yes | head -c 2`
        let mut command = s2i_run(&["--", "yes"]);
        command
            .env("S2I_RUN_INIT", init)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut running = Running::spawn(command);
        let mut head = [0u8; 2];
        let mut stdout = running.child.stdout.take().unwrap();
        stdout.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"y\n");
        drop(stdout);
        let output = running.output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr, "", "S2I_RUN_INIT={init}: yes complained");
        match init {
            // The program is s2i-run's own process: it dies of the signal.
            "never" => assert_eq!(output.status.signal(), Some(13), "{:?}", output.status),
            // The supervisor passes the death on as 128 + 13.
            _ => assert_eq!(output.status.code(), Some(141), "{:?}", output.status),
        }
    }
}
