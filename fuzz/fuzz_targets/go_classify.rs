//! go's messages, as s2i-assemble recognises them (`gofailure::classify`,
//! compiled in from s2i-assemble's sources: see build.rs). The input is
//! go's stderr, after leading lines `GOPROXY=...`, `GOPRIVATE=...`,
//! `GONOPROXY=...` or `GOTOOLCHAIN=...` that set the environment go ran
//! with. No panic, no hang; the line s2i-assemble prints after go's
//! output is one log line, whatever go printed (names from go's output
//! escaped).

#![no_main]
#![allow(dead_code, unused)]

include!(concat!(env!("OUT_DIR"), "/s2i_assemble_modules.rs"));

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use s2i_fuzz::assert_one_log_line;

const ENV: [&str; 4] = ["GOPROXY", "GOPRIVATE", "GONOPROXY", "GOTOOLCHAIN"];

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let mut env = BTreeMap::new();
    let mut rest: &str = &text;
    while let Some((line, after)) = rest.split_once('\n') {
        let Some((name, value)) = line.split_once('=') else {
            break;
        };
        if !ENV.contains(&name) {
            break;
        }
        env.insert(name.to_string(), value.to_string());
        rest = after;
    }
    let failure = gofailure::classify(rest, &env, Path::new("/tmp/src"));
    let error = errors::Error::GoFailed {
        command: "go build",
        status: "exit status: 1".into(),
        failure,
    };
    assert_one_log_line("go's failure explained", &error.to_string());
});
