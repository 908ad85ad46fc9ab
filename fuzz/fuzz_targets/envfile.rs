//! `.s2i/environment` (s2i-common `envfile::parse`), any bytes: no panic;
//! a refusal names a line of the file and is one log line; what is read
//! is what a program can get, from a line of the file, and reads the same
//! when written back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s2i_common::{envfile, variable};
use s2i_fuzz::{assert_one_log_line, line_count};

fuzz_target!(|bytes: &[u8]| {
    let lines = line_count(bytes);
    match envfile::parse(bytes) {
        Ok(file) => {
            for v in &file.variables {
                assert!((1..=lines).contains(&v.line), "{v:?} of {lines} lines");
                assert_eq!(variable::check(&v.name, &v.value), Ok(()), "{v:?}");
                assert_eq!(v.name.trim(), v.name, "{v:?}");
                assert_eq!(v.value.trim(), v.value, "{v:?}");
            }
            for s in &file.skipped {
                assert!((1..=lines).contains(&s.line), "{s:?} of {lines} lines");
            }
            let text: String = file
                .variables
                .iter()
                .map(|v| format!("{}={}\n", v.name, v.value))
                .collect();
            let again = envfile::parse(text.as_bytes()).expect("what was read reads again");
            let pairs = |f: &envfile::EnvFile| -> Vec<(String, String)> {
                f.variables
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect()
            };
            assert_eq!(pairs(&again), pairs(&file));
        }
        Err(invalid) => {
            assert!(
                (1..=lines).contains(&invalid.line),
                "line {} of {lines}",
                invalid.line
            );
            assert_one_log_line(".s2i/environment refused", &invalid.to_string());
        }
    }
});
