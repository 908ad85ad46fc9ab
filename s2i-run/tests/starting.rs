//! What s2i-run starts and how: exec mode, the command / manifest / gobinary
//! choice, APP_ARGS, and the errors (126, 127, manifest, settings, --help).

mod support;

use std::fs;
use std::path::Path;

use support::*;

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn exec_mode_runs_the_program_under_s2i_runs_own_pid() {
    for init in [None, Some("never")] {
        let mut command = s2i_run(&["--", "sh", "-c", "echo $$; echo \"$GREETING\""]);
        command.env("GREETING", "hello there");
        if let Some(init) = init {
            command.env("S2I_RUN_INIT", init);
        }
        let running = Running::spawn({
            command.stdout(std::process::Stdio::piped());
            command
        });
        let pid = running.child.id();
        let output = running.output();
        assert!(output.status.success());
        assert_eq!(
            stdout_of(&output),
            format!("{pid}\nhello there\n"),
            "S2I_RUN_INIT={init:?}: the program has s2i-run's pid and environment"
        );
    }
}

#[test]
fn as_pid1_auto_supervises_and_never_execs() {
    let test = "as_pid1_auto_supervises_and_never_execs";
    let Some(command) = s2i_run_as_pid1(test, &["--", "sh", "-c", "echo $$"]) else {
        return;
    };
    assert_eq!(
        stdout_of(&run(command)),
        "2\n",
        "auto as PID 1: the program is s2i-run's child"
    );
    let Some(mut command) = s2i_run_as_pid1(test, &["--", "sh", "-c", "echo $$"]) else {
        return;
    };
    command.env("S2I_RUN_INIT", "never");
    assert_eq!(
        stdout_of(&run(command)),
        "1\n",
        "never: the program itself is PID 1"
    );
}

#[test]
fn supervisor_mode_passes_arguments_and_environment() {
    let mut command = s2i_run(&[
        "--",
        "sh",
        "-c",
        "printf '%s|' \"$@\" \"$GREETING\"",
        "sh",
        "a b",
        "c",
    ]);
    command.env("S2I_RUN_INIT", "always").env("GREETING", "hi");
    let output = run(command);
    assert!(output.status.success());
    assert_eq!(stdout_of(&output), "a b|c|hi|");
}

/// A program that prints its arguments, working directory and two variables.
const SHOW: &str = "#!/bin/sh\nprintf 'arg:%s\\n' \"$@\"\necho \"pwd:$(pwd)\"\necho \"MODE:$MODE\"\necho \"KEPT:$KEPT\"\n";

#[test]
fn manifest_gives_program_args_workdir_and_default_env() {
    let root = workdir();
    script(root.path(), "bin/api", SHOW);
    fs::create_dir(root.path().join("src")).unwrap();
    fs::write(
        root.path().join("s2i-run.toml"),
        "program = \"bin/api\"\nargs = [\"--port\", \"8080\"]\nworkdir = \"src\"\n\
         [env]\nMODE = \"release\"\nKEPT = \"from manifest\"\n",
    )
    .unwrap();
    for init in ["never", "always"] {
        let mut command = s2i_run(&[]);
        command
            .env("APP_ROOT", root.path())
            .env("APP_ARGS", "--name 'two words' $HOME")
            .env("KEPT", "from environment")
            .env_remove("MODE")
            .env("S2I_RUN_INIT", init);
        let output = run(command);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = format!(
            "arg:--port\narg:8080\narg:--name\narg:two words\narg:$HOME\npwd:{}\n\
             MODE:release\nKEPT:from environment\n",
            root.path().join("src").display()
        );
        assert_eq!(stdout_of(&output), expected, "S2I_RUN_INIT={init}");
    }
}

#[test]
fn relative_app_root_still_finds_the_program_after_changing_directory() {
    let root = workdir();
    script(root.path(), "app/bin/api", SHOW);
    fs::create_dir(root.path().join("app/src")).unwrap();
    fs::write(
        root.path().join("app/s2i-run.toml"),
        "program = \"bin/api\"\nworkdir = \"src\"\n",
    )
    .unwrap();
    let mut command = s2i_run(&[]);
    command.current_dir(root.path()).env("APP_ROOT", "app");
    let output = run(command);
    assert!(
        output.status.success(),
        "{}",
        stderr_of(&output, root.path())
    );
    assert!(
        stdout_of(&output).contains(&format!("pwd:{}\n", root.path().join("app/src").display())),
        "{}",
        stdout_of(&output)
    );
}

