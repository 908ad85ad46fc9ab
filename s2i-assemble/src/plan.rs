//! The build plan: everything detection decided, as data. `--dry-run`
//! prints it; the build step carries it out exactly.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use s2i_common::display::Escaped;
use s2i_common::paths;

use crate::config::{Config, Origin};
use crate::detect::{Kind, Target};

#[derive(Debug, Clone)]
pub struct BuildPlan {
    pub source: PathBuf,
    pub kind: Kind,
    pub go: PathBuf,
    pub go_version: String,
    /// Why the Go that builds is not the image's own (see `toolchain`).
    pub go_switched: Option<String>,
    /// go.mod's (go.work's) `go` line.
    pub go_required: Option<String>,
    /// Where go runs: the sources, or their build copy.
    pub build_dir: PathBuf,
    /// `go build -o OUT/`: each binary lands there under its own name.
    pub out_dir: PathBuf,
    pub targets: Vec<Target>,
    /// The root is built on the guess that it is `package main`, without
    /// asking `go list` first: `go build` itself then says whether it is.
    pub root_guessed: bool,
    /// With a guessed root: what `go list -find` is asked when the root is
    /// not a main package (the main packages it finds are built instead).
    pub otherwise_listed: Vec<String>,
    /// Index into `targets` of the program `s2i-run` starts; None when
    /// several were found and none chosen (no run manifest is written).
    pub run: Option<usize>,
    /// Why that one, when several are built and GO_RUN did not say.
    pub run_note: Option<String>,
    /// The arguments after `go`.
    pub go_args: Vec<String>,
    /// The whole environment go runs with.
    pub env: BTreeMap<String, String>,
    /// The variables s2i-assemble set (not set by the user).
    pub set_env: Vec<(String, String)>,
    pub settings: Vec<(&'static str, String, Origin)>,
    /// Variables for the run manifest's `[env]` (from `.s2i/environment`).
    pub run_env: BTreeMap<String, String>,
    /// The go.mod written into the build copy of a bare main package.
    pub throwaway_go_mod: Option<String>,
    pub app_root: PathBuf,
    pub artifacts: PathBuf,
    pub warnings: Vec<String>,
    /// What the build is given to download private modules, by host and
    /// kind (see `credentials`), never by value.
    pub credentials: Vec<String>,
}

/// go's temporary directory (GOTMPDIR), in the work area.
pub const GO_TMP_DIR: &str = "tmp";

/// Go's variables that are passed through and worth showing in the plan.
const SHOWN_GO_VARIABLES: &[&str] = &[
    "CGO_ENABLED",
    "GOARCH",
    "GOCACHE",
    "GOEXPERIMENT",
    "GOFLAGS",
    "GOINSECURE",
    "GOMODCACHE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOOS",
    "GOPATH",
    "GOPRIVATE",
    "GOPROXY",
    "GOSUMDB",
    "GOTOOLCHAIN",
    "GOWORK",
    "GO111MODULE",
];

/// The environment go runs with: the user's, plus s2i-assemble's defaults
/// for what the user left unset. Returns it and the list of what was added.
pub fn go_env(
    config_env: &BTreeMap<String, String>,
    kind: &Kind,
    app_root: &Path,
    work: &Path,
) -> (BTreeMap<String, String>, Vec<(String, String)>) {
    let mut env = config_env.clone();
    // go's temporary work directory ($WORK) in the work area, which goes
    // however the run ends: go removes it only when it ends normally (not
    // on SIGTERM). Not shown in the plan: it is gone after the build.
    if !env.contains_key("GOTMPDIR") {
        let tmp = work.join(GO_TMP_DIR).display().to_string();
        env.insert("GOTMPDIR".into(), tmp);
    }
    let mut set = Vec::new();
    let mut default = |name: &str, value: String, force: bool| {
        if force || !env.contains_key(name) {
            env.insert(name.to_string(), value.clone());
            set.push((name.to_string(), value));
        }
    };
    // Static binaries run on any runtime image.
    default("CGO_ENABLED", "0".into(), false);
    // Builders are often offline: never download another toolchain.
    default("GOTOOLCHAIN", "local".into(), false);
    // The caches live under the application root, outside its files, where
    // incremental builds save and restore them.
    default(
        "GOCACHE",
        app_root.join(paths::GO_BUILD_CACHE).display().to_string(),
        false,
    );
    default(
        "GOMODCACHE",
        app_root.join(paths::GO_MOD_CACHE).display().to_string(),
        false,
    );
    match kind {
        Kind::Gopath { .. } => {
            default("GO111MODULE", "off".into(), true);
            default("GOPATH", work.join("gopath").display().to_string(), true);
        }
        // A go.work above the sources (the user's own, around a checkout)
        // must not capture the build.
        Kind::Workspace => {}
        _ => default("GOWORK", "off".into(), false),
    }
    (env, set)
}

/// `go build` with the image's flags and the user's settings.
pub fn go_build_args(
    kind: &Kind,
    config: &Config,
    env: &BTreeMap<String, String>,
    out_dir: &Path,
    targets: &[Target],
) -> Vec<String> {
    let mut args = vec!["build".to_string(), "-trimpath".to_string()];
    let mod_flag_given = env.get("GOFLAGS").is_some_and(|f| f.contains("-mod="))
        || config.build_flags.iter().any(|f| f.starts_with("-mod="));
    if *kind == Kind::Vendored && !mod_flag_given {
        args.push("-mod=vendor".into());
    }
    // Stamping runs git in the sources: only where git was found to read
    // them (`vcs`), else a .git would fail the build.
    let vcs_flag_given = env.get("GOFLAGS").is_some_and(|f| f.contains("-buildvcs"))
        || config
            .build_flags
            .iter()
            .any(|f| f.starts_with("-buildvcs"));
    if !vcs_flag_given && !config.stamp_vcs {
        args.push("-buildvcs=false".into());
    }
    if !config.tags.is_empty() {
        args.push(format!("-tags={}", config.tags.join(",")));
    }
    if let Some(ldflags) = &config.ldflags {
        args.push(format!("-ldflags={ldflags}"));
    }
    args.extend(config.build_flags.iter().cloned());
    args.push("-o".into());
    args.push(format!("{}/", out_dir.display()));
    args.extend(targets.iter().map(|t| t.package.clone()));
    args
}

impl BuildPlan {
    /// The Go that builds, and why when it is not the image's own:
    /// `go1.27.3, switched from the image's go1.26.8 by go.mod's …`.
    pub fn go_described(&self) -> String {
        match &self.go_switched {
            Some(why) => format!("{}, {why}", self.go_version),
            None => self.go_version.clone(),
        }
    }

