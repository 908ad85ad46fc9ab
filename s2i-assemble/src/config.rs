//! Settings, layered: the process environment, then the source's
//! `.s2i/environment` (in an S2I build s2i has already exported it; locally
//! nobody has), then `.s2i/go.toml`, then the defaults. The names come from
//! the one table in `s2i_common::settings`.

use std::collections::BTreeMap;
use std::path::Path;

use s2i_common::settings::{
    self, GO_BUILD_FLAGS, GO_CLEAN_CACHE, GO_LDFLAGS, GO_RUN, GO_TAGS, GO_TARGETS, IMPORT_URL,
    INSTALL_URL,
};
use s2i_common::{envfile, values};
use serde::Deserialize;

use crate::errors::Error;
use crate::inputs;

pub const ENV_FILE: &str = ".s2i/environment";
pub const GO_TOML: &str = ".s2i/go.toml";

/// Where a setting's value came from, for the build plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    EnvFile { line: usize },
    GoToml,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("environment"),
            Origin::EnvFile { line } => write!(f, "{ENV_FILE} line {line}"),
            Origin::GoToml => f.write_str(GO_TOML),
        }
    }
}

/// The build's settings, resolved.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub targets: Vec<String>,
    pub run: Option<String>,
    pub build_flags: Vec<String>,
    pub ldflags: Option<String>,
    pub tags: Vec<String>,
    pub import_url: Option<String>,
    pub install_url: Option<String>,
    /// The environment `go` runs with: the process's, plus what the files add.
    pub env: BTreeMap<String, String>,
    /// Each setting that is set, with its value and origin (for the plan).
    pub origins: Vec<(&'static str, String, Origin)>,
    /// Lines of `.s2i/environment` that were skipped, as warnings.
    pub warnings: Vec<String>,
    /// `.s2i/environment`'s variables (the last of each name). s2i puts
    /// them into the application image's environment; the run manifest
    /// carries them too, so a local run sees the same.
    pub run_env: BTreeMap<String, String>,
    /// Whether go stamps VCS information: not a setting, but what the
    /// pipeline found of `.git` (see `vcs`); false builds with
    /// `-buildvcs=false` unless GOFLAGS or GO_BUILD_FLAGS say otherwise.
    pub stamp_vcs: bool,
}

/// `.s2i/go.toml`: what is awkward as variables (lists, and any `[env]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoToml {
    targets: Option<StringOrList>,
    run: Option<String>,
    build_flags: Option<StringOrList>,
    ldflags: Option<String>,
    tags: Option<StringOrList>,
    import_url: Option<String>,
    install_url: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "expected a string or a list of strings")]
enum StringOrList {
    String(String),
    List(Vec<String>),
}

/// A setting's raw value: from the file as a list, or a string to split.
enum Raw {
    Text(String),
    List(Vec<String>),
}

