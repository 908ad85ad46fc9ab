//! `.s2i/environment`, parsed as the s2i CLI parses it, where that makes a
//! variable a program can get.
//!
//! One `NAME=VALUE` a line, split at the first `=`; name and value trimmed of
//! surrounding white space; the value taken literally (no quotes removed, no
//! `$` expanded); `#` starts a comment line; a line without `=` or with an
//! empty name is skipped. s2i skips such lines silently; we also say so.
//!
//! Where s2i would make something no program can use, the file is refused
//! with the line: a byte-order mark (s2i makes it part of the first name),
//! text that is not UTF-8, and what [`variable::check`] refuses (`export
//! NAME=1`, which s2i names "export NAME", a NUL, a value over 128 KiB).

use std::fmt;

use crate::display::Escaped;
use crate::variable;

/// One variable from the file, with the line it came from (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A line that s2i would ignore, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub reason: &'static str,
}

/// The variables of the file in order (a later duplicate wins, as it does
/// when s2i exports them), and the lines that were skipped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnvFile {
    pub variables: Vec<Variable>,
    pub skipped: Vec<Skipped>,
}

/// Why the file is refused, and at which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file starts with U+FEFF; `first` is the name s2i would make.
    ByteOrderMark {
        first: Option<String>,
    },
    NotUtf8,
    Variable(variable::Problem),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::ByteOrderMark { first } => {
                f.write_str("the file starts with a byte-order mark (U+FEFF)")?;
                if let Some(name) = first {
                    let s2i_name = format!("\u{feff}{name}");
                    write!(
                        f,
                        ", which s2i makes part of the first name ({} instead of {})",
                        Escaped::new(&s2i_name),
                        Escaped::new(name)
                    )?;
                }
                f.write_str(": save it as UTF-8 without a BOM")
            }
            Problem::NotUtf8 => f.write_str(
                "the line is not UTF-8 text (a binary file, or another encoding): save it as UTF-8",
            ),
            Problem::Variable(problem) => write!(f, "{problem}"),
        }
    }
}

impl EnvFile {
    /// The last value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .rev()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }
}

pub fn parse(bytes: &[u8]) -> Result<EnvFile, Invalid> {
    if let Some(rest) = bytes.strip_prefix("\u{feff}".as_bytes()) {
        let first = String::from_utf8_lossy(rest)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(name, _)| name.trim().to_string())
            .find(|name| !name.is_empty() && !name.starts_with('#'));
        return Err(Invalid {
            line: 1,
            problem: Problem::ByteOrderMark { first },
        });
    }
    let mut file = EnvFile::default();
    // Lines as s2i's scanner cuts them: at \n, without a \r before it.
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(raw) = std::str::from_utf8(raw) else {
            return Err(Invalid {
                line,
                problem: Problem::NotUtf8,
            });
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            file.skipped.push(Skipped {
                line,
                reason: "no `=`: expected NAME=VALUE",
            });
            continue;
        };
        let name = name.trim();
        if name.is_empty() {
            file.skipped.push(Skipped {
                line,
                reason: "empty name: expected NAME=VALUE",
            });
            continue;
        }
        let value = value.trim();
        variable::check(name, value).map_err(|problem| Invalid {
            line,
            problem: Problem::Variable(problem),
        })?;
        file.variables.push(Variable {
            name: name.to_string(),
            value: value.to_string(),
            line,
        });
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_literal_and_trimmed() {
        let f = parse(b"A=1\n  B = two words  \nC=\"quoted\"\nD=$HOME\nE=x=y\nF=\n").unwrap();
        let pairs: Vec<_> = f
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("A", "1"),
                ("B", "two words"),
                ("C", "\"quoted\""),
                ("D", "$HOME"),
                ("E", "x=y"),
                ("F", "")
            ]
        );
        assert!(f.skipped.is_empty());
    }

    #[test]
    fn comments_blank_and_bad_lines() {
        let f = parse(b"# comment\n\n  # indented comment\nNOEQUALS\n=value\nOK=1\r\n").unwrap();
        assert_eq!(f.get("OK"), Some("1"));
        assert_eq!(f.variables.len(), 1);
        assert_eq!(
            f.skipped,
            [
                Skipped {
                    line: 4,
                    reason: "no `=`: expected NAME=VALUE"
                },
                Skipped {
                    line: 5,
                    reason: "empty name: expected NAME=VALUE"
                },
            ]
        );
    }

    #[test]
    fn later_duplicate_wins() {
        let f = parse(b"A=1\nA=2\n").unwrap();
        assert_eq!(f.get("A"), Some("2"));
        assert_eq!(f.get("B"), None);
    }

    #[test]
    fn refused_lines_name_the_line_and_the_fix() {
        let big = format!("OK=1\nBIG={}\n", "x".repeat(200_000));
        let refused: Vec<String> = [
            "\u{feff}GO_TARGETS=./cmd/api\n".as_bytes(),
            "\u{feff}# only a comment\n".as_bytes(),
            b"A=1\nexport GO_RUN=api\n",
            b"A=1\r\nB=\xe9t\xe9\r\n",
            b"# comment\nA B=1\n",
            b"N=a\x00b\n",
            big.as_bytes(),
        ]
        .iter()
        .map(|text| {
            let invalid = parse(text).unwrap_err();
            format!("line {}: {invalid}", invalid.line)
        })
        .collect();
        insta::assert_snapshot!(refused.join("\n"));
    }
}
