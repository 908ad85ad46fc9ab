//! README.md's troubleshooting section, checked against the binaries'
//! messages both ways.
//!
//! The section is `### Troubleshooting`; each binary has its own table under
//! `#### <binary>`. A row's first cell quotes the start of one or more
//! messages as printed, with `…` for each value (a path, a name, go's own
//! words). Every message of a binary is a variant of a typed enum with a
//! key (`s2i_common::message_keys!`), so a message cannot be added without
//! its key; [`assert_table_matches`] then checks that README quotes every
//! key, and that every row quotes a key, so that a row whose message is
//! gone fails too.

use std::path::Path;

const SECTION: &str = "### Troubleshooting";

/// The text of README.md's troubleshooting entries for `binary` (what is
/// under `#### <binary>` in `### Troubleshooting`).
pub fn readme_entries(binary: &str) -> String {
    let readme = std::fs::read_to_string(crate::workspace_root().join("README.md"))
        .expect("README.md is readable");
    entries_in(&readme, binary)
        .unwrap_or_else(|| panic!("README.md has no `#### {binary}` under `{SECTION}`"))
}

fn entries_in(readme: &str, binary: &str) -> Option<String> {
    let section = readme.split_once(&format!("\n{SECTION}\n"))?.1;
    // Up to the next heading of the same or a higher level.
    let section = section.split("\n### ").next()?.split("\n## ").next()?;
    let heading = format!("\n#### {binary}\n");
    let group = section.split_once(&heading)?.1;
    Some(group.split("\n#### ").next()?.to_string())
}

/// The first cell of each row of a Markdown table in `entries` (header and
/// separator rows left out): the messages a row quotes.
pub fn message_cells(entries: &str) -> Vec<String> {
    entries
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .map(first_cell)
        .filter(|cell| cell != "message" && !cell.starts_with("---"))
        .collect()
}

/// The text up to the first `|` outside a code span.
fn first_cell(row: &str) -> String {
    let mut in_code = false;
    for (at, c) in row.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '|' if !in_code => return row[..at].trim().to_string(),
            _ => {}
        }
    }
    row.trim().to_string()
}

