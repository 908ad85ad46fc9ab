//! Supervisor mode, as a real PID 1 (`unshare --pid --fork --mount-proc`) and
//! as a child subreaper (`S2I_RUN_INIT=always` under the test): exit codes,
//! signal forwarding, zombie reaping, the grace period, job control.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use nix::libc;
use support::*;

/// A child that records every signal it traps (by number) in `$1/got`,
/// says `$1/ready`, and runs until `$1/stop` exists.
const TRAPPER: &str = r#"
exec 2>/dev/null  # the shell's notes on children killed by signals
ulimit -c 0
for s in $SIGNALS; do trap "echo $s >> $1/got" $s; done
touch "$1/ready"
while [ ! -e "$1/stop" ]; do sleep 0.05; done
"#;

fn trapper_args(dir: &std::path::Path) -> Vec<String> {
    ["--", "sh", "-c", TRAPPER, "sh"]
        .iter()
        .map(|s| s.to_string())
        .chain([dir.display().to_string()])
        .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn exit_codes_0_to_255_come_back_unchanged_as_pid1() {
    for code in 0..=255 {
        let code_text = code.to_string();
        let Some(mut command) = s2i_run_as_pid1(
            "exit_codes_0_to_255_come_back_unchanged_as_pid1",
            &["--", "sh", "-c", "exit $1", "sh", &code_text],
        ) else {
            return;
        };
        let status = command.status().expect("unshare runs");
        assert_eq!(status.code(), Some(code), "exit {code}");
    }
}

const DEADLY: [(&str, i32); 6] = [
    ("TERM", libc::SIGTERM),
    ("INT", libc::SIGINT),
    ("HUP", libc::SIGHUP),
    ("QUIT", libc::SIGQUIT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
];

#[test]
fn death_by_signal_gives_128_plus_n_as_pid1() {
    for (name, number) in DEADLY {
        let Some(command) = s2i_run_as_pid1(
            "death_by_signal_gives_128_plus_n_as_pid1",
            &[
                "--",
                "sh",
                "-c",
                "ulimit -c 0; kill -s $1 $$; sleep 5",
                "sh",
                name,
            ],
        ) else {
            return;
        };
        let status = run(command).status;
        assert_eq!(status.code(), Some(128 + number), "killed by SIG{name}");
    }
}

#[test]
fn death_by_signal_gives_128_plus_n_as_subreaper() {
    for (name, number) in DEADLY {
        let mut command = s2i_run(&[
            "--",
            "sh",
            "-c",
            "ulimit -c 0; kill -s $1 $$; sleep 5",
            "sh",
            name,
        ]);
        command.env("S2I_RUN_INIT", "always");
        let status = run(command).status;
        assert_eq!(status.code(), Some(128 + number), "killed by SIG{name}");
    }
}

/// Every signal that can be caught, but the ones with their own rules:
/// CHLD (not forwarded) and the job-control stops (see `job_control_*`);
/// and 32 to 34, which glibc and musl keep for themselves (a shell cannot
/// trap them).
fn forwarded_signals() -> Vec<i32> {
    (1..=64)
        .filter(|s| !(32..=34).contains(s))
        .filter(|s| {
            ![
                libc::SIGKILL,
                libc::SIGSTOP,
                libc::SIGCHLD,
                libc::SIGTSTP,
                libc::SIGTTIN,
                libc::SIGTTOU,
            ]
            .contains(s)
        })
        .collect()
}

#[test]
fn every_catchable_signal_reaches_a_trapping_child_as_pid1() {
    let dir = workdir();
    let trapper = trapper_args(dir.path());
    let Some(command) = s2i_run_as_pid1(
        "every_catchable_signal_reaches_a_trapping_child_as_pid1",
        &args(&trapper),
    ) else {
        return;
    };
    let running = deliver_each(command, dir.path(), &forwarded_signals());
    std::fs::write(dir.path().join("stop"), "").unwrap();
    assert_eq!(running.wait().code(), Some(0));
}

#[test]
fn stop_signal_rewrites_sigterm() {
    let dir = workdir();
    let trapper = trapper_args(dir.path());
    let Some(mut command) = s2i_run_as_pid1("stop_signal_rewrites_sigterm", &args(&trapper)) else {
        return;
    };
    command
        .env("SIGNALS", "15 3")
        .env("S2I_RUN_STOP_SIGNAL", "QUIT");
    let running = Running::start(command);
    let got = dir.path().join("got");
    wait_until("the child has set its traps", || {
        dir.path().join("ready").exists()
    });
    running.signal(libc::SIGTERM);
    wait_until("the child has trapped a signal", || !lines(&got).is_empty());
    assert_eq!(lines(&got), ["3"], "SIGTERM must arrive as SIGQUIT");
    std::fs::write(dir.path().join("stop"), "").unwrap();
    assert_eq!(running.wait().code(), Some(0));
}

/// The main child and a grandchild in its process group both trap USR1;
/// on USR1 the main child sends USR2 to the grandchild. Once the grandchild
/// has its USR2, a USR1 sent to the group would have arrived before it.
const FAMILY: &str = r#"
exec 2>/dev/null  # the shell's notes on children killed by signals
(trap 'echo usr1 >> "$1/grandchild"' USR1
 trap 'echo usr2 >> "$1/grandchild"' USR2
 touch "$1/grandchild-ready"
 while [ ! -e "$1/stop" ]; do sleep 0.05; done) &
grandchild=$!
trap 'echo usr1 >> "$1/child"; kill -USR2 $grandchild' USR1
while [ ! -e "$1/grandchild-ready" ]; do sleep 0.02; done
touch "$1/ready"
while [ ! -e "$1/stop" ]; do sleep 0.05; done
wait
"#;

fn family_run(group: &str) -> Option<Vec<String>> {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let mut command = s2i_run_as_pid1(
        "signal_group_setting",
        &["--", "sh", "-c", FAMILY, "sh", &d],
    )?;
    command.env("S2I_RUN_SIGNAL_GROUP", group);
    let running = Running::start(command);
    let grandchild = dir.path().join("grandchild");
    wait_until("the family is ready", || dir.path().join("ready").exists());
    running.signal(libc::SIGUSR1);
    wait_until("the grandchild has its USR2", || {
        lines(&grandchild).contains(&"usr2".into())
    });
    std::fs::write(dir.path().join("stop"), "").unwrap();
    assert_eq!(running.wait().code(), Some(0));
    assert_eq!(lines(&dir.path().join("child")), ["usr1"]);
    Some(lines(&grandchild))
}

#[test]
fn signals_go_to_the_process_group_or_with_signal_group_0_to_the_child_alone() {
    let Some(grandchild) = family_run("1") else {
        return;
    };
    assert!(
        grandchild.contains(&"usr1".into()),
        "group: the grandchild gets USR1 too: {grandchild:?}"
    );
    let Some(grandchild) = family_run("0") else {
        return;
    };
    assert_eq!(
        grandchild,
        ["usr2"],
        "S2I_RUN_SIGNAL_GROUP=0: only the child gets USR1"
    );
}

/// The main child leaves five orphans (each in a subshell that exits at
/// once), which wait for `$1/go` and then exit: their parent is then
/// whoever adopted them, and only that one can reap them.
const ORPHANS: &str = r#"
exec 2>/dev/null  # the shell's notes on children killed by signals
for i in 1 2 3 4 5; do
  (sh -c 'while [ ! -e "$1/go" ]; do sleep 0.02; done' sh "$1" &)
done
touch "$1/ready"
while [ ! -e "$1/stop" ]; do sleep 0.05; done
"#;

fn orphans_are_reaped(mut command: Command, supervisor_pid: impl Fn(&Running) -> i32, dir: &Path) {
    let running = Running::start({
        command.env("S2I_RUN_INIT", "always");
        command
    });
    let supervisor = supervisor_pid(&running);
    wait_until("the child has left its orphans", || {
        dir.join("ready").exists()
    });
    // The main child plus five adopted orphans.
    wait_until("s2i-run has adopted the five orphans", || {
        children(supervisor).len() == 6
    });
    std::fs::write(dir.join("go"), "").unwrap();
    wait_until(
        "the orphans are reaped: s2i-run has one child and no zombie",
        || {
            let kids = children(supervisor);
            kids.len() == 1 && kids.iter().all(|&pid| alive(pid))
        },
    );
    std::fs::write(dir.join("stop"), "").unwrap();
    assert_eq!(running.wait().code(), Some(0));
}

#[test]
fn orphans_leave_no_zombie_as_pid1() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let Some(command) = s2i_run_as_pid1(
        "orphans_leave_no_zombie_as_pid1",
        &["--", "sh", "-c", ORPHANS, "sh", &d],
    ) else {
        return;
    };
    orphans_are_reaped(command, |r| r.supervisor, dir.path());
}

#[test]
fn orphans_leave_no_zombie_as_subreaper() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let command = s2i_run(&["--", "sh", "-c", ORPHANS, "sh", &d]);
    orphans_are_reaped(command, |r| r.supervisor, dir.path());
}

