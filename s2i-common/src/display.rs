//! Names and values from the outside (file names, tar entry names,
//! variables' values) as a log line may show them.
//!
//! A name may hold anything but `/` and NUL: an escape sequence that
//! recolours or clears the terminal, a newline followed by a fake
//! `---> Done`, bytes that are not UTF-8. [`Escaped`] prints ordinary text
//! unchanged, and anything else as one quoted string, with the escapes of
//! Go's `%q` (and Rust's `{:?}`): `"evil\n---> Done"`, `"caf\xe9.txt"`.
//! Quotes appear only when something is escaped, so the reader knows that
//! `\n` in a quoted name is a newline and in an unquoted one two characters.

use std::ffi::OsStr;
use std::fmt::{self, Write};
use std::os::unix::ffi::OsStrExt;

/// Shows `name` safely in a log line; see the module's documentation.
///
/// ```
/// use s2i_common::display::Escaped;
/// assert_eq!(Escaped::new("cmd/api").to_string(), "cmd/api");
/// assert_eq!(Escaped::new("x\n---> Done").to_string(), r#""x\n---> Done""#);
/// ```
#[derive(Clone, Copy)]
pub struct Escaped<'a>(&'a [u8]);

impl<'a> Escaped<'a> {
    /// A path, an OS string or a string.
    pub fn new<S: AsRef<OsStr> + ?Sized>(name: &'a S) -> Escaped<'a> {
        Escaped(name.as_ref().as_bytes())
    }

    /// Raw bytes, such as a tar entry's name.
    pub fn bytes(name: &'a [u8]) -> Escaped<'a> {
        Escaped(name)
    }

    /// True when the name prints quoted and escaped.
    pub fn needs_quotes(&self) -> bool {
        self.0.first() == Some(&b'"')
            || self
                .0
                .utf8_chunks()
                .any(|chunk| !chunk.invalid().is_empty() || chunk.valid().chars().any(needs_escape))
    }
}

/// Shorthand for [`Escaped::new`].
pub fn escaped<S: AsRef<OsStr> + ?Sized>(name: &S) -> Escaped<'_> {
    Escaped::new(name)
}

/// Characters that a terminal or a log reader does not show as themselves:
/// the C0 and C1 controls and DEL (escape sequences, line breaks), Unicode's
/// line and paragraph separators, the marks that reorder text (bidirectional
/// controls: a name that reads differently than it is), and the
/// byte-order mark (invisible).
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.needs_quotes() {
            // Valid UTF-8 without anything to escape (needs_quotes says so).
            return f.write_str(std::str::from_utf8(self.0).unwrap_or_default());
        }
        f.write_char('"')?;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    c => write_char_escaped(f, c)?,
                }
            }
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        f.write_char('"')
    }
}

/// Writes `c` as [`Escaped`] and [`EscapedLine`] show it: a character that
/// [`needs_escape`] as `\n`, `\r`, `\t`, `\xNN` or `\u{N}`, any other as is.
fn write_char_escaped(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        c if c.is_ascii() && needs_escape(c) => write!(f, "\\x{:02x}", c as u32),
        c if needs_escape(c) => write!(f, "\\u{{{:x}}}", c as u32),
        c => f.write_char(c),
    }
}

/// A line composed around outside text (go's words, say), with every
/// character that [`needs_escape`] written as [`Escaped`] writes it and the
/// rest unchanged, without quotes: where the outside pieces cannot each be
/// quoted on their own, nothing of them still reaches the log raw.
///
/// ```
/// use s2i_common::display::EscapedLine;
/// assert_eq!(EscapedLine("package x\n---> Done: fix it").to_string(), "package x\\n---> Done: fix it");
/// ```
#[derive(Clone, Copy)]
pub struct EscapedLine<'a>(pub &'a str);

