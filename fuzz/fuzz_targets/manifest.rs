//! The run manifest (s2i-common `RunManifest::parse`), any text: no panic;
//! a refusal is one log line that names the file and a line of it; what is
//! accepted has a program and an environment a program can get, and
//! reads back the same once written (`to_toml`, what s2i-assemble writes
//! and s2i-run reads).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use s2i_common::manifest::RunManifest;
use s2i_fuzz::{assert_names_a_line, assert_one_log_line, line_count};

const PATH: &str = "/opt/app-root/s2i-run.toml";

fuzz_target!(|bytes: &[u8]| {
    // Text that is not UTF-8 is refused by `load`'s read, naming the path.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match RunManifest::parse(text, Path::new(PATH)) {
        Ok(manifest) => {
            assert!(!manifest.program.as_os_str().is_empty());
            assert_eq!(s2i_common::variable::check_all(&manifest.env), Ok(()));
            let written = manifest.to_toml();
            let again = RunManifest::parse(&written, Path::new(PATH))
                .unwrap_or_else(|e| panic!("written back, it does not read: {e}\n{written}"));
            assert_eq!(again, manifest, "written back as\n{written}");
        }
        Err(error) => {
            let message = error.to_string();
            assert_one_log_line("run manifest refused", &message);
            assert!(message.contains(PATH), "{message}");
            assert_names_a_line("run manifest", &message, line_count(bytes));
        }
    }
});
