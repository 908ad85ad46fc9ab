//! Decide: from what inspect found and what go reported, the
//! [`BuildPlan`]. Pure: nothing here writes a file or starts a process, so
//! the decision is tested from recorded `go list -json` output, go.mod
//! texts and settings (`tests/decide/`), without go.
//!
//! go is asked in between, by the pipeline, in this order: the
//! environment go runs with ([`go_env`]), go's version and go.mod's (or
//! go.work's) lines, whether that Go is new enough ([`go_new_enough`]),
//! and, unless the root is taken as the main package, which packages
//! `go list -find` finds ([`to_list`]). Then [`plan`].

use std::collections::BTreeMap;
use std::path::Path;

use s2i_common::display::Escaped;

use crate::cgo;
use crate::config::Config;
use crate::detect::{self, Declared, Kind, Package, Target};
use crate::errors::{Error, TargetSetting};
use crate::gotool;
use crate::modfile;
use crate::plan::{self, BuildPlan};

/// What the decision reads of inspect's findings and of where the build
/// runs.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub src: &'a Path,
    pub app_root: &'a Path,
    pub artifacts: &'a Path,
    pub config: &'a Config,
    pub kind: &'a Kind,
    pub kind_warnings: &'a [String],
    pub go: &'a Path,
    /// Where go runs: the sources, or their build copy.
    pub build_dir: &'a Path,
    /// The work area.
    pub work: &'a Path,
    /// The `.go` files at the top of the sources.
    pub root_go_files: usize,
    /// GO_TARGETS as go is given them (see `detect::source_targets`).
    pub targets: &'a [String],
}

/// The environment go runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoEnv {
    /// The whole of it.
    pub env: BTreeMap<String, String>,
    /// What s2i-assemble set (not the user).
    pub set_env: Vec<(String, String)>,
    /// go.mod and go.sum are copied into the work area before go runs
    /// (`-mod=mod`, see `modfile`).
    pub copy_go_mod: bool,
}

/// What go reported.
#[derive(Debug, Clone, Default)]
pub struct GoSaid {
    /// `go1.27.3`.
    pub go_version: String,
    /// Why that Go is not the image's own (see `toolchain`).
    pub go_switched: Option<String>,
    /// go.mod's or go.work's lines.
    pub declared: Declared,
    /// `go list -find`'s packages; None when it was not asked (see
    /// [`to_list`]).
    pub listing: Option<Listing>,
    /// Main packages outside the place of several found (`./weed` beside
    /// `cmd/`), asked only when none of those starts by itself (see
    /// [`undecided_run`]).
    pub elsewhere: Vec<String>,
}

/// One `go list -find -e -json` answer.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub packages: Vec<Package>,
    /// go's stderr (its warnings, such as a pattern that matched nothing).
    pub warnings: String,
}

/// The environment go runs with: the user's, s2i-assemble's defaults for
/// what is unset, and `-modfile` where `-mod=mod` would write go.mod.
pub fn go_env(f: &Facts) -> GoEnv {
    let (mut env, mut set_env) = plan::go_env(&f.config.env, f.kind, f.app_root, f.work);
    let goflags = modfile::redirected_goflags(f.kind, f.config, &env, f.work);
    if let Some(value) = &goflags {
        env.insert("GOFLAGS".into(), value.clone());
        set_env.retain(|(name, _)| name != "GOFLAGS");
        set_env.push(("GOFLAGS".into(), value.clone()));
    }
    GoEnv {
        env,
        set_env,
        copy_go_mod: goflags.is_some(),
    }
}

