//! The decision, from recorded inputs (Paketo's way with its parsers): each
//! case under `tests/decide/` holds the sources' top (go.mod, `.s2i/`
//! settings, the `.go` files), the process environment (`env`), and what
//! go said of them: `go-list.json` and `go-list.stderr`, recorded by
//! `record.sh` for the patterns in `go-list.patterns`, and `go-version`.
//! No go runs here. The snapshot is the plan `--dry-run` prints, or the
//! error line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::config;
use crate::detect::THROWAWAY_MODULE;
use crate::source;

const APP_ROOT: &str = "/opt/app-root";
const GO: &str = "/usr/local/go/bin/go";

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/decide")
        .join(case)
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// `env`: `NAME=value` lines.
fn process_env(dir: &Path) -> BTreeMap<String, String> {
    read(&dir.join("env"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Non-test `.go` files at the top, as `source::prepare` counts them.
fn root_go_files(sources: &Path) -> usize {
    std::fs::read_dir(sources)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".go") && !n.ends_with("_test.go"))
        .count()
}

/// The recorded `go list` answer, its paths in `build_dir`.
fn recorded_listing(dir: &Path, patterns: &[String], build_dir: &Path) -> Listing {
    let recorded = read(&dir.join("go-list.patterns")).unwrap_or_else(|| {
        panic!(
            "{}: decide asks go list about {patterns:?}: record it (go-list.patterns, record.sh)",
            dir.display()
        )
    });
    assert_eq!(
        recorded.split_whitespace().collect::<Vec<_>>(),
        patterns,
        "{}: the recording is of other patterns than decide asks about",
        dir.display()
    );
    let in_build_dir = |text: String| text.replace("$BUILD_DIR", &build_dir.display().to_string());
    let json = in_build_dir(read(&dir.join("go-list.json")).expect("go-list.json"));
    Listing {
        packages: serde_json::Deserializer::from_str(&json)
            .into_iter::<Package>()
            .collect::<Result<_, _>>()
            .expect("go-list.json is go list -json output"),
        warnings: in_build_dir(read(&dir.join("go-list.stderr")).unwrap_or_default()),
    }
}

/// What decide makes of a case: the plan as `--dry-run` prints it (and,
/// for a guessed root, the plan go list's answer gives when the root is
/// not a main package), or `error: ...`.
fn decide_case(case: &str) -> String {
    let dir = fixture(case);
    let sources = dir.join("sources");
    let outcome = (|| -> Result<String, Error> {
        let config = config::load(&sources, &process_env(&dir))?;
        let (kind, kind_warnings) = Kind::of(&source::inspect(&sources)?, &config)?;
        let work = Path::new(APP_ROOT).join(".s2i-assemble");
        let build_dir = detect::build_copy(&kind, &work).unwrap_or_else(|| sources.clone());
        let artifacts = dir.join("no-artifacts");
        let targets = detect::source_targets(&config.targets, &sources, &build_dir)?;
        let facts = Facts {
            src: &sources,
            app_root: Path::new(APP_ROOT),
            artifacts: &artifacts,
            config: &config,
            kind: &kind,
            kind_warnings: &kind_warnings,
            go: Path::new(GO),
            build_dir: &build_dir,
            work: &work,
            root_go_files: root_go_files(&sources),
            targets: &targets,
        };
        let env = go_env(&facts);
        let go_version = read(&dir.join("go-version")).unwrap_or("go1.27.3".into());
        let go_version = go_version.trim().to_string();
        let declared = match &kind {
            Kind::BareMain => Declared {
                module: Some(THROWAWAY_MODULE.into()),
                ..Declared::default()
            },
            _ => detect::read_go_mod(&read(&sources.join("go.mod")).unwrap_or_default()),
        };
        go_new_enough(&kind, &env.env, &go_version, &declared)?;
        let mut said = GoSaid {
            go_version,
            go_switched: None,
            declared,
            listing: None,
            elsewhere: Vec::new(),
        };
        let mut out = String::new();
        if env.copy_go_mod {
            out.push_str("(go.mod and go.sum are copied into the work area first)\n");
        }
        match to_list(&facts, &said.declared) {
            Some(patterns) => {
                said.listing = Some(recorded_listing(&dir, &patterns, &build_dir));
                out.push_str(&plan(&facts, env, &said)?.to_string());
            }
            None => {
                let guessed = plan(&facts, env.clone(), &said)?;
                out.push_str(&guessed.to_string());
                if dir.join("go-list.patterns").exists() {
                    let patterns = fallback_patterns(&facts, &said.declared);
                    assert_eq!(patterns, guessed.otherwise_listed);
                    said.listing = Some(recorded_listing(&dir, &patterns, &build_dir));
                    out.push_str("\nwhen go build says the root is not a main package:\n");
                    out.push_str(&plan(&facts, env, &said)?.to_string());
                }
            }
        }
        Ok(out)
    })();
    let text = match outcome {
        Ok(plans) => plans,
        Err(error) => format!("error: {error}\n"),
    };
    text.replace(&dir.display().to_string(), "[CASE]")
}

macro_rules! cases {
    ($($name:ident => $dir:literal,)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), decide_case($dir));
        }
    )*};
}

cases! {
    root_main_is_guessed_without_go_list => "root-main",
    root_main_named_as_go_names_a_v1_suffix => "root-main-v1-suffix",
    cmd_mains_and_go_run => "cmd-mains-go-run",
    several_cmd_mains_without_go_run => "cmd-mains-without-go-run",
    library_root_guessed_then_listed => "library-root",
    go_targets_naming_a_library => "targets-name-a-library",
    main_package_of_cgo_files_only => "cgo-only-main",
    go_mod_asks_for_a_newer_go => "go-too-old",
    mod_mod_goes_to_a_copy_of_go_mod => "mod-mod",
    vendored_module => "vendored",
    bare_main_go => "bare-main",
    package_go_cannot_load => "unloadable-package",
    go_toml_names_the_targets => "go-toml-targets",
    two_mains_named_alike => "same-program-name",
    built_for_another_machine => "other-machine",
}

#[test]
fn every_case_is_tested() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decide");
    let source = include_str!("tests.rs");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                source.contains(&format!("=> \"{name}\"")),
                "tests/decide/{name} is in no test"
            );
        }
    }
}

#[test]
fn run_choice() {
    fn targets(names: &[&str]) -> Vec<Target> {
        names
            .iter()
            .map(|n| Target {
                package: format!("./cmd/{n}"),
                binary: n.to_string(),
            })
            .collect()
    }
    let several = targets(&["api", "worker"]);
    assert_eq!(
        pick_run(&targets(&["api"]), None, false, None).unwrap(),
        Some(0)
    );
    assert_eq!(
        pick_run(&several, Some("worker"), false, None).unwrap(),
        Some(1)
    );
    assert_eq!(
        pick_run(&several, Some("./cmd/worker"), false, None).unwrap(),
        Some(1)
    );
    assert_eq!(pick_run(&several, None, true, None).unwrap(), Some(0));
    // Several found, none named: the one named like the module, else none.
    assert_eq!(
        pick_run(&several, None, false, Some("example.com/worker/v2")).unwrap(),
        Some(1)
    );
    assert_eq!(
        pick_run(&several, None, false, Some("example.com/multi")).unwrap(),
        None
    );
    assert_eq!(pick_run(&several, None, false, None).unwrap(), None);
    assert_eq!(
        pick_run(&targets(&["api"]), Some("web"), false, None).unwrap_err().to_string(),
        "GO_RUN=web names no program that is built (built: api): set GO_RUN to one of them, or add its package to GO_TARGETS"
    );
}
