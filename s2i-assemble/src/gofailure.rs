//! Go's own failures, recognised from what go printed on stderr, so that
//! the line after go's output names the problem and its one fix.
//!
//! [`classify`] is a pure function of go's stderr and the environment go
//! ran with; it is tested from real go output recorded under
//! `tests/go-stderr/`. Go's wording is stable across releases (checked
//! against Go 1.19, 1.26 and 1.27), but only parts of it are relied on:
//! the phrases go has printed for years, and the module, package, file or
//! host they name.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use s2i_common::display::MiB;
use s2i_common::memlimit;

use crate::cgo;
use crate::errors::Error;
use crate::generate::Directive;
use crate::gotool;
use crate::own_package;
use crate::plan::BuildPlan;

/// What a failed go command was about, with what go named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoFailure {
    /// go.sum lacks an entry, or go.mod lacks a requirement (`updates to
    /// go.mod needed`): `what` says which, in go's terms.
    NotTidy { what: String },
    /// An import that no module in go.mod provides; `lookup` is why go
    /// could not look one up, when it tried (`-mod=mod`).
    NoModule {
        package: String,
        lookup: Option<String>,
        /// The directory of the sources the package would be in, when it
        /// is this module's own and that directory is missing.
        own_dir: Option<String>,
    },
    /// A package of this module whose directory's name differs in case
    /// from its import path (see `own_package`).
    OtherCase {
        package: String,
        dir: String,
        other: String,
    },
    /// A module that could not be downloaded.
    Download {
        /// `module@version`s go named (empty when it named none).
        modules: Vec<String>,
        goproxy: String,
        reason: String,
    },
    /// A proxy or git host that wants credentials, or refused them.
    Auth {
        host: String,
        module: Option<String>,
        reason: &'static str,
        /// GOPRIVATE may be the fix: go fetched the module through a
        /// proxy, and GOPRIVATE does not name it yet.
        goprivate: bool,
        /// Where the credentials given for that host came from, if any
        /// were (see `credentials::given_for`); boxed, to keep errors small.
        given: Option<Box<Given>>,
    },
    /// A server certificate signed by an authority the builder does not trust.
    Tls {
        host: String,
        module: Option<String>,
        /// Whether GO_CA_BUNDLE gave CAs (which then lack this one).
        ca_given: bool,
    },
    /// A module fetched from its git host directly, and no git in the image.
    GitMissing { module: Option<String> },
    /// go.sum does not match what was downloaded (go's SECURITY ERROR).
    ChecksumMismatch { module: String },
    /// vendor/ and go.mod disagree.
    Vendor { detail: String },
    /// CGO_ENABLED=1 without a C compiler.
    CgoNoCompiler { compiler: String },
    /// Build constraints leave a package with no Go file (GOOS, tags, or
    /// cgo off: see `cgo` for the last).
    ExcludedByConstraints {
        package: Option<String>,
        dir: String,
    },
    /// The first compile error: where, in which package, and go's words.
    Compile {
        location: String,
        /// Boxed, as `dependency`, to keep `Error` small.
        package: Option<Box<str>>,
        message: String,
        /// For `undefined: NAME`, the `//go:generate` line of the package
        /// of the sources that should define it (see `generate`); boxed,
        /// to keep `Error` small.
        generate: Option<Box<Directive>>,
        /// `module@version` when the file is a dependency's, in the
        /// module cache (`location` is then in the module): not the
        /// user's code to fix.
        dependency: Option<Box<str>>,
    },
    /// A `replace` in go.mod points to a directory that is not there, or
    /// that has no go.mod.
    Replacement {
        /// `module@version`, when go named it.
        module: Option<String>,
        dir: String,
        place: LocalDir,
    },
    /// A Go tool (the compiler, the linker) killed by SIGKILL: in a
    /// container, the kernel's out-of-memory killer at its memory limit.
    ToolKilled {
        tool: String,
        package: String,
        /// The container's memory limit (cgroup), when it has one.
        memory_limit: Option<u64>,
    },
    /// go.work uses a directory that is not there, or that has no go.mod.
    WorkspaceUse { dir: String, place: LocalDir },
    /// A `//go:embed` pattern that matches no file: files left out of the
    /// repository, or made by a step that did not run.
    EmbedMissing { location: String, pattern: String },
    /// A package that more than one required module provides (one that
    /// moved into a module of its own, such as genproto's).
    AmbiguousImport {
        package: String,
        /// The modules that provide it, as `module@version`.
        modules: Vec<String>,
    },
    /// go.mod or go.work cannot be read.
    ModSyntax {
        file: String,
        line: String,
        reason: String,
    },
    /// GOTOOLCHAIN could not download the Go that go.mod (or GOTOOLCHAIN) asks for.
    Toolchain {
        version: String,
        gotoolchain: String,
        reason: String,
    },
    /// The sources need a newer Go than this one (old go's own words).
    TooOld { file: &'static str, needs: String },
    /// Anything else: go's messages above say it.
    Other,
}

/// Where a local directory that go.mod replaces a module with, or that
/// go.work uses, is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalDir {
    /// Beside the sources (`../shared`), or anywhere else outside them:
    /// the build has only the sources.
    Beside,
    /// In the sources, without a go.mod.
    NoGoMod,
    /// In the sources by its path, and not there (not committed, a git
    /// submodule not checked out, or left out by `.s2iignore`).
    Missing,
}

/// Where the credentials for a host came from (`.netrc line 3`,
/// `GO_TOKEN_github_com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given(pub String);

/// The error for a go command that failed with `stderr` (which the user
/// has seen already): go's failure recognised, or `command` named.
pub fn error(
    command: &'static str,
    status: &str,
    stderr: &str,
    env: &BTreeMap<String, String>,
    dir: &Path,
    go: &Path,
) -> Error {
    if let Some(full) = crate::diskfull::check(command, stderr, env, &[]) {
        return full;
    }
    match classify(stderr, env, dir) {
        GoFailure::TooOld { file, needs } => Error::GoTooOld {
            file,
            needs,
            have: format!(
                "{} ({})",
                gotool::version_file(go).unwrap_or_else(|| "an older Go".to_string()),
                go.display()
            ),
        },
        failure => Error::GoFailed {
            command,
            status: status.into(),
            failure,
        },
    }
}

/// The error for a failed `go build` of `plan`, whose messages the user
/// has seen: what cgo being off looks like is checked with go list (see
/// `cgo`), the rest is go's failure recognised.
pub fn build_error(plan: &BuildPlan, status: &str, messages: &str) -> Error {
    if let Some(full) = crate::diskfull::check("go build", messages, &plan.env, &[&plan.out_dir]) {
        return full;
    }
    let failure = classify(messages, &plan.env, &plan.build_dir);
    if let Some(cgo) = cgo::after_failed_build(plan, &failure) {
        return cgo;
    }
    match failure {
        GoFailure::TooOld { .. } => error(
            "go build",
            status,
            messages,
            &plan.env,
            &plan.build_dir,
            &plan.go,
        ),
        failure => Error::GoFailed {
            command: "go build",
            status: status.into(),
            failure,
        },
    }
}

/// go's default GOPROXY.
const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

