//! The one table of settings: every variable the image reads, its default,
//! what it does and where it applies.
//!
//! `s2i-usage` prints it, README.md's settings reference is generated from it
//! (a test keeps the two equal), and `s2i-assemble` reads its own settings by
//! these names, so documentation and behaviour cannot drift apart.

/// When a setting is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// By `s2i-assemble`, while building.
    Build,
    /// By `s2i-run`, when the application starts.
    Run,
}

impl Applies {
    pub fn as_str(self) -> &'static str {
        match self {
            Applies::Build => "build",
            Applies::Run => "run",
        }
    }
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable.
    pub name: &'static str,
    /// The key in `.s2i/go.toml`, for settings that may be given there.
    pub toml_key: Option<&'static str>,
    /// The value when nothing sets it (empty: unset).
    pub default: &'static str,
    pub applies: Applies,
    pub description: &'static str,
}

/// `GO_TARGETS`: the main packages to build.
pub const GO_TARGETS: &str = "GO_TARGETS";
/// `GO_RUN`: which built program `s2i-run` starts.
pub const GO_RUN: &str = "GO_RUN";
pub const GO_BUILD_FLAGS: &str = "GO_BUILD_FLAGS";
pub const GO_LDFLAGS: &str = "GO_LDFLAGS";
pub const GO_TAGS: &str = "GO_TAGS";
pub const IMPORT_URL: &str = "IMPORT_URL";
pub const INSTALL_URL: &str = "INSTALL_URL";

/// Every setting, in the order the documentation lists them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: GO_TARGETS,
        toml_key: Some("targets"),
        default: "",
        applies: Applies::Build,
        description: "Main package(s) to build, comma-separated, e.g. `./cmd/api,./cmd/worker`. \
Unset: the root package if it is `package main`, else the main packages under `cmd/`.",
    },
    Setting {
        name: GO_RUN,
        toml_key: Some("run"),
        default: "",
        applies: Applies::Build,
        description: "The program `s2i-run` starts, by binary name or package (`worker` or \
`./cmd/worker`). Unset: the first of `GO_TARGETS`, or the only main package; required when \
`cmd/` holds several.",
    },
    Setting {
        name: GO_BUILD_FLAGS,
        toml_key: Some("build_flags"),
        default: "",
        applies: Applies::Build,
        description: "Extra `go build` flags, split as a shell would (e.g. `-v -buildvcs=false`); \
in go.toml a list of strings.",
    },
    Setting {
        name: GO_LDFLAGS,
        toml_key: Some("ldflags"),
        default: "",
        applies: Applies::Build,
        description: "The value of `go build -ldflags`, e.g. `-s -w -X main.version=1.2`.",
    },
    Setting {
        name: GO_TAGS,
        toml_key: Some("tags"),
        default: "",
        applies: Applies::Build,
        description: "Build tags, comma- or space-separated (`go build -tags`); in go.toml a \
list of strings.",
    },
    Setting {
        name: IMPORT_URL,
        toml_key: Some("import_url"),
        default: "",
        applies: Applies::Build,
        description: "For sources without go.mod: the repository's import path. The sources are \
laid out at `$GOPATH/src/$IMPORT_URL` and built in GOPATH mode (`GO111MODULE=off`), as in the \
CentOS/RHEL Go images.",
    },
    Setting {
        name: INSTALL_URL,
        toml_key: Some("install_url"),
        default: "$IMPORT_URL",
        applies: Applies::Build,
        description: "With `IMPORT_URL`: the import path of the main package to build, when it \
is not the repository root.",
    },
    Setting {
        name: "CGO_ENABLED",
        toml_key: None,
        default: "0",
        applies: Applies::Build,
        description: "Go's own variable; `0` gives static binaries that run on any runtime \
image. Set it to `1` for cgo (the image must then have a C compiler).",
    },
    Setting {
        name: "GOTOOLCHAIN",
        toml_key: None,
        default: "local",
        applies: Applies::Build,
        description: "Go's own variable; `local` never downloads another Go (builders are often \
offline). `auto` lets a go.mod that needs a newer Go download it, given network access.",
    },
    Setting {
        name: "GOCACHE",
        toml_key: None,
        default: "$APP_ROOT/.cache/go-build",
        applies: Applies::Build,
        description: "Go's build cache: outside the application's files, saved and restored by \
incremental builds.",
    },
    Setting {
        name: "GOMODCACHE",
        toml_key: None,
        default: "$APP_ROOT/.cache/go-mod",
        applies: Applies::Build,
        description: "Go's module cache: outside the application's files, saved and restored by \
incremental builds.",
    },
    Setting {
        name: "GO_CLEAN_CACHE",
        toml_key: None,
        default: "false",
        applies: Applies::Build,
        description: "`true` removes Go's caches at the end of the build: the smallest \
application image, but the next incremental build starts clean (see Incremental builds).",
    },
    Setting {
        name: "GOFLAGS, GOPROXY, GOPRIVATE, GONOSUMDB, GOSUMDB, GOEXPERIMENT, GOOS, GOARCH, ...",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "Go's own variables pass through to `go` untouched. `.s2i/go.toml` may set \
any variable in its `[env]` table.",
    },
    Setting {
        name: "APP_ROOT",
        toml_key: None,
        default: "/opt/app-root",
        applies: Applies::Build,
        description: "The application root: binaries in `bin/`, the one to run also at \
`gobinary`, the run manifest `s2i-run.toml`, the application's files in `src/`.",
    },
    Setting {
        name: "APP_ARGS",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Arguments added to the program's own when `s2i-run` starts it.",
    },
    Setting {
        name: "S2I_RUN_INIT",
        toml_key: None,
        default: "auto",
        applies: Applies::Run,
        description: "How `s2i-run` starts the program: `never` execs straight into it; \
`always` supervises it (signal forwarding, zombie reaping, exit status); `auto` supervises \
only as PID 1.",
    },
    Setting {
        name: "S2I_RUN_STOP_SIGNAL",
        toml_key: None,
        default: "TERM",
        applies: Applies::Run,
        description: "The signal the supervisor delivers when SIGTERM arrives (e.g. `QUIT`), \
for programs that shut down gracefully on another signal. Not `STOP`, `TSTP`, `TTIN`, `TTOU`, \
`CONT`, `CHLD` or `URG`, which cannot end a program.",
    },
    Setting {
        name: "S2I_RUN_SIGNAL_GROUP",
        toml_key: None,
        default: "1",
        applies: Applies::Run,
        description: "`1`: forward signals to the program's process group; `0`: to the \
program alone.",
    },
    Setting {
        name: "S2I_RUN_GRACE",
        toml_key: None,
        default: "5",
        applies: Applies::Run,
        description: "Seconds between SIGTERM and SIGKILL for what is left of the program's \
process group once the program has exited.",
    },
    Setting {
        name: "S2I_RUN_VERBOSE",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "`1`: the supervisor logs forwarded signals and reaped processes to stderr.",
    },
];

