//! Property tests of the parsers of outside text: `.s2i/environment`
//! (`envfile`) and the run manifest (`manifest`). Whatever the input: no
//! panic, a result in bounded time (the inputs are up to a few KB and each
//! case runs in microseconds; a hang would stall the suite), every error
//! names its line (and the manifest's its file), and what is accepted is
//! what a program can get.

use std::path::Path;

use proptest::prelude::*;
use s2i_common::envfile;
use s2i_common::manifest::RunManifest;
use s2i_common::variable;

/// Lines that look like `.s2i/environment`, with the hostile pieces mixed
/// in: comments, blanks, `export`, spaces and tabs, CR, NUL, a BOM,
/// invalid UTF-8, `=` in odd places, long values.
fn env_file_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => "[A-Z_]{1,8}=[ -~]{0,20}".prop_map(String::into_bytes),
        1 => Just(b"# a comment".to_vec()),
        1 => Just(Vec::new()),
        1 => Just(b"export GO_RUN=api".to_vec()),
        1 => Just(b"  SPACED  =  value  ".to_vec()),
        1 => Just(b"A B=1".to_vec()),
        1 => Just(b"=novalue".to_vec()),
        1 => Just(b"NOEQUALS".to_vec()),
        1 => Just(b"N=a\0b".to_vec()),
        1 => Just(b"CRLF=1\r".to_vec()),
        1 => Just(b"BAD=\xff\xfe".to_vec()),
        1 => Just("\u{feff}BOM=1".as_bytes().to_vec()),
        1 => Just(b"\x1b[2J=1".to_vec()),
        1 => (0usize..200_000).prop_map(|n| format!("LONG={}", "x".repeat(n)).into_bytes()),
        2 => prop::collection::vec(any::<u8>(), 0..30),
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join(&b'\n'))
}

fn line_count(bytes: &[u8]) -> usize {
    bytes.split(|b| *b == b'\n').count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn env_file_errors_name_a_line_and_variables_are_passable(bytes in env_file_bytes()) {
        match envfile::parse(&bytes) {
            Ok(file) => {
                for v in &file.variables {
                    prop_assert!(v.line >= 1 && v.line <= line_count(&bytes));
                    prop_assert_eq!(variable::check(&v.name, &v.value), Ok(()));
                    prop_assert_eq!(v.name.trim(), v.name.as_str());
                }
                for s in &file.skipped {
                    prop_assert!(s.line >= 1 && s.line <= line_count(&bytes));
                }
                // What was read, written back, reads the same.
                let text: String = file
                    .variables
                    .iter()
                    .map(|v| format!("{}={}\n", v.name, v.value))
                    .collect();
                let again = envfile::parse(text.as_bytes()).unwrap();
                let pairs = |f: &envfile::EnvFile| -> Vec<(String, String)> {
                    f.variables.iter().map(|v| (v.name.clone(), v.value.clone())).collect()
                };
                prop_assert_eq!(pairs(&again), pairs(&file));
            }
            Err(invalid) => {
                prop_assert!(invalid.line >= 1 && invalid.line <= line_count(&bytes));
                let message = invalid.to_string();
                prop_assert!(!message.is_empty());
                prop_assert!(!message.chars().any(char::is_control), "{:?}", message);
            }
        }
    }

    #[test]
    fn manifest_errors_name_the_file_and_a_line(text in manifest_text()) {
        let path = Path::new("/opt/app-root/s2i-run.toml");
        match RunManifest::parse(&text, path) {
            Ok(manifest) => {
                prop_assert!(!manifest.program.as_os_str().is_empty());
                for (name, value) in &manifest.env {
                    prop_assert_eq!(variable::check(name, value), Ok(()));
                }
                // Written back by s2i-assemble's writer, it reads the same.
                prop_assert_eq!(RunManifest::parse(&manifest.to_toml(), path).unwrap(), manifest);
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(message.starts_with("invalid run manifest /opt/app-root/s2i-run.toml, line "), "{}", message);
                let line: usize = message["invalid run manifest /opt/app-root/s2i-run.toml, line ".len()..]
                    .split(',')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                prop_assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "{}", message);
                prop_assert!(!message.chars().any(char::is_control), "{:?}", message);
            }
        }
    }

    #[test]
    fn written_manifests_read_back(
        program in "[a-z/._ -]{1,20}",
        args in prop::collection::vec(".{0,10}", 0..4),
        env in prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_.-]{0,10}", "[^\0]{0,20}", 0..4),
    ) {
        let manifest = RunManifest {
            program: program.into(),
            args,
            workdir: Some("src".into()),
            env,
        };
        let path = Path::new("/r/s2i-run.toml");
        prop_assert_eq!(RunManifest::parse(&manifest.to_toml(), path).unwrap(), manifest);
    }
}

/// Manifest-like TOML with hostile keys and values, and garbage.
fn manifest_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("OK".to_string()),
        Just("\"A B\"".to_string()),
        Just("\"X=Y\"".to_string()),
        Just("\"\"".to_string()),
        Just("\"N\\u0000\"".to_string()),
        Just("\"export X\"".to_string()),
        "[A-Z]{1,5}",
    ];
    let value = prop_oneof![
        Just("\"release\"".to_string()),
        Just("\"a\\u0000b\"".to_string()),
        Just("3".to_string()),
        "\"[ -~&&[^\"\\\\]]{0,10}\"",
    ];
    let env = prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect::<String>()
    });
    prop_oneof![
        4 => (
            prop_oneof![Just("program = \"bin/app\"\n"), Just("program = \"\"\n"), Just(""), Just("program = 1\n")],
            prop_oneof![Just(""), Just("args = [\"-v\"]\n"), Just("args = \"-v\"\n"), Just("workdir = \"src\"\n"), Just("bogus = 1\n")],
            env,
        )
            .prop_map(|(program, more, env)| format!("{program}{more}[env]\n{env}")),
        1 => ".{0,80}",
    ]
}