/// Recognises go's failure in `stderr`. `env` is the environment go ran
/// with, `dir` where it ran (paths under it are shown relative).
pub fn classify(stderr: &str, env: &BTreeMap<String, String>, dir: &Path) -> GoFailure {
    let mut failure = classify_words(stderr, env, dir);
    if let GoFailure::NoModule { package, .. } = &failure {
        // A package of the module itself: no `go get` will bring it.
        let package = package.clone();
        if let Some(missing) = own_package::missing(dir, &package) {
            failure = match missing.other_case {
                Some(other) => GoFailure::OtherCase {
                    package,
                    dir: missing.dir,
                    other,
                },
                None => GoFailure::NoModule {
                    package,
                    lookup: None,
                    own_dir: Some(missing.dir),
                },
            };
        }
    }
    // What this build was given, which go's words cannot say.
    match &mut failure {
        GoFailure::Auth { host, given, .. } => {
            *given = crate::credentials::given_for(host).map(|g| Box::new(Given(g)))
        }
        GoFailure::Tls { ca_given, .. } => *ca_given = crate::credentials::ca_given(),
        GoFailure::ToolKilled { memory_limit, .. } => {
            *memory_limit = memlimit::read(Path::new("/")).map(|limit| limit.bytes)
        }
        GoFailure::WorkspaceUse {
            dir: used,
            place: place @ LocalDir::NoGoMod,
        } if !dir.join(&*used).is_dir() => *place = LocalDir::Missing,
        GoFailure::Compile {
            location,
            message,
            generate,
            dependency,
            ..
        } => {
            *generate = crate::generate::behind_undefined(dir, location, message).map(Box::new);
            let in_cache = env
                .get("GOMODCACHE")
                .and_then(|cache| module_in_cache(dir, location, Path::new(cache)));
            if let Some((module, file)) = in_cache {
                *dependency = Some(module.into_boxed_str());
                *location = file;
            } else {
                *dependency = module_vendored(dir, location).map(String::into_boxed_str);
            }
        }
        _ => {}
    }
    failure
}

/// [`classify`] from go's words alone.
fn classify_words(stderr: &str, env: &BTreeMap<String, String>, dir: &Path) -> GoFailure {
    let lines: Vec<&str> = stderr.lines().collect();
    let var = |name: &str| env.get(name).map(String::as_str).unwrap_or("");
    let goproxy = match var("GOPROXY") {
        "" => DEFAULT_GOPROXY.to_string(),
        set => set.to_string(),
    };
    let classifiers: [&dyn Fn() -> Option<GoFailure>; 19] = [
        &|| tool_killed(&lines),
        &|| checksum_mismatch(&lines),
        &|| toolchain(&lines, var("GOTOOLCHAIN")),
        &|| mod_syntax(&lines, dir),
        &|| replacement(&lines),
        &|| workspace_use(&lines),
        &|| vendor(&lines),
        &|| cgo_no_compiler(&lines),
        &|| too_old(&lines),
        &|| git_missing(&lines),
        &|| auth(&lines, &goproxy, var("GOPRIVATE"), var("GONOPROXY")),
        &|| tls(&lines),
        &|| not_tidy(&lines),
        &|| no_module(&lines),
        &|| ambiguous_import(&lines),
        &|| download(&lines, &goproxy),
        &|| excluded(&lines, dir),
        &|| embed_missing(&lines, dir),
        &|| compile(&lines, dir),
    ];
    classifiers
        .iter()
        .find_map(|classify| classify())
        .unwrap_or(GoFailure::Other)
}

/// `verifying example.com/m@v1.0.0[/go.mod]: checksum mismatch`.
fn checksum_mismatch(lines: &[&str]) -> Option<GoFailure> {
    let line = lines.iter().find(|l| l.contains(": checksum mismatch"))?;
    let module = module_at_version(line)
        .or_else(|| {
            let before = line.split(": checksum mismatch").next()?;
            before.rsplit(' ').next().map(str::to_string)
        })
        .unwrap_or_default();
    Some(GoFailure::ChecksumMismatch { module })
}

/// `go: download go1.99.1 for linux/amd64: toolchain not available`, or
/// `go: download go1.99.1: golang.org/toolchain@...: <why>`.
fn toolchain(lines: &[&str], gotoolchain: &str) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix("go: download go")?;
        let version = format!(
            "go{}",
            rest.split([' ', ':']).next().filter(|v| !v.is_empty())?
        );
        let reason = last_part(rest);
        Some(GoFailure::Toolchain {
            version,
            gotoolchain: if gotoolchain.is_empty() {
                "auto".to_string()
            } else {
                gotoolchain.to_string()
            },
            reason,
        })
    })
}

/// `go.mod:5: unknown directive: requir` (after `go: errors parsing
/// go.mod:`), `/abs/go.work:7: ...`, or Go 1.19's `reading go.work:
/// /abs/go.work:7: ...`. An old go that cannot read a `go 1.21.0` line
/// needs a newer Go, which is another class.
fn mod_syntax(lines: &[&str], dir: &Path) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let line = line.trim_start_matches("go: ");
        let line = line.strip_prefix("reading go.work: ").unwrap_or(line);
        let (place, reason) = line.split_once(": ")?;
        let (path, number) = place.rsplit_once(':')?;
        let file_name = Path::new(path).file_name()?.to_str()?;
        if !matches!(file_name, "go.mod" | "go.work") || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if let Some(needs) = reason
            .strip_prefix("invalid go version '")
            .and_then(|r| r.split('\'').next())
        {
            if reason.contains("must match format") {
                return Some(GoFailure::TooOld {
                    file: if file_name == "go.work" {
                        "go.work"
                    } else {
                        "go.mod"
                    },
                    needs: needs.to_string(),
                });
            }
        }
        Some(GoFailure::ModSyntax {
            file: relative(path, dir),
            line: number.to_string(),
            reason: reason.trim().to_string(),
        })
    })
}

/// `PKG: example.com/lib@v0.0.0: replacement directory ../lib does not
/// exist`; one without a go.mod: `module ../lib: reading ../lib/go.mod:
/// open ...: no such file or directory` (Go 1.19: `go: example.com/lib@v0.0.0
/// (replaced by ../lib): reading ../lib/go.mod: ...`).
fn replacement(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        if let Some(dir) = between(line, ": replacement directory ", " does not exist") {
            let place = if inside_the_sources(dir) {
                LocalDir::Missing
            } else {
                LocalDir::Beside
            };
            return Some(GoFailure::Replacement {
                module: module_at_version(line),
                dir: dir.to_string(),
                place,
            });
        }
        let missing = line.ends_with("/go.mod: no such file or directory");
        let dir = between(line, "module ", ": reading ")
            .or_else(|| between(line, "(replaced by ", "): reading "))
            .filter(|dir| missing && line.contains(&format!(": reading {dir}/go.mod: ")))?;
        Some(GoFailure::Replacement {
            module: module_at_version(line),
            dir: dir.to_string(),
            place: LocalDir::NoGoMod,
        })
    })
}

/// True when the relative path `dir` (as go.mod or go.work write it) stays
/// in the directory it is relative to: `./etcdctl`, not `../lib`.
fn inside_the_sources(dir: &str) -> bool {
    !dir.starts_with('/')
        && Path::new(dir)
            .components()
            .try_fold(0usize, |depth, c| match c {
                std::path::Component::ParentDir => depth.checked_sub(1),
                std::path::Component::Normal(_) => Some(depth + 1),
                _ => Some(depth),
            })
            .is_some()
}

