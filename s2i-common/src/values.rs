//! The grammars of setting values, one for each kind, shared by every
//! binary: a boolean means the same in `GO_CLEAN_CACHE` and in
//! `S2I_RUN_VERBOSE`. An empty value is no value (a Dockerfile's `ENV` cannot
//! unset a variable): callers treat it as unset before asking these.
//! Signal names are in [`crate::signals`].

use std::time::Duration;

/// What [`boolean`] takes, for messages and help.
pub const BOOLEAN_EXPECTED: &str = "true or false (or 1/0, yes/no, on/off)";

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any case, spaces
/// around ignored; `None` for anything else.
pub fn boolean(text: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "1", "yes", "on"];
    const FALSE: [&str; 4] = ["false", "0", "no", "off"];
    let text = text.trim();
    if TRUE.iter().any(|word| word.eq_ignore_ascii_case(text)) {
        Some(true)
    } else if FALSE.iter().any(|word| word.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

/// What [`duration`] takes, for messages and help.
pub const DURATION_EXPECTED: &str =
    "a number of seconds, such as 5 or 0.5, or with a unit: 500ms, 10s, 2m";

/// A decimal number (`5`, `0.5`, `.25`, `2.`) of seconds, or of the unit
/// that follows it: `ms`, `s`, `m` (`500ms`, `1.5m`); spaces around ignored.
/// Exact to the nanosecond. (By hand: float parsing is the bigger part of a
/// number parser, and s2i-run, which ships in every image, needs none.)
pub fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, nanos_per_unit) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000_000u128)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000_000_000)
    } else {
        (text, 1_000_000_000)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // The fraction to 18 digits: exact for every unit down to the nanosecond.
    let digits = fraction.len().min(18);
    let scale = 10u128.pow(digits as u32);
    let fraction: u128 = if digits == 0 {
        0
    } else {
        fraction[..digits].parse().ok()?
    };
    let nanos = whole
        .checked_mul(nanos_per_unit)?
        .checked_add(fraction * nanos_per_unit / scale)?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// What [`percent`] takes, for messages and help.
pub const PERCENT_EXPECTED: &str = "a whole percentage from 1 to 100, such as 90 or 90%";

/// A whole percentage, 1 to 100, with or without `%`; spaces around ignored.
pub fn percent(text: &str) -> Option<u8> {
    let text = text.trim();
    let number = text.strip_suffix('%').unwrap_or(text);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse::<u8>().ok().filter(|n| (1..=100).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_in_any_case() {
        for word in [
            "true", "TRUE", "True", "1", "yes", "Yes", "on", "ON", " true ",
        ] {
            assert_eq!(boolean(word), Some(true), "{word:?}");
        }
        for word in ["false", "FALSE", "0", "no", "NO", "off", "Off"] {
            assert_eq!(boolean(word), Some(false), "{word:?}");
        }
        for word in ["", "2", "y", "n", "enabled", "truee", "-1", "01"] {
            assert_eq!(boolean(word), None, "{word:?}");
        }
    }

    #[test]
    fn percentages_are_whole_from_1_to_100() {
        assert_eq!(percent("90"), Some(90));
        assert_eq!(percent("90%"), Some(90));
        assert_eq!(percent(" 100 "), Some(100));
        assert_eq!(percent("1"), Some(1));
        for bad in [
            "", "0", "101", "255", "256", "-5", "50.5", "%", "9 0", "0x10",
        ] {
            assert_eq!(percent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations_are_decimal_with_an_optional_unit() {
        let ms = Duration::from_millis;
        assert_eq!(duration("5"), Some(Duration::from_secs(5)));
        assert_eq!(duration("0.5"), Some(ms(500)));
        assert_eq!(duration(".25"), Some(ms(250)));
        assert_eq!(duration("2."), Some(Duration::from_secs(2)));
        assert_eq!(duration(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(
            duration("0.1234567891"),
            Some(Duration::new(0, 123_456_789))
        );
        assert_eq!(duration("500ms"), Some(ms(500)));
        assert_eq!(duration("1.5ms"), Some(Duration::from_micros(1500)));
        assert_eq!(duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(duration("0.5m"), Some(Duration::from_secs(30)));
        assert_eq!(
            duration("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in [
            "",
            ".",
            "abc",
            "-1",
            "1e3",
            "1.2.3",
            "+1",
            "ms",
            "5 s",
            "5h",
            "5S",
            "s5",
            "18446744073709551616",
            "99999999999999999999999999999999999999999m",
        ] {
            assert_eq!(duration(bad), None, "{bad:?}");
        }
    }
}
