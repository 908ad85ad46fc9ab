//! What kind of Go source this is and which main packages it has. Go source
//! is never parsed here: which packages are main is asked of `go list
//! -find`, or, for a root holding Go files, of `go build` itself (see
//! `pipeline`). Only two one-line facts are read directly, because a `go`
//! start costs as much as a warm build's margin: the toolchain's version
//! from `$GOROOT/VERSION`, and go.mod's `go` and `module` lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use s2i_common::display::Escaped;

use crate::config::Config;
use crate::errors::{Error, TargetSetting};
use crate::gotool;
use crate::source::TopLevel;

/// How the sources are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// go.work at the root.
    Workspace,
    /// go.mod, dependencies from the module cache or GOPROXY.
    Module,
    /// go.mod and vendor/modules.txt: `-mod=vendor`.
    Vendored,
    /// No go.mod, IMPORT_URL set: GOPATH mode at `$GOPATH/src/$IMPORT_URL`.
    Gopath { import_url: String },
    /// Only `.go` files: built as a throwaway module `app`.
    BareMain,
}

impl Kind {
    /// Decides the kind from the top level of the sources.
    pub fn of(top: &TopLevel, config: &Config) -> Result<(Kind, Vec<String>), Error> {
        let mut warnings = Vec::new();
        let kind = if top.go_work {
            Kind::Workspace
        } else if top.go_mod {
            if top.vendor_modules_txt {
                Kind::Vendored
            } else {
                Kind::Module
            }
        } else if let Some(import_url) = &config.import_url {
            Kind::Gopath {
                import_url: import_url.clone(),
            }
        } else if top.vendor_dir {
            return Err(Error::VendorNeedsImportUrl);
        } else {
            Kind::BareMain
        };
        if config.import_url.is_some() && (top.go_work || top.go_mod) {
            warnings.push("IMPORT_URL is ignored: the sources have go.mod (or go.work) and build in module mode".to_string());
        }
        Ok((kind, warnings))
    }