/// Reads the configuration of the sources in `src` over `process_env`.
pub fn load(src: &Path, process_env: &BTreeMap<String, String>) -> Result<Config, Error> {
    let mut config = Config {
        env: process_env.clone(),
        ..Config::default()
    };
    let env_file = read_env_file(src, &mut config.warnings)?;
    let go_toml_path = src.join(GO_TOML);
    let go_toml = match inputs::read_settings_file(src, GO_TOML)? {
        Some(bytes) => parse_go_toml(&bytes, &go_toml_path)?,
        None => GoToml::default(),
    };

    // What `go` sees: the files fill in what the process environment lacks.
    for variable in &env_file.variables {
        config
            .run_env
            .insert(variable.name.clone(), variable.value.clone());
        config
            .env
            .entry(variable.name.clone())
            .or_insert_with(|| variable.value.clone());
    }
    for (name, value) in &go_toml.env {
        config
            .env
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
    resolve_settings(&mut config, process_env, &env_file, go_toml)?;
    // Read at the end of the build (artifacts.rs), refused here, before it.
    if let Some(value) = config.env.get(GO_CLEAN_CACHE) {
        if !value.trim().is_empty() && values::boolean(value).is_none() {
            return Err(Error::BadSetting {
                name: GO_CLEAN_CACHE,
                value: value.clone(),
                why: format!("expected {}", values::BOOLEAN_EXPECTED),
            });
        }
    }
    Ok(config)
}

/// `.s2i/environment`, its skipped lines as warnings.
fn read_env_file(src: &Path, warnings: &mut Vec<String>) -> Result<envfile::EnvFile, Error> {
    let env_file = match inputs::read_settings_file(src, ENV_FILE)? {
        Some(bytes) => envfile::parse(&bytes).map_err(|invalid| Error::EnvFileInvalid {
            path: src.join(ENV_FILE),
            line: invalid.line,
            message: invalid.to_string(),
        })?,
        None => envfile::EnvFile::default(),
    };
    for skipped in &env_file.skipped {
        warnings.push(format!(
            "{ENV_FILE} line {}: {}; the line is skipped, as s2i does",
            skipped.line, skipped.reason
        ));
    }
    Ok(env_file)
}

/// The settings, each from the first place that sets it: the process
/// environment, `.s2i/environment`, `.s2i/go.toml`; with where each came
/// from, for the plan.
fn resolve_settings(
    config: &mut Config,
    process_env: &BTreeMap<String, String>,
    env_file: &envfile::EnvFile,
    go_toml: GoToml,
) -> Result<(), Error> {
    let lookup = |name: &'static str, from_toml: Option<Raw>| -> Option<(Raw, Origin)> {
        if let Some(v) = process_env.get(name).filter(|v| !v.trim().is_empty()) {
            return Some((Raw::Text(v.clone()), Origin::Environment));
        }
        if let Some(v) = env_file.variables.iter().rev().find(|v| v.name == name) {
            if !v.value.is_empty() {
                return Some((Raw::Text(v.value.clone()), Origin::EnvFile { line: v.line }));
            }
        }
        from_toml.map(|raw| (raw, Origin::GoToml))
    };
    let list = |v: Option<StringOrList>| {
        v.map(|v| match v {
            StringOrList::String(s) => Raw::Text(s),
            StringOrList::List(l) => Raw::List(l),
        })
    };

    let mut origins = Vec::new();
    let mut note = |name: &'static str, raw: &Raw, origin: &Origin| {
        let shown = match raw {
            Raw::Text(s) => s.clone(),
            Raw::List(l) => l.join(" "),
        };
        origins.push((name, shown, origin.clone()));
    };

    if let Some((raw, origin)) = lookup(GO_TARGETS, list(go_toml.targets)) {
        note(GO_TARGETS, &raw, &origin);
        config.targets = split_list(raw, |c| c == ',' || c.is_whitespace());
    }
    if let Some((raw, origin)) = lookup(GO_RUN, go_toml.run.map(Raw::Text)) {
        note(GO_RUN, &raw, &origin);
        config.run = Some(text(raw).trim().to_string());
    }
    if let Some((raw, origin)) = lookup(GO_BUILD_FLAGS, list(go_toml.build_flags)) {
        note(GO_BUILD_FLAGS, &raw, &origin);
        config.build_flags = match raw {
            Raw::List(l) => l,
            Raw::Text(s) => shell_words::split(&s).map_err(|e| Error::BadSetting {
                name: GO_BUILD_FLAGS,
                value: s.clone(),
                why: format!("{e}; quote flags as a shell would, e.g. GO_BUILD_FLAGS='-v -gcflags=\"all=-N\"'"),
            })?,
        };
    }
    if let Some((raw, origin)) = lookup(GO_LDFLAGS, go_toml.ldflags.map(Raw::Text)) {
        note(GO_LDFLAGS, &raw, &origin);
        config.ldflags = Some(text(raw));
    }
    if let Some((raw, origin)) = lookup(GO_TAGS, list(go_toml.tags)) {
        note(GO_TAGS, &raw, &origin);
        config.tags = split_list(raw, |c| c == ',' || c.is_whitespace());
    }
    if let Some((raw, origin)) = lookup(IMPORT_URL, go_toml.import_url.map(Raw::Text)) {
        note(IMPORT_URL, &raw, &origin);
        config.import_url = Some(import_path(IMPORT_URL, text(raw), &origin)?);
    }
    if let Some((raw, origin)) = lookup(INSTALL_URL, go_toml.install_url.map(Raw::Text)) {
        note(INSTALL_URL, &raw, &origin);
        config.install_url = Some(import_path(INSTALL_URL, text(raw), &origin)?);
    }
    debug_assert!(origins
        .iter()
        .all(|(name, _, _)| settings::find(name).is_some()));
    config.origins = origins;
    Ok(())
}