/// `PKG: /usr/local/go/pkg/tool/linux_amd64/compile: signal: killed`
/// (Go 1.19: `go build PKG: ...`): the first tool go names killed.
fn tool_killed(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let rest = line.strip_suffix(": signal: killed")?;
        let (package, tool) = rest.rsplit_once(": ")?;
        let tool = Path::new(tool).file_name()?.to_str()?;
        let tool = tool.strip_suffix(".exe").unwrap_or(tool);
        let package = package.strip_prefix("go build ").unwrap_or(package);
        if !matches!(tool, "compile" | "link" | "asm" | "cgo") || package.contains(' ') {
            return None;
        }
        Some(GoFailure::ToolKilled {
            tool: tool.to_string(),
            package: package.to_string(),
            memory_limit: None,
        })
    })
}

/// `go: cannot load module ../shared listed in go.work file: open
/// ../shared/go.mod: no such file or directory` (Go 1.20 and later).
fn workspace_use(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let dir = between(line, "cannot load module ", " listed in go.work file: ")?;
        // Which of the two inside, the file system says (see `classify`).
        let place = if inside_the_sources(dir) {
            LocalDir::NoGoMod
        } else {
            LocalDir::Beside
        };
        Some(GoFailure::WorkspaceUse {
            dir: dir.to_string(),
            place,
        })
    })
}

/// `main.go:5:12: pattern static/*: no matching files found`, go's first
/// error.
fn embed_missing(lines: &[&str], dir: &Path) -> Option<GoFailure> {
    let GoFailure::Compile {
        location, message, ..
    } = compile(lines, dir)?
    else {
        return None;
    };
    let pattern = message
        .strip_prefix("pattern ")?
        .strip_suffix(": no matching files found")?;
    Some(GoFailure::EmbedMissing {
        location,
        pattern: pattern.to_string(),
    })
}

/// `go: inconsistent vendoring in DIR:`, or a package missing from
/// vendor/ (`import lookup disabled by -mod=vendor`; Go 1.19: `cannot find
/// package "." in: DIR/vendor/PKG`).
fn vendor(lines: &[&str]) -> Option<GoFailure> {
    if lines.iter().any(|l| l.contains("inconsistent vendoring")) {
        return Some(GoFailure::Vendor {
            detail: "go: inconsistent vendoring".to_string(),
        });
    }
    for (i, line) in lines.iter().enumerate() {
        if line.contains("import lookup disabled by -mod=vendor") {
            let package = between(line, "providing package ", ":")?;
            return Some(GoFailure::Vendor {
                detail: format!("it has no package {package}"),
            });
        }
        if line.contains("cannot find package \".\" in:") {
            let next = lines.get(i + 1)?.trim();
            let (_, package) = next.split_once("/vendor/")?;
            return Some(GoFailure::Vendor {
                detail: format!("it has no package {package}"),
            });
        }
    }
    None
}

/// `cgo: C compiler "gcc" not found: ...`.
fn cgo_no_compiler(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let compiler = between(line, "C compiler \"", "\" not found")?;
        Some(GoFailure::CgoNoCompiler {
            compiler: compiler.to_string(),
        })
    })
}

/// Go before 1.21, failing on newer code: `note: module requires Go 1.21`.
fn too_old(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let needs = line.trim().strip_prefix("note: module requires Go ")?;
        Some(GoFailure::TooOld {
            file: "go.mod",
            needs: needs.trim().to_string(),
        })
    })
}

/// go fetching from a git host directly and finding no git: `exec: "git":
/// executable file not found in $PATH` (after `unable to resolve git
/// version`, or Go 1.19's `git init --bare`), or `missing Git command`.
fn git_missing(lines: &[&str]) -> Option<GoFailure> {
    lines
        .iter()
        .any(|l| {
            l.contains("exec: \"git\": executable file not found")
                || l.contains("missing Git command")
        })
        .then(|| GoFailure::GitMissing {
            module: downloading(lines).pop(),
        })
}

/// A proxy answering 401/403, or git asking for or refusing credentials.
fn auth(lines: &[&str], goproxy: &str, goprivate: &str, gonoproxy: &str) -> Option<GoFailure> {
    const SIGNS: &[(&str, &str)] = &[
        (
            "could not read Username for '",
            "git asked for a user name: terminal prompts disabled",
        ),
        (
            "could not read Password for '",
            "git asked for a password: terminal prompts disabled",
        ),
        ("Authentication failed for '", "authentication failed"),
        ("The requested URL returned error: 401", "401 Unauthorized"),
        ("The requested URL returned error: 403", "403 Forbidden"),
        (": 401 Unauthorized", "401 Unauthorized"),
        (": 403 Forbidden", "403 Forbidden"),
        (
            "Permission denied (publickey)",
            "ssh: Permission denied (publickey)",
        ),
    ];
    let (line, reason) = lines.iter().find_map(|line| {
        SIGNS
            .iter()
            .find(|(sign, _)| line.contains(sign))
            .map(|(_, reason)| (*line, *reason))
    })?;
    let host = if line.contains("Permission denied (publickey)") {
        // `git@github.com: Permission denied (publickey).`
        line.trim().split(':').next().map(|user_host| {
            user_host
                .rsplit('@')
                .next()
                .unwrap_or(user_host)
                .to_string()
        })
    } else {
        url_in(line).map(host_of)
    }
    .unwrap_or_else(|| "the server".to_string());
    let module = module_named(lines);
    let module_path = module.as_deref().map(|m| m.split('@').next().unwrap_or(m));
    // Fetched through a proxy: a private module is better fetched from its
    // host directly, which GOPRIVATE (or GONOPROXY) asks for.
    let goprivate = module_path.is_some_and(|path| {
        proxies(goproxy).next().is_some()
            && !matches_patterns(path, goprivate)
            && !matches_patterns(path, gonoproxy)
    });
    Some(GoFailure::Auth {
        host,
        module,
        reason,
        goprivate,
        given: None,
    })
}

/// `x509: certificate signed by unknown authority` (go), `server
/// certificate verification failed` / `SSL certificate problem` (git).
fn tls(lines: &[&str]) -> Option<GoFailure> {
    const SIGNS: &[&str] = &[
        "certificate signed by unknown authority",
        "server certificate verification failed",
        "SSL certificate problem",
    ];
    let line = lines
        .iter()
        .find(|line| SIGNS.iter().any(|sign| line.contains(sign)))?;
    Some(GoFailure::Tls {
        host: url_in(line)
            .map(host_of)
            .unwrap_or_else(|| "the server".to_string()),
        module: module_named(lines),
        ca_given: false,
    })
}

