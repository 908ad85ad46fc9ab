//! What each binary reads from the environment is what the settings table
//! (`s2i_common::settings`, printed by `s2i-usage` and README's reference)
//! says it reads, both ways:
//!
//! - every variable name in a binary's code (an upper-case string literal,
//!   a constant of the settings module, or a call of s2i-common's one
//!   reader, `paths::app_root()`) is a row of the table for that binary,
//!   unless it is on [`NOT_READ`], the short list of upper-case words that
//!   are no variable the binary reads (format keywords, file names,
//!   variables it only sets for go or git);
//! - every name of every row for a binary is in that binary's code.
//!
//! The libraries read no variable but through `paths::app_root()`. Tests
//! (`#[cfg(test)] mod tests`) and comments are not looked at.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use s2i_common::settings::{Applies, Setting, SETTINGS};

const BINARIES: &[(&str, Applies)] = &[
    ("s2i-assemble", Applies::Build),
    ("s2i-run", Applies::Run),
    ("s2i-save-artifacts", Applies::SaveArtifacts),
    ("s2i-usage", Applies::Usage),
];

/// Upper-case words in a binary's code that are no variable it reads.
const NOT_READ: &[(&str, &str, &str)] = &[
    // s2i-assemble
    ("s2i-assemble", "NOASSERTION", "an SPDX value"),
    ("s2i-assemble", "SPDXID", "an SPDX field"),
    ("s2i-assemble", "SHA256", "an SPDX/CycloneDX checksum name"),
    ("s2i-assemble", "SOURCE", "an SPDX purpose"),
    ("s2i-assemble", "LIBRARY", "an SPDX purpose"),
    ("s2i-assemble", "APPLICATION", "an SPDX purpose"),
    ("s2i-assemble", "SECURITY", "an SPDX reference category"),
    ("s2i-assemble", "DESCRIBES", "an SPDX relationship"),
    ("s2i-assemble", "CONTAINS", "an SPDX relationship"),
    ("s2i-assemble", "GENERATED_FROM", "an SPDX relationship"),
    ("s2i-assemble", "VERSION", "GOROOT's VERSION file"),
    ("s2i-assemble", "FETCH_HEAD", "a file of git's"),
    ("s2i-assemble", "GOVERSION", "asked of `go env`, not read"),
    (
        "s2i-assemble",
        "S2I_TEST_KILL_AT",
        "debug builds only: the install fault tests' kill point",
    ),
    (
        "s2i-assemble",
        "GIT_ASKPASS",
        "a credential's name, kept out of the run manifest",
    ),
    (
        "s2i-assemble",
        "GIT_CONFIG_",
        "credentials' names, kept out of the run manifest",
    ),
    (
        "s2i-assemble",
        "GIT_CONFIG_NOSYSTEM",
        "set for git, never read",
    ),
    (
        "s2i-assemble",
        "GOTMPDIR",
        "set for go (its work directory, in the work area) unless given, never read",
    ),
    (
        "s2i-assemble",
        "GIT_CONFIG_COUNT",
        "git's own: safe.directory is appended after the build's entries",
    ),
    ("s2i-assemble", "HEAD", "a git revision"),
    ("s2i-assemble", "S2I_", "GO_LDFLAGS' placeholders' prefix"),
    ("s2i-assemble", "S2I_BUILD_DATE", "a GO_LDFLAGS placeholder"),
    ("s2i-assemble", "S2I_GIT_COMMIT", "a GO_LDFLAGS placeholder"),
    ("s2i-assemble", "S2I_GIT_REF", "a GO_LDFLAGS placeholder"),
    (
        "s2i-assemble",
        "S2I_GIT_SHORT_COMMIT",
        "a GO_LDFLAGS placeholder",
    ),
    ("s2i-assemble", "S2I_VERSION", "a GO_LDFLAGS placeholder"),
    (
        "s2i-assemble",
        "CPU",
        "a word of the GOARCH warning (another CPU than the builder's)",
    ),
    // s2i-run
    (
        "s2i-run",
        "S2I_TEST_KILL_AT",
        "debug builds only: the install fault tests' kill point",
    ),
];

/// The settings module's constants: `IDENT` or `run::IDENT` -> name.
fn setting_constants(root: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root.join("s2i-common/src/settings.rs")).unwrap();
    let mut constants = BTreeMap::new();
    let mut module = "";
    let mut pending: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("pub mod run") {
            module = "run::";
        } else if line == "}" {
            module = "";
        }
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("pub const ") {
            let (ident, rest) = rest.split_once(':').unwrap();
            let ident = format!("{module}{ident}");
            match rest.split_once("= \"") {
                Some((_, value)) => {
                    constants.insert(ident, value.trim_end_matches("\";").to_string());
                }
                None if rest.contains("Setting {") => pending = Some(ident),
                None => {}
            }
        } else if let (Some(ident), Some(value)) = (&pending, trimmed.strip_prefix("name: \"")) {
            constants.insert(ident.clone(), value.trim_end_matches("\",").to_string());
            pending = None;
        }
    }
    constants
}