/// IMPORT_URL's (INSTALL_URL's) value, checked to be a Go import path: the
/// sources are laid out at `$GOPATH/src/$IMPORT_URL`, so an absolute path,
/// a `..` or an empty element would place them outside the work area.
fn import_path(name: &'static str, value: String, origin: &Origin) -> Result<String, Error> {
    let path = value.trim().trim_end_matches('/');
    let example = if name == INSTALL_URL {
        "github.com/org/app/cmd/server"
    } else {
        "github.com/org/app"
    };
    match import_path_problem(path) {
        None => Ok(path.to_string()),
        Some(problem) => Err(Error::BadSetting {
            name,
            value,
            why: format!(
                "{problem} (from {origin}); an import path is relative, made of elements of \
                 letters, digits and - . _ ~ + between single slashes, e.g. {name}={example}"
            ),
        }),
    }
}

/// Why `path` is no Go import path (the rules of golang.org/x/mod/module's
/// CheckImportPath, less its Windows-only ones), or None.
fn import_path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("it is empty".into());
    }
    if path.starts_with('/') {
        return Some("it is an absolute path".into());
    }
    for element in path.split('/') {
        if element.is_empty() {
            return Some("it has an empty element (`//`)".into());
        }
        if element.chars().all(|c| c == '.') {
            return Some(format!("it has a `{element}` element"));
        }
        if let Some(c) = element
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~+".contains(*c)))
        {
            return Some(format!("it holds {c:?}, which an import path cannot hold"));
        }
        if element.ends_with('.') {
            return Some(format!("its element `{element}` ends with a dot"));
        }
    }
    None
}

fn text(raw: Raw) -> String {
    match raw {
        Raw::Text(s) => s,
        Raw::List(l) => l.join(" "),
    }
}

