//! README.md's troubleshooting section has an entry for every message the
//! binaries print: each message found in their sources (the first string
//! literal of each call that builds one) must have its key phrases quoted
//! under the binary's own heading. s2i-assemble's errors are checked by
//! their keys, in s2i-assemble/src/errors.rs; here are its warnings and its
//! file system errors, and every message of s2i-run and s2i-save-artifacts.
//! A new message fails this test until README.md has its entry.

use s2i_tests::troubleshooting::{messages, missing_entries, readme_entries, Message};
use s2i_tests::workspace_root;

/// Fails with every message lacking its entry, and how to fix it.
fn assert_all_have_entries(binary: &str, messages: &[Message]) {
    let entries = readme_entries(binary);
    let missing = missing_entries(messages, &entries);
    assert!(
        missing.is_empty(),
        "README.md's troubleshooting section (under `#### {binary}`) has no entry for:\n{}\n\
         Add a row quoting the start of each message (`…` for values), what it means and the fix.",
        missing.join("\n")
    );
}

/// The scan must find these: a scan that found nothing would pass anything.
fn assert_found(messages: &[Message], known: &[&str]) {
    for k in known {
        assert!(
            messages.iter().any(|m| m.format.contains(k)),
            "the scan did not find {k:?} among {messages:#?}"
        );
    }
}

#[test]
fn every_s2i_run_message_has_an_entry() {
    let root = workspace_root();
    let mut found = messages(
        &root.join("s2i-run/src"),
        &[
            "Failure::usage(",
            "Failure::general(",
            "Failure::new(",
            "cannot(",
            "not_found(",
            "format!(",
            "eprintln!(",
        ],
    );
    // What s2i-run prints that is not a problem: its verbose log (-v) and
    // pieces of other messages (signal names, exit statuses). Each must
    // still be found, so that this list does not outlive its code.
    let not_problems = [
        "s2i-run: {line}",
        "s2i-run: exec ",
        "s2i-run: started ",
        "s2i-run: pid ",
        "s2i-run: reaped pid ",
        "s2i-run: forwarded ",
        "s2i-run: sending ",
        "SIG{known}",
        "SIGRTMIN+",
        "signal {signal}",
        " as {}",
        "killed by ",
        "exit code ",
    ];
    for start in not_problems {
        assert!(
            found.iter().any(|m| m.format.starts_with(start)),
            "{start:?} is no longer printed: remove it from this list"
        );
    }
    found.retain(|m| !not_problems.iter().any(|s| m.format.starts_with(s)));
    // The run manifest's errors come from s2i-common.
    found.extend(messages(
        &root.join("s2i-common/src/manifest.rs"),
        &["write!("],
    ));
    assert_found(
        &found,
        &[
            "nothing to start",
            "invalid run manifest",
            "unknown option",
            "outlived SIGKILL",
        ],
    );
    assert_all_have_entries("s2i-run", &found);
}

#[test]
fn every_s2i_assemble_warning_has_an_entry() {
    let root = workspace_root();
    let calls = ["warn(", "warnings.push("];
    let mut found = messages(&root.join("s2i-assemble/src"), &calls);
    found.extend(messages(&root.join("s2i-cache/src"), &calls));
    // What main prints itself, besides the errors (checked by their keys).
    found.extend(messages(
        &root.join("s2i-assemble/src/main.rs"),
        &["eprintln!("],
    ));
    assert_found(
        &found,
        &[
            "the line is skipped",
            "IMPORT_URL is ignored",
            "ignoring the build artifacts",
            "the module cache is kept whole",
            "cannot write to stdout",
        ],
    );
    assert_all_have_entries("s2i-assemble", &found);
}

/// `Error::io("create", path, e)` prints `cannot create PATH: REASON`.
#[test]
fn every_s2i_assemble_file_system_error_has_an_entry() {
    let root = workspace_root();
    let found: Vec<Message> = messages(&root.join("s2i-assemble/src"), &["Error::io("])
        .into_iter()
        .map(|m| Message {
            format: format!("cannot {} {{path}}", m.format),
            ..m
        })
        .collect();
    assert_found(
        &found,
        &["cannot lock the application root", "cannot create"],
    );
    assert_all_have_entries("s2i-assemble", &found);
}

#[test]
fn every_s2i_save_artifacts_message_has_an_entry() {
    let found = messages(
        &workspace_root().join("s2i-save-artifacts/src"),
        &["eprintln!(", "format!("],
    );
    assert_found(&found, &["stdout is a terminal", "nothing to save"]);
    assert_all_have_entries("s2i-save-artifacts", &found);
}

/// s2i-usage prints no error today; the day it does, it needs its entry.
#[test]
fn every_s2i_usage_message_has_an_entry() {
    let found = messages(
        &workspace_root().join("s2i-usage/src"),
        &["eprintln!(", "eprint!("],
    );
    assert_all_have_entries("s2i-usage", &found);
}
