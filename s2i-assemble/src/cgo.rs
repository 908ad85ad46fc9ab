//! cgo while `CGO_ENABLED=0`, s2i-assemble's default. With cgo off, go
//! silently leaves out every file that has `import "C"`: a package made
//! only of such files has "no Go files" (`build constraints exclude all Go
//! files`), one that has other files too fails on what the left-out files
//! defined (`undefined: ...`). Neither says cgo; this module finds out,
//! asking `go list` with cgo on which of the packages in question have cgo
//! files, and names the package.
//!
//! It costs a successful build nothing: before the build it reads the
//! listing detection makes anyway (made with cgo on, see [`listing_env`]);
//! after a failed build that looks like it, it asks `go list` about the
//! package go named.

use std::collections::BTreeMap;
use std::path::Path;

use s2i_common::display::Escaped;
use serde::{Deserialize, Serialize};

use crate::detect::Package;
use crate::errors::Error;
use crate::gofailure::GoFailure;
use crate::gotool;
use crate::plan::BuildPlan;

/// A package as `go list -json=ImportPath,Name,Dir,GoFiles,CgoFiles` with cgo on lists it.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
struct CgoListed {
    import_path: String,
    name: String,
    dir: String,
    go_files: Vec<String>,
    cgo_files: Vec<String>,
}

/// `Some(by_default)` when cgo is off: `CGO_ENABLED=0` in go's environment,
/// set by s2i-assemble (`by_default`) or by the user.
fn cgo_off(env: &BTreeMap<String, String>, set_env: &[(String, String)]) -> Option<bool> {
    (env.get("CGO_ENABLED").map(String::as_str) == Some("0"))
        .then(|| set_env.iter().any(|(name, _)| name == "CGO_ENABLED"))
}

/// The environment for detection's `go list -find`: cgo on, so that a
/// main package made only of cgo files is listed as what it is rather
/// than skipped (`./cmd/...` matches no package that build constraints
/// empty); [`check_targets`] then says it needs cgo. Listing runs no C
/// compiler.
pub fn listing_env(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = env.clone();
    if env.get("CGO_ENABLED").map(String::as_str) == Some("0") {
        env.insert("CGO_ENABLED".into(), "1".into());
    }
    env
}

/// Before the build, from detection's listing (with cgo on): a main
/// package to build whose Go files are all cgo files, with no file left
/// out by build constraints (where a `!cgo` fallback would be), cannot
/// build with cgo off. One that has other files too is left to the build
/// (see [`after_failed_build`]).
pub fn check_targets(
    targets: &[&Package],
    env: &BTreeMap<String, String>,
    set_env: &[(String, String)],
) -> Result<(), Error> {
    let Some(by_default) = cgo_off(env, set_env) else {
        return Ok(());
    };
    let only_cgo = |p: &&&Package| {
        !p.cgo_files.is_empty() && p.go_files.is_empty() && p.ignored_go_files.is_empty()
    };
    match targets.iter().find(only_cgo) {
        Some(p) => Err(Error::CgoDisabled {
            package: p.import_path.clone(),
            by_default,
        }),
        None => Ok(()),
    }
}

/// After a failed build: when what go said is what cgo being off looks
/// like, the error that names the package needing cgo; None otherwise.
pub fn after_failed_build(plan: &BuildPlan, failure: &GoFailure) -> Option<Error> {
    let by_default = cgo_off(&plan.env, &plan.set_env)?;
    // The packages, and what shows, with cgo on, that cgo being off is why.
    let (packages, cgo_is_why): (Vec<String>, fn(&CgoListed) -> bool) = match failure {
        // Files left out for `import "C"` or a `//go:build cgo` line: with
        // cgo on, they are there.
        GoFailure::ExcludedByConstraints { package, dir } => (
            vec![package
                .clone()
                .unwrap_or_else(|| plan.build_dir.join(dir).display().to_string())],
            |p| !p.cgo_files.is_empty() || !p.go_files.is_empty(),
        ),
        // Code that calls what the left-out cgo files define: in its own
        // package, or in the one it imports as PKG for `undefined:
        // PKG.NAME` (influxdb's flux and its libflux).
        GoFailure::Compile {
            package: Some(package),
            message,
            location,
            ..
        } if message.starts_with("undefined: ") => {
            let imported = crate::goimports::behind_qualifier(&plan.build_dir, location, message);
            (
                imported.into_iter().chain([package.to_string()]).collect(),
                |p| !p.cgo_files.is_empty(),
            )
        }
        _ => return None,
    };
    let mut args = vec!["-json=ImportPath,Name,Dir,GoFiles,CgoFiles"];
    args.extend(build_flags(plan));
    let mut found = list_with_cgo(&plan.go, &plan.build_dir, &plan.env, &args, &packages)
        .map(|out| parse(&out))
        .unwrap_or_default();
    // The package that should define the name first.
    found.sort_by_key(|p| packages.iter().position(|q| *q == p.import_path));
    // A root built on the guess that it is a main package may be a
    // library: then the main packages are elsewhere (see `pipeline`).
    let guessed_library = |p: &CgoListed| {
        plan.root_guessed && p.name != "main" && Path::new(&p.dir) == plan.build_dir
    };
    needing_cgo(&found, |p| cgo_is_why(p) && !guessed_library(p)).map(|package| {
        Error::CgoDisabled {
            package,
            by_default,
        }
    })
}