/// `missing go.sum entry for module providing package P`, `M@V: missing
/// go.sum entry for go.mod file`, Go 1.19's `M@V: missing go.sum entry`,
/// `updates to go.mod needed`.
fn not_tidy(lines: &[&str]) -> Option<GoFailure> {
    for line in lines {
        if line.contains("updates to go.mod needed") {
            return Some(GoFailure::NotTidy {
                what: "go: updates to go.mod needed".to_string(),
            });
        }
        if !line.contains("missing go.sum entry") {
            continue;
        }
        let what = if let Some(package) = between(line, "providing package ", " (")
            .or_else(|| between(line, "providing package ", ";"))
        {
            format!("go.sum has no entry for the module of {package}")
        } else if let Some(module) = module_at_version(line) {
            let of = if line.contains("for go.mod file") {
                "'s go.mod"
            } else {
                ""
            };
            format!("go.sum has no entry for {module}{of}")
        } else {
            "go.sum lacks entries".to_string()
        };
        return Some(GoFailure::NotTidy { what });
    }
    None
}

/// `no required module provides package P`, or under `-mod=mod`
/// `cannot find module providing package P: <why the lookup failed>`.
fn no_module(lines: &[&str]) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        if let Some(package) = between(line, "no required module provides package ", ";")
            .or_else(|| line.split("no required module provides package ").nth(1))
        {
            return Some(GoFailure::NoModule {
                package: package.trim().to_string(),
                lookup: None,
                own_dir: None,
            });
        }
        let rest = line.split("cannot find module providing package ").nth(1)?;
        let (package, why) = rest.split_once(": ").unwrap_or((rest, ""));
        Some(GoFailure::NoModule {
            package: package.trim().to_string(),
            lookup: Some(last_part(why)).filter(|w| !w.is_empty()),
            own_dir: None,
        })
    })
}

/// `ambiguous import: found package P in multiple modules:`, then one
/// line per module: `\tM V (DIR)`.
fn ambiguous_import(lines: &[&str]) -> Option<GoFailure> {
    let at = lines
        .iter()
        .position(|l| l.contains("ambiguous import: found package "))?;
    let package = between(
        lines[at],
        "ambiguous import: found package ",
        " in multiple modules",
    )?;
    let modules = lines[at + 1..]
        .iter()
        .map_while(|line| {
            let line = line.strip_prefix('\t')?;
            let mut words = line.split_whitespace();
            let (module, version) = (words.next()?, words.next()?);
            version
                .starts_with('v')
                .then(|| format!("{module}@{version}"))
        })
        .collect();
    Some(GoFailure::AmbiguousImport {
        package: package.trim().to_string(),
        modules,
    })
}

/// A module go could not fetch: the proxy is off, unreachable, or does not
/// have it.
fn download(lines: &[&str], goproxy: &str) -> Option<GoFailure> {
    const SIGNS: &[&str] = &[
        "module lookup disabled by GOPROXY=off",
        "dial tcp",
        "no such host",
        "connection refused",
        "i/o timeout",
        "proxyconnect",
        "TLS handshake timeout",
        "unknown revision",
        "unrecognized import path",
        "invalid version",
        ": 404 Not Found",
        ": 410 Gone",
        ": 500 Internal Server Error",
        ": 502 Bad Gateway",
        ": 503 Service Unavailable",
        ": 504 Gateway Timeout",
        "no secure protocol found for repository",
        "no protocol found for repository",
        "git ls-remote",
        "reading file://",
    ];
    let (index, line) = lines
        .iter()
        .enumerate()
        .find(|(_, line)| SIGNS.iter().any(|sign| line.contains(sign)))?;
    let mut modules: Vec<String> = module_at_version(line).into_iter().collect();
    if modules.is_empty() {
        modules = downloading(lines);
    }
    let mut reason = if let Some(url) = url_in(line) {
        let after = line.split(url).nth(1).unwrap_or("");
        after.trim_start_matches(['"', '\'', ':', ' ']).to_string()
    } else {
        last_part(line)
    };
    // A proxy's own words, on the next line: `server response: not found:
    // M@V: invalid version: unknown revision v1.0.0`.
    if let Some(response) = lines
        .get(index + 1)
        .and_then(|next| next.trim().strip_prefix("server response:"))
    {
        let response = last_part(response);
        if !response.is_empty() {
            reason = format!("{reason}: {response}");
        }
    }
    Some(GoFailure::Download {
        modules,
        goproxy: goproxy.to_string(),
        reason,
    })
}

/// `package P: build constraints exclude all Go files in DIR` (the main
/// package) or `imports P: build constraints ...` (a dependency).
fn excluded(lines: &[&str], dir: &Path) -> Option<GoFailure> {
    lines.iter().find_map(|line| {
        let (before, excluded_dir) =
            line.split_once(": build constraints exclude all Go files in ")?;
        let before = before.trim();
        let package = before
            .strip_prefix("package ")
            .or_else(|| before.strip_prefix("imports "))
            .map(str::to_string);
        Some(GoFailure::ExcludedByConstraints {
            package,
            dir: relative(excluded_dir.trim(), dir),
        })
    })
}

/// The first `file.go:LINE[:COL]: message`, and the `# package` above it.
fn compile(lines: &[&str], dir: &Path) -> Option<GoFailure> {
    let mut package = None;
    for line in lines {
        if let Some(header) = line.strip_prefix("# ") {
            package = Some(header.trim().to_string());
            continue;
        }
        let Some((place, message)) = line.split_once(": ") else {
            continue;
        };
        let mut parts = place.split(':');
        let (Some(file), Some(number)) = (parts.next(), parts.next()) else {
            continue;
        };
        let column_ok = parts
            .next()
            .is_none_or(|c| c.bytes().all(|b| b.is_ascii_digit()));
        if file.ends_with(".go")
            && !file.contains(' ')
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
            && column_ok
            && parts.next().is_none()
        {
            let file = relative(file, dir);
            return Some(GoFailure::Compile {
                location: format!("{}:{number}", file.trim_start_matches("./")),
                package: package.map(String::into_boxed_str),
                message: message.trim().to_string(),
                generate: None,
                dependency: None,
            });
        }
    }
    None
}

/// The last `: `-separated part of go's message: the reason in `A: B: reason`.
fn last_part(text: &str) -> String {
    text.rsplit(": ").next().unwrap_or(text).trim().to_string()
}

/// [`GoFailure::GitMissing`]'s line.
fn write_git_missing(f: &mut fmt::Formatter<'_>, module: Option<&str>) -> fmt::Result {
    let module = module.unwrap_or("a module");
    write!(
        f,
        "go fetches {module} from its git host directly (GOPROXY=direct, or GOPRIVATE/GONOPROXY names it), and this image has no git: use a builder image with git, or a GOPROXY that serves that module (a company proxy: GOPROXY=https://proxy.corp.example, with GONOPROXY not naming it)"
    )
}

/// [`GoFailure::ToolKilled`]'s line.
fn write_tool_killed(
    f: &mut fmt::Formatter<'_>,
    tool: &str,
    package: &str,
    memory_limit: Option<u64>,
) -> fmt::Result {
    let what = match tool {
        "compile" => "the Go compiler",
        "link" => "the Go linker",
        _ => "a Go tool",
    };
    write!(
        f,
        "{what} ({tool}) was killed (signal: killed) building {package}: most likely by the kernel's out-of-memory killer, at the build's memory limit"
    )?;
    if let Some(limit) = memory_limit {
        write!(f, " (this container's: {})", MiB(limit))?;
    }
    write!(
        f,
        ": give the build more memory (a BuildConfig's spec.resources.limits.memory; podman build --memory), or compile fewer packages at once (GOFLAGS=-p=1)"
    )
}