    /// As the log's `Detected …` line says it: with `a` for the singular
    /// kinds, none for the plural ones ("GOPATH-era sources").
    pub fn in_a_sentence(&self) -> String {
        match self {
            Kind::Workspace | Kind::Module | Kind::Vendored => format!("a {}", self.describe()),
            Kind::Gopath { .. } | Kind::BareMain => self.describe(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Kind::Workspace => "Go workspace (go.work)".to_string(),
            Kind::Module => "Go module (go.mod)".to_string(),
            Kind::Vendored => {
                "Go module with vendored dependencies (vendor/modules.txt, -mod=vendor)".to_string()
            }
            Kind::Gopath { import_url } => {
                format!("GOPATH-era sources (IMPORT_URL={import_url}, GO111MODULE=off)")
            }
            Kind::BareMain => {
                "Go files without go.mod (built as a throwaway module `app`)".to_string()
            }
        }
    }
}

/// The Go that builds: its `$GOROOT/VERSION` when go runs as itself
/// (GOTOOLCHAIN=local), else `go env GOVERSION` run where the build runs
/// (`dir`), which follows a switch to the toolchain go.mod's `go` or
/// `toolchain` line asks for (and downloads it: go's `go: downloading
/// go1.27.3 (linux/amd64)` is shown).
pub fn go_version(go: &Path, env: &BTreeMap<String, String>, dir: &Path) -> Result<String, Error> {
    let local = env
        .get("GOTOOLCHAIN")
        .is_none_or(|t| t.is_empty() || t == "local");
    if let Some(version) = local.then(|| gotool::version_file(go)).flatten() {
        return Ok(version);
    }
    let out = gotool::output(go, &["env", "GOVERSION"], dir, env)?;
    let version = out.stdout.trim().to_string();
    if !out.success || version.is_empty() {
        return Err(out.failure("go env GOVERSION", go, dir, env));
    }
    eprint!("{}", crate::redact::text(&out.stderr));
    Ok(version)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModFile {
    go: Option<String>,
    toolchain: Option<String>,
    #[serde(default, rename = "Use")]
    uses: Option<Vec<Use>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Use {
    disk_path: String,
}

/// What go.mod or go.work declares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The `go` line.
    pub go: Option<String>,
    /// The `toolchain` line.
    pub toolchain: Option<String>,
    /// go.mod's module path (not read for workspaces).
    pub module: Option<String>,
    /// go.work's `use` directories, relative to the root.
    pub uses: Vec<String>,
}

/// Reads go.mod's `go` and `module` lines, or go.work with `go work edit
/// -json`. It runs from `/` with the file named, so a go.work that needs a
/// newer Go is read instead of refused: the comparison is ours.
pub fn declared(
    go: &Path,
    dir: &Path,
    kind: &Kind,
    env: &BTreeMap<String, String>,
    go_version: &str,
) -> Result<Declared, Error> {
    let (sub, file) = match kind {
        Kind::Workspace => ("work", "go.work"),
        Kind::Module | Kind::Vendored => {
            let path = dir.join("go.mod");
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
            return Ok(read_go_mod(&text));
        }
        Kind::Gopath { .. } => return Ok(Declared::default()),
        Kind::BareMain => {
            return Ok(Declared {
                module: Some(THROWAWAY_MODULE.to_string()),
                ..Declared::default()
            })
        }
    };
    let path = dir.join(file);
    let path_text = path.to_string_lossy().into_owned();
    let mut env = env.clone();
    env.insert("GOWORK".into(), "off".into());
    let out = gotool::output(
        go,
        &[sub, "edit", "-json", &path_text],
        Path::new("/"),
        &env,
    )?;
    if !out.success {
        // Go before 1.21 refuses a three-part `go 1.21.0` line: that too
        // means a newer Go is needed.
        if out.stderr.contains("invalid go version") {
            let needs = out.stderr.split('\'').nth(1).unwrap_or("newer").to_string();
            return Err(Error::GoTooOld {
                file: if sub == "work" { "go.work" } else { "go.mod" },
                needs,
                have: go_version.to_string(),
            });
        }
        return Err(out.failure("go work edit -json go.work", go, dir, &env));
    }
    let parsed: ModFile = serde_json::from_str(&out.stdout).map_err(|e| Error::GoCommand {
        command: format!("go {sub} edit -json {file}"),
        detail: format!("unexpected output: {e}"),
    })?;
    Ok(Declared {
        go: parsed.go,
        toolchain: parsed.toolchain,
        module: None,
        uses: parsed
            .uses
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.disk_path)
            .collect(),
    })
}

/// The module path of the go.mod written for a bare `main.go`.
pub const THROWAWAY_MODULE: &str = "app";

/// go.mod's `go` and `module` directives: each is one line of two words
/// (the module path may be quoted), with `//` comments. Anything else in
/// the file is go's business.
pub fn read_go_mod(text: &str) -> Declared {
    let mut declared = Declared::default();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["go", version] => declared.go = Some(version.to_string()),
            ["toolchain", name] => declared.toolchain = Some(name.to_string()),
            ["module", path] => declared.module = Some(path.trim_matches('"').to_string()),
            _ => {}
        }
    }
    declared
}

/// One package as `go list -find -json` describes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Package {
    pub import_path: String,
    pub name: String,
    pub dir: String,
    pub target: String,
    /// Its Go files without `import "C"`, those with it, and those build
    /// constraints left out (see `cgo`).
    pub go_files: Vec<String>,
    pub cgo_files: Vec<String>,
    pub ignored_go_files: Vec<String>,
    /// A package of Go's own standard library (GOROOT).
    pub standard: bool,
    pub error: Option<PackageError>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct PackageError {
    pub err: String,
}

impl Package {
    /// The binary's name, as `go build -o DIR/` names it.
    pub fn binary_name(&self) -> String {
        if let Some(name) = Path::new(&self.target).file_name() {
            return name.to_string_lossy().into_owned();
        }
        // Without a Target (GOPATH mode outside GOPATH).
        binary_name(&self.import_path)
    }
}

