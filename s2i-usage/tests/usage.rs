//! s2i-usage as the image runs it: its text, its exit code, and README.md's
//! settings reference kept equal to the one table in code.

use std::process::Command;

fn usage(image: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s2i-usage"));
    cmd.env_remove("S2I_BUILDER_IMAGE");
    if let Some(image) = image {
        cmd.env("S2I_BUILDER_IMAGE", image);
    }
    cmd.output().expect("s2i-usage runs")
}

#[test]
fn prints_usage_and_exits_zero() {
    let out = usage(None);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    // As `s2i-usage | head -1`: the pipe is closed before the text is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_s2i-usage"))
        .stdout(writer)
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn image_name_comes_from_the_environment() {
    let out = usage(Some("registry.example/team/go-builder:1.27"));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("s2i build <source directory or git repository> registry.example/team/go-builder:1.27 <application image>"), "{text}");
    assert!(text.contains("oc new-app registry.example/team/go-builder:1.27~<git repository>"));
    // The settings table documents the default; the text above it uses the name.
    let (text, _table) = text.split_once("\nSettings (").unwrap();
    assert!(
        !text.contains("s2i-go"),
        "the default name must not show: {text}"
    );
}

#[test]
fn lists_every_setting() {
    let text = String::from_utf8(usage(None).stdout).unwrap();
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_end_matches(','))
        .collect();
    for setting in s2i_common::settings::SETTINGS {
        // A row of several names may be wrapped over lines.
        for name in setting.name.split(", ") {
            assert!(words.contains(&name), "{name} missing from:\n{text}");
        }
    }
}

/// README.md's `### Settings` section holds exactly the table from code.
/// `UPDATE_README=1 cargo test -p s2i-usage` rewrites it.
#[test]
fn readme_settings_reference_is_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let table = s2i_common::settings::markdown_table();
    let begin = "<!-- settings table: generated from s2i-common/src/settings.rs -->\n";
    let end = "<!-- end of settings table -->";
    let start = readme
        .find(begin)
        .expect("README.md has the settings table's begin marker")
        + begin.len();
    let stop = start
        + readme[start..]
            .find(end)
            .expect("README.md has the end marker");
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        readme[start..stop],
        table,
        "README.md's settings table is stale: run `UPDATE_README=1 cargo test -p s2i-usage`"
    );
    for setting in s2i_common::settings::SETTINGS {
        let first = setting.name.split(", ").next().unwrap();
        assert!(
            readme[start..stop].contains(&format!("`{first}`")),
            "{first}"
        );
    }
}

#[test]
fn a_full_disk_is_a_message_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_s2i-usage"))
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "s2i-usage: cannot write to stdout: No space left on device\n"
    );
}
