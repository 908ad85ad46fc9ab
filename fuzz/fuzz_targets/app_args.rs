//! `APP_ARGS` as s2i-run splits it (`target::resolve`, compiled in from
//! s2i-run's sources: see build.rs), any bytes: no panic; a refusal names
//! APP_ARGS and is one log line; what is accepted is split as a shell
//! would, with nothing expanded: quoted back, it splits the same.

#![no_main]
#![allow(dead_code, unused)]

include!(concat!(env!("OUT_DIR"), "/s2i_run_modules.rs"));

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use s2i_fuzz::assert_one_log_line;

fuzz_target!(|bytes: &[u8]| {
    let value = OsString::from_vec(bytes.to_vec());
    let command = vec![OsString::from("program"), OsString::from("--own")];
    match target::resolve(command, Path::new("/nonexistent"), Some(value)) {
        Ok(target) => {
            assert_eq!(target.program, "program");
            assert_eq!(
                target.args[0], "--own",
                "the program's own arguments come first"
            );
            let words: Vec<String> = target.args[1..]
                .iter()
                .map(|w| w.clone().into_string().expect("split from UTF-8"))
                .collect();
            let quoted = shell_words::join(&words);
            assert_eq!(
                shell_words::split(&quoted).unwrap(),
                words,
                "quoted back as {quoted:?}"
            );
            // What has no quote, backslash or `#` is split at spaces, tabs
            // and newlines only: nothing is expanded or dropped.
            let text = std::str::from_utf8(bytes).unwrap();
            if !text.contains(['"', '\'', '\\', '#']) {
                let plain: Vec<&str> = text
                    .split([' ', '\t', '\n'])
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(words, plain, "{text:?}");
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("APP_ARGS"), "{message}");
            for line in message.lines() {
                assert_one_log_line("APP_ARGS refused", line);
            }
        }
    }
});