/// [`GoFailure::WorkspaceUse`]'s line.
fn write_workspace_use(f: &mut fmt::Formatter<'_>, dir: &str, place: LocalDir) -> fmt::Result {
    write!(f, "go.work uses {dir}, {}: ", place.which())?;
    match place {
        LocalDir::NoGoMod => write!(
            f,
            "add one there (`go mod init` in {dir}), or drop it from go.work"
        ),
        LocalDir::Missing => write!(f, "add it, or drop it from go.work"),
        LocalDir::Beside => write!(
            f,
            "build from a directory that holds every module go.work uses, or drop it from go.work"
        ),
    }
}

/// [`GoFailure::Replacement`]'s line.
fn write_replacement(
    f: &mut fmt::Formatter<'_>,
    module: Option<&str>,
    dir: &str,
    place: LocalDir,
) -> fmt::Result {
    let module = module.unwrap_or("a module");
    write!(
        f,
        "go.mod replaces {module} with {dir}, {}: ",
        place.which()
    )?;
    let otherwise = "vendor the dependency (`go mod vendor`, and commit vendor/), or require a published version";
    match place {
        LocalDir::NoGoMod => write!(
            f,
            "add one there (`go mod init` in {dir}), or replace it with a directory that has one"
        ),
        LocalDir::Missing => write!(f, "add it, {otherwise}"),
        LocalDir::Beside => write!(f, "build from a directory that holds both, {otherwise}"),
    }
}

impl LocalDir {
    /// What is wrong with the directory, after its name.
    fn which(self) -> &'static str {
        match self {
            LocalDir::NoGoMod => "which has no go.mod",
            LocalDir::Missing => "which is not in the sources (not committed, a git submodule not checked out, or left out by .s2iignore)",
            LocalDir::Beside => "which is beside the sources (the build has the repository, or its context dir, and nothing beside it)",
        }
    }
}

/// The text between `start` and the next `end` in `line`.
fn between<'a>(line: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = line.split_once(start)?.1;
    Some(rest.split_once(end)?.0)
}

/// The first `module@version` in a line (`example.com/m@v1.0.0:`), not a
/// proxy URL's `/@v/`.
fn module_at_version(line: &str) -> Option<String> {
    line.split_whitespace().find_map(|word| {
        let word = word.trim_matches(|c| matches!(c, ':' | '"' | '\'' | ',' | '(' | ')'));
        let (module, version) = word.split_once("@v")?;
        let plausible = !module.is_empty()
            && !word.contains("://")
            && !word.contains("/@v/")
            // A file in the module cache: `M@V/file.go:12:2`.
            && !version.contains('/')
            && module.contains('.')
            && version.starts_with(|c: char| c.is_ascii_digit());
        plausible.then(|| word.to_string())
    })
}

/// The module an authentication or TLS failure was about: named on a
/// line (`M@V:`, `reading M/go.mod at revision V`), else the last one go
/// said it was downloading.
fn module_named(lines: &[&str]) -> Option<String> {
    for line in lines {
        if let Some(rest) = line.split("reading ").nth(1) {
            if let Some((path, version)) = rest.split_once("/go.mod at revision ") {
                let version = version.split(':').next().unwrap_or(version);
                return Some(format!("{path}@{version}"));
            }
        }
        if let Some(module) = module_at_version(line) {
            return Some(module);
        }
    }
    downloading(lines).pop()
}

/// `go: downloading M V` lines, as `M@V` (not toolchains: `go1.99 (linux/amd64)`).
fn downloading(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("go: downloading ")?;
            let mut words = rest.split_whitespace();
            let (module, version) = (words.next()?, words.next()?);
            (version.starts_with('v') && words.next().is_none())
                .then(|| format!("{module}@{version}"))
        })
        .collect()
}

/// The first URL in a line: `Get "URL"`, `reading URL:`, `'URL'`
/// (`file://` too, for a GOPROXY in a folder).
fn url_in(line: &str) -> Option<&str> {
    let start = ["https://", "http://", "file://"]
        .iter()
        .find_map(|scheme| line.find(scheme))?;
    let rest = &line[start..];
    let end = rest
        .find(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches(':'))
}

/// `host[:port]` of a URL, without any user name or password in it.
fn host_of(url: &str) -> String {
    crate::redact::host_of(url).to_string()
}

/// `git-corp.example:8443` as a `GO_TOKEN_` variable's name writes it:
/// `git__corp_example` (a port is not part of it).
fn token_variable_host(host: &str) -> String {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    name.replace('-', "__").replace('.', "_")
}

/// The proxy URLs of a GOPROXY list (not `direct` or `off`).
fn proxies(goproxy: &str) -> impl Iterator<Item = &str> {
    goproxy
        .split([',', '|'])
        .map(|p| p.trim().trim_end_matches('/'))
        .filter(|p| p.contains("://"))
}

/// Whether a module path matches a GOPRIVATE-style list of glob patterns,
/// each matching a prefix of the path's elements.
pub fn matches_patterns(path: &str, patterns: &str) -> bool {
    let elements: Vec<&str> = path.split('/').collect();
    patterns
        .split(',')
        .map(|p| p.trim().trim_end_matches('/'))
        .filter(|p| !p.is_empty())
        .any(|pattern| {
            let wanted: Vec<&str> = pattern.split('/').collect();
            wanted.len() <= elements.len() && wanted.iter().zip(&elements).all(|(w, e)| glob(w, e))
        })
}

/// `*` and `?` globbing within one path element.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.chars().next() {
        None => text.is_empty(),
        Some('*') => (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .any(|i| glob(&pattern[1..], &text[i..])),
        Some('?') => text
            .chars()
            .next()
            .is_some_and(|c| glob(&pattern[1..], &text[c.len_utf8()..])),
        Some(p) => text
            .chars()
            .next()
            .is_some_and(|c| c == p && glob(&pattern[p.len_utf8()..], &text[c.len_utf8()..])),
    }
}

/// `path` relative to `dir` when it is in it (absolute, or as go prints
/// paths when run from `/`); else as go printed it.
fn relative(path: &str, dir: &Path) -> String {
    let dir_text = dir.to_string_lossy();
    let dir_text = dir_text.trim_end_matches('/');
    for prefix in [dir_text, dir_text.trim_start_matches('/')] {
        if prefix.is_empty() {
            continue;
        }
        if let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
            return rest.to_string();
        }
    }
    path.to_string()
}

impl GoFailure {
    /// Whether the failure may be about the packages built rather than the
    /// module as a whole (its requirements, downloads, go.mod): a root built
    /// on the guess that it is a main package fails this way when it is
    /// not one (see `pipeline`).
    pub fn concerns_packages(&self) -> bool {
        matches!(
            self,
            GoFailure::Other | GoFailure::Compile { .. } | GoFailure::ExcludedByConstraints { .. }
        )
    }