/// The Go that builds satisfies go.mod's (go.work's) `go` line, or is
/// allowed to switch (`GOTOOLCHAIN` other than `local`).
pub fn go_new_enough(
    kind: &Kind,
    env: &BTreeMap<String, String>,
    go_version: &str,
    declared: &Declared,
) -> Result<(), Error> {
    let toolchain_local = env
        .get("GOTOOLCHAIN")
        .is_none_or(|t| t == "local" || t.is_empty());
    match declared.go.as_deref() {
        Some(needs) if toolchain_local && !gotool::satisfies(go_version, needs) => {
            Err(Error::GoTooOld {
                file: if *kind == Kind::Workspace {
                    "go.work"
                } else {
                    "go.mod"
                },
                needs: needs.to_string(),
                have: go_version.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// The go.mod written into the build copy of a bare main package, before
/// go first reads it.
pub fn throwaway_go_mod(kind: &Kind, go_version: &str) -> Option<String> {
    (*kind == Kind::BareMain).then(|| {
        let (major, minor, _) = gotool::parse_version(go_version).unwrap_or((1, 21, 0));
        format!("module app\n\ngo {major}.{minor}\n")
    })
}

/// The setting that names the main packages, and its patterns.
fn named(f: &Facts, declared: &Declared) -> Option<(TargetSetting, Vec<String>)> {
    if !f.targets.is_empty() {
        Some((TargetSetting::GoTargets, f.targets.to_vec()))
    } else if matches!(f.kind, Kind::Gopath { .. }) && f.config.install_url.is_some() {
        Some((
            TargetSetting::InstallUrl,
            detect::default_patterns(f.kind, declared, f.config),
        ))
    } else {
        None
    }
}

/// The root is taken as the main package, without asking `go list` first,
/// when nothing names the targets and it holds Go files of a module: the
/// usual case, where a `go list` would cost as much again as the rest of a
/// warm build. `go build` then says whether it is one; if not, the main
/// packages are what `go list -find` finds (see [`fallback_patterns`]).
fn root_guessed(f: &Facts, declared: &Declared) -> bool {
    f.root_go_files > 0
        && matches!(f.kind, Kind::Module | Kind::Vendored | Kind::BareMain)
        && declared.module.is_some()
        && named(f, declared).is_none()
}

/// The patterns to ask `go list -find` about, or None when the root is
/// taken as the main package (no go start).
pub fn to_list(f: &Facts, declared: &Declared) -> Option<Vec<String>> {
    (!root_guessed(f, declared)).then(|| fallback_patterns(f, declared))
}

/// The patterns listed when nothing is guessed, or when the guessed root
/// turns out not to be a main package.
pub fn fallback_patterns(f: &Facts, declared: &Declared) -> Vec<String> {
    match named(f, declared) {
        Some((_, patterns)) => patterns,
        None => detect::default_patterns(f.kind, declared, f.config),
    }
}

/// The build plan. With no listing, the root is the main package (see
/// [`to_list`]); with one, the main packages are those it names.
pub fn plan(f: &Facts, env: GoEnv, said: &GoSaid) -> Result<BuildPlan, Error> {
    let mut warnings = f.kind_warnings.to_vec();
    let named = named(f, &said.declared);
    let (targets, otherwise_listed) = match (&said.listing, said.declared.module.as_deref()) {
        (None, Some(module)) => {
            // As go names it: `.exe` for Windows.
            let exe = if env.env.get("GOOS").map(String::as_str) == Some("windows") {
                ".exe"
            } else {
                ""
            };
            let root = Target {
                package: ".".to_string(),
                binary: format!("{}{exe}", detect::binary_name(module)),
            };
            (vec![root], fallback_patterns(f, &said.declared))
        }
        (listing, _) => {
            let empty = Listing::default();
            let listing = listing.as_ref().unwrap_or(&empty);
            let named = named.as_ref().map(|(setting, p)| (*setting, p.as_slice()));
            let targets = listed_targets(f, &env, listing, named, &mut warnings)?;
            (targets, Vec::new())
        }
    };
    one_name_each(&targets)?;
    warn_of_another_machine(&env.env, &mut warnings);
    let run = pick_run(
        &targets,
        f.config.run.as_deref(),
        named.is_some(),
        said.declared.module.as_deref(),
    )?;
    let run_note = several_programs(
        f,
        (&targets, &said.elsewhere),
        run,
        named.is_some(),
        &mut warnings,
    );
    let out_dir = f.work.join("out");
    let go_args = plan::go_build_args(f.kind, f.config, &env.env, &out_dir, &targets);
    Ok(BuildPlan {
        source: f.src.to_path_buf(),
        kind: f.kind.clone(),
        go: f.go.to_path_buf(),
        go_version: said.go_version.clone(),
        go_switched: said.go_switched.clone(),
        go_required: said.declared.go.clone(),
        build_dir: f.build_dir.to_path_buf(),
        out_dir,
        targets,
        root_guessed: !otherwise_listed.is_empty(),
        otherwise_listed,
        run,
        run_note,
        go_args,
        env: env.env,
        set_env: env.set_env,
        settings: f.config.origins.clone(),
        run_env: f.config.run_env.clone(),
        throwaway_go_mod: throwaway_go_mod(f.kind, &said.go_version),
        app_root: f.app_root.to_path_buf(),
        artifacts: f.artifacts.to_path_buf(),
        warnings,
        credentials: Vec::new(),
    })
}

/// What a workspace's "no main package" says was looked at: each module
/// go.work uses, not the directory of go.work (no module).
fn in_a_workspace(error: Error, kind: &Kind) -> Error {
    const LOOKED: &str = "no module go.work uses has one at its root or under its cmd/";
    match error {
        Error::NoMainPackage { elsewhere, .. } if *kind == Kind::Workspace => {
            Error::NoMainPackage {
                root: LOOKED.into(),
                elsewhere,
            }
        }
        Error::MainsGoCannotLoad { packages, .. } if *kind == Kind::Workspace => {
            Error::MainsGoCannotLoad {
                root: LOOKED.into(),
                packages,
            }
        }
        error => error,
    }
}

/// The main packages of a listing; packages go cannot load are warned
/// about when nothing named the targets, and a main package that only
/// builds with cgo is refused while cgo is off.
fn listed_targets(
    f: &Facts,
    env: &GoEnv,
    listing: &Listing,
    named: Option<(TargetSetting, &[String])>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Target>, Error> {
    let targets = detect::pick_targets(&listing.packages, &listing.warnings, f.build_dir, named)
        .map_err(|e| in_a_workspace(e, f.kind))?;
    let listed = detect::packages_of(&listing.packages, &targets, f.build_dir);
    cgo::check_targets(&listed, &env.env, &env.set_env)?;
    if named.is_none() {
        for package in detect::unloadable(&listing.packages, f.build_dir) {
            warnings.push(format!(
                "go cannot load {}; it is not built: fix what go says (rename the directory)",
                Escaped::new(&package)
            ));
        }
    }
    Ok(targets)
}

/// GOOS or GOARCH set for another machine than this builder's: the
/// application image runs where the builder does, and could not start
/// the program (a `.s2i/environment` copied from a laptop). Warned, not
/// refused: a chained build may copy the program into another image.
fn warn_of_another_machine(env: &BTreeMap<String, String>, warnings: &mut Vec<String>) {
    for (name, this, what) in [
        ("GOOS", "linux", "operating system"),
        ("GOARCH", go_arch(), "CPU"),
    ] {
        if let Some(other) = env.get(name).filter(|v| !v.is_empty() && *v != this) {
            warnings.push(format!(
                "{name}={} builds the program for another {what} than this builder's: the application image runs where the builder does, and s2i-run cannot start it there; unset {name} to build for this machine",
                Escaped::new(other)
            ));
        }
    }
}

/// This machine's CPU, as GOARCH names it.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        arch => arch,
    }
}

/// Refuses main packages that `go build -o DIR/` names alike
/// (`cmd/a/tool` and `cmd/b/tool`): go would write both to `DIR/tool`, one
/// over the other.
fn one_name_each(targets: &[Target]) -> Result<(), Error> {
    for target in targets {
        let packages: Vec<String> = targets
            .iter()
            .filter(|t| t.binary == target.binary)
            .map(|t| t.package.clone())
            .collect();
        if packages.len() > 1 {
            return Err(Error::SameProgramName {
                binary: target.binary.clone(),
                packages,
            });
        }
    }
    Ok(())
}

/// True when the plan builds several programs and none starts by itself
/// (the warning of [`several_programs`]): then the main packages elsewhere
/// are worth asking go for (`GoSaid::elsewhere`).
pub fn undecided_run(plan: &BuildPlan) -> bool {
    plan.run.is_none() && plan.targets.len() > 1
}

/// The main packages of `mains` (`./weed`, relative, as
/// `detect::main_packages` gives them) that are not among `plan`'s targets
/// nor beside them (`cmd/`, a workspace module's `cmd/`).
pub fn mains_elsewhere(plan: &BuildPlan, mains: Vec<String>) -> Vec<String> {
    let built: Vec<&str> = plan.targets.iter().map(|t| t.package.as_str()).collect();
    let beside = |main: &str| {
        built.iter().any(|target| {
            let parent = Path::new(target).parent().unwrap_or(Path::new(""));
            Path::new(main).parent() == Some(parent)
        })
    };
    mains
        .into_iter()
        .filter(|main| !built.contains(&main.as_str()) && !beside(main))
        .collect()
}

/// Where several main packages were found, for the message.
fn several_place(kind: &Kind) -> &'static str {
    if *kind == Kind::Workspace {
        "in the workspace's modules"
    } else {
        "under cmd/"
    }
}

/// The program s2i-run starts: GO_RUN's, else the first named target, else
/// the only main package, else of several found the one named like the
/// module (`example.com/shop` with `cmd/shop` and `cmd/migrate`: the
/// repository's own program). Otherwise none: guessing would start the
/// wrong program, so all are installed and none starts by itself.
fn pick_run(
    targets: &[Target],
    run: Option<&str>,
    named: bool,
    module: Option<&str>,
) -> Result<Option<usize>, Error> {
    let Some(run) = run else {
        if targets.len() > 1 && !named {
            let like_module = module.map(detect::binary_name);
            return Ok(targets
                .iter()
                .position(|t| Some(&t.binary) == like_module.as_ref()));
        }
        return Ok(Some(0));
    };
    let bare = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_string();
    targets
        .iter()
        .position(|t| t.binary == run || bare(&t.package) == bare(run))
        .map(Some)
        .ok_or_else(|| Error::RunNotBuilt {
            run: run.to_string(),
            built: targets.iter().map(|t| t.binary.clone()).collect(),
        })
}

/// Several main packages found and GO_RUN unset: the log line that says
/// which one starts (named like the module), or the warning that none
/// does: s2i-run then starts the one its command line names (`run api`),
/// a choice made where the application runs. (A choice through the run
/// manifest at run time would cost s2i-run more than its size budget.)
fn several_programs(
    f: &Facts,
    (targets, elsewhere): (&[Target], &[String]),
    run: Option<usize>,
    named: bool,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if targets.len() < 2 || named || f.config.run.is_some() {
        return None;
    }
    let place = several_place(f.kind);
    let binaries: Vec<String> = targets
        .iter()
        .map(|t| Escaped::new(&t.binary).to_string())
        .collect();
    match run {
        Some(i) => Some(format!(
            "Several main packages {place} ({}): s2i-run starts {}, named like the module (GO_RUN picks another)",
            binaries.join(", "),
            binaries[i]
        )),
        None => {
            let mut warning = format!(
                "several main packages {place} ({}) and GO_RUN is unset: all are installed in bin/, with no run manifest, and none starts by itself; set GO_RUN for this build, or start one by name (/usr/libexec/s2i/run {})",
                binaries.join(", "),
                binaries[0]
            );
            if let Some(first) = elsewhere.first() {
                let shown: Vec<String> = elsewhere
                    .iter()
                    .map(|p| Escaped::new(p).to_string())
                    .collect();
                warning.push_str(&format!(
                    "; main packages elsewhere: {}: if the program is one of those, GO_TARGETS={} builds it",
                    crate::errors::first_of(&shown, 5),
                    Escaped::new(first)
                ));
            }
            warnings.push(warning);
            None
        }
    }
}

#[cfg(test)]
mod tests;