/// The name `go build -o DIR/` gives a main package in module mode: the
/// last element of its import path, skipping a major-version suffix (`v2`
/// and up, as go's `isVersionElement` reads one: `v0`, `v1` and `v01`
/// are names).
pub fn binary_name(import_path: &str) -> String {
    let mut parts = import_path.rsplit('/');
    let last = parts.next().unwrap_or("app");
    let digits = last.strip_prefix('v').unwrap_or("");
    let is_major = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
        && digits != "1";
    match parts.next() {
        Some(previous) if is_major => previous.to_string(),
        _ => last.to_string(),
    }
}

/// Lists `patterns` in `dir` with one `go list -find -e -json` call: it
/// names each package without loading its dependencies, so it is cheap and
/// needs no network. Returns the packages and go's warnings (stderr).
pub fn list(
    go: &Path,
    dir: &Path,
    patterns: &[String],
    tags: &[String],
    env: &BTreeMap<String, String>,
) -> Result<(Vec<Package>, String), Error> {
    let mut args: Vec<String> = vec![
        "list".into(),
        "-find".into(),
        "-e".into(),
        "-json=ImportPath,Name,Dir,Target,GoFiles,CgoFiles,IgnoredGoFiles,Standard,Error".into(),
    ];
    if !tags.is_empty() {
        args.push(format!("-tags={}", tags.join(",")));
    }
    args.extend(patterns.iter().cloned());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = gotool::output(go, &arg_refs, dir, env)?;
    if !out.success {
        return Err(out.failure("go list -find", go, dir, env));
    }
    let packages = serde_json::Deserializer::from_str(&out.stdout)
        .into_iter::<Package>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::GoCommand {
            command: "go list -json".into(),
            detail: format!("unexpected output: {e}"),
        })?;
    // With -e, go says what it could not write as the packages' errors.
    let errors = packages.iter().filter_map(|p| p.error.as_ref());
    let said: Vec<&str> = errors
        .map(|e| e.err.as_str())
        .chain([out.stderr.as_str()])
        .collect();
    if let Some(full) = crate::diskfull::refused("go list", &said.join("\n"), env) {
        eprint!("{}", crate::redact::text(&out.stderr));
        return Err(full);
    }
    Ok((packages, out.stderr))
}

/// A main package to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As given to `go build` (`./cmd/api`, or an import path).
    pub package: String,
    pub binary: String,
}

/// GO_TARGETS as directories of the sources, where go would read them
/// otherwise: `cmd/api` (no `./`) is an import path to go, which finds
/// Go's own `cmd/api` in the standard library; here it means the sources'
/// `cmd/api` when they have that directory. An absolute path inside the
/// sources (`/tmp/src/cmd/api`, as S2I lays them out) becomes relative to
/// their root, since modules may build in a copy; one outside them is
/// refused. Import paths (`example.com/app/cmd/api`) stay as given.
pub fn source_targets(
    targets: &[String],
    src: &Path,
    build_dir: &Path,
) -> Result<Vec<String>, Error> {
    let roots: Vec<PathBuf> = [src.to_path_buf(), build_dir.to_path_buf()]
        .into_iter()
        .chain(std::fs::canonicalize(src).ok())
        .collect();
    targets
        .iter()
        .map(|target| {
            let path = Path::new(target);
            if target == "." || target.starts_with("./") || target.starts_with("../") || target == ".." {
                return Ok(target.clone());
            }
            if path.is_absolute() {
                return roots
                    .iter()
                    .find_map(|root| path.strip_prefix(root).ok())
                    .map(|rel| match rel.as_os_str().is_empty() {
                        true => ".".to_string(),
                        false => format!("./{}", rel.display()),
                    })
                    .ok_or_else(|| Error::TargetMissing {
                        setting: TargetSetting::GoTargets,
                        target: target.clone(),
                        detail: format!(
                            "an absolute path outside the sources {}; name directories relative to their root",
                            Escaped::new(src)
                        ),
                    });
            }
            // `cmd/...` is a pattern over a directory: look at the directory.
            let dir = target.strip_suffix("/...").unwrap_or(target);
            if build_dir.join(dir).is_dir() {
                return Ok(format!("./{target}"));
            }
            Ok(target.clone())
        })
        .collect()
}