    /// The line after go's output: `<problem>: <fix>`. `command` is the go
    /// command that failed (`go build`), `status` how it ended.
    pub fn write(&self, f: &mut fmt::Formatter<'_>, command: &str, status: &str) -> fmt::Result {
        match self {
            GoFailure::NotTidy { what } => write!(
                f,
                "go.mod and go.sum are out of date ({what}): run `go mod tidy` in the sources and commit go.mod and go.sum"
            ),
            GoFailure::OtherCase {
                package,
                dir,
                other,
            } => write!(
                f,
                "package {package} is this module's own, but the sources have {other}, not {dir}: names that differ only in case are the same on macOS and Windows, not on Linux: rename the directory (git mv) or fix the import path so that they agree"
            ),
            GoFailure::NoModule {
                package,
                own_dir: Some(own_dir),
                ..
            } => write!(
                f,
                "package {package} is this module's own, but the sources have no directory {own_dir}: it is not committed (see .gitignore), is left out by .s2iignore, or is made by a step that did not run (go generate, protoc): commit it, or run that step before this build"
            ),
            GoFailure::NoModule {
                package, lookup, ..
            } => write_no_module(f, package, lookup.as_deref()),
            GoFailure::Download {
                modules,
                goproxy,
                reason,
            } => write_download(f, modules, goproxy, reason),
            GoFailure::Auth {
                host,
                module,
                reason,
                goprivate,
                given,
            } => write_auth(f, host, module.as_deref(), reason, *goprivate, given.as_deref()),
            GoFailure::Tls {
                host,
                module,
                ca_given,
            } => write_tls(f, host, module.as_deref(), *ca_given),
            GoFailure::GitMissing { module } => write_git_missing(f, module.as_deref()),
            GoFailure::ChecksumMismatch { module } => write!(
                f,
                "{module} as downloaded does not match go.sum (checksum mismatch, go's SECURITY ERROR): check that dependency's source (a re-tagged version, a proxy serving other content); once it is trusted, delete its lines from go.sum, run `go mod tidy` and commit go.sum"
            ),
            GoFailure::Toolchain {
                version,
                gotoolchain,
                reason,
            } => {
                let number = version.trim_start_matches("go");
                write!(
                    f,
                    "GOTOOLCHAIN={gotoolchain} could not download {version} ({reason}): use a builder image with Go {number} or newer, or set GOPROXY to a module proxy the builder can reach (go downloads toolchains from it)"
                )
            }
            // Said as Error::GoTooOld, which knows this Go's version.
            GoFailure::TooOld { file, needs } => write!(
                f,
                "{file} needs Go {needs}, but this builder's is older: use a builder image with Go {needs} or newer"
            ),
            GoFailure::Other => write!(f, "{command} failed ({status}); Go's messages are above"),
            GoFailure::AmbiguousImport { package, modules } => {
                write_ambiguous_import(f, package, modules)
            }
            GoFailure::Replacement { .. }
            | GoFailure::ToolKilled { .. }
            | GoFailure::WorkspaceUse { .. }
            | GoFailure::EmbedMissing { .. }
            | GoFailure::Vendor { .. }
            | GoFailure::CgoNoCompiler { .. }
            | GoFailure::ExcludedByConstraints { .. }
            | GoFailure::Compile { .. }
            | GoFailure::ModSyntax { .. } => self.write_about_the_sources(f),
        }
    }

    /// [`write`](GoFailure::write) for what is wrong in the sources, or
    /// with the build's resources.
    fn write_about_the_sources(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoFailure::Replacement {
                module,
                dir,
                place,
            } => write_replacement(f, module.as_deref(), dir, *place),
            GoFailure::ToolKilled {
                tool,
                package,
                memory_limit,
            } => write_tool_killed(f, tool, package, *memory_limit),
            GoFailure::WorkspaceUse { dir, place } => write_workspace_use(f, dir, *place),
            GoFailure::EmbedMissing { location, pattern } => write!(
                f,
                "//go:embed {pattern} at {location} matches no file in the sources: commit the files it embeds (a .gitignore or .s2iignore may leave them out), or make them in a step before this build"
            ),
            GoFailure::Vendor { detail } => write!(
                f,
                "vendor/ does not match go.mod ({detail}): run `go mod vendor` in the sources and commit vendor/"
            ),
            GoFailure::CgoNoCompiler { compiler } => write!(
                f,
                "cgo needs a C compiler and this image has no {compiler} (CGO_ENABLED=1): use a builder image with {compiler}, or build without cgo (CGO_ENABLED=0, the default)"
            ),
            GoFailure::ExcludedByConstraints { package, dir, .. } => {
                let what = package.as_deref().unwrap_or(dir);
                write!(
                    f,
                    "build constraints exclude every Go file of {what} in this build: check its //go:build lines against GO_TAGS, GOOS and GOARCH"
                )
            }
            GoFailure::Compile {
                location,
                package,
                message,
                generate,
                dependency: Some(module),
            } if generate.is_none() => write_dependency_compile(f, location, package.as_deref(), module),
            GoFailure::Compile {
                location,
                package,
                message,
                generate,
                ..
            } => write_compile(f, location, package.as_deref(), message, generate.as_deref()),
            GoFailure::ModSyntax { file, line, reason } => write!(
                f,
                "{file} line {line} is invalid ({reason}): fix that line of {file}"
            ),
            _ => unreachable!("write sends only these here"),
        }
    }
}

/// A package two required modules provide: the one whose path is shorter
/// than the package's holds it as a subdirectory, and a newer version of
/// it most likely no longer does.
fn write_ambiguous_import(
    f: &mut fmt::Formatter<'_>,
    package: &str,
    modules: &[String],
) -> fmt::Result {
    write!(
        f,
        "package {package} is in more than one module the build requires"
    )?;
    if !modules.is_empty() {
        write!(f, " ({})", modules.join(", "))?;
    }
    let holder = modules
        .iter()
        .map(|m| m.split('@').next().unwrap_or(m))
        .find(|path| {
            package
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'))
        });
    match holder {
        Some(holder) => write!(
            f,
            ": it most likely moved out of {holder} into a module of its own; require a version of {holder} without it (`go get {holder}@latest`), then run `go mod tidy` and commit go.mod and go.sum"
        ),
        None => write!(
            f,
            ": require versions of them that do not both hold it (`go get` the older one at @latest), then run `go mod tidy` and commit go.mod and go.sum"
        ),
    }
}

/// No module provides an imported package: `go get` it.
fn write_no_module(f: &mut fmt::Formatter<'_>, package: &str, lookup: Option<&str>) -> fmt::Result {
    write!(f, "no module in go.mod provides package {package}")?;
    if let Some(lookup) = lookup {
        write!(f, ", and go could not look one up ({lookup})")?;
    }
    write!(
        f,
        ": run `go get {package}` in the sources and commit go.mod and go.sum"
    )
}

/// Dependencies that cannot be downloaded: the first few by name.
fn write_download(
    f: &mut fmt::Formatter<'_>,
    modules: &[String],
    goproxy: &str,
    reason: &str,
) -> fmt::Result {
    let named = match modules.len() {
        0 => "a dependency".to_string(),
        1..=3 => modules.join(", "),
        n => format!("{} and {} more", modules[..3].join(", "), n - 3),
    };
    write!(
        f,
        "cannot download {named} with GOPROXY={goproxy} ({reason}): vendor the dependencies (`go mod vendor`, commit vendor/), or set GOPROXY to a module proxy the builder can reach that has them"
    )
}