/// What cgo being off left out of a build: the packages outside the
/// standard library, among the targets and what they import, that have
/// cgo files (`import "C"`). go built them from their other files, which
/// may be a stub that fails at run time (`github.com/mattn/go-sqlite3`'s
/// does). Remembered with detection's listing for the same targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub targets: Vec<String>,
    pub packages: Vec<String>,
    /// The packages that only some of the programs import, and the
    /// programs (binary names) that do: what the user needs to know when
    /// the stub is in a helper program, not in the service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub only_in: BTreeMap<String, Vec<String>>,
}

/// After a build that succeeded with cgo off by s2i-assemble's default:
/// what it left out, as the last build found it (`recalled`) for the
/// same targets, else from one `go list -deps` with cgo on (`GOPROXY=off`:
/// what only cgo would import is not worth a download). None when there
/// is nothing to check (cgo on, or off as the user set it: they chose it)
/// or go could not tell.
pub fn left_out(plan: &BuildPlan, recalled: Option<LeftOut>) -> Option<LeftOut> {
    if cgo_off(&plan.env, &plan.set_env) != Some(true) {
        return None;
    }
    let targets: Vec<String> = plan.targets.iter().map(|t| t.package.clone()).collect();
    if let Some(recalled) = recalled.filter(|r| r.targets == targets) {
        return Some(recalled);
    }
    let mut env = plan.env.clone();
    env.insert("GOPROXY".into(), "off".into());
    let mut args = vec!["-deps", "-f", LEFT_OUT_TEMPLATE];
    args.extend(build_flags(plan));
    let out = list_with_cgo(&plan.go, &plan.build_dir, &env, &args, &targets)?;
    Some(LeftOut {
        targets,
        ..parse_left_out(&out)
    })
}

/// What [`left_out`] has go print: for each package outside std that has
/// cgo files, `cgo<TAB>path`; for each of the programs (the packages named,
/// not only imported), `program<TAB>path<TAB>install target<TAB>every
/// package it imports`; an empty line for the others.
const LEFT_OUT_TEMPLATE: &str = "{{if and (not .Standard) .CgoFiles}}cgo\t{{.ImportPath}}\n{{end}}\
     {{if not .DepOnly}}program\t{{.ImportPath}}\t{{.Target}}\t{{join .Deps \" \"}}{{end}}";

/// [`LeftOut`]'s packages and which programs import them, from what
/// [`LEFT_OUT_TEMPLATE`] printed.
fn parse_left_out(listed: &str) -> LeftOut {
    let mut packages = Vec::new();
    let mut programs = Vec::new();
    for line in listed.lines() {
        let mut fields = line.trim_end().split('\t');
        match (fields.next(), fields.next()) {
            (Some("cgo"), Some(path)) => packages.push(path.to_string()),
            (Some("program"), Some(path)) => {
                // go names the binary after the install target, as
                // `go build -o DIR/` does (`Package::binary_name`).
                let binary = fields
                    .next()
                    .and_then(|target| Path::new(target).file_name())
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| crate::detect::binary_name(path));
                let imports: Vec<&str> = fields.next().unwrap_or("").split(' ').collect();
                programs.push((binary, path, imports));
            }
            _ => {}
        }
    }
    packages.sort();
    packages.dedup();
    let mut only_in = BTreeMap::new();
    for package in &packages {
        let mut importers: Vec<String> = programs
            .iter()
            .filter(|(_, path, imports)| path == package || imports.contains(&package.as_str()))
            .map(|(binary, ..)| binary.clone())
            .collect();
        if !importers.is_empty() && importers.len() < programs.len() {
            importers.sort();
            only_in.insert(package.clone(), importers);
        }
    }
    LeftOut {
        targets: Vec::new(),
        packages,
        only_in,
    }
}

