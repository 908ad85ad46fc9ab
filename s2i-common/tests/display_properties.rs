//! Property tests of `display::Escaped`: whatever the bytes, what it prints
//! is one line with no control character, ordinary text is unchanged, and
//! the original bytes can be read back (two names never print the same).

use proptest::prelude::*;
use s2i_common::display::Escaped;

/// Bytes biased towards what matters: controls, quotes, backslashes,
/// multi-byte characters cut in half, and plain text.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\x1b[31m".to_vec()),
        Just(b"\n---> Done".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just("\u{202e}".as_bytes().to_vec()),
        Just("\u{85}".as_bytes().to_vec()),
        Just("é".as_bytes()[..1].to_vec()),
        "[a-z/. ]{0,8}".prop_map(String::into_bytes),
        any::<u8>().prop_map(|b| vec![b]),
        ".{0,4}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Reads back what `Escaped` printed.
fn unescape(shown: &str) -> Vec<u8> {
    let Some(inner) = shown
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|_| shown.len() >= 2)
    else {
        return shown.as_bytes().to_vec();
    };
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next().expect("a complete escape") {
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            '"' => out.push(b'"'),
            '\\' => out.push(b'\\'),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("two hex digits"));
            }
            'u' => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let c = char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap();
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            other => panic!("unknown escape \\{other} in {shown}"),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn prints_one_line_without_controls(bytes in hostile_bytes()) {
        let shown = Escaped::bytes(&bytes).to_string();
        prop_assert!(
            !shown.chars().any(|c| c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')),
            "{shown:?}"
        );
    }

    #[test]
    fn reads_back_to_the_same_bytes(bytes in hostile_bytes()) {
        let shown = Escaped::bytes(&bytes).to_string();
        prop_assert_eq!(unescape(&shown), bytes);
    }

    #[test]
    fn ordinary_text_is_unchanged(text in "[^\"\\p{Cc}\u{2028}\u{2029}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{feff}\u{61c}\u{200e}\u{200f}][^\\p{Cc}\u{2028}\u{2029}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{feff}\u{61c}\u{200e}\u{200f}]{0,40}") {
        prop_assert_eq!(Escaped::new(&text).to_string(), text);
    }
}