/// A crate's code without its tests and comments, split into what is code
/// and the string literals in it.
fn code_and_strings(src: &Path) -> (String, Vec<String>) {
    let (mut code, mut strings) = (String::new(), Vec::new());
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = without_tests(&text)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                code.push(c);
                continue;
            }
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    c => literal.push(c),
                }
            }
            // Compile-time variables (`env!("CARGO_PKG_VERSION")`) are cargo's.
            if !code.ends_with("env!(") {
                strings.push(literal);
            }
            code.push_str("\"\"");
        }
    }
    (code, strings)
}

/// A file's code before its test module (the last item, by convention).
fn without_tests(text: &str) -> &str {
    let end = ["#[cfg(test)]\nmod ", "#[cfg(test)]\npub(crate) mod "]
        .iter()
        .filter_map(|start| text.find(start))
        .min();
    &text[..end.unwrap_or(text.len())]
}

fn is_variable_name(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn contains_word(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// The variable names a crate's code holds.
fn names_in(src: &Path, constants: &BTreeMap<String, String>) -> BTreeSet<String> {
    let (code, strings) = code_and_strings(src);
    let mut names: BTreeSet<String> = strings
        .into_iter()
        .filter(|s| is_variable_name(s))
        .collect();
    for (ident, name) in constants {
        if contains_word(&code, ident) {
            names.insert(name.clone());
        }
    }
    if code.contains("::app_root()") {
        names.insert(s2i_common::settings::APP_ROOT.name.to_string());
    }
    names
}

/// The names of a row: several for some (`GOFLAGS, GOPROXY, ...`).
fn row_names(row: &Setting) -> impl Iterator<Item = &'static str> {
    row.name.split(", ").filter(|n| *n != "...")
}

/// Whether `name` (or a prefix such as `GO_TOKEN_`) is one of `row`'s.
fn row_has(row: &Setting, name: &str) -> bool {
    row_names(row).any(|n| {
        n == name
            || (name.ends_with('_') && n.starts_with(name) && n[name.len()..].starts_with('<'))
    })
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_variable_a_binary_reads_is_a_row_for_it_and_every_row_is_read() {
    let root = workspace();
    let constants = setting_constants(&root);
    assert!(
        constants.get("run::GRACE").map(String::as_str) == Some("S2I_RUN_GRACE")
            && constants.get("GO_TARGETS").map(String::as_str) == Some("GO_TARGETS"),
        "the settings module's constants were not understood: {constants:?}"
    );
    let mut problems = Vec::new();
    for (binary, applies) in BINARIES {
        let names = names_in(&root.join(binary).join("src"), &constants);
        for name in &names {
            if NOT_READ.iter().any(|(b, n, _)| b == binary && n == name) {
                continue;
            }
            match SETTINGS.iter().find(|row| row_has(row, name)) {
                None => problems.push(format!("{binary} reads {name}, which has no row")),
                Some(row) if !row.applies.includes(*applies) => problems.push(format!(
                    "{binary} reads {name}, whose row says it applies to {}",
                    row.applies.as_str()
                )),
                Some(_) => {}
            }
        }
        for row in SETTINGS.iter().filter(|r| r.applies.includes(*applies)) {
            for name in row_names(row) {
                // `GO_TOKEN_<host>` is read by its prefix.
                let read = match name.split_once('<') {
                    Some((prefix, _)) => names.contains(prefix),
                    None => names.contains(name),
                };
                if !read {
                    problems.push(format!(
                        "the table says {binary} reads {name}, but its code never names it"
                    ));
                }
            }
        }
        for (b, word, why) in NOT_READ.iter().filter(|(b, _, _)| b == binary) {
            if !names.contains(*word) {
                problems.push(format!(
                    "NOT_READ lists {word} ({why}) for {b}, no longer there"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The libraries read the environment only in `paths::app_root()`; what
/// else they need, they are given.
#[test]
fn the_libraries_read_no_variable_but_the_application_root() {
    let root = workspace();
    let mut readers = Vec::new();
    for library in ["s2i-common", "s2i-cache"] {
        for entry in walkdir::WalkDir::new(root.join(library).join("src")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let code = without_tests(&text);
            if ["env::var", "env::vars"].iter().any(|r| code.contains(r)) {
                readers.push(entry.path().strip_prefix(&root).unwrap().to_path_buf());
            }
        }
    }
    assert_eq!(readers, [PathBuf::from("s2i-common/src/paths.rs")]);
}
