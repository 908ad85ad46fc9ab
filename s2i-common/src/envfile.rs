//! `.s2i/environment`, parsed exactly as the s2i CLI parses it.
//!
//! One `NAME=VALUE` a line, split at the first `=`; name and value trimmed of
//! surrounding white space; the value taken literally (no quotes removed, no
//! `$` expanded); `#` starts a comment line; a line without `=` or with an
//! empty name is skipped. s2i skips such lines silently; we also say so.

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

pub fn parse(text: &str) -> EnvFile {
    let mut file = EnvFile::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
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
        file.variables.push(Variable {
            name: name.to_string(),
            value: value.trim().to_string(),
            line,
        });
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_literal_and_trimmed() {
        let f = parse("A=1\n  B = two words  \nC=\"quoted\"\nD=$HOME\nE=x=y\nF=\n");
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
        let f = parse("# comment\n\n  # indented comment\nNOEQUALS\n=value\nOK=1\r\n");
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
        let f = parse("A=1\nA=2\n");
        assert_eq!(f.get("A"), Some("2"));
        assert_eq!(f.get("B"), None);
    }
}
