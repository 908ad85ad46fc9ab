//! README.md's troubleshooting section has an entry for every message the
//! binaries print: each message found in their sources (the first string
//! literal of each call that builds one) must have its key phrases quoted
//! under the binary's own heading. The messages of s2i-run,
//! s2i-save-artifacts and s2i-usage, and s2i-assemble's errors, are typed,
//! and checked by their keys in each crate; the scan here covers what is
//! still a string where it is printed: s2i-assemble's warnings and file
//! system errors.
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