/// The patterns to list when nothing names the targets: the root, and
/// `cmd/` (of each workspace module too).
pub fn default_patterns(kind: &Kind, declared: &Declared, config: &Config) -> Vec<String> {
    if let (Kind::Gopath { import_url }, Some(install)) = (kind, &config.install_url) {
        return vec![relative_import(import_url, install)];
    }
    if let Kind::Workspace = kind {
        // Each module of the workspace: its root and its cmd/.
        return workspace_modules(declared)
            .flat_map(|dir| {
                let cmd = format!("{dir}/cmd/...");
                [dir, cmd]
            })
            .collect();
    }
    vec![".".to_string(), "./cmd/...".to_string()]
}

/// Every package of the sources: `./...`, or in a workspace each module's
/// (`./api/...`: the workspace's root is no module).
pub fn everywhere_patterns(kind: &Kind, declared: &Declared) -> Vec<String> {
    if *kind != Kind::Workspace {
        return vec!["./...".to_string()];
    }
    workspace_modules(declared)
        .map(|dir| format!("{dir}/..."))
        .collect()
}

/// The directory of each module of a workspace (go.work's `use` lines), as
/// a pattern's start: `.` or `./api`.
fn workspace_modules(declared: &Declared) -> impl Iterator<Item = String> + '_ {
    declared.uses.iter().map(
        |dir| match dir.trim_end_matches('/').trim_start_matches("./") {
            "" | "." => ".".to_string(),
            dir => format!("./{dir}"),
        },
    )
}

/// INSTALL_URL as a path relative to IMPORT_URL's directory, when it is
/// under it; otherwise as given.
fn relative_import(import_url: &str, install_url: &str) -> String {
    match install_url.strip_prefix(import_url) {
        Some("") => ".".to_string(),
        Some(rest) if rest.starts_with('/') => format!(".{rest}"),
        _ => install_url.to_string(),
    }
}

fn is_missing(error: &str) -> bool {
    [
        "no Go files",
        // A root of `//go:build ignore` generators is no package either.
        "build constraints exclude all Go files",
        "directory not found",
        "cannot find package",
        "is not in std",
        "no required module",
        "outside main module",
        "not in GOROOT",
        "cannot find module",
        "outside modules listed",
        "does not contain",
    ]
    .iter()
    .any(|m| error.contains(m))
}

/// Picks the main packages from what `go list` found.
///
/// `named` is the setting that gave the patterns, and the patterns: then
/// each must be a main package. Otherwise the root wins if it is `package
/// main`, else every main package under cmd/.
pub fn pick_targets(
    packages: &[Package],
    warnings: &str,
    root: &Path,
    named: Option<(TargetSetting, &[String])>,
) -> Result<Vec<Target>, Error> {
    let target = |p: &Package| Target {
        package: relative_package(p, root),
        binary: p.binary_name(),
    };
    if let Some((setting, patterns)) = named {
        return named_targets(packages, warnings, root, setting, patterns);
    }
    let root_package = packages
        .iter()
        .find(|p| Path::new(&p.dir) == root || p.import_path == ".");
    if let Some(p) = root_package {
        let broken_but_present =
            p.error.as_ref().is_some_and(|e| !is_missing(&e.err)) && p.name.is_empty();
        if p.name == "main" || broken_but_present {
            // A root that go cannot even read is built anyway, so that go
            // build shows its own messages.
            return Ok(vec![target(p)]);
        }
    }
    let mains: Vec<Target> = packages
        .iter()
        .filter(|p| p.name == "main" && Path::new(&p.dir) != root)
        .map(target)
        .collect();
    if mains.is_empty() {
        let root_text = match root_package {
            Some(p)
                if p.error.as_ref().is_some_and(|e| {
                    e.err.contains("build constraints exclude all Go files")
                }) =>
            {
                "build constraints exclude every Go file of the root (check its //go:build lines against GO_TAGS, GOOS and GOARCH)".to_string()
            }
            Some(p) if !p.name.is_empty() => format!("the root is `package {}`", p.name),
            _ => "the root has no Go files".to_string(),
        };
        let unloadable = unloadable(packages, root);
        if !unloadable.is_empty() {
            return Err(Error::MainsGoCannotLoad {
                root: root_text,
                packages: unloadable,
            });
        }
        return Err(Error::NoMainPackage {
            root: format!("{root_text}, and cmd/ holds no main package"),
            elsewhere: Vec::new(),
        });
    }
    Ok(mains)
}