fn split_list(raw: Raw, separator: impl Fn(char) -> bool) -> Vec<String> {
    match raw {
        Raw::List(l) => l
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Raw::Text(s) => s
            .split(separator)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// `.s2i/go.toml`: UTF-8 TOML of the keys above, whose `[env]` holds
/// variables a program can get (see `s2i_common::variable`).
fn parse_go_toml(bytes: &[u8], path: &Path) -> Result<GoToml, Error> {
    let invalid = |text: &str, offset: usize, message: String| {
        let (line, column) = s2i_common::location::line_and_column(text, offset);
        Error::GoTomlInvalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        invalid(
            valid,
            valid.len(),
            "not UTF-8 text (a binary file, or another encoding): TOML is UTF-8".to_string(),
        )
    })?;
    let go_toml: GoToml = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(text, offset, e.message().trim_end().replace('\n', " "))
    })?;
    s2i_common::variable::check_toml_env(text, &go_toml.env)
        .map_err(|(offset, problem)| invalid(text, offset, format!("[env]: {problem}")))?;
    Ok(go_toml)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn source(env_file: Option<&str>, go_toml: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".s2i")).unwrap();
        if let Some(text) = env_file {
            std::fs::write(dir.path().join(ENV_FILE), text).unwrap();
        }
        if let Some(text) = go_toml {
            std::fs::write(dir.path().join(GO_TOML), text).unwrap();
        }
        dir
    }

    /// An environment of `pairs`.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_beats_env_file_beats_go_toml() {
        let src = source(
            Some("GO_TARGETS=./cmd/a,./cmd/b\nGO_RUN=b\nGOPROXY=file:///proxy\nbroken line\n"),
            Some("targets = [\"./cmd/c\"]\nrun = \"c\"\ntags = [\"netgo\", \"osusergo\"]\nbuild_flags = [\"-v\", \"-gcflags=all=-N -l\"]\n[env]\nGOPROXY = \"off\"\nGOPRIVATE = \"corp.example\"\n"),
        );
        let c = load(src.path(), &env(&[("GO_RUN", "a"), ("GO_TAGS", "")])).unwrap();
        assert_eq!(c.targets, ["./cmd/a", "./cmd/b"]);
        assert_eq!(c.run.as_deref(), Some("a"));
        assert_eq!(
            c.tags,
            ["netgo", "osusergo"],
            "an empty variable does not hide go.toml"
        );
        assert_eq!(c.build_flags, ["-v", "-gcflags=all=-N -l"]);
        assert_eq!(c.env["GOPROXY"], "file:///proxy");
        assert_eq!(c.env["GOPRIVATE"], "corp.example");
        assert_eq!(c.warnings, [".s2i/environment line 4: no `=`: expected NAME=VALUE; the line is skipped, as s2i does"]);
        let origins: Vec<String> = c
            .origins
            .iter()
            .map(|(n, v, o)| format!("{n}={v} ({o})"))
            .collect();
        assert_eq!(
            origins,
            [
                "GO_TARGETS=./cmd/a,./cmd/b (.s2i/environment line 1)",
                "GO_RUN=a (environment)",
                "GO_BUILD_FLAGS=-v -gcflags=all=-N -l (.s2i/go.toml)",
                "GO_TAGS=netgo osusergo (.s2i/go.toml)",
            ]
        );
    }

    #[test]
    fn variables_are_split_as_documented() {
        let src = source(None, None);
        let c = load(
            src.path(),
            &env(&[
                ("GO_BUILD_FLAGS", "-v '-gcflags=all=-N -l'"),
                ("GO_TAGS", "a, b c"),
                ("GO_TARGETS", " ./x "),
            ]),
        )
        .unwrap();
        assert_eq!(c.build_flags, ["-v", "-gcflags=all=-N -l"]);
        assert_eq!(c.tags, ["a", "b", "c"]);
        assert_eq!(c.targets, ["./x"]);
        let e = load(src.path(), &env(&[("GO_BUILD_FLAGS", "-ldflags='-s")])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid GO_BUILD_FLAGS=\"-ldflags='-s\": "),
            "{e}"
        );
    }

    #[test]
    fn import_paths_are_checked() {
        for good in [
            "github.com/org/app",
            "gopkg.in/yaml.v2",
            "example.com/My_App-2~x/c++",
            "app",
        ] {
            assert_eq!(import_path_problem(good), None, "{good}");
        }
        for (bad, why) in [
            ("", "it is empty"),
            ("/etc/app", "it is an absolute path"),
            ("github.com//app", "it has an empty element (`//`)"),
            ("../../escape", "it has a `..` element"),
            ("github.com/./app", "it has a `.` element"),
            (
                "github.com/org/app name",
                "it holds ' ', which an import path cannot hold",
            ),
            (
                "github.com\\org",
                "it holds '\\\\', which an import path cannot hold",
            ),
            ("github.com/org/app.", "its element `app.` ends with a dot"),
            (
                "github.com/ørg",
                "it holds 'ø', which an import path cannot hold",
            ),
        ] {
            assert_eq!(import_path_problem(bad).as_deref(), Some(why), "{bad:?}");
        }
        let src = source(None, Some("import_url = \"/tmp/elsewhere\"\n"));
        let e = load(src.path(), &BTreeMap::new()).unwrap_err().to_string();
        assert_eq!(e, "invalid IMPORT_URL=\"/tmp/elsewhere\": it is an absolute path (from .s2i/go.toml); an import path is relative, made of elements of letters, digits and - . _ ~ + between single slashes, e.g. IMPORT_URL=github.com/org/app");
        let e = load(
            src.path(),
            &env(&[
                ("IMPORT_URL", "github.com/o/a/"),
                ("INSTALL_URL", "github.com/o/a/../../../x"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("invalid INSTALL_URL=\"github.com/o/a/../../../x\": it has a `..` element (from environment)"), "{e}");
        let c = load(src.path(), &env(&[("IMPORT_URL", " github.com/o/a/ ")])).unwrap();
        assert_eq!(c.import_url.as_deref(), Some("github.com/o/a"));
    }

    #[test]
    fn go_clean_cache_takes_the_shared_boolean_words_and_refuses_others() {
        for word in ["true", "ON", "yes", "1", "false", "off", "No", "0", ""] {
            let src = source(None, None);
            assert!(
                load(src.path(), &env(&[("GO_CLEAN_CACHE", word)])).is_ok(),
                "{word:?}"
            );
        }
        let src = source(Some("GO_CLEAN_CACHE=maybe\n"), None);
        let e = load(src.path(), &BTreeMap::new()).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid GO_CLEAN_CACHE=\"maybe\": expected true or false (or 1/0, yes/no, on/off)"
        );
    }

    #[test]
    fn invalid_go_toml_names_file_line_and_column() {
        let src = source(None, Some("run = \"api\"\ntargets = 3\n"));
        let e = load(src.path(), &BTreeMap::new()).unwrap_err().to_string();
        let shown = e.replace(&src.path().display().to_string(), "[SRC]");
        insta::assert_snapshot!(shown);
        let src = source(None, Some("[build]\nflags = 1\n"));
        let e = load(src.path(), &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("line 1, column 2: unknown field `build`"), "{e}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// go.toml-like bytes: the real keys with good and bad values,
        /// `[env]` with hostile names and values, and garbage.
        fn go_toml_bytes() -> impl Strategy<Value = Vec<u8>> {
            let line = prop_oneof![
                Just("targets = [\"./cmd/api\"]".to_string()),
                Just("targets = 3".to_string()),
                Just("run = \"api\"".to_string()),
                Just("tags = \"a b\"".to_string()),
                Just("build_flags = [1]".to_string()),
                Just("unknown = 1".to_string()),
                Just("[env]".to_string()),
                Just("GOFLAGS = \"-v\"".to_string()),
                Just("\"A B\" = \"1\"".to_string()),
                Just("\"X=Y\" = \"1\"".to_string()),
                Just("\"\" = \"1\"".to_string()),
                Just("N = \"a\\u0000b\"".to_string()),
                (0usize..150_000).prop_map(|n| format!("BIG = \"{}\"", "x".repeat(n))),
                ".{0,20}",
            ];
            let text = prop::collection::vec(line, 0..8).prop_map(|l| l.join("\n").into_bytes());
            prop_oneof![
                6 => text,
                1 => prop::collection::vec(any::<u8>(), 0..64),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn go_toml_errors_name_the_file_and_a_line(bytes in go_toml_bytes()) {
                let path = Path::new("/tmp/src/.s2i/go.toml");
                match parse_go_toml(&bytes, path) {
                    Ok(go_toml) => {
                        for (name, value) in &go_toml.env {
                            prop_assert_eq!(s2i_common::variable::check(name, value), Ok(()));
                        }
                    }
                    Err(Error::GoTomlInvalid { path: named, line, column, message }) => {
                        prop_assert_eq!(named.as_path(), path);
                        let lines = bytes.split(|b| *b == b'\n').count();
                        prop_assert!(line >= 1 && line <= lines, "line {} of {}", line, lines);
                        prop_assert!(column >= 1);
                        prop_assert!(!message.is_empty());
                    }
                    Err(other) => prop_assert!(false, "unexpected error: {}", other),
                }
            }
        }
    }
}
