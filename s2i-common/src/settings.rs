//! The one table of settings: every variable the image reads, its default,
//! what it does and where it applies.
//!
//! `s2i-usage` prints it, README.md's settings reference is generated from it
//! (a test keeps the two equal), and `s2i-assemble` reads its own settings by
//! these names, so documentation and behaviour cannot drift apart.

/// Which binaries read a setting: [`Applies::Build`], [`Applies::Run`],
/// [`Applies::SaveArtifacts`], [`Applies::Usage`], or several
/// (`Applies::Build.and(Applies::Run)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applies(u8);

// Named like the enum variants they were, so that rows read the same.
#[allow(non_upper_case_globals)]
impl Applies {
    /// By `s2i-assemble`, while building.
    pub const Build: Applies = Applies(1);
    /// By `s2i-run`, when the application starts.
    pub const Run: Applies = Applies(2);
    /// By `s2i-save-artifacts`, when S2I saves the caches of an image.
    pub const SaveArtifacts: Applies = Applies(4);
    /// By `s2i-usage`, the image's default command.
    pub const Usage: Applies = Applies(8);

    /// Read by both.
    pub const fn and(self, other: Applies) -> Applies {
        Applies(self.0 | other.0)
    }

    /// Whether `other`'s binary reads it (among others, maybe).
    pub const fn includes(self, other: Applies) -> bool {
        self.0 & other.0 == other.0
    }