#[test]
fn command_line_wins_over_manifest_and_gobinary_is_the_fallback() {
    let root = workdir();
    script(root.path(), "gobinary", "#!/bin/sh\necho gobinary \"$@\"\n");
    let mut command = s2i_run(&[]);
    command.env("APP_ROOT", root.path()).env("APP_ARGS", "x");
    assert_eq!(stdout_of(&run(command)), "gobinary x\n");

    fs::write(
        root.path().join("s2i-run.toml"),
        "program = \"/bin/false\"\n",
    )
    .unwrap();
    let mut command = s2i_run(&["--", "echo", "command"]);
    command.env("APP_ROOT", root.path());
    assert_eq!(stdout_of(&run(command)), "command\n");
}

/// Runs `args` with `vars` in both modes; returns the exit code and the
/// stderr (temporary directory as `[DIR]`), which must be the same in both.
fn failure(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> (i32, String) {
    let mut results = Vec::new();
    for init in ["never", "always"] {
        let mut command = s2i_run(args);
        command
            .env("S2I_RUN_INIT", init)
            .env("PATH", "/nonexistent/a:/nonexistent/b");
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = run(command);
        assert!(output.stdout.is_empty());
        results.push((
            output.status.code().expect("an exit code"),
            stderr_of(&output, dir),
        ));
    }
    assert_eq!(
        results[0], results[1],
        "exec and supervisor modes fail alike"
    );
    results.remove(0)
}

#[test]
fn program_not_found_exits_127() {
    let root = workdir();
    let dir = root.path();
    let missing = dir.join("missing");
    let mut report = String::new();
    for (args, vars) in [
        (vec!["--", missing.to_str().unwrap()], vec![]),
        (vec!["--", "no-such-command"], vec![]),
        (vec![], vec![("APP_ROOT", dir.to_str().unwrap())]),
    ] {
        let (code, stderr) = failure(dir, &args, &vars);
        assert_eq!(code, 127, "{stderr}");
        report.push_str(&stderr);
    }
    fs::write(dir.join("s2i-run.toml"), "program = \"bin/gone\"\n").unwrap();
    let (code, stderr) = failure(dir, &[], &[("APP_ROOT", dir.to_str().unwrap())]);
    assert_eq!(code, 127, "{stderr}");
    report.push_str(&stderr);
    insta::assert_snapshot!(report);
}

#[test]
fn program_not_executable_exits_126() {
    let root = workdir();
    let dir = root.path();
    let plain = dir.join("plain-file");
    fs::write(&plain, "not a program\n").unwrap();
    let no_interpreter = script(dir, "no-interpreter", "#!/nonexistent/interpreter\n");
    // Executable, and no format the kernel knows (as a program built for
    // another CPU is).
    let no_format = script(dir, "no-format", "echo no #! line\n");
    let mut report = String::new();
    for program in [&plain, &dir.to_path_buf(), &no_interpreter, &no_format] {
        let (code, stderr) = failure(dir, &["--", program.to_str().unwrap()], &[]);
        assert_eq!(code, 126, "{stderr}");
        report.push_str(&stderr);
    }
    insta::assert_snapshot!(report);
}

#[test]
fn invalid_or_unreadable_manifest_is_an_error_naming_file_and_line() {
    let root = workdir();
    let dir = root.path();
    let manifest = dir.join("s2i-run.toml");
    let mut report = String::new();
    for text in [
        "program = \"bin/app\"\nargs = \"--flag\"\n",
        "# no program\nargs = []\n",
    ] {
        fs::write(&manifest, text).unwrap();
        let (code, stderr) = failure(dir, &[], &[("APP_ROOT", dir.to_str().unwrap())]);
        assert_eq!(code, 1, "{stderr}");
        report.push_str(&stderr);
    }
    // A directory where the file should be: there, but not readable as one.
    fs::remove_file(&manifest).unwrap();
    fs::create_dir(&manifest).unwrap();
    let (code, stderr) = failure(dir, &[], &[("APP_ROOT", dir.to_str().unwrap())]);
    assert_eq!(code, 1, "{stderr}");
    report.push_str(&stderr);
    insta::assert_snapshot!(report);
}

#[test]
fn missing_working_directory_is_an_error() {
    let root = workdir();
    let dir = root.path();
    fs::write(
        dir.join("s2i-run.toml"),
        "program = \"/bin/true\"\nworkdir = \"gone\"\n",
    )
    .unwrap();
    let (code, stderr) = failure(dir, &[], &[("APP_ROOT", dir.to_str().unwrap())]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn invalid_settings_and_options_name_what_is_allowed() {
    let mut report = String::new();
    for (args, var) in [
        (&[][..], ("S2I_RUN_INIT", "bogus")),
        (&[], ("S2I_RUN_GRACE", "abc")),
        (&[], ("S2I_RUN_STOP_SIGNAL", "SIGNOPE")),
        (&[], ("S2I_RUN_SIGNAL_GROUP", "y")),
        (&[], ("S2I_RUN_VERBOSE", "2")),
        (&["--", "true"], ("APP_ARGS", "--name 'unclosed")),
        (&["--bogus"], ("S2I_RUN_VERBOSE", "0")),
    ] {
        let mut command = s2i_run(args);
        command.env(var.0, var.1);
        let output = run(command);
        assert_eq!(output.status.code(), Some(2), "{var:?}");
        report.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn stop_signals_that_cannot_end_a_program_are_refused() {
    for name in [
        "STOP", "SIGTSTP", "ttin", "TTOU", "CONT", "CHLD", "URG", "19",
    ] {
        let mut command = s2i_run(&["--", "true"]);
        command.env("S2I_RUN_STOP_SIGNAL", name);
        let output = run(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "s2i-run: invalid S2I_RUN_STOP_SIGNAL=\"{name}\": SIG"
            )) && stderr.contains("; expected a signal that ends a program, such as TERM"),
            "{name}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // KILL ends any program (without letting it clean up: the user's call);
    // WINCH is Apache httpd's graceful stop.
    for name in ["KILL", "WINCH", "QUIT", "RTMIN+2"] {
        let mut command = s2i_run(&["--", "true"]);
        command.env("S2I_RUN_STOP_SIGNAL", name);
        assert_eq!(run(command).status.code(), Some(0), "{name}");
    }
}

#[test]
fn help_and_version() {
    let output = run(s2i_run(&["--help"]));
    assert!(output.status.success());
    insta::assert_snapshot!(stdout_of(&output));
    let output = run(s2i_run(&["--version"]));
    assert!(output.status.success());
    assert_eq!(
        stdout_of(&output),
        format!("s2i-run {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_and_version_fail_with_one_line_when_stdout_is_closed_or_full() {
    for flag in ["--help", "--version"] {
        // Closed: through a shell, which can start a program without fd 1.
        let mut closed = std::process::Command::new("sh");
        closed.args(["-c", "exec \"$0\" \"$1\" >&-", BIN, flag]);
        // Full: every write fails with ENOSPC.
        let mut full = s2i_run(&[flag]);
        full.stdout(fs::File::create("/dev/full").unwrap());
        for (how, mut command) in [("closed", closed), ("/dev/full", full)] {
            command.stderr(std::process::Stdio::piped());
            let output = Running::spawn(command).output();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{flag}, stdout {how}: {stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{flag}, stdout {how}: {stderr}");
            assert!(
                stderr.starts_with("s2i-run: cannot write to stdout: "),
                "{flag}, stdout {how}: {stderr}"
            );
        }
    }
}

/// The image's one settings table (printed by s2i-usage, in the README)
/// and s2i-run's own help name the same run-time settings, with the same
/// defaults.
#[test]
fn help_names_every_run_setting_of_the_settings_table_with_its_default_and_no_other() {
    use s2i_common::settings::{Applies, SETTINGS};
    let help = stdout_of(&run(s2i_run(&["--help"])));
    for setting in SETTINGS.iter().filter(|s| s.applies.includes(Applies::Run)) {
        assert!(
            help.contains(setting.name),
            "{} is in the settings table but not in s2i-run --help",
            setting.name
        );
        if setting.name.starts_with("S2I_RUN_") {
            assert!(
                help.contains(&format!("default {}", setting.default)),
                "s2i-run --help does not give {}'s default {}",
                setting.name,
                setting.default
            );
        }
    }
    for word in help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("S2I_RUN_") {
            assert!(
                SETTINGS
                    .iter()
                    .any(|s| s.name == word && s.applies.includes(Applies::Run)),
                "s2i-run --help names {word}, which the settings table lacks"
            );
        }
    }
}

/// One boolean grammar for every binary: `true`, not only `1`.
#[test]
fn verbose_setting_takes_true_like_every_boolean_setting() {
    for word in ["true", "YES", "on", "1"] {
        let mut command = s2i_run(&["--", "true"]);
        command
            .env("S2I_RUN_INIT", "never")
            .env("S2I_RUN_VERBOSE", word)
            .env("S2I_RUN_SIGNAL_GROUP", "false");
        let output = run(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{word}: {stderr}");
        assert!(stderr.contains("\ns2i-run: exec "), "{word}: {stderr}");
    }
}

#[test]
fn verbose_logs_forwarded_signals_and_reaped_pids() {
    let mut command = s2i_run(&[
        "-v",
        "--",
        "sh",
        "-c",
        "kill -USR1 $PPID; while :; do sleep 0.05; done",
    ]);
    command.env("S2I_RUN_INIT", "always");
    let output = run(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The child's USR1 goes to s2i-run, which forwards it back to the group:
    // the shell dies of it.
    assert_eq!(output.status.code(), Some(128 + 10), "{stderr}");
    assert!(
        stderr.contains("s2i-run: forwarded SIGUSR1 to process group"),
        "{stderr}"
    );
    assert!(stderr.contains("s2i-run: reaped pid"), "{stderr}");
}
