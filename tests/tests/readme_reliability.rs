//! README.md's reliability promises ("Reliability" and "What a build never
//! does") each name the tests that hold them: every file and test named
//! there exists, so that a renamed or removed test cannot leave a promise
//! without its test.

use std::path::{Path, PathBuf};

use s2i_tests::workspace_root;

/// The text of the README section that starts with `heading` (a whole
/// line), up to the next heading of the same or a higher level.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no {heading:?}"))
        + heading.len()
        + 2;
    let rest = &readme[start..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| {
            let hashes = rest[i + 1..].chars().take_while(|c| *c == '#').count();
            hashes <= level && rest[i + 1 + hashes..].starts_with(' ')
        })
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// What is quoted in backticks in `text` (spans may run over a line).
fn quoted(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A test's name as the README gives it: `name` or `file::name`, snake
/// case with at least three underscores (which fuzz targets and settings
/// do not have).
fn test_name(quote: &str) -> Option<&str> {
    let name = quote.rsplit("::").next()?;
    let snake = quote
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':');
    (snake && name.matches('_').count() >= 3).then_some(name)
}

/// Every `.rs` file of the repository, less build output and tools.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "dist" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            sources(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_test_and_file_a_promise_names_exists() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();

    let mut names = 0;
    let mut missing = Vec::new();
    for heading in ["## Reliability", "### What a build never does"] {
        for quote in quoted(section(&readme, heading)) {
            if let Some(name) = test_name(&quote) {
                names += 1;
                let defined = format!("fn {name}(");
                if !texts.iter().any(|t| t.contains(&defined)) {
                    missing.push(format!("{heading}: test `{quote}`"));
                }
            } else if quote.ends_with(".rs")
                && quote.contains('/')
                && !quote.contains(' ')
                && !root.join(&quote).is_file()
            {
                missing.push(format!("{heading}: file `{quote}`"));
            }
        }
    }
    assert!(
        names >= 20,
        "only {names} test names found: is the section still there?"
    );
    assert!(
        missing.is_empty(),
        "README.md names tests or files that do not exist (renamed? say the new name):\n{}",
        missing.join("\n")
    );
}