/// Adds to `warnings` the warning for what [`left_out`] found, if anything.
pub fn warn_of_left_out(found: &LeftOut, warnings: &mut Vec<String>) {
    let (it, its) = match found.packages.len() {
        0 => return,
        1 => ("it was", "its"),
        _ => ("they were", "their"),
    };
    let shown: Vec<String> = found
        .packages
        .iter()
        .map(|p| match found.only_in.get(p) {
            Some(programs) => format!(
                "{} (imported by {} only)",
                Escaped::new(p),
                Escaped::new(&programs.join(", "))
            ),
            None => Escaped::new(p).to_string(),
        })
        .collect();
    warnings.push(format!(
        "cgo is off (CGO_ENABLED=0, this builder's default), so go left out the cgo files \
         (import \"C\") of {}: {it} built from {its} other files; those may be a stub that fails \
         at run time. If the program needs cgo, build with CGO_ENABLED=1 on a builder image \
         with a C compiler; if it does not, set CGO_ENABLED=0 to say so, which silences this",
        crate::errors::first_of(&shown, 5)
    ));
}

/// The build's own flags that change what go lists.
fn build_flags(plan: &BuildPlan) -> impl Iterator<Item = &str> {
    plan.go_args
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("-tags=") || a.starts_with("-mod="))
}

/// `CGO_ENABLED=1 go list -e ARGS PACKAGES`: what it prints, or None
/// when go fails (the original failure then stands).
fn list_with_cgo(
    go: &Path,
    dir: &Path,
    env: &BTreeMap<String, String>,
    args: &[&str],
    packages: &[String],
) -> Option<String> {
    let mut env = env.clone();
    env.insert("CGO_ENABLED".into(), "1".into());
    let mut all = vec!["list", "-e"];
    all.extend(args);
    all.extend(packages.iter().map(String::as_str));
    match gotool::output(go, &all, dir, &env) {
        Ok(out) if out.success => Some(out.stdout),
        _ => None,
    }
}

fn parse(json: &str) -> Vec<CgoListed> {
    serde_json::Deserializer::from_str(json)
        .into_iter::<CgoListed>()
        .map_while(Result::ok)
        .collect()
}