impl fmt::Display for EscapedLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            write_char_escaped(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A size in bytes, as every log line of every binary shows one: in MiB
/// (2^20 bytes, the unit of memory limits and of Go's `GOMEMLIMIT`), to a
/// tenth: `6.1 MiB`, `2048.0 MiB`; `0 MiB` when empty and `<0.1 MiB` when
/// under a tenth, so that a few bytes never read as nothing.
///
/// ```
/// use s2i_common::display::MiB;
/// assert_eq!(MiB(6_400_000).to_string(), "6.1 MiB");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiB(pub u64);

impl fmt::Display for MiB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // In u64 integers, rounded to the nearest tenth: no float or u128
        // arithmetic and formatting in s2i-run, which ships in every image
        // (u128 costs it a page). Whole MiB and the rest apart, so that
        // nothing overflows.
        const UNIT: u64 = 1 << 20;
        let tenths = self.0 / UNIT * 10 + (self.0 % UNIT * 10 + UNIT / 2) / UNIT;
        match (self.0, tenths) {
            (0, _) => f.write_str("0 MiB"),
            (_, 0) => f.write_str("<0.1 MiB"),
            _ => write!(f, "{}.{} MiB", tenths / 10, tenths % 10),
        }
    }
}

/// An io::Error as a reason in a message: `No space left on device`, not
/// `No space left on device (os error 28)`: the number helps nobody.
pub fn reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    use std::path::Path;

    #[test]
    fn ordinary_names_print_unchanged() {
        for name in [
            "",
            "cmd/api",
            "/tmp/src/templates/index.html",
            "my app/main.go",
            "naïve-café/日本語.txt",
            "a\\nb",
            "it's",
            "emoji-😀",
        ] {
            assert_eq!(Escaped::new(name).to_string(), name);
            assert!(!Escaped::new(name).needs_quotes(), "{name}");
        }
    }

    #[test]
    fn lines_escape_only_what_needs_it() {
        assert_eq!(EscapedLine("cmd/api: naïve").to_string(), "cmd/api: naïve");
        assert_eq!(
            EscapedLine("of x\n---> Done\u{1b}[2J\u{202e}\t\"q\"").to_string(),
            r#"of x\n---> Done\x1b[2J\u{202e}\t"q""#
        );
    }

    #[test]
    fn hostile_names_are_quoted_and_escaped() {
        let invalid = OsString::from_vec(b"caf\xe9/\xff\xfe.txt".to_vec());
        let shown = [
            Escaped::new("x\n---> Done in 0.1s").to_string(),
            Escaped::new("\x1b[2J\x1b[31mred").to_string(),
            Escaped::new("tab\there\rcr\0nul\x7fdel").to_string(),
            Escaped::new("c1\u{85}next-line\u{9b}csi").to_string(),
            Escaped::new("bidi\u{202e}txt.exe\u{2066}").to_string(),
            Escaped::new("ls\u{2028}ps\u{2029}bom\u{feff}").to_string(),
            Escaped::new("\"quoted\" and \\ with \n").to_string(),
            Escaped::new("\"starts with a quote").to_string(),
            Escaped::new(Path::new(&invalid)).to_string(),
            Escaped::bytes(b"go-build/\x1b]0;title\x07").to_string(),
        ];
        insta::assert_snapshot!(shown.join("\n"));
    }

    #[test]
    fn sizes_are_in_mib_to_a_tenth() {
        for (bytes, shown) in [
            (0, "0 MiB"),
            (1, "<0.1 MiB"),
            (52_428, "<0.1 MiB"),
            (52_429, "0.1 MiB"),
            (812 * 1024, "0.8 MiB"),
            (1 << 20, "1.0 MiB"),
            (6_400_000, "6.1 MiB"),
            (2 << 30, "2048.0 MiB"),
            (u64::MAX, "17592186044416.0 MiB"),
        ] {
            assert_eq!(MiB(bytes).to_string(), shown, "{bytes}");
        }
    }

    #[test]
    fn formats_in_place() {
        let name = "a\nb";
        assert_eq!(
            format!("file {} here", escaped(name)),
            "file \"a\\nb\" here"
        );
        assert_eq!(format!("{:?}", escaped("ok")), "ok");
    }

    #[test]
    fn reasons_lose_the_error_number() {
        let full = std::io::Error::from_raw_os_error(28);
        assert_eq!(super::reason(&full), "No space left on device");
        let other = std::io::Error::other("broken (badly)");
        assert_eq!(super::reason(&other), "broken (badly)");
    }
}
