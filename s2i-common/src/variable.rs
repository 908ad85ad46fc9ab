//! What an environment variable must be to reach a program: the rules that
//! `.s2i/environment`, `.s2i/go.toml`'s `[env]` and the run manifest's
//! `[env]` are held to, so that a bad one is refused where it is written,
//! with its file and line, and not by the kernel later ("Argument list too
//! long") or by std ("nul byte found").
//!
//! Names: anything but empty, `=` (the environment splits NAME=VALUE at the
//! first one), white space, and the control and invisible characters that
//! `display` escapes (NUL, ESC, a byte-order mark, bidirectional marks). Dots
//! and dashes pass: Linux and Go take them, and some applications read
//! such names. Values: anything but NUL, and `NAME=VALUE` at most
//! [`MAX_BYTES`].

use std::collections::BTreeMap;
use std::fmt;

use crate::display::Escaped;

/// The longest `NAME=VALUE` Linux passes to a program: MAX_ARG_STRLEN
/// (32 pages, 128 KiB) counts the terminating NUL too.
pub const MAX_BYTES: usize = 128 * 1024 - 1;

/// Why a variable cannot be passed on. Its Display says what is wrong and
/// what to write instead; the caller says where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    EmptyName,
    /// `export NAME=VALUE`: shell syntax, which s2i takes as a name with a
    /// space in it.
    Export {
        name: String,
    },
    NameWithEquals {
        name: String,
    },
    NameWithSpace {
        name: String,
    },
    NameWithControl {
        name: String,
    },
    NulInValue {
        name: String,
    },
    TooLong {
        name: String,
        bytes: usize,
    },
}

/// Checks `name` and `value` against the rules above.
pub fn check(name: &str, value: &str) -> Result<(), Problem> {
    let owned = || name.to_string();
    if name.is_empty() {
        return Err(Problem::EmptyName);
    }
    if let Some(rest) = name.strip_prefix("export") {
        if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
            return Err(Problem::Export {
                name: rest.trim().to_string(),
            });
        }
    }
    if name.chars().any(crate::display::needs_escape) {
        return Err(Problem::NameWithControl { name: owned() });
    }
    if name.contains('=') {
        return Err(Problem::NameWithEquals { name: owned() });
    }
    if name.chars().any(char::is_whitespace) {
        return Err(Problem::NameWithSpace { name: owned() });
    }
    if value.contains('\0') {
        return Err(Problem::NulInValue { name: owned() });
    }
    let bytes = name.len() + 1 + value.len();
    if bytes > MAX_BYTES {
        return Err(Problem::TooLong {
            name: owned(),
            bytes,
        });
    }
    Ok(())
}

/// The first variable of `env` that [`check`] refuses, and why.
pub fn check_all(env: &BTreeMap<String, String>) -> Result<(), (&str, Problem)> {
    match env
        .iter()
        .find_map(|(name, value)| check(name, value).err().map(|p| (name.as_str(), p)))
    {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// Checks the variables of the top-level `env` table of the TOML `text`
/// (as already read into `env`); on a problem, where it is in `text`: the
/// byte offset of the name, or of the value when the value is wrong.
pub fn check_toml_env(text: &str, env: &BTreeMap<String, String>) -> Result<(), (usize, Problem)> {
    let Err((name, problem)) = check_all(env) else {
        return Ok(());
    };
    // Read again, with places: only now, for the one message.
    #[derive(serde::Deserialize)]
    struct Places {
        #[serde(default)]
        env: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    }
    let offset = toml::from_str::<Places>(text)
        .ok()
        .and_then(|places| {
            let (key, value) = places.env.into_iter().find(|(k, _)| k.get_ref() == name)?;
            Some(match problem {
                Problem::NulInValue { .. } => value.span().start,
                _ => key.span().start,
            })
        })
        .unwrap_or(0);
    Err((offset, problem))
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::EmptyName => f.write_str("a variable has an empty name: write NAME=VALUE"),
            Problem::Export { name } => write!(
                f,
                "`export {}` is shell syntax, which is not read here (s2i would name the variable \"export {}\"): write {}=VALUE",
                Escaped::new(name),
                Escaped::new(name),
                Escaped::new(name)
            ),
            Problem::NameWithEquals { name } => write!(
                f,
                "the name {} holds `=`, which ends a name in the environment: use a name without it",
                Quoted(name)
            ),
            Problem::NameWithSpace { name } => write!(
                f,
                "the name {} holds white space, which no shell or program can name: use letters, digits and `_`",
                Quoted(name)
            ),
            Problem::NameWithControl { name } => write!(
                f,
                "the name {} holds a control or invisible character: use letters, digits and `_`",
                Quoted(name)
            ),
            Problem::NulInValue { name } => write!(
                f,
                "the value of {} holds a NUL byte, which no program's environment can carry: remove it",
                Escaped::new(name)
            ),
            Problem::TooLong { name, bytes } => write!(
                f,
                "{}=VALUE is {bytes} bytes, more than Linux passes to a program ({MAX_BYTES} bytes per variable): put large data in a file of the sources and name the file instead",
                Escaped::new(name)
            ),
        }
    }
}

/// A name in quotes, escaped where it needs to be (always quoted, so that
/// a space in it shows).
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let escaped = Escaped::new(self.0);
        if escaped.needs_quotes() {
            write!(f, "{escaped}")
        } else {
            write!(f, "\"{escaped}\"")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_variables_pass() {
        for (name, value) in [
            ("GO_TARGETS", "./cmd/api"),
            ("lower_case", ""),
            ("spring.profiles.active", "dev"),
            ("WITH-DASH", "a=b c"),
            ("_1", "naïve ☃"),
            ("exported", "1"),
            ("export", "1"),
        ] {
            assert_eq!(check(name, value), Ok(()), "{name}");
        }
        let longest = "V".repeat(MAX_BYTES - 2);
        assert_eq!(check("N", &longest), Ok(()));
    }

    #[test]
    fn problems_say_what_and_how() {
        let long = "x".repeat(MAX_BYTES);
        let problems: Vec<String> = [
            ("", "1"),
            ("export GO_TARGETS", "./cmd/api"),
            ("X=Y", "1"),
            ("A B", "1"),
            ("A\tB", "1"),
            ("A\0B", "1"),
            ("\u{1b}[31mRED", "1"),
            ("\u{feff}BOM", "1"),
            ("NUL", "a\0b"),
            ("BIG", long.as_str()),
        ]
        .iter()
        .map(|(name, value)| check(name, value).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(problems.join("\n"));
    }

    #[test]
    fn toml_env_problems_point_at_the_key_or_value() {
        fn at(text: &str) -> Result<(), (&str, String)> {
            #[derive(serde::Deserialize)]
            struct File {
                env: BTreeMap<String, String>,
            }
            let env = toml::from_str::<File>(text).unwrap().env;
            check_toml_env(text, &env).map_err(|(offset, p)| (&text[offset..], p.to_string()))
        }
        assert_eq!(at("[env]\nA = \"1\"\n"), Ok(()));
        let (rest, _) = at("[env]\nOK = \"1\"\n\"A B\" = \"2\"\n").unwrap_err();
        assert!(rest.starts_with("\"A B\""), "{rest}");
        let (rest, _) = at("env = { \"X=Y\" = \"1\" }\n").unwrap_err();
        assert!(rest.starts_with("\"X=Y\""), "{rest}");
        let (rest, why) = at("[env]\nN = \"a\\u0000b\"\n").unwrap_err();
        assert!(rest.starts_with("\"a\\u0000b\""), "{rest}");
        assert!(why.starts_with("the value of N holds a NUL byte"), "{why}");
    }
}