/// The main child starts a grandchild that ignores SIGTERM, then exits 7.
const LINGERING: &str = r#"
sh -c 'trap "" TERM; echo $$ > "$1/grandchild.pid"; while :; do sleep 0.05; done' sh "$1" &
while [ ! -s "$1/grandchild.pid" ]; do sleep 0.02; done
exit 7
"#;

#[test]
fn lingering_grandchild_is_killed_after_the_grace_period() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let mut command = s2i_run(&["-v", "--", "sh", "-c", LINGERING, "sh", &d]);
    command
        .env("S2I_RUN_INIT", "always")
        .env("S2I_RUN_GRACE", "1");
    let started = Instant::now();
    let output = run(command);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(7),
        "the main child's exit code; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("sending SIGTERM to what is left"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sending SIGKILL to what is left"),
        "{stderr}"
    );
    assert!(
        elapsed.as_secs_f64() >= 0.9,
        "SIGKILL came before the grace period: {elapsed:?}"
    );
    let grandchild: i32 = std::fs::read_to_string(dir.path().join("grandchild.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until("the grandchild is gone", || !alive(grandchild));
}

#[test]
fn lingering_grandchild_as_pid1_gets_sigterm_then_sigkill() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let Some(mut command) = s2i_run_as_pid1(
        "lingering_grandchild_as_pid1_gets_sigterm_then_sigkill",
        &["-v", "--", "sh", "-c", LINGERING, "sh", &d],
    ) else {
        return;
    };
    command.env("S2I_RUN_GRACE", "1");
    let started = Instant::now();
    let output = run(command);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "stderr:\n{stderr}");
    assert!(
        stderr.contains("sending SIGKILL to what is left"),
        "{stderr}"
    );
    // Gone before s2i-run itself (whose exit would end the namespace anyway).
    assert!(
        stderr.contains("(killed by SIGKILL)"),
        "the grandchild is reaped: {stderr}"
    );
    assert!(
        elapsed.as_secs_f64() >= 0.9,
        "SIGKILL came before the grace period: {elapsed:?}"
    );
}

