//! `.s2i/go.toml` and `.s2i/environment` as s2i-assemble loads them
//! (`config::load`, compiled in from s2i-assemble's sources: see build.rs).
//! The input is the go.toml text, then, after a line `#%% environment`,
//! the environment file's. No panic; a refusal is one log line that names
//! the file (and line) or the setting; what is accepted is what a program
//! can get, and IMPORT_URL/INSTALL_URL place nothing outside GOPATH.

#![no_main]
#![allow(dead_code, unused)]

include!(concat!(env!("OUT_DIR"), "/s2i_assemble_modules.rs"));

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use s2i_fuzz::{assert_names_a_line, assert_one_log_line, line_count};

const SPLIT: &[u8] = b"\n#%% environment\n";

/// One source directory for the whole run: the files are rewritten for
/// each input.
fn source() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("s2i-fuzz-src-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join(".s2i")).unwrap();
        dir
    })
    .path()
}

fuzz_target!(|bytes: &[u8]| {
    let (go_toml, env_file) = match bytes.windows(SPLIT.len()).position(|w| w == SPLIT) {
        Some(at) => (&bytes[..at], Some(&bytes[at + SPLIT.len()..])),
        None => (bytes, None),
    };
    let src = source();
    std::fs::write(src.join(config::GO_TOML), go_toml).unwrap();
    match env_file {
        Some(text) => std::fs::write(src.join(config::ENV_FILE), text).unwrap(),
        None => {
            let _ = std::fs::remove_file(src.join(config::ENV_FILE));
        }
    }
    let process_env = BTreeMap::from([("GOPATH".to_string(), "/gopath".to_string())]);
    match config::load(src, &process_env) {
        Ok(config) => {
            for (name, value) in &config.env {
                assert_eq!(
                    s2i_common::variable::check(name, value),
                    Ok(()),
                    "{name:?} passed on"
                );
            }
            for url in [&config.import_url, &config.install_url]
                .into_iter()
                .flatten()
            {
                let path = Path::new(url);
                assert!(
                    !url.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_))),
                    "an import path that leaves GOPATH/src: {url:?}"
                );
            }
            for warning in &config.warnings {
                assert_one_log_line("a settings warning", warning);
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert_one_log_line("settings refused", &message);
            match &error {
                errors::Error::GoTomlInvalid { .. } => {
                    assert!(message.contains(".s2i/go.toml"), "{message}");
                    assert_names_a_line("go.toml", &message, line_count(go_toml));
                }
                errors::Error::EnvFileInvalid { .. } => {
                    assert!(message.contains(".s2i/environment"), "{message}");
                    assert_names_a_line("environment", &message, line_count(env_file.unwrap()));
                }
                errors::Error::BadSetting { name, .. } => {
                    assert!(message.contains(name), "{message}");
                }
                errors::Error::SettingsFileTooLarge { .. } => {}
                other => panic!("unexpected refusal: {other:?}: {message}"),
            }
        }
    }
});
