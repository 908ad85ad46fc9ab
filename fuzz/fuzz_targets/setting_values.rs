//! The grammars of setting values (s2i-common `values` and `signals`) and
//! s2i-run's settings read with them (`cli::parse`, compiled in from
//! s2i-run's sources: see build.rs). The first byte picks the setting, the
//! rest is its value. No panic; a refusal is one log line naming the
//! variable; what is accepted means what the shared grammar says.

#![no_main]
#![allow(dead_code, unused)]

include!(concat!(env!("OUT_DIR"), "/s2i_run_modules.rs"));

use std::ffi::OsString;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use s2i_common::settings::{run, Setting};
use s2i_common::signals as signal_names;
use s2i_common::values;
use s2i_fuzz::assert_one_log_line;

const SETTINGS: [&Setting; 8] = [
    &run::INIT,
    &run::STOP_SIGNAL,
    &run::SIGNAL_GROUP,
    &run::GRACE,
    &run::VERBOSE,
    &run::EXIT_REMAP,
    &run::GOMEMLIMIT_FROM_CGROUP,
    &run::GOMEMLIMIT_SHARE,
];

/// The shared grammars on their own.
fn grammars(text: &str) {
    let boolean = values::boolean(text);
    assert_eq!(
        boolean,
        values::boolean(&text.to_ascii_uppercase()),
        "{text:?}"
    );
    assert_eq!(boolean, values::boolean(&format!(" {text}\t")), "{text:?}");
    if let Some(d) = values::duration(text) {
        let exact = format!("{}.{:09}", d.as_secs(), d.subsec_nanos());
        assert_eq!(values::duration(&exact), Some(d), "{text:?} as {exact}");
        if let Some(ms) = text.trim().strip_suffix("ms") {
            if let Some(s) = values::duration(ms) {
                assert_eq!(s.as_nanos() / 1000, d.as_nanos(), "{text:?}");
            }
        }
    }
    if let Some(p) = values::percent(text) {
        assert!((1..=100).contains(&p), "{text:?}: {p}");
    }
    if let Some(n) = signal_names::number(text) {
        assert!((1..=signal_names::MAX_SIGNAL).contains(&n), "{text:?}: {n}");
        // A name for messages: `SIGTERM`, `SIGRTMIN+2`, or `signal 33`
        // for the two that glibc keeps below SIGRTMIN.
        let name = signal_names::name(n);
        if name.starts_with("SIG") {
            assert_eq!(signal_names::number(&name), Some(n), "{text:?}: {name}");
        }
        assert_one_log_line("a signal's name", &name);
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&pick, value)) = bytes.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(value) {
        grammars(text);
    }
    if value.len() >= 4 {
        let n = i32::from_le_bytes(value[..4].try_into().unwrap());
        let _ = signal_names::name(n);
        let _ = signal_names::cannot_end_a_program(n);
    }

    let setting = SETTINGS[usize::from(pick) % SETTINGS.len()];
    let env =
        |asked: &Setting| (asked.name == setting.name).then(|| OsString::from_vec(value.to_vec()));
    use std::os::unix::ffi::OsStringExt;
    match cli::parse(Vec::<OsString>::new(), env) {
        Ok(cli::Action::Run(config)) => {
            let Ok(text) = std::str::from_utf8(value) else {
                panic!("{} took a value that is not UTF-8: {value:?}", setting.name);
            };
            let text = if text.is_empty() {
                setting.default
            } else {
                text
            };
            if setting.name == run::GRACE.name {
                assert_eq!(Some(config.grace), values::duration(text), "{text:?}");
            } else if setting.name == run::STOP_SIGNAL.name {
                assert_eq!(
                    Some(config.stop_signal),
                    signal_names::number(text),
                    "{text:?}"
                );
                assert_eq!(signal_names::cannot_end_a_program(config.stop_signal), None);
            } else if setting.name == run::SIGNAL_GROUP.name {
                assert_eq!(Some(config.signal_group), values::boolean(text), "{text:?}");
            } else if setting.name == run::GOMEMLIMIT_SHARE.name {
                assert_eq!(
                    Some(config.gomemlimit_share),
                    values::percent(text),
                    "{text:?}"
                );
            } else if setting.name == run::EXIT_REMAP.name {
                let mut from: Vec<i32> = config.exit_remap.iter().map(|(f, _)| *f).collect();
                for (f, t) in &config.exit_remap {
                    assert!((0..=255).contains(f) && (0..=255).contains(t), "{text:?}");
                }
                from.sort();
                from.dedup();
                assert_eq!(
                    from.len(),
                    config.exit_remap.len(),
                    "each FROM once: {text:?}"
                );
            }
        }
        Ok(other) => panic!("no arguments, yet {other:?}"),
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains(setting.name), "{message}");
            for line in message.lines() {
                assert_one_log_line("a setting refused", line);
            }
        }
    }
});