/// The first package that `needs_cgo` says needs it.
fn needing_cgo(found: &[CgoListed], needs_cgo: impl Fn(&CgoListed) -> bool) -> Option<String> {
    found
        .iter()
        .find(|p| needs_cgo(p))
        .map(|p| p.import_path.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CGO_ENABLED=1 go list -e -json=ImportPath,Name,Dir,CgoFiles` of a
    /// library and a main package, as Go 1.27 printed it.
    const LISTED: &str = r#"{
	"Dir": "/tmp/src/cdep",
	"ImportPath": "example.com/cgoapp/cdep",
	"Name": "cdep",
	"CgoFiles": [
		"abs.go"
	]
}
{
	"Dir": "/tmp/src",
	"ImportPath": "example.com/cgoapp",
	"Name": "main"
}
"#;

    #[test]
    fn the_package_with_cgo_files_is_named() {
        let found = parse(LISTED);
        assert_eq!(found.len(), 2);
        let has_cgo_files = |p: &CgoListed| !p.cgo_files.is_empty();
        assert_eq!(
            needing_cgo(&found, has_cgo_files).as_deref(),
            Some("example.com/cgoapp/cdep")
        );
        assert_eq!(
            needing_cgo(&found, |p| has_cgo_files(p) && p.name == "main"),
            None
        );
    }

    /// `go list -find -json` with cgo on, as Go 1.27 lists a main package
    /// of cgo files only, one with a plain file too, and one with a file
    /// left out (a `!cgo` fallback, say).
    const TARGETS: &str = r#"{
	"Dir": "/tmp/src/cmd/tool",
	"ImportPath": "example.com/cgoapp/cmd/tool",
	"Name": "main",
	"CgoFiles": [
		"main.go"
	]
}
{
	"Dir": "/tmp/src/cmd/part",
	"ImportPath": "example.com/cgoapp/cmd/part",
	"Name": "main",
	"GoFiles": [
		"main.go"
	],
	"CgoFiles": [
		"abs.go"
	]
}
{
	"Dir": "/tmp/src/cmd/fallback",
	"ImportPath": "example.com/cgoapp/cmd/fallback",
	"Name": "main",
	"CgoFiles": [
		"abs.go"
	],
	"IgnoredGoFiles": [
		"abs_nocgo.go"
	]
}
"#;

    #[test]
    fn a_main_package_of_cgo_files_only_is_named_before_the_build() {
        let listed: Vec<Package> = serde_json::Deserializer::from_str(TARGETS)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        let env: BTreeMap<String, String> = [("CGO_ENABLED".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        let ours = [("CGO_ENABLED".to_string(), "0".to_string())];
        let all: Vec<&Package> = listed.iter().collect();
        match check_targets(&all, &env, &ours) {
            Err(Error::CgoDisabled {
                package,
                by_default,
            }) => {
                assert_eq!(package, "example.com/cgoapp/cmd/tool");
                assert!(by_default);
            }
            other => panic!("{other:?}"),
        }
        // Left to the build: a plain file too, or a file left out.
        assert!(check_targets(&all[1..], &env, &ours).is_ok());
        // cgo on: nothing to say.
        assert!(check_targets(&all, &listing_env(&env), &[]).is_ok());
    }

    /// `CGO_ENABLED=1 go list -deps -f LEFT_OUT_TEMPLATE`, as Go 1.27
    /// printed it for two programs, one importing go-sqlite3 (std's lines
    /// empty, the import lists shortened).
    const LEFT_OUT: &str = "\n\ncgo\tgithub.com/mattn/go-sqlite3\n\n\n\
        cgo\texample.com/app/internal/db\n\n\
        program\texample.com/app/cmd/app-test\t/home/go/bin/app-test\tdatabase/sql example.com/app/internal/db fmt github.com/mattn/go-sqlite3\n\
        program\texample.com/app\t/home/go/bin/app\tencoding/json example.com/app/internal/db fmt\n";

    #[test]
    fn what_cgo_left_out_is_named_sorted_with_the_programs_that_import_it() {
        let found = parse_left_out(LEFT_OUT);
        assert_eq!(
            found.packages,
            ["example.com/app/internal/db", "github.com/mattn/go-sqlite3"]
        );
        let warned = |found: &LeftOut| {
            let mut warnings = Vec::new();
            warn_of_left_out(found, &mut warnings);
            warnings
        };
        let [warning] = &warned(&found)[..] else {
            panic!("one warning")
        };
        assert!(
            warning.contains("of example.com/app/internal/db, github.com/mattn/go-sqlite3 (imported by app-test only): they were built from their other files"),
            "{warning}"
        );
        let one = LeftOut {
            packages: vec!["github.com/mattn/go-sqlite3".into()],
            ..LeftOut::default()
        };
        assert!(warned(&one)[0]
            .contains("of github.com/mattn/go-sqlite3: it was built from its other files"));
        assert!(warned(&parse_left_out("\n\n")).is_empty());
        // One program: it imports all there is.
        let single = parse_left_out("cgo\tgithub.com/mattn/go-sqlite3\nprogram\texample.com/app\t\tgithub.com/mattn/go-sqlite3\n");
        assert!(single.only_in.is_empty(), "{single:?}");
    }

    #[test]
    fn cgo_off_by_default_or_as_set() {
        let env = |v: &str| -> BTreeMap<String, String> {
            [("CGO_ENABLED".to_string(), v.to_string())]
                .into_iter()
                .collect()
        };
        let ours = [("CGO_ENABLED".to_string(), "0".to_string())];
        assert_eq!(cgo_off(&env("0"), &ours), Some(true));
        assert_eq!(cgo_off(&env("0"), &[]), Some(false));
        assert_eq!(cgo_off(&env("1"), &[]), None);
        assert_eq!(cgo_off(&BTreeMap::new(), &[]), None);
    }
}
