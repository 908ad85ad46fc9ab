//! The assemble step, in order:
//!
//! 1. read the sources' top level and the settings; check that the
//!    application root does not overlap the sources;
//! 2. find go; walk the sources (checked, the application's files copied
//!    into a work area under the application root; copied whole only for a
//!    bare main.go or GOPATH sources);
//! 3. restore Go's caches from the artifacts (incremental builds; before go
//!    first runs, so that detection works offline too);
//! 4. detect: go version against go.mod, main packages (`go list -find`, or
//!    the root taken as the program and `go build` left to confirm it); the
//!    result is a [`BuildPlan`] (`--dry-run` prints it and stops here);
//! 5. `go build` into the work area;
//! 6. prune Go's caches to what the build used (or remove them);
//! 7. install atomically; 8. summary.
//!
//! The work area is removed however the run ends.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use s2i_common::display::{Escaped, MiB};

use crate::artifacts;
use crate::build::{self, Interrupt};
use crate::cgo;
use crate::cli::Options;
use crate::config;
use crate::credentials;
use crate::detect::{self, Kind, Target};
use crate::errors::{Error, TargetSetting};
use crate::gotool;
use crate::install;
use crate::modfile;
use crate::plan::{self, BuildPlan};
use crate::provenance;
use crate::redact;
use crate::report::Report;
use crate::roots;
use crate::source;

/// The work area under the application root.
pub const WORK_DIR: &str = ".s2i-assemble";
/// The prefix of `--dry-run`'s temporary work area.
const WORK_PREFIX: &str = ".s2i-assemble.";