/// The setting called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The table as Markdown: README.md's settings reference is exactly this.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| variable | `.s2i/go.toml` key | default | applies | what it does |\n|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let key = s.toml_key.map_or(String::from("–"), |k| format!("`{k}`"));
        let default = if s.default.is_empty() {
            String::from("–")
        } else {
            format!("`{}`", s.default)
        };
        let name = s
            .name
            .split(", ")
            .map(|n| {
                if n == "..." {
                    n.to_string()
                } else {
                    format!("`{n}`")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| {name} | {key} | {default} | {} | {} |\n",
            s.applies.as_str(),
            s.description
        ));
    }
    out
}

/// The table as plain text for a terminal (`s2i-usage`), wrapped to `width`.
pub fn text_table(width: usize) -> String {
    let mut out = String::new();
    for s in SETTINGS {
        let mut head = format!("  {}", s.name);
        if !s.default.is_empty() {
            head.push_str(&format!("  (default: {})", s.default));
        }
        if s.applies == Applies::Run {
            head.push_str("  [at run time]");
        }
        out.push_str(&head);
        out.push('\n');
        let text = match s.toml_key {
            Some(key) => format!("{} go.toml: `{key}`.", s.description),
            None => s.description.to_string(),
        };
        for line in wrap(&text.replace('`', ""), width.saturating_sub(6).max(20)) {
            out.push_str("      ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_described() {
        for (i, s) in SETTINGS.iter().enumerate() {
            assert!(!s.description.is_empty(), "{} has no description", s.name);
            assert!(
                SETTINGS[i + 1..].iter().all(|o| o.name != s.name),
                "{} listed twice",
                s.name
            );
        }
        assert_eq!(find(GO_TARGETS).unwrap().toml_key, Some("targets"));
        assert!(find("NOPE").is_none());
    }

    #[test]
    fn text_table_wraps_to_width() {
        let text = text_table(72);
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
        for s in SETTINGS {
            assert!(text.contains(s.name), "{} missing", s.name);
        }
    }
}