/// The targets a setting named: each must be a main package of the
/// sources.
fn named_targets(
    packages: &[Package],
    warnings: &str,
    root: &Path,
    setting: TargetSetting,
    patterns: &[String],
) -> Result<Vec<Target>, Error> {
    for line in warnings.lines() {
        if let Some(rest) = line.strip_prefix("go: warning: \"") {
            if let Some((pattern, _)) = rest.split_once("\" matched no packages") {
                return Err(Error::TargetMissing {
                    setting,
                    target: pattern.to_string(),
                    detail: "the pattern matched no packages".into(),
                });
            }
        }
    }
    let mut targets = Vec::new();
    for p in packages {
        if let Some(error) = &p.error {
            if p.name.is_empty() || is_missing(&error.err) {
                let shown = patterns
                    .iter()
                    .find(|t| p.import_path == **t)
                    .cloned()
                    .unwrap_or_else(|| relative_package(p, root));
                return Err(Error::TargetMissing {
                    setting,
                    target: shown,
                    detail: go_reason(&error.err).replace(&format!("{}/", root.display()), ""),
                });
            }
        }
        if p.standard && setting == TargetSetting::GoTargets {
            // Never Go's own `cmd/api`: see `source_targets`.
            return Err(Error::TargetMissing {
                setting,
                target: p.import_path.clone(),
                detail: "the sources have no such directory; go would build the standard library's"
                    .into(),
            });
        }
        if p.name != "main" {
            // INSTALL_URL is an import path: say it back as one.
            let target = if setting == TargetSetting::InstallUrl {
                p.import_path.clone()
            } else {
                relative_package(p, root)
            };
            return Err(Error::TargetNotMain {
                setting,
                target,
                name: p.name.clone(),
            });
        }
        targets.push(Target {
            package: relative_package(p, root),
            binary: p.binary_name(),
        });
    }
    Ok(targets)
}

/// The packages below the root that go could not load at all (no name,
/// and an error other than "nothing here"), as `PACKAGE: go's reason`:
/// `cmd/my app` (malformed import path: a space). They may be main.
pub fn unloadable(packages: &[Package], root: &Path) -> Vec<String> {
    packages
        .iter()
        // A pattern that matched nothing (`./cmd/...` without cmd/) is no package.
        .filter(|p| Path::new(&p.dir) != root && p.import_path != "." && p.name.is_empty())
        .filter(|p| !p.import_path.contains("..."))
        .filter_map(|p| {
            let error = p.error.as_ref().filter(|e| !is_missing(&e.err))?;
            let reason = go_reason(&error.err).replace(&format!("{}/", root.display()), "");
            Some(format!("{}: {reason}", relative_package(p, root)))
        })
        .collect()
}

/// go's reason in one line. GOPATH mode's `cannot find package "x" in any
/// of:` lists the places on the lines below, each ending `(from $GOROOT)`:
/// those become `in $GOROOT or $GOPATH`; any other message whose first line
/// announces more keeps the rest, joined.
fn go_reason(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        return first.to_string();
    }
    let places: Vec<&str> = rest
        .iter()
        .filter_map(|l| l.rsplit_once("(from ")?.1.strip_suffix(')'))
        .collect();
    match first.strip_suffix(" in any of:") {
        Some(head) if places.len() == rest.len() => format!("{head} in {}", places.join(" or ")),
        _ if first.ends_with(':') => format!("{first} {}", rest.join("; ")),
        _ => first.to_string(),
    }
}