pub fn run(options: &Options) -> Result<(), Error> {
    let interrupt =
        Interrupt::install().map_err(|e| Error::io("handle signals in", "/proc/self", e))?;
    // Everything created from here on, by us or by go, is group-writable and
    // never world-writable.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o002));
    let mut report = Report::new();
    let process_env: BTreeMap<String, String> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let src = absolute(&options.src);
    let app_root = absolute(&options.app_root);

    // 1. The sources and the settings; an application root inside the
    // sources is left out of them.
    let top = source::inspect(&src)?;
    let app_root_in_src = roots::check(&src, &app_root)?;
    let mut config = config::load(&src, &process_env)?;
    for warning in &config.warnings {
        report.warn(warning);
    }
    let found = credentials::find(&credentials::Places {
        env: &config.env,
        process_env: &process_env,
        cwd: &std::env::current_dir().map_err(|e| Error::io("read", ".", e))?,
        src: &src,
        app_root: &app_root,
        run_env: &config.run_env,
        dry_run: options.dry_run,
    })?;
    credentials::keep_out_of_the_run_manifest(&found, &mut config, &report);
    let (kind, kind_warnings) = Kind::of(&top, &config)?;
    let provenance = provenance::Settings::from_env(&config.env)?;
    let go = gotool::find_go(&config.env)?;

    // 2. The sources: checked, the application's files copied out (never
    // a credential file), and copied whole only where the build must not
    // write into them.
    let work = WorkArea::create(&app_root, options.dry_run)?;
    let build_copy = detect::build_copy(&kind, work.path());
    let app_files = work.path().join("app-files");
    let leave_out = credentials::left_out_of_the_sources(&found, app_root_in_src.as_deref());
    let prepared = source::prepare(
        &src,
        build_copy.as_deref(),
        (!options.dry_run).then_some(app_files.as_path()),
        &leave_out,
        &|| interrupt.check(),
    )?;
    for warning in &prepared.warnings {
        report.warn(warning);
    }
    if prepared.go_files == 0 && !top.go_mod && !top.go_work {
        return Err(Error::NoGoSources {
            src,
            looks_like: prepared.looks_like,
        });
    }
    let build_dir = match build_copy {
        Some(copy) => {
            report.done(&format!("Copied the sources from {}", Escaped::new(&src)));
            copy
        }
        None => {
            report.done(&format!(
                "Checked the sources in {} (built in place)",
                Escaped::new(&src)
            ));
            std::fs::canonicalize(&src).map_err(|e| Error::io("read", &src, e))?
        }
    };
    // Credentials for go and git, in this build's environment only.
    let secrets = credentials::give(
        &found,
        &mut config,
        &kind,
        &app_root,
        work.path(),
        &mut report,
    )?;
    interrupt.check()?;

    // 3. Go's caches (not for --dry-run, which writes nothing).
    let caches = (!options.dry_run).then(|| {
        artifacts::restore(
            &options.artifacts,
            &src,
            &config,
            &kind,
            &app_root,
            work.path(),
            &|| interrupt.check().is_err(),
            &mut report,
        )
    });
    // A signal stops a long restore half-way (what it brought in is noted
    // for the next build's prune).
    interrupt.check()?;

    // 4. Detection, into a plan. A root that holds Go files is built
    // straight away (the usual case, where asking `go list` first would
    // cost as much again as the rest of a warm build); `--dry-run`, which
    // builds nothing, always asks.
    let guess_root = !options.dry_run
        && config.targets.is_empty()
        && prepared.root_go_files > 0
        && matches!(kind, Kind::Module | Kind::Vendored | Kind::BareMain);
    let detect = |guess_root: bool| {
        detect_plan(
            &src,
            &app_root,
            &options.artifacts,
            &config,
            kind.clone(),
            kind_warnings.clone(),
            go.clone(),
            &build_dir,
            work.path(),
            guess_root,
        )
    };
    let mut plan = detect(guess_root)?;
    secrets.describe(&found, &mut plan);
    for warning in &plan.warnings {
        report.warn(warning);
    }
    let packages: Vec<&str> = plan.targets.iter().map(|t| t.package.as_str()).collect();
    report.done(&format!(
        "Detected {}; main package(s): {}; {}",
        plan.kind.in_a_sentence(),
        packages.join(", "),
        plan.go_version
    ));
    if options.dry_run {
        // The plan is what --dry-run is for: not writing it is a failure.
        return s2i_common::stdout::write_all(redact::text(&plan.to_string()).as_bytes())
            .map_err(|e| Error::io("write the plan to", "stdout", e));
    }
    interrupt.check()?;

    // 5. Build.
    for cache in ["GOCACHE", "GOMODCACHE"] {
        if let Some(dir) = plan.env.get(cache).map(PathBuf::from) {
            if dir.starts_with(&plan.app_root) {
                install::create_dir(&dir).map_err(|e| Error::io("create", &dir, e))?;
            }
        }
    }
    install::create_dir(&plan.out_dir).map_err(|e| Error::io("create", &plan.out_dir, e))?;
    report.begin(&format!(
        "Building with {}: {}",
        plan.go_version,
        plan.command_line()
    ));
    match build::go_build(&plan, &interrupt) {
        Err(failed @ Error::GoFailed { .. }) if plan.root_guessed && failed.concerns_packages() => {
            // Either the root's own errors, or it is not `package main`:
            // `go list` tells which, and where the main packages are.
            let mut listed = detect(false)?;
            secrets.describe(&found, &mut listed);
            let packages = |p: &BuildPlan| -> Vec<String> {
                p.targets.iter().map(|t| t.package.clone()).collect()
            };
            if packages(&listed) == packages(&plan) {
                return Err(failed);
            }
            for warning in listed
                .warnings
                .iter()
                .filter(|w| !plan.warnings.contains(w))
            {
                report.warn(warning);
            }
            plan = listed;
            report.begin(&format!(
                "The root is not a main package; building with {}: {}",
                plan.go_version,
                plan.command_line()
            ));
            build::go_build(&plan, &interrupt)?;
        }
        result => result?,
    }
    if plan.root_guessed {
        name_guessed_binary(&mut plan);
    }
    report.done(&format!(
        "Built {}",
        plan.targets
            .iter()
            .map(|t| format!("bin/{}", t.binary))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    // 5b. The SBOMs, from the binaries' build information.
    let sbom_dir = work.path().join(provenance::SBOM_DIR);
    std::fs::create_dir(&sbom_dir).map_err(|e| Error::io("create", &sbom_dir, e))?;
    if !provenance.formats.is_empty() {
        let staged = provenance::stage_sboms(&plan, &provenance, &sbom_dir)?;
        let names: Vec<String> = staged
            .written
            .iter()
            .map(|w| w.path.display().to_string())
            .collect();
        report.done(&format!("Wrote the SBOMs {}", names.join(", ")));
    }

    // 6. Go's caches keep what this build used, for s2i-save-artifacts.
    if let Some(caches) = caches {
        artifacts::finish(caches, &plan, &mut report);
    }

    // 7. Install: from here on nothing is cancelled half-way.
    interrupt.check()?;
    let installed = install::install(&plan, &app_files, &sbom_dir)?;
    report.done(&format!("Installed into {}", Escaped::new(&plan.app_root)));

    // 8. Summary.
    report.line(&format!(
        "---> Done in {:.2}s with {}",
        report.total_secs(),
        plan.go_version
    ));
    for (path, bytes) in &installed.binaries {
        let role = if *path == installed.run {
            ", also gobinary: s2i-run starts it in src/"
        } else {
            ""
        };
        report.line(&format!(
            "     {} ({}{role})",
            Escaped::new(path),
            MiB(*bytes)
        ));
    }
    Ok(())
}

/// Step 4: asks go what the sources in `build_dir` are and decides the
/// build. With `guess_root`, the root is taken as the main package unless
/// something else is named (see [`BuildPlan::root_guessed`]).
#[allow(clippy::too_many_arguments)]
fn detect_plan(
    src: &Path,
    app_root: &Path,
    artifacts: &Path,
    config: &config::Config,
    kind: Kind,
    mut warnings: Vec<String>,
    go: PathBuf,
    build_dir: &Path,
    work: &Path,
    guess_root: bool,
) -> Result<BuildPlan, Error> {
    let (mut env, mut set_env) = plan::go_env(&config.env, &kind, app_root, work);
    modfile::redirect(&kind, config, &mut env, &mut set_env, build_dir, work)?;
    let go_version = detect::go_version(&go, &env)?;
    let declared = detect::declared(&go, build_dir, &kind, &env, &go_version)?;
    let toolchain_local = env
        .get("GOTOOLCHAIN")
        .is_none_or(|t| t == "local" || t.is_empty());
    if let Some(needs) = declared.go.as_deref() {
        if toolchain_local && !gotool::satisfies(&go_version, needs) {
            let file = if kind == Kind::Workspace {
                "go.work"
            } else {
                "go.mod"
            };
            return Err(Error::GoTooOld {
                file,
                needs: needs.to_string(),
                have: go_version,
            });
        }
    }

    let throwaway_go_mod = (kind == Kind::BareMain).then(|| {
        let (major, minor, _) = gotool::parse_version(&go_version).unwrap_or((1, 21, 0));
        format!("module app\n\ngo {major}.{minor}\n")
    });
    if let Some(go_mod) = &throwaway_go_mod {
        let path = build_dir.join("go.mod");
        std::fs::write(&path, go_mod).map_err(|e| Error::io("write", &path, e))?;
    }

    let named: Option<(TargetSetting, Vec<String>)> = if !config.targets.is_empty() {
        Some((
            TargetSetting::GoTargets,
            detect::source_targets(&config.targets, src, build_dir)?,
        ))
    } else if matches!(kind, Kind::Gopath { .. }) && config.install_url.is_some() {
        Some((
            TargetSetting::InstallUrl,
            detect::default_patterns(&kind, &declared, config),
        ))
    } else {
        None
    };
    let root_guessed = guess_root && named.is_none() && declared.module.is_some();
    let targets = match declared.module.as_deref().filter(|_| root_guessed) {
        Some(module) => vec![Target {
            package: ".".to_string(),
            binary: detect::binary_name(module),
        }],
        None => {
            let patterns = match &named {
                Some((_, patterns)) => patterns.clone(),
                None => detect::default_patterns(&kind, &declared, config),
            };
            let listing_env = cgo::listing_env(&env);
            let (packages, go_warnings) =
                detect::list(&go, build_dir, &patterns, &config.tags, &listing_env)?;
            let named = named.as_ref().map(|(setting, p)| (*setting, p.as_slice()));
            let targets = detect::pick_targets(&packages, &go_warnings, build_dir, named)?;
            let listed = detect::packages_of(&packages, &targets, build_dir);
            cgo::check_targets(&listed, &env, &set_env)?;
            if named.is_none() {
                for package in detect::unloadable(&packages, build_dir) {
                    warnings.push(format!(
                        "go cannot load {}; it is not built: fix what go says (rename the directory)",
                        Escaped::new(&package)
                    ));
                }
            }
            targets
        }
    };
    let several_place = if kind == Kind::Workspace {
        "in the workspace's modules"
    } else {
        "under cmd/"
    };
    let run = pick_run(
        &targets,
        config.run.as_deref(),
        named.is_some(),
        several_place,
    )?;

    let out_dir = work.join("out");
    let go_args = plan::go_build_args(&kind, config, &env, &out_dir, &targets);
    Ok(BuildPlan {
        source: src.to_path_buf(),
        kind,
        go,
        go_version,
        go_required: declared.go,
        build_dir: build_dir.to_path_buf(),
        out_dir,
        targets,
        root_guessed,
        run,
        go_args,
        env,
        set_env,
        settings: config.origins.clone(),
        run_env: config.run_env.clone(),
        throwaway_go_mod,
        app_root: app_root.to_path_buf(),
        artifacts: artifacts.to_path_buf(),
        warnings,
        credentials: Vec::new(),
    })
}

/// After a build of a guessed root: the binary's name as go gave it (the
/// only file in the output directory), in case go named it otherwise than
/// its module path suggested.
fn name_guessed_binary(plan: &mut BuildPlan) {
    let written: Vec<String> = std::fs::read_dir(&plan.out_dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if let [only] = &written[..] {
        plan.targets[0].binary = only.clone();
    }
}

/// The program s2i-run starts: GO_RUN's, else the first named target, else
/// the only main package. Several found mains and no GO_RUN is an error:
/// guessing would start the wrong program.
fn pick_run(
    targets: &[Target],
    run: Option<&str>,
    named: bool,
    place: &'static str,
) -> Result<usize, Error> {
    let Some(run) = run else {
        if targets.len() > 1 && !named {
            return Err(Error::SeveralMains {
                place,
                candidates: targets.iter().map(|t| t.binary.clone()).collect(),
            });
        }
        return Ok(0);
    };
    let bare = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_string();
    targets
        .iter()
        .position(|t| t.binary == run || bare(&t.package) == bare(run))
        .ok_or_else(|| Error::RunNotBuilt {
            run: run.to_string(),
            built: targets.iter().map(|t| t.binary.clone()).collect(),
        })
}

/// `path` made absolute against the current directory, `.`/`..` resolved.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    s2i_common::paths::normalize(&joined)
}

/// The work area: `$APP_ROOT/.s2i-assemble` (same file system as the
/// installed files, so installing is a rename), or a temporary directory
/// for `--dry-run`, which writes nothing under the application root.
///
/// Always the same path, because Go's build cache keys its index of the
/// main module's packages by directory: from the same path, with the
/// sources' own modification times (which the copy keeps), a warm build
/// finds every package indexed, where a new path would make go read each
/// package again and leave two cache entries per package behind.
///
/// The application root is locked (flock on the directory) while the work
/// area exists: two assembles into one application root cannot mix.
struct WorkArea {
    path: PathBuf,
    _lock: Option<Flock<std::fs::File>>,
}

impl WorkArea {
    fn create(app_root: &Path, dry_run: bool) -> Result<WorkArea, Error> {
        let not_writable = |error: io::Error| Error::AppRootNotWritable {
            path: app_root.to_path_buf(),
            error,
        };
        if dry_run {
            let path =
                std::env::temp_dir().join(format!("{WORK_PREFIX}dry-run.{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).map_err(|e| Error::io("create", &path, e))?;
            return Ok(WorkArea { path, _lock: None });
        }
        install::create_dir(app_root).map_err(not_writable)?;
        let dir = std::fs::File::open(app_root).map_err(|e| Error::io("open", app_root, e))?;
        let lock = Flock::lock(dir, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
            let why = if errno == nix::errno::Errno::EWOULDBLOCK {
                io::Error::other("another s2i-assemble is installing into it")
            } else {
                io::Error::from(errno)
            };
            Error::io("lock the application root", app_root, why)
        })?;
        let path = app_root.join(WORK_DIR);
        // Left by a killed s2i-assemble (SIGKILL leaves no chance to clean up).
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).map_err(not_writable)?;
        Ok(WorkArea {
            path,
            _lock: Some(lock),
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkArea {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(names: &[&str]) -> Vec<Target> {
        names
            .iter()
            .map(|n| Target {
                package: format!("./cmd/{n}"),
                binary: n.to_string(),
            })
            .collect()
    }

    const CMD: &str = "under cmd/";

    #[test]
    fn run_choice() {
        assert_eq!(pick_run(&targets(&["api"]), None, false, CMD).unwrap(), 0);
        assert_eq!(
            pick_run(&targets(&["api", "worker"]), Some("worker"), false, CMD).unwrap(),
            1
        );
        assert_eq!(
            pick_run(
                &targets(&["api", "worker"]),
                Some("./cmd/worker"),
                false,
                CMD
            )
            .unwrap(),
            1
        );
        assert_eq!(
            pick_run(&targets(&["api", "worker"]), None, true, CMD).unwrap(),
            0
        );
        assert_eq!(
            pick_run(&targets(&["api", "worker"]), None, false, CMD).unwrap_err().to_string(),
            "several main packages under cmd/ (api, worker): set GO_RUN to the one to start (e.g. GO_RUN=api), or GO_TARGETS to build only some"
        );
        assert_eq!(
            pick_run(&targets(&["api"]), Some("web"), false, CMD).unwrap_err().to_string(),
            "GO_RUN=web names no program that is built (built: api): set GO_RUN to one of them, or add its package to GO_TARGETS"
        );
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert!(absolute(Path::new("out")).is_absolute());
    }
}