/// Whether `text` matches `key`: the key's parts between `…` appear in
/// `text` in order (`source directory … is empty`).
pub fn key_matches(text: &str, key: &str) -> bool {
    let mut rest = text;
    for part in key.split('…') {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Fails unless each example message holds its key (`(message, key)`
/// pairs), and every one of `keys` has an example: the keys are what README
/// is checked against, so each must be the start of a message as printed.
pub fn assert_keys_in_messages(
    examples: impl IntoIterator<Item = (String, &'static str)>,
    keys: &[&str],
) {
    let mut seen = Vec::new();
    for (message, key) in examples {
        assert!(
            key_matches(&message, key),
            "the key {key:?} is not in the message {message:?}: fix the key in message_keys!"
        );
        seen.push(key);
    }
    let without: Vec<&&str> = keys.iter().filter(|key| !seen.contains(key)).collect();
    assert!(
        without.is_empty(),
        "no example message has these keys: {without:?}; add one of each"
    );
}

/// README.md's table for `binary` and the keys of every message it prints
/// agree both ways: a row quotes each key, and each row quotes some key (a
/// row for a message that no longer exists fails).
pub fn assert_table_matches(binary: &str, keys: &[&str]) {
    let cells = message_cells(&readme_entries(binary));
    assert!(
        !cells.is_empty(),
        "README.md's table for {binary} has no rows"
    );
    let unquoted: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|key| !cells.iter().any(|cell| key_matches(cell, key)))
        .collect();
    assert!(
        unquoted.is_empty(),
        "README.md's troubleshooting section (under `#### {binary}`) quotes no message with \
         these keys:\n{}\nAdd a row whose first cell quotes the message's start (`…` for \
         values), with what it means and the fix.",
        unquoted.join("\n")
    );
    let stale: Vec<&String> = cells
        .iter()
        .filter(|cell| !keys.iter().any(|key| key_matches(cell, key)))
        .collect();
    assert!(
        stale.is_empty(),
        "these rows of README.md's troubleshooting section (under `#### {binary}`) quote no \
         message {binary} prints (no key matches them):\n{}\nRemove them, or fix the quote.",
        stale
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A message found in a source file: its format string (escapes resolved,
/// `{…}` placeholders kept) and where it is.
#[derive(Debug, Clone)]
pub struct Message {
    pub file: String,
    pub line: usize,
    pub format: String,
}

impl Message {
    /// The phrases of this message that its README entry must quote; see
    /// [`key_phrases`].
    pub fn key_phrases(&self) -> Vec<String> {
        key_phrases(&self.format)
    }
}

/// The first string literal inside each call to one of `calls` (e.g.
/// `Failure::usage(`, `format!(`, `warn(`) in the `.rs` files of `dir` (or
/// the one file `dir`), outside `#[cfg(test)]` code and line comments.
/// Calls with no string literal (a message passed on) are skipped.
pub fn messages(dir: &Path, calls: &[&str]) -> Vec<Message> {
    let mut files: Vec<_> = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect()
    };
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path
            .strip_prefix(crate::workspace_root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (line, format) in messages_in(&text, calls) {
            found.push(Message {
                file: name.clone(),
                line,
                format,
            });
        }
    }
    found
}

/// [`messages`] of one file's text: (line number, format string).
pub fn messages_in(source: &str, calls: &[&str]) -> Vec<(usize, String)> {
    // Code only: tests sit at the end of each file, after `#[cfg(test)]`.
    let code: String = source
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    for call in calls {
        let mut from = 0;
        while let Some(at) = code[from..].find(call).map(|i| i + from) {
            from = at + call.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // part of a longer name
            }
            if let Some((offset, literal)) = first_literal_in_call(&code[from..]) {
                let start = from + offset;
                if !found.iter().any(|(s, _, _)| *s == start) {
                    let line = code[..start].matches('\n').count() + 1;
                    found.push((start, line, literal));
                }
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, line, text)| (line, text))
        .collect()
}

/// The first string literal in the call whose arguments start `args` (just
/// after its `(`): its offset in `args` and its value.
fn first_literal_in_call(args: &str) -> Option<(usize, String)> {
    let bytes = args.as_bytes();
    let mut depth = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            b'"' => return Some((i, unescape(&args[i + 1..]))),
            // A char literal such as '(' or '\n' (not a lifetime).
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') => i += 3,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The value of the string literal whose text (after its opening quote)
/// starts `rest`.
fn unescape(rest: &str) -> String {
    let mut value = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('0') => value.push('\0'),
                // A line continuation: the newline and the next line's indent go.
                Some('\n') => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some(other) => value.push(other),
                None => break,
            },
            c => value.push(c),
        }
    }
    value
}

/// The phrases of a message's format string that its README entry must
/// quote: its constant pieces (between `{…}` placeholders) of at least 12
/// characters up to its first `;` or line break, which is where the problem
/// ends and the fix starts. A message with none there: its first such piece
/// anywhere, else its longest piece. Pieces are trimmed of spaces and of
/// `: ; , ( \``.
pub fn key_phrases(format: &str) -> Vec<String> {
    const LONG: usize = 12;
    let mut pieces: Vec<(String, bool)> = Vec::new(); // (piece, after the problem)
    let mut piece = String::new();
    let mut after = false;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                piece.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                piece.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                pieces.push((std::mem::take(&mut piece), after));
            }
            ';' | '\n' => {
                pieces.push((std::mem::take(&mut piece), after));
                after = true;
            }
            c => piece.push(c),
        }
    }
    pieces.push((piece, after));
    let trimmed: Vec<(String, bool)> = pieces
        .into_iter()
        .map(|(p, after)| {
            let t = p.trim_matches(|c: char| c.is_whitespace() || ":;,(`".contains(c));
            (t.to_string(), after)
        })
        .filter(|(p, _)| !p.is_empty())
        .collect();
    let problem: Vec<String> = trimmed
        .iter()
        .filter(|(p, after)| !after && p.chars().count() >= LONG)
        .map(|(p, _)| p.clone())
        .collect();
    if !problem.is_empty() {
        return problem;
    }
    if let Some((p, _)) = trimmed.iter().find(|(p, _)| p.chars().count() >= LONG) {
        return vec![p.clone()];
    }
    trimmed
        .into_iter()
        .map(|(p, _)| p)
        .max_by_key(|p| p.chars().count())
        .into_iter()
        .collect()
}