/// The main child starts a grandchild that records SIGTERM and exits.
const POLITE: &str = r#"
sh -c 'trap "echo term > \"$1/grandchild\"; exit 0" TERM; touch "$1/grandchild.ready"; while :; do sleep 0.05; done' sh "$1" &
while [ ! -e "$1/grandchild.ready" ]; do sleep 0.02; done
exit 3
"#;

#[test]
fn what_is_left_of_the_group_gets_sigterm_when_the_child_exits() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let Some(mut command) = s2i_run_as_pid1(
        "what_is_left_of_the_group_gets_sigterm_when_the_child_exits",
        &["-v", "--", "sh", "-c", POLITE, "sh", &d],
    ) else {
        return;
    };
    command.env("S2I_RUN_GRACE", "30");
    let output = run(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stderr:\n{stderr}");
    assert_eq!(lines(&dir.path().join("grandchild")), ["term"]);
    assert!(
        !stderr.contains("SIGKILL"),
        "a grandchild that obeys SIGTERM is not killed: {stderr}"
    );
}

/// A program that never forks: the one process of its group is what
/// stops. (A shell loop that starts `sleep` is not: dash starts it with
/// vfork, and a shell waiting for a vfork child that SIGSTOP stopped
/// before its exec sits in state D, not T, until the child goes on, so a
/// test waiting for T waited for ever, now and then.)
const SLEEPER: &str = r#": > "$1/ready"; exec sleep 600"#;