/// A compile error: where, and in which package.
fn write_compile(
    f: &mut fmt::Formatter<'_>,
    location: &str,
    package: Option<&str>,
    message: &str,
    generate: Option<&Directive>,
) -> fmt::Result {
    write!(f, "compile error at {location}")?;
    if let Some(package) = package {
        write!(f, " in package {package}")?;
    }
    if let Some(generate) = generate {
        return write!(
            f,
            " ({message}), and the package that should define it has {generate}: what go generate makes is most likely not in the sources (generated files are often not committed, and this build runs no go generate): run `go generate ./...` and commit what it makes, or run it in a step before this build"
        );
    }
    write!(
        f,
        ": fix the code (Go's messages are above; `s2i-assemble --dry-run` shows the go build command to run locally)"
    )
}

/// A compile error in a dependency's code (`module`, `path@version`): no
/// code of the user's to fix, but a setting the dependency needs or another
/// version of it.
fn write_dependency_compile(
    f: &mut fmt::Formatter<'_>,
    location: &str,
    package: Option<&str>,
    module: &str,
) -> fmt::Result {
    let path = module.split('@').next().unwrap_or(module);
    write!(f, "compile error in the dependency {module} ({location}")?;
    if let Some(package) = package {
        write!(f, ", package {package}")?;
    }
    write!(
        f,
        "): its code does not build with this build's settings (Go's messages are above): see what it needs (cgo: CGO_ENABLED=1 on a builder image with a C compiler; build tags: GO_TAGS; a newer Go), or require a version of it that builds (`go get {path}@latest`, then `go mod tidy`{})",
        if location.starts_with("vendor/") {
            " and `go mod vendor`"
        } else {
            ""
        }
    )
}

/// The module, as `path@version`, whose copy in the module cache `cache`
/// holds the file at `location` (`FILE:LINE`, relative to `dir`, as go
/// names it), and the location in the module; None for a file elsewhere.
fn module_in_cache(dir: &Path, location: &str, cache: &Path) -> Option<(String, String)> {
    let (file, line) = location.rsplit_once(':')?;
    let resolved = s2i_common::paths::normalize(&dir.join(file));
    let inside = resolved.strip_prefix(cache).ok()?;
    let mut module = PathBuf::new();
    for part in inside.parent()?.components() {
        module.push(part);
        if part.as_os_str().to_str()?.contains('@') {
            let file = inside.strip_prefix(&module).ok()?;
            return Some((
                s2i_cache::layout::unescape_module_path(module.to_str()?),
                format!("{}:{line}", file.display()),
            ));
        }
    }
    None
}

/// The module, as `path@version`, that `vendor/modules.txt` of `dir` says
/// the package of the file at `location` (`vendor/PKG/FILE:LINE`) is of;
/// None for a file outside vendor/.
fn module_vendored(dir: &Path, location: &str) -> Option<String> {
    let (file, _line) = location.rsplit_once(':')?;
    let package = Path::new(file.strip_prefix("vendor/")?)
        .parent()?
        .to_str()?;
    let listed = std::fs::read_to_string(dir.join("vendor/modules.txt")).ok()?;
    let mut module = None;
    for line in listed.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            let mut words = header.split_whitespace();
            module = match (words.next(), words.next()) {
                (Some(path), Some(version)) => Some(format!("{path}@{version}")),
                _ => None,
            };
        } else if line == package {
            return module;
        }
    }
    None
}

/// Authentication refused or asked for: the host, and how to give the
/// build credentials (or that the ones given do not do).
fn write_auth(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    module: Option<&str>,
    reason: &str,
    goprivate: bool,
    given: Option<&Given>,
) -> fmt::Result {
    let module = module.unwrap_or("a dependency");
    match given.map(|g| &g.0) {
            Some(origin) => write!(
                f,
                "{host} refused access to {module} with the credentials given for it ({origin}; {reason}): check that they are current and may read {module}"
            )?,
            None => write!(
                f,
                "{host} refused access to {module} without valid credentials ({reason}): give the build credentials for {host}: GO_TOKEN_{}=<token> from a secret, or a .netrc or .git-credentials in an input secret or GO_CREDENTIALS_DIR (README: Private modules)",
                token_variable_host(host)
            )?,
        }
    if goprivate {
        let path = module.split('@').next().unwrap_or(module);
        write!(
                f,
                "; a private module that the proxy does not serve needs GOPRIVATE={path} too, so that go fetches it from its host directly"
            )?;
    }
    Ok(())
}

/// A certificate signed by an unknown authority: how to give the build
/// that CA.
fn write_tls(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    module: Option<&str>,
    ca_given: bool,
) -> fmt::Result {
    write!(
        f,
        "the certificate of {host} is signed by an unknown authority"
    )?;
    if let Some(module) = module {
        write!(f, " (fetching {module})")?;
    }
    if ca_given {
        write!(
                f,
                ": GO_CA_BUNDLE's certificates do not include that CA: add the CA that signed {host}'s certificate to the file GO_CA_BUNDLE names"
            )
    } else {
        write!(
                f,
                ": give the build that CA: GO_CA_BUNDLE=<a PEM file of it> (go and git then trust it besides the system's roots; README: Private modules)"
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go 1.19 names the linker's package after `go build`; the message
    /// gives the container's memory limit where there is one.
    #[test]
    fn a_killed_linker_is_named_with_the_memory_limit() {
        let stderr = "go build example.com/app: /usr/lib/go-1.19/pkg/tool/linux_amd64/link: signal: killed\n";
        let mut failure = classify_words(stderr, &BTreeMap::new(), Path::new("/tmp/src"));
        let GoFailure::ToolKilled { memory_limit, .. } = &mut failure else {
            panic!("not a killed tool: {failure:?}");
        };
        *memory_limit = Some(768 << 20);
        struct Line<'a>(&'a GoFailure);
        impl fmt::Display for Line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, "go build", "exit status: 1")
            }
        }
        insta::assert_snapshot!(Line(&failure).to_string(), @"the Go linker (link) was killed (signal: killed) building example.com/app: most likely by the kernel's out-of-memory killer, at the build's memory limit (this container's: 768.0 MiB): give the build more memory (a BuildConfig's spec.resources.limits.memory; podman build --memory), or compile fewer packages at once (GOFLAGS=-p=1)");
        // A package that only mentions the words is not a killed tool.
        let other =
            "main.go:3:2: no required module provides package example.com/x: signal: killed\n";
        assert!(!matches!(
            classify_words(other, &BTreeMap::new(), Path::new("/tmp/src")),
            GoFailure::ToolKilled { .. }
        ));
    }

    #[test]
    fn module_paths_match_goprivate_patterns() {
        assert!(matches_patterns(
            "github.com/acme/private",
            "github.com/acme"
        ));
        assert!(matches_patterns(
            "github.com/acme/private",
            "x.org,*.com/acme"
        ));
        assert!(!matches_patterns(
            "github.com/acme/private",
            "github.com/acm"
        ));
        assert!(!matches_patterns(
            "github.com/acme",
            "github.com/acme/private"
        ));
        assert!(!matches_patterns("github.com/acme", ""));
    }

    #[test]
    fn hosts_never_carry_credentials() {
        assert_eq!(
            host_of("https://user:secret@git.example.com/a/b"),
            "git.example.com"
        );
        assert_eq!(host_of("http://127.0.0.1:18401"), "127.0.0.1:18401");
    }

    #[test]
    fn words_of_go() {
        assert_eq!(
            module_at_version("main.go:7:2: example.com/greeting@v1.0.0: reading http://127.0.0.1:1/example.com/greeting/@v/v1.0.0.zip: 404"),
            Some("example.com/greeting@v1.0.0".to_string())
        );
        // A file of a dependency in the module cache is no module.
        assert_eq!(
            module_at_version("../app/.cache/go-mod/github.com/writeas/go-writeas/v2@v2.0.2/writeas.go:12:2: code.as/core/socks@v1.0.0: reading https://proxy.golang.org/code.as/core/socks/@v/v1.0.0.zip: 403 Forbidden"),
            Some("code.as/core/socks@v1.0.0".to_string())
        );
        assert_eq!(module_at_version("git@github.com: Permission denied"), None);
        assert_eq!(
            relative("tmp/src/go.work", Path::new("/tmp/src")),
            "go.work"
        );
        assert_eq!(
            relative("/tmp/src/a/go.mod", Path::new("/tmp/src/")),
            "a/go.mod"
        );
        assert_eq!(relative("go.mod", Path::new("/tmp/src")), "go.mod");
    }
}