    pub fn run_target(&self) -> Option<&Target> {
        self.run.map(|i| &self.targets[i])
    }

    /// The command as a shell line.
    pub fn command_line(&self) -> String {
        let mut words = vec!["go".to_string()];
        words.extend(self.go_args.iter().cloned());
        // Quoted only where a shell needs it (shell_words also quotes `=`).
        let plain = |w: &String| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c))
        };
        words
            .iter()
            .map(|w| {
                if plain(w) {
                    w.clone()
                } else if Escaped::new(w).needs_quotes() {
                    ansi_c_quoted(w)
                } else {
                    shell_words::quote(w).into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `w` as bash's `$'...'`, for a word with characters a log line must not
/// show raw (a newline, an escape sequence): it pastes back into bash as it
/// was.
fn ansi_c_quoted(w: &str) -> String {
    let mut out = String::from("$'");
    for c in w.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if Escaped::new(c.encode_utf8(&mut [0; 4])).needs_quotes() => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl fmt::Display for BuildPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_what_was_found(f)?;
        self.fmt_packages_and_environment(f)?;
        self.fmt_downloads_and_commands(f)?;
        self.fmt_installs(f)?;
        Ok(())
    }
}

impl BuildPlan {
    /// What was detected, and the settings.
    fn fmt_what_was_found(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Build plan (nothing is built with --dry-run)")?;
        writeln!(f, "  sources:     {}", Escaped::new(&self.source))?;
        writeln!(f, "  detected:    {}", self.kind.describe())?;
        let present = if self.artifacts.is_dir() {
            "present"
        } else {
            "none"
        };
        writeln!(
            f,
            "  artifacts:   {} ({present})",
            Escaped::new(&self.artifacts)
        )?;
        write!(
            f,
            "  go:          {} ({}",
            Escaped::new(&self.go),
            self.go_described()
        )?;
        if let Some(required) = &self.go_required {
            write!(f, "; the sources ask for go {required}")?;
        }
        writeln!(f, ")")?;
        if !self.settings.is_empty() {
            writeln!(f, "  settings:")?;
            for (name, value, origin) in &self.settings {
                writeln!(f, "    {name}={}  (from {origin})", Escaped::new(value))?;
            }
        }
        Ok(())
    }

    /// The main packages, and the environment go runs with.
    fn fmt_packages_and_environment(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  main packages:")?;
        for (i, t) in self.targets.iter().enumerate() {
            let run = if Some(i) == self.run {
                "  (started by s2i-run)"
            } else {
                ""
            };
            writeln!(
                f,
                "    {} -> bin/{}{run}",
                Escaped::new(&t.package),
                Escaped::new(&t.binary)
            )?;
        }
        if self.root_guessed {
            writeln!(
                f,
                "    (if the root is package main, which go build tells; else the main packages `go list -find {}` finds)",
                self.otherwise_listed
                    .iter()
                    .map(|p| Escaped::new(p).to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )?;
        }
        writeln!(f, "  environment set by s2i-assemble:")?;
        for (name, value) in &self.set_env {
            writeln!(f, "    {name}={}", Escaped::new(value))?;
        }
        let passed: Vec<_> = SHOWN_GO_VARIABLES
            .iter()
            .filter(|n| !self.set_env.iter().any(|(s, _)| s == *n))
            .filter_map(|n| self.env.get(*n).map(|v| (n, v)))
            .collect();
        if !passed.is_empty() {
            writeln!(f, "  Go variables passed through:")?;
            for (name, value) in passed {
                writeln!(f, "    {name}={}", Escaped::new(value))?;
            }
        }
        Ok(())
    }

    /// Credentials, module downloads, and the commands.
    fn fmt_downloads_and_commands(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.credentials.is_empty() {
            writeln!(
                f,
                "  credentials (for this build only; by host and kind, never by value):"
            )?;
            for line in &self.credentials {
                writeln!(f, "    {line}")?;
            }
        }
        let downloads = module_downloads(&self.env, &self.build_dir);
        if !downloads.is_empty() {
            writeln!(f, "  module downloads:")?;
            for line in downloads {
                writeln!(f, "    {line}")?;
            }
        }
        writeln!(f, "  commands:")?;
        writeln!(f, "    cd {}", Escaped::new(&self.build_dir))?;
        if let Some(go_mod) = &self.throwaway_go_mod {
            let escaped = go_mod.replace('\n', "\\n");
            writeln!(
                f,
                "    printf '{escaped}' > go.mod   # in the build copy only"
            )?;
        }
        writeln!(f, "    {}", self.command_line())?;
        Ok(())
    }

    /// What is installed, and the warnings.
    fn fmt_installs(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  installs:")?;
        let root = Escaped::new(&self.app_root);
        let bins: Vec<String> = self
            .targets
            .iter()
            .map(|t| format!("{root}/bin/{}", Escaped::new(&t.binary)))
            .collect();
        writeln!(f, "    {}", bins.join(", "))?;
        if let Some(run) = self.run_target() {
            writeln!(
                f,
                "    {root}/{} (the same as bin/{})",
                paths::CLASSIC_BINARY,
                Escaped::new(&run.binary)
            )?;
        }
        let env = if self.run_env.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = self.run_env.keys().map(String::as_str).collect();
            format!(", env from .s2i/environment: {}", names.join(" "))
        };
        match self.run_target() {
            Some(run) => writeln!(
                f,
                "    {root}/{} (program = \"bin/{}\", workdir = \"src\"{env})",
                paths::MANIFEST_FILE,
                Escaped::new(&run.binary)
            )?,
            None => writeln!(
                f,
                "    no {} and no {}: none is chosen to start",
                paths::MANIFEST_FILE,
                paths::CLASSIC_BINARY
            )?,
        }
        writeln!(
            f,
            "    {root}/{} (the application's other files: its working directory)",
            paths::APP_FILES_DIR
        )?;
        for warning in &self.warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        Ok(())
    }
}

/// How go downloads modules, as go reads GOPROXY, GOPRIVATE, GONOPROXY,
/// GONOSUMDB and GOINSECURE, and which of go.mod's requirements are
/// private: for the plan, when any of those patterns is set.
fn module_downloads(env: &BTreeMap<String, String>, dir: &Path) -> Vec<String> {
    let var = |name: &str| env.get(name).map(String::as_str).unwrap_or("").trim();
    let (goprivate, goinsecure) = (var("GOPRIVATE"), var("GOINSECURE"));
    let or_private = |name: &str| match var(name) {
        "" => goprivate.to_string(),
        set => set.to_string(),
    };
    let (gonoproxy, gonosumdb) = (or_private("GONOPROXY"), or_private("GONOSUMDB"));
    if goprivate.is_empty() && gonoproxy.is_empty() && gonosumdb.is_empty() && goinsecure.is_empty()
    {
        return Vec::new();
    }
    let list = |patterns: &str| {
        patterns
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![format!("GOPROXY: {}", describe_goproxy(var("GOPROXY")))];
    let mut say = |what: &str, patterns: &str| {
        if !patterns.is_empty() {
            lines.push(format!("{what}: {}", list(patterns)));
        }
    };
    say("private modules (GOPRIVATE)", goprivate);
    say(
        "fetched from their own hosts, never through GOPROXY (GONOPROXY)",
        &gonoproxy,
    );
    say(
        "not checked against the checksum database (GONOSUMDB)",
        &gonosumdb,
    );
    say(
        "fetched insecurely: plain HTTP, certificates unchecked (GOINSECURE)",
        goinsecure,
    );
    let private: Vec<String> = std::fs::read_to_string(dir.join("go.mod"))
        .map(|text| requirements(&text))
        .unwrap_or_default()
        .into_iter()
        .filter(|path| {
            crate::gofailure::matches_patterns(path, &gonoproxy)
                || crate::gofailure::matches_patterns(path, &gonosumdb)
        })
        .collect();
    if !private.is_empty() {
        lines.push(format!(
            "go.mod's private requirements: {}",
            private.join(", ")
        ));
    }
    lines
}

/// GOPROXY in words: each entry, and when go falls back to the next.
fn describe_goproxy(goproxy: &str) -> String {
    let goproxy = if goproxy.is_empty() {
        "https://proxy.golang.org,direct"
    } else {
        goproxy
    };
    let mut out = String::new();
    let mut rest = goproxy;
    loop {
        let end = rest.find([',', '|']).unwrap_or(rest.len());
        let entry = match rest[..end].trim() {
            "direct" => "direct (the module's own host, with git or another VCS)",
            "off" => "off (no download)",
            url => url,
        };
        out.push_str(entry);
        match rest[end..].chars().next() {
            Some(',') => out.push_str(", then on 404 or 410 "),
            Some('|') => out.push_str(", then on any error "),
            _ => break,
        }
        rest = &rest[end + 1..];
    }
    out
}

/// The module paths go.mod requires (`require` lines and blocks).
fn requirements(go_mod: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut in_block = false;
    for line in go_mod.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["require", "("] => in_block = true,
            [")"] => in_block = false,
            ["require", path, _version, ..] => paths.push(path.trim_matches('"').to_string()),
            [path, _version, ..] if in_block => paths.push(path.trim_matches('"').to_string()),
            _ => {}
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goproxy_lists_in_words() {
        assert_eq!(
            describe_goproxy("https://corp.example/go,direct"),
            "https://corp.example/go, then on 404 or 410 direct (the module's own host, with git or another VCS)"
        );
        assert_eq!(
            describe_goproxy("https://a|https://b,off"),
            "https://a, then on any error https://b, then on 404 or 410 off (no download)"
        );
    }

    #[test]
    fn private_patterns_and_requirements() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("go.mod"),
            "module m\n\nrequire github.com/acme/private v1.0.0\n\nrequire (\n\tgolang.org/x/text v0.1.0 // indirect\n\tgit.corp.example/lib v0.2.0\n)\n",
        )
        .unwrap();
        let env: BTreeMap<String, String> = [
            (
                "GOPRIVATE".to_string(),
                "github.com/acme,*.corp.example".to_string(),
            ),
            ("GONOSUMDB".to_string(), "github.com/acme".to_string()),
        ]
        .into();
        assert_eq!(
            module_downloads(&env, dir.path()),
            [
                "GOPROXY: https://proxy.golang.org, then on 404 or 410 direct (the module's own host, with git or another VCS)",
                "private modules (GOPRIVATE): github.com/acme, *.corp.example",
                "fetched from their own hosts, never through GOPROXY (GONOPROXY): github.com/acme, *.corp.example",
                "not checked against the checksum database (GONOSUMDB): github.com/acme",
                "go.mod's private requirements: github.com/acme/private, git.corp.example/lib",
            ]
        );
        assert!(module_downloads(&BTreeMap::new(), dir.path()).is_empty());
    }
}