fn state(pid: i32) -> char {
    stat(pid).map_or('?', |s| s.state)
}

#[test]
fn job_control_stops_child_and_itself_when_not_pid1() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let mut command = s2i_run(&["--", "sh", "-c", SLEEPER, "sh", &d]);
    command.env("S2I_RUN_INIT", "always");
    let running = Running::start(command);
    wait_until("the child is ready", || dir.path().join("ready").exists());
    let child = children(running.supervisor)[0];
    for stop in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        running.signal(stop);
        wait_until(&format!("signal {stop}: the child is stopped"), || {
            state(child) == 'T'
        });
        wait_until(&format!("signal {stop}: s2i-run is stopped"), || {
            state(running.supervisor) == 'T'
        });
        running.signal(libc::SIGCONT);
        wait_until("the child runs again", || state(child) != 'T');
        wait_until("s2i-run runs again", || state(running.supervisor) != 'T');
    }
    running.signal(libc::SIGTERM);
    assert_eq!(running.wait().code(), Some(128 + libc::SIGTERM));
}

#[test]
fn job_control_as_pid1_stops_the_child_only() {
    let dir = workdir();
    let d = dir.path().display().to_string();
    let Some(command) = s2i_run_as_pid1(
        "job_control_as_pid1_stops_the_child_only",
        &["--", "sh", "-c", SLEEPER, "sh", &d],
    ) else {
        return;
    };
    let running = Running::start(command);
    wait_until("the child is ready", || dir.path().join("ready").exists());
    let child = children(running.supervisor)[0];
    running.signal(libc::SIGTSTP);
    wait_until("the child is stopped", || state(child) == 'T');
    assert_ne!(state(running.supervisor), 'T', "PID 1 does not stop itself");
    running.signal(libc::SIGCONT);
    wait_until("the child runs again", || state(child) != 'T');
    running.signal(libc::SIGTERM);
    assert_eq!(running.wait().code(), Some(128 + libc::SIGTERM));
}

#[test]
fn the_child_starts_with_default_signal_dispositions_and_an_empty_mask() {
    // s2i-run inherits "ignore SIGUSR1" (and blocks every signal itself);
    // the program must still die of a SIGUSR1 it has no handler for.
    let script = format!("trap '' USR1; exec {BIN} -- sh -c 'kill -USR1 $$; sleep 5; exit 9'");
    let mut command = Command::new("sh");
    command.args(["-c", &script]).env("S2I_RUN_INIT", "always");
    assert_eq!(run(command).status.code(), Some(128 + libc::SIGUSR1));
}

#[test]
fn exit_remap_replaces_the_status_in_supervisor_mode_and_auto_supervises_for_it() {
    let stopped_by_sigterm = ["--", "sh", "-c", "kill -TERM $$; sleep 5"];
    for (init, remap, expected) in [
        ("always", "", 143),
        ("always", "143:0,130:0", 0),
        ("always", "1:7, 143:3", 3),
        // auto, not PID 1: supervises because only a supervisor can remap.
        ("auto", "143:0", 0),
    ] {
        let mut command = s2i_run(&stopped_by_sigterm);
        command
            .env("S2I_RUN_INIT", init)
            .env("S2I_RUN_EXIT_REMAP", remap);
        let output = run(command);
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{init} {remap:?}: {output:?}"
        );
        assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    }
}

#[test]
fn exit_remap_in_exec_mode_is_ignored_with_a_warning() {
    use std::os::unix::process::ExitStatusExt;
    let mut command = s2i_run(&["--", "sh", "-c", "kill -TERM $$; sleep 5"]);
    command
        .env("S2I_RUN_INIT", "never")
        .env("S2I_RUN_EXIT_REMAP", "143:0");
    let output = run(command);
    assert_eq!(output.status.signal(), Some(libc::SIGTERM), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "s2i-run: warning: S2I_RUN_EXIT_REMAP is ignored with S2I_RUN_INIT=never: after an \
         exec the program's exit status is final; set S2I_RUN_INIT=auto or always\n"
    );
}