/// Every recorded go stderr under `tests/go-stderr/<class>/`: classified
/// into its folder's class, and the line it gives, snapshotted.
#[cfg(test)]
mod recorded {
    use super::*;

    fn class_name(failure: &GoFailure) -> &'static str {
        match failure {
            GoFailure::NotTidy { .. } => "not-tidy",
            GoFailure::NoModule { .. } | GoFailure::OtherCase { .. } => "no-module",
            GoFailure::Download { .. } => "download",
            GoFailure::Auth { .. } => "auth",
            GoFailure::Tls { .. } => "tls",
            GoFailure::GitMissing { .. } => "git-missing",
            GoFailure::ChecksumMismatch { .. } => "checksum",
            GoFailure::Vendor { .. } => "vendor",
            GoFailure::Replacement { .. } => "replacement",
            GoFailure::ToolKilled { .. } => "killed",
            GoFailure::WorkspaceUse { .. } => "workspace-use",
            GoFailure::EmbedMissing { .. } => "embed",
            GoFailure::AmbiguousImport { .. } => "ambiguous-import",
            GoFailure::CgoNoCompiler { .. } => "cgo-no-compiler",
            GoFailure::ExcludedByConstraints { .. } => "constraints",
            GoFailure::Compile { .. } => "compile",
            GoFailure::ModSyntax { .. } => "mod-syntax",
            GoFailure::Toolchain { .. } => "toolchain",
            GoFailure::TooOld { .. } => "too-old",
            GoFailure::Other => "other",
        }
    }

    struct Line<'a>(&'a GoFailure, &'a str);

    impl fmt::Display for Line<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.write(f, self.1, "exit status: 1")
        }
    }

    /// The base environment of the recordings (see tests/go-stderr/README.md)
    /// and the scenario's `.env` file.
    fn env_of(scenario: &Path) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = [
            ("GOPROXY", "off"),
            ("GOSUMDB", "off"),
            ("CGO_ENABLED", "0"),
            ("GOTOOLCHAIN", "local"),
            ("GOWORK", "off"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Ok(text) = std::fs::read_to_string(scenario.with_extension("env")) {
            for line in text.lines().filter(|l| !l.is_empty()) {
                let (name, value) = line.split_once('=').expect("NAME=VALUE");
                env.insert(name.to_string(), value.to_string());
            }
        }
        env
    }

    fn command_of(scenario: &str) -> &'static str {
        match scenario.rsplit('-').next() {
            Some("list") => "go list -find",
            Some("edit") => "go work edit -json",
            Some("env") => "go env GOVERSION",
            _ => "go build",
        }
    }

    #[test]
    fn recorded_go_stderr() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go-stderr");
        let mut files: Vec<_> = walkdir::WalkDir::new(&root)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        assert!(files.len() > 40, "the recordings are there");
        let mut lines = String::new();
        let mut wrong = Vec::new();
        for file in &files {
            let class = file
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            let name = file.file_name().unwrap().to_str().unwrap();
            let scenario = name.split(".go1.").next().unwrap();
            let stderr = std::fs::read_to_string(file).unwrap();
            let env = env_of(&file.with_file_name(scenario));
            // Go's words alone: what `classify` adds is this machine's
            // (its memory limit, its files), not the recording's.
            let failure = classify_words(&stderr, &env, Path::new("/tmp/src"));
            if class_name(&failure) != class {
                wrong.push(format!("{class}/{name}: {failure:?}"));
            }
            let line = Line(&failure, command_of(scenario)).to_string();
            lines.push_str(&format!("{class}/{name}\n  {line}\n"));
        }
        assert!(
            wrong.is_empty(),
            "classified wrongly:\n{}",
            wrong.join("\n")
        );
        insta::assert_snapshot!(lines);
    }

    #[test]
    fn a_file_in_the_module_cache_names_its_module() {
        let dir = Path::new("/tmp/src");
        let cache = Path::new("/tmp/app/.cache/go-mod");
        assert_eq!(
            module_in_cache(
                dir,
                "../app/.cache/go-mod/github.com/influxdata/flux@v0.200.0/runtime.go:48",
                cache
            ),
            Some((
                "github.com/influxdata/flux@v0.200.0".to_string(),
                "runtime.go:48".to_string()
            ))
        );
        assert_eq!(
            module_in_cache(
                dir,
                "/tmp/app/.cache/go-mod/example.com/!widget!co/render@v1.2.0/page/page.go:3",
                cache
            ),
            Some((
                "example.com/WidgetCo/render@v1.2.0".to_string(),
                "page/page.go:3".to_string()
            ))
        );
        assert_eq!(module_in_cache(dir, "cmd/app/main.go:7", cache), None);
        assert_eq!(
            module_in_cache(dir, "../app/.cache/go-mod/cache/x.go:1", cache),
            None
        );
    }

    #[test]
    fn a_vendored_file_names_its_module() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        std::fs::write(
            dir.path().join("vendor/modules.txt"),
            "# github.com/a/b v1.0.0\n## explicit; go 1.21\ngithub.com/a/b\ngithub.com/a/b/sub\n\
             # github.com/c/d v0.2.0 => github.com/fork/d v0.2.1\n## explicit\ngithub.com/c/d/x\n",
        )
        .unwrap();
        let of = |location: &str| module_vendored(dir.path(), location);
        assert_eq!(
            of("vendor/github.com/a/b/sub/s.go:3").as_deref(),
            Some("github.com/a/b@v1.0.0")
        );
        assert_eq!(
            of("vendor/github.com/a/b/b.go:1").as_deref(),
            Some("github.com/a/b@v1.0.0")
        );
        assert_eq!(
            of("vendor/github.com/c/d/x/x.go:9").as_deref(),
            Some("github.com/c/d@v0.2.0")
        );
        assert_eq!(of("vendor/github.com/c/d/y/y.go:9"), None);
        assert_eq!(of("cmd/app/main.go:7"), None);
    }
}