    /// `build`, `run`, `build, run, save-artifacts`.
    pub fn as_str(self) -> String {
        [
            (Applies::Build, "build"),
            (Applies::Run, "run"),
            (Applies::SaveArtifacts, "save-artifacts"),
            (Applies::Usage, "usage"),
        ]
        .iter()
        .filter(|(one, _)| self.includes(*one))
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
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
/// `GO_CLEAN_CACHE`: remove Go's caches at the end of the build (a boolean).
pub const GO_CLEAN_CACHE: &str = "GO_CLEAN_CACHE";
/// `GO_SBOM`: the SBOM formats written for each binary, or `off`.
pub const GO_SBOM: &str = "GO_SBOM";
/// `SOURCE_DATE_EPOCH`: the SBOMs' creation time (reproducible builds).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// `GO_CREDENTIALS_DIR`: directories holding `.netrc`, `.gitconfig`, `.git-credentials`.
pub const GO_CREDENTIALS_DIR: &str = "GO_CREDENTIALS_DIR";
/// `GO_CA_BUNDLE`: PEM files of CA certificates to trust besides the system's.
pub const GO_CA_BUNDLE: &str = "GO_CA_BUNDLE";
/// `GO_TOKEN_<host>`: a token for one host; the prefix of those variables.
pub const GO_TOKEN_PREFIX: &str = "GO_TOKEN_";

/// `APP_ROOT`: where the application is installed, and run from.
pub const APP_ROOT: Setting = Setting {
    name: "APP_ROOT",
    toml_key: None,
    default: "/opt/app-root",
    applies: Applies::Build.and(Applies::Run).and(Applies::SaveArtifacts),
    description: "The application root: binaries in `bin/`, the one to run also at \
`gobinary`, the run manifest `s2i-run.toml`, the application's files in `src/`, Go's caches in \
`.cache/`.",
};

/// `S2I_SAVE_ARTIFACTS_PATHS`: what `s2i-save-artifacts` streams in
/// another builder image.
pub const SAVE_ARTIFACTS_PATHS: Setting = Setting {
    name: "S2I_SAVE_ARTIFACTS_PATHS",
    toml_key: None,
    default: "",
    applies: Applies::SaveArtifacts,
    description: "For other builder images: absolute paths, separated by colons, that \
`s2i-save-artifacts` streams instead of Go's caches, each as `NAME/...` (its last name). \
Arguments to `s2i-save-artifacts` do the same.",
};

/// `S2I_GO_BASE_CACHE`: the build cache the image already has, which
/// `s2i-save-artifacts` leaves out.
pub const BASE_CACHE: Setting = Setting {
    name: "S2I_GO_BASE_CACHE",
    toml_key: None,
    default: "",
    applies: Applies::SaveArtifacts,
    description: "A build cache the image already has, laid out like GOCACHE (the image sets \
it to `$APP_ROOT/.cache/go-build-base`, its warm start): `s2i-save-artifacts` leaves out the \
entries found there with the same name and size, since the next build's image has them too.",
};

/// `S2I_BUILDER_IMAGE`: the image's name in `s2i-usage`'s examples.
pub const BUILDER_IMAGE: Setting = Setting {
    name: "S2I_BUILDER_IMAGE",
    toml_key: None,
    default: "s2i-go",
    applies: Applies::Usage,
    description: "The builder image's name as `s2i-usage` writes it into its examples (the \
image sets it to its own name).",
};

/// The settings `s2i-run` reads, one constant each: `s2i-run` uses their
/// names and defaults one by one, so that the table's texts stay out of the
/// binary that ships in every application image.
pub mod run {
    use super::{Applies, Setting};

    pub const APP_ARGS: Setting = Setting {
        name: "APP_ARGS",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Arguments added to the program's own when `s2i-run` starts it, split like \
shell words (`--name \"two words\"`); nothing is expanded.",
    };
    pub const INIT: Setting = Setting {
        name: "S2I_RUN_INIT",
        toml_key: None,
        default: "auto",
        applies: Applies::Run,
        description: "How `s2i-run` starts the program: `never` execs straight into it; \
`always` supervises it (signal forwarding, zombie reaping, exit status); `auto` supervises \
only as PID 1.",
    };
    pub const STOP_SIGNAL: Setting = Setting {
        name: "S2I_RUN_STOP_SIGNAL",
        toml_key: None,
        default: "TERM",
        applies: Applies::Run,
        description: "The signal the supervisor delivers when SIGTERM arrives (e.g. `QUIT`), \
for programs that shut down gracefully on another signal: a name (`TERM`, `SIGQUIT`, any case), \
a number, or `RTMIN+N`. Not `STOP`, `TSTP`, `TTIN`, `TTOU`, `CONT`, `CHLD` or `URG`, which \
cannot end a program.",
    };
    pub const SIGNAL_GROUP: Setting = Setting {
        name: "S2I_RUN_SIGNAL_GROUP",
        toml_key: None,
        default: "true",
        applies: Applies::Run,
        description: "A boolean: `true` forwards signals to the program's process group, \
`false` to the program alone.",
    };
    pub const GRACE: Setting = Setting {
        name: "S2I_RUN_GRACE",
        toml_key: None,
        default: "5",
        applies: Applies::Run,
        description: "A duration: how long what is left of the program's process group has \
between SIGTERM and SIGKILL once the program has exited.",
    };
    pub const VERBOSE: Setting = Setting {
        name: "S2I_RUN_VERBOSE",
        toml_key: None,
        default: "false",
        applies: Applies::Run,
        description: "A boolean: `true` logs to stderr how the program is started, the \
signals forwarded and the processes reaped (as `s2i-run -v`).",
    };
    pub const EXIT_REMAP: Setting = Setting {
        name: "S2I_RUN_EXIT_REMAP",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Exit statuses the supervisor replaces, as `FROM:TO` pairs separated by \
commas, each 0 to 255: `143:0,130:0` makes a program stopped by SIGTERM or SIGINT end with 0. \
Needs the supervisor: with it set, `S2I_RUN_INIT=auto` supervises; with `never` it is \
ignored, with a warning (after an exec, the program's status is the process's own).",
    };
    pub const GOMEMLIMIT: Setting = Setting {
        name: "GOMEMLIMIT",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Go's own variable, the Go runtime's soft memory limit. Unset, `s2i-run` \
sets it to `S2I_RUN_GOMEMLIMIT_SHARE` of the container's memory limit (cgroup v2 `memory.max`, \
v1 `memory.limit_in_bytes`), if there is one; a value set anywhere (also `off`) is left as it \
is.",
    };
    pub const GOMEMLIMIT_SHARE: Setting = Setting {
        name: "S2I_RUN_GOMEMLIMIT_SHARE",
        toml_key: None,
        default: "90",
        applies: Applies::Run,
        description: "The percentage (1 to 100) of the memory limit `s2i-run` gives \
GOMEMLIMIT. The rest is headroom for what the limit counts and Go's does not: the mapped \
binary, cgo and other non-Go allocations, the kernel's buffers for the container (90 is what \
the Go libraries that do this default to).",
    };
    pub const GOMEMLIMIT_FROM_CGROUP: Setting = Setting {
        name: "S2I_RUN_GOMEMLIMIT",
        toml_key: None,
        default: "true",
        applies: Applies::Run,
        description: "A boolean: `false` leaves GOMEMLIMIT unset whatever the memory limit.",
    };
    pub const CGROUP_ROOT: Setting = Setting {
        name: "S2I_RUN_CGROUP_ROOT",
        toml_key: None,
        default: "/",
        applies: Applies::Run,
        description: "Where `s2i-run` finds `proc/self/cgroup` and `sys/fs/cgroup/` to read the \
memory limit: for tests, a directory laid out like them.",
    };
    pub const USER: Setting = Setting {
        name: "USER",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Unset, `s2i-run` sets it (and `LOGNAME`) to the name of the UID's \
/etc/passwd entry, or to `default` when it has none (OpenShift's arbitrary UIDs), so that Go's \
`os/user.Current()` works without cgo.",
    };
    pub const LOGNAME: Setting = Setting {
        name: "LOGNAME",
        toml_key: None,
        default: "",
        applies: Applies::Run,
        description: "Unset, `s2i-run` sets it as `USER`.",
    };
    pub const HOME: Setting = Setting {
        name: "HOME",
        toml_key: None,
        default: "",
        applies: Applies::Build.and(Applies::Run),
        description: "Unset, or not a directory the UID can write, `s2i-run` sets it to the \
home of the UID's /etc/passwd entry when that one is writable, else to the application's \
`$APP_ROOT/src` when that one is (the image sets `HOME` to it). At build time, `s2i-assemble` \
also reads the `.netrc` there, and has git include the `.gitconfig` there (see Private \
modules).",
    };
    pub const PATH: Setting = Setting {
        name: "PATH",
        toml_key: None,
        default: "/usr/local/bin:/usr/bin:/bin",
        applies: Applies::Build.and(Applies::Run),
        description: "Where `s2i-run -- COMMAND` looks for a command without `/`: the \
program's PATH (the run manifest's `[env]` included), as `execvp` does; the default is \
execvp's. At build time, where `s2i-assemble` looks for `go` and `git` first (then in \
`$GOROOT/bin` and the usual install folders for `go`).",
    };
}

/// Every setting, in the order the documentation lists them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: GO_TARGETS,
        toml_key: Some("targets"),
        default: "",
        applies: Applies::Build,
        description: "Main package(s) to build, comma-separated: directories of the sources, \
relative to their root (`./cmd/api,./cmd/worker`; `cmd/api` is the same directory, never Go's own \
`cmd/api`; an absolute path must be inside the sources), or import paths. Unset: the root \
package if it is `package main`, else the main packages under `cmd/`.",
    },
    Setting {
        name: GO_RUN,
        toml_key: Some("run"),
        default: "",
        applies: Applies::Build,
        description: "The program `s2i-run` starts, by binary name or package (`worker` or \
`./cmd/worker`). Unset: the first of `GO_TARGETS`, the only main package, or, of several under \
`cmd/`, the one named like the module (`example.com/shop` starts `shop`). With several and none \
of them chosen, all are built and installed in `$APP_ROOT/bin`, with no run manifest: start one \
by name (`/usr/libexec/s2i/run worker`).",
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
        description: "The value of `go build -ldflags`, e.g. `-s -w -X main.version=1.2`. \
Placeholders carry the commit and version into the program: `${S2I_GIT_COMMIT}`, \
`${S2I_GIT_SHORT_COMMIT}`, `${S2I_GIT_REF}`, `${S2I_VERSION}`, `${S2I_BUILD_DATE}` \
(e.g. `-X main.version=${S2I_VERSION}`; see Traceable binaries).",
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
        name: GO_SBOM,
        toml_key: None,
        default: "spdx,cyclonedx",
        applies: Applies::Build,
        description: "The SBOMs written for each built binary, from the build information go \
embeds in it, into `$APP_ROOT/sbom/`: `spdx` (`BINARY.spdx.json`, SPDX 2.3), `cyclonedx` \
(`BINARY.cdx.json`, CycloneDX 1.6), both comma-separated, or `off`.",
    },
    Setting {
        name: SOURCE_DATE_EPOCH,
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "A Unix time in seconds (e.g. the commit's, `git log -1 --format=%ct`): the \
SBOMs' creation time, the image's `org.opencontainers.image.created` label and \
`${S2I_BUILD_DATE}`. Unset: the time of the build.",
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
offline). `auto` lets a go.mod whose `toolchain` or `go` line needs a newer Go download it \
through GOPROXY; that toolchain, and only it, is kept with the module cache, so an incremental \
build does not download it again.",
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
        name: GO_CLEAN_CACHE,
        toml_key: None,
        default: "false",
        applies: Applies::Build,
        description: "A boolean: `true` removes Go's caches at the end of the build: the smallest \
application image, but the next incremental build starts clean (see Incremental builds). \
Only what Go put into GOCACHE and GOMODCACHE goes; other files there stay.",
    },
    Setting {
        name: GO_CREDENTIALS_DIR,
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "Directories (separated by `:`) holding credentials for go's downloads: \
`.netrc`, `.gitconfig` (e.g. `url.<base>.insteadOf` rewrites), `.git-credentials` (also without \
the dot). A relative path is relative to the working directory (an OpenShift input secret's \
`destinationDir`), an absolute one is e.g. a build volume's mount path. The working directory \
itself (`$HOME`, where an input secret without `destinationDir` lands) is always looked at. Used \
for this build only: see Private modules.",
    },
    Setting {
        name: "GO_TOKEN_<host>",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "A token for one host, from a secret: `TOKEN`, or `USER:TOKEN` for hosts \
that need the user name (default user `oauth2`). The host is written with `_` for `.` and `__` \
for `-`, in any case: `GO_TOKEN_github_com`, `GO_TOKEN_GIT__CORP_EXAMPLE` (git-corp.example); \
it applies to the host on any port. go (over `NETRC`) and git (over a credential helper) get it \
for this build only; it never reaches the log, the image or the run manifest.",
    },
    Setting {
        name: GO_CA_BUNDLE,
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "PEM files (separated by `:`) of CA certificates that go and git trust \
besides the system's roots: a company proxy's or git host's private CA. A relative path is \
relative to the working directory. The build gets one bundle of the system's roots and these \
(`SSL_CERT_FILE`, `GIT_SSL_CAINFO`).",
    },
    Setting {
        name: "NETRC, GIT_CONFIG_GLOBAL, XDG_CONFIG_HOME",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "Credentials the environment already has for go and git: `s2i-assemble` \
reads the netrc file `NETRC` names along with the others, and has git include the user's own \
configuration (`GIT_CONFIG_GLOBAL`, `$XDG_CONFIG_HOME/git/config`, default \
`$HOME/.config/git/config`) in the one it writes for the build.",
    },
    Setting {
        name: "SSL_CERT_FILE, GIT_SSL_CAINFO",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "The CA bundles the environment trusts already: with `GO_CA_BUNDLE`, the \
build's bundle starts from these (each file once) instead of the system's roots.",
    },
    Setting {
        name: "OPENSHIFT_BUILD_SOURCE, OPENSHIFT_BUILD_COMMIT, OPENSHIFT_BUILD_REFERENCE",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "Set by OpenShift builds: the SBOMs name the source repository (without \
credentials), the commit and the reference.",
    },
    Setting {
        name:
            "GOFLAGS, GOPROXY, GOPRIVATE, GONOPROXY, GONOSUMDB, GOINSECURE, GOAUTH, GOSUMDB, GOOS, \
GOARCH, GOEXPERIMENT, GOWORK, GOPATH, GO111MODULE, GOROOT, ...",
        toml_key: None,
        default: "",
        applies: Applies::Build,
        description: "Go's own variables pass through to `go` untouched; `s2i-assemble` reads \
those named here to know what go will do (e.g. `-mod=` in GOFLAGS, GOPROXY to explain a \
download failure; `$GOROOT/bin` to find `go` not on PATH). `.s2i/go.toml` may set any variable \
in its `[env]` table.",
    },
    APP_ROOT,
    run::APP_ARGS,
    run::INIT,
    run::STOP_SIGNAL,
    run::SIGNAL_GROUP,
    run::GRACE,
    run::VERBOSE,
    run::EXIT_REMAP,
    run::GOMEMLIMIT,
    run::GOMEMLIMIT_SHARE,
    run::GOMEMLIMIT_FROM_CGROUP,
    run::CGROUP_ROOT,
    run::USER,
    run::LOGNAME,
    run::HOME,
    run::PATH,
    SAVE_ARTIFACTS_PATHS,
    BASE_CACHE,
    BUILDER_IMAGE,
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
        let mut head = s.name.to_string();
        if !s.default.is_empty() {
            head.push_str(&format!("  (default: {})", s.default));
        }
        if s.applies == Applies::Run {
            head.push_str("  [at run time]");
        } else if s.applies.includes(Applies::Run) {
            head.push_str("  [at build and run time]");
        } else if s.applies == Applies::SaveArtifacts {
            head.push_str("  [by save-artifacts]");
        } else if s.applies == Applies::Usage {
            head.push_str("  [by usage]");
        }
        // A row of several names (Go's own) may not fit on one line.
        let head = if head.len() + 2 <= width {
            vec![head]
        } else {
            wrap(&head, width.saturating_sub(2).max(20))
        };
        for line in head {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
        }
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
        for width in [72, 78] {
            let text = text_table(width);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{} columns, over {width}: {line:?}",
                    line.chars().count()
                );
            }
            // Wrapped, not cut: every word of every row is there, in order.
            let words: Vec<&str> = text.split_whitespace().collect();
            for s in SETTINGS {
                let first = s.name.split_whitespace().next().unwrap();
                assert!(words.contains(&first), "{} missing", s.name);
                let description: Vec<String> = s
                    .description
                    .replace('`', "")
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                assert!(
                    words.windows(description.len()).any(|w| w == description),
                    "{}'s description is not whole in:\n{text}",
                    s.name
                );
            }
        }
    }
}