/// Each message of `messages` whose key phrases are not all in `entries`,
/// as lines naming the source and the missing phrases.
pub fn missing_entries(messages: &[Message], entries: &str) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            let missing: Vec<String> = m
                .key_phrases()
                .into_iter()
                .filter(|p| !entries.contains(p.as_str()))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "{}:{}: {:?} (missing: {})",
                    m.file,
                    m.line,
                    m.format,
                    missing
                        .iter()
                        .map(|p| format!("{p:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_literal_of_each_call() {
        let source = r#"
fn f() {
    // Failure::usage("a comment")
    return Err(Failure::usage(format!(
        "unknown option `{option}`\n{USAGE} (see s2i-run --help)"
    )));
    let x = Failure::new(code, message);
    cannot(&format!("its interpreter {i} (from its #! line) \
                     does not exist"));
    let y = precannot("not a call of cannot");
    report.warn(&format!("ignoring {:?}: {}", name.find('('), "second"));
}
#[cfg(test)]
mod tests { fn t() { Failure::usage("in a test") } }
"#;
        let found = messages_in(
            source,
            &[
                "Failure::usage(",
                "format!(",
                "Failure::new(",
                "cannot(",
                "warn(",
            ],
        );
        let texts: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "unknown option `{option}`\n{USAGE} (see s2i-run --help)",
                "its interpreter {i} (from its #! line) does not exist",
                "ignoring {:?}: {}",
            ]
        );
        assert_eq!(found[0].0, 5);
    }

    #[test]
    fn key_phrases_are_the_problem_part() {
        assert_eq!(
            key_phrases("cannot start {}: cannot change to its working directory {}: {}"),
            ["cannot start", "cannot change to its working directory"]
        );
        assert_eq!(
            key_phrases("{ENV_FILE} line {}: {}; the line is skipped, as s2i does"),
            ["the line is skipped, as s2i does"]
        );
        assert_eq!(
            key_phrases("{error}\ns2i-assemble writes this file: rebuild"),
            ["s2i-assemble writes this file: rebuild"]
        );
        assert_eq!(key_phrases("killed by {}"), ["killed by"]);
        assert!(key_phrases(": {}").is_empty());
        assert_eq!(
            key_phrases("{{literal}} braces are text {x}"),
            ["{literal} braces are text"]
        );
    }

    #[test]
    fn keys_match_in_order() {
        assert!(key_matches(
            "source directory /x is empty: pass",
            "source directory … is empty"
        ));
        assert!(!key_matches(
            "is empty: source directory /x",
            "source directory … is empty"
        ));
    }

    #[test]
    fn message_cells_are_first_cells_with_code_spans_kept_whole() {
        let entries = "\n| message | what it means | fix |\n|---|---|---|\n\
                       | `a: one | two` (or `b`) | x | y |\n| `c` | z |\n\nprose\n";
        assert_eq!(message_cells(entries), ["`a: one | two` (or `b`)", "`c`"]);
    }

    #[test]
    fn entries_are_those_of_one_binary() {
        let readme = "# x\n### Troubleshooting\n\nintro\n\n#### a\n\n| `a: one` |\n\n#### b\n\n| `b: two` |\n\n### Next\n\n| `c: three` |\n";
        assert_eq!(entries_in(readme, "a").unwrap(), "\n| `a: one` |\n");
        assert_eq!(entries_in(readme, "b").unwrap(), "\n| `b: two` |\n");
        assert!(entries_in(readme, "c").is_none());
    }
}