/// The listed packages that `targets` are.
pub fn packages_of<'a>(
    packages: &'a [Package],
    targets: &[Target],
    root: &Path,
) -> Vec<&'a Package> {
    packages
        .iter()
        .filter(|p| {
            targets
                .iter()
                .any(|t| t.package == relative_package(p, root))
        })
        .collect()
}

/// The main packages of a listing, as directories of the sources
/// (`./server`), the shallowest first (`./server` before
/// `./examples/basic`).
pub fn main_packages(packages: &[Package], root: &Path) -> Vec<String> {
    let mut mains: Vec<String> = packages
        .iter()
        .filter(|p| p.name == "main")
        .map(|p| relative_package(p, root))
        .collect();
    mains.sort_by_key(|m| m.matches('/').count());
    mains
}

/// `./cmd/api` for a package in `root`, else its import path.
fn relative_package(p: &Package, root: &Path) -> String {
    match Path::new(&p.dir).strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => format!("./{}", rel.display()),
        Err(_) => p.import_path.clone(),
    }
}

/// Where the build copy goes for `kind`, within the work area; None for
/// the kinds that build in place (see `source`).
pub fn build_copy(kind: &Kind, work: &Path) -> Option<PathBuf> {
    match kind {
        Kind::Gopath { import_url } => Some(work.join("gopath/src").join(import_url)),
        Kind::BareMain => Some(work.join("src")),
        Kind::Module | Kind::Vendored | Kind::Workspace => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(dir: &str, name: &str, error: Option<&str>) -> Package {
        Package {
            import_path: format!("example.com/m{}", dir.trim_start_matches("/r")),
            name: name.into(),
            dir: dir.into(),
            target: if name == "main" {
                format!("/go/bin/{}", dir.rsplit('/').next().unwrap())
            } else {
                String::new()
            },
            error: error.map(|e| PackageError { err: e.into() }),
            ..Package::default()
        }
    }

    #[test]
    fn root_main_wins_then_cmd() {
        let root = Path::new("/r");
        let found = [
            package("/r", "main", None),
            package("/r/cmd/a", "main", None),
        ];
        assert_eq!(
            pick_targets(&found, "", root, None).unwrap(),
            [Target {
                package: ".".into(),
                binary: "r".into()
            }]
        );
        let found = [
            package("/r", "lib", None),
            package("/r/cmd/a", "main", None),
            package("/r/cmd/b", "main", None),
        ];
        let t = pick_targets(&found, "", root, None).unwrap();
        assert_eq!(
            t.iter().map(|t| t.package.as_str()).collect::<Vec<_>>(),
            ["./cmd/a", "./cmd/b"]
        );
        let found = [
            package(
                "/r",
                "",
                Some("build constraints exclude all Go files in /r"),
            ),
            package("/r/cmd/a", "main", None),
        ];
        let t = pick_targets(&found, "", root, None).unwrap();
        assert_eq!(t[0].package, "./cmd/a");
        let found = [package(
            "/r",
            "",
            Some("build constraints exclude all Go files in /r"),
        )];
        assert_eq!(
            pick_targets(&found, "", root, None).unwrap_err().to_string(),
            "no main package to build: build constraints exclude every Go file of the root (check its //go:build lines against GO_TAGS, GOOS and GOARCH), and cmd/ holds no main package; set GO_TARGETS to the main package(s), e.g. GO_TARGETS=./server"
        );
        let found = [package("/r", "", Some("no Go files in /r"))];
        assert_eq!(
            pick_targets(&found, "", root, None).unwrap_err().to_string(),
            "no main package to build: the root has no Go files, and cmd/ holds no main package; set GO_TARGETS to the main package(s), e.g. GO_TARGETS=./server"
        );
    }

    #[test]
    fn named_targets_must_be_main_and_exist() {
        let root = Path::new("/r");
        let found = [package("/r/pkg/util", "util", None)];
        let e = pick_targets(
            &found,
            "",
            root,
            Some((TargetSetting::GoTargets, &["./pkg/util".into()])),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::TargetNotMain { ref target, ref name, setting: TargetSetting::GoTargets } if target == "./pkg/util" && name == "util"),
            "{e}"
        );
        let missing = Package {
            import_path: "./nope".into(),
            error: Some(PackageError {
                err: "stat /r/nope: directory not found".into(),
            }),
            ..Package::default()
        };
        let e = pick_targets(
            &[missing],
            "",
            root,
            Some((TargetSetting::GoTargets, &["./nope".into()])),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "GO_TARGETS names ./nope, which is not a package here (stat nope: directory not found): set GO_TARGETS to main package directories (package main), e.g. ./cmd/api");
        let e = pick_targets(
            &[],
            "go: warning: \"./x/...\" matched no packages\n",
            root,
            Some((TargetSetting::GoTargets, &["./x/...".into()])),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("GO_TARGETS names ./x/..., which is not a package here (the pattern matched no packages)"));
    }

    #[test]
    fn each_kind_reads_as_a_sentence() {
        let kinds = [
            Kind::Workspace,
            Kind::Module,
            Kind::Vendored,
            Kind::Gopath {
                import_url: "github.com/example/legacy".into(),
            },
            Kind::BareMain,
        ];
        let lines: Vec<String> = kinds
            .iter()
            .map(|k| format!("Detected {}; main package(s): .", k.in_a_sentence()))
            .collect();
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn gos_reasons_are_whole_on_one_line() {
        let gopath = "cannot find package \"github.com/example/nope\" in any of:\n\t/usr/lib/go/src/github.com/example/nope (from $GOROOT)\n\t/w/gopath/src/github.com/example/nope (from $GOPATH)";
        assert_eq!(
            go_reason(gopath),
            "cannot find package \"github.com/example/nope\" in $GOROOT or $GOPATH"
        );
        assert_eq!(go_reason("no Go files in /r/x\n"), "no Go files in /r/x");
        assert_eq!(
            go_reason("found packages:\n\ta (a.go)\n\tb (b.go)"),
            "found packages: a (a.go); b (b.go)"
        );
        assert_eq!(go_reason("first\nsecond"), "first");
    }

    #[test]
    fn go_mod_lines() {
        let text = "// a comment\nmodule \"example.com/app/v2\" // here\n\ngo 1.22.3\ntoolchain go1.23.0\nrequire (\n\tgo.x v1.0.0\n)\n";
        assert_eq!(
            read_go_mod(text),
            Declared {
                go: Some("1.22.3".into()),
                toolchain: Some("go1.23.0".into()),
                module: Some("example.com/app/v2".into()),
                uses: vec![],
            }
        );
        assert_eq!(binary_name("example.com/app/v2"), "app");
        // As go 1.19 and 1.27 name them (checked by hand).
        assert_eq!(binary_name("example.com/tool/v10"), "tool");
        assert_eq!(binary_name("example.com/tool/v1"), "v1");
        assert_eq!(binary_name("example.com/tool/v0"), "v0");
        assert_eq!(binary_name("example.com/v2"), "example.com");
        assert_eq!(binary_name("gopkg.in/yaml.v3"), "yaml.v3");
        assert_eq!(read_go_mod("module m\n").go, None);
    }

    #[test]
    fn binary_names_follow_go() {
        let p = |path: &str| Package {
            import_path: path.into(),
            ..Package::default()
        };
        assert_eq!(p("example.com/app/v2").binary_name(), "app");
        assert_eq!(p("example.com/app/cmd/api").binary_name(), "api");
        assert_eq!(
            relative_import("github.com/o/app", "github.com/o/app/cmd/x"),
            "./cmd/x"
        );
        assert_eq!(relative_import("github.com/o/app", "github.com/o/app"), ".");
        assert_eq!(
            relative_import("github.com/o/app", "github.com/o/other"),
            "github.com/o/other"
        );
    }
}
