//! The assemble step, in four stages:
//!
//! 1. **inspect** (`inspect`): the sources' top level, the settings, the
//!    credentials, which go; read, never written;
//! 2. **decide** (`decide`): the [`BuildPlan`], from what inspect found and
//!    what go reports. Before go is asked, the sources are checked (the
//!    application's files copied into the work area; the sources copied
//!    whole only for a bare main.go or GOPATH sources), and Go's caches are
//!    restored from the artifacts, so that go works offline from the first
//!    start. `--dry-run` prints the plan and stops;
//! 3. **execute**: `go build` as planned (with a guessed root that is not
//!    a main package, what the plan says comes next: the main packages `go
//!    list -find` finds), Go's caches pruned to what the build used, the
//!    SBOMs, the install as one step (a redo log: see s2i-common's `install`),
//!    the summary;
//! 4. **explain**: any stage's failure is an [`Error`], which `main` prints
//!    as one line that names the problem and the fix (go's own failures
//!    classified by `gofailure`).
//!
//! The work area is removed however the run ends.

use std::path::{Path, PathBuf};

use s2i_common::display::{Escaped, MiB};

use crate::artifacts::{self, Caches};
use crate::build::{self, Interrupt};
use crate::cgo::LeftOut;
use crate::cli::Options;
use crate::credentials;
use crate::decide::{self, Facts, GoEnv, GoSaid, Listing};
use crate::detect;
use crate::errors::Error;
use crate::inspect::{self, Inspected};
use crate::install::{self, Installed};
use crate::labels;
use crate::plan::BuildPlan;
use crate::provenance;
use crate::redact;
use crate::remembered;
use crate::report::Report;
use crate::source;
use crate::toolchain;
use crate::workarea::WorkArea;

pub fn run(options: &Options) -> Result<(), Error> {
    let interrupt =
        Interrupt::install().map_err(|e| Error::io("handle signals in", "/proc/self", e))?;
    // Everything created from here on, by us or by go, is group-writable and
    // never world-writable.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o002));
    let mut report = Report::new();

    // Inspect.
    let mut found = inspect::inspect(options, &mut report)?;

    // Decide: the sources checked, credentials given and caches restored
    // first, then go asked what the plan needs.
    let work = WorkArea::create(&found.app_root, options.dry_run)?;
    if work.finished_interrupted {
        report.done(&format!(
            "Finished the installation an interrupted build left in {}",
            Escaped::new(&found.app_root)
        ));
    }
    let sources = check_sources(&found, &work, &interrupt, &mut report)?;
    let secrets = credentials::give(
        &found.credentials,
        &mut found.config,
        &found.kind,
        &found.app_root,
        work.path(),
        &mut report,
    )?;
    // go stamps the commit where git reads .git; GO_LDFLAGS' placeholders.
    found
        .provenance
        .prepare_vcs(&found.src, sources.in_place, &mut found.config, &mut report);
    interrupt.check()?;
    let targets = detect::source_targets(&found.config.targets, &found.src, &sources.build_dir)?;
    let facts = facts(&found, &sources, &targets, work.path());
    let go_env = decide::go_env(&facts);
    let caches = restore_caches(&found, &go_env, &interrupt, &mut report);
    interrupt.check()?;
    // What the last build's detection found, in the restored build cache.
    let memory = Memory::of(&found, &go_env, &sources);
    let (said, memo) = ask_go(&facts, &go_env, memory)?;
    let decided = |said: &GoSaid| {
        let mut plan = plan_naming_mains_elsewhere(&facts, &go_env, said, memo.listed)?;
        secrets.describe(&found.credentials, &mut plan);
        Ok::<_, Error>(plan)
    };
    let plan = decided(&said)?;
    report_plan(&plan, memo.listed, &mut report);
    if options.dry_run {
        // The plan is what --dry-run is for: not writing it is a failure.
        return s2i_common::stdout::write_all(redact::text(&plan.to_string()).as_bytes())
            .map_err(|e| Error::io("write the plan to", "stdout", e));
    }
    interrupt.check()?;

    // Execute.
    let listed = std::cell::RefCell::new(said.listing.clone());
    let listed_instead = || {
        let listing = list(
            &facts,
            &go_env,
            &decide::fallback_patterns(&facts, &said.declared),
        )?;
        *listed.borrow_mut() = Some(listing.clone());
        decided(&GoSaid {
            listing: Some(listing),
            ..said.clone()
        })
    };
    let plan = go_build(plan, memo.listed, &listed_instead, &interrupt, &mut report)?;
    let labels_file = labels::destination(options.image_metadata.as_deref(), &found.src);
    let (sbom_dir, staged, cgo_left_out) = write_sboms(
        &plan,
        &found.provenance,
        labels_file.is_some(),
        (work.path(), &memo),
        &mut report,
    )?;
    remember(
        &memo,
        listed.borrow().as_ref(),
        cgo_left_out.as_ref(),
        &report,
    );
    finish_caches(caches, &plan, &mut report);
    interrupt.check()?;
    // From here on nothing is cancelled half-way.
    let installed = install::install(&plan, &sources.app_files, &sbom_dir, work.path())?;
    report.done(&format!("Installed into {}", Escaped::new(&plan.app_root)));
    label_image(labels_file, &found, &plan, &staged, &mut report);
    summarize(&report, &plan, &installed);
    Ok(())
}

/// What the last build remembered that this one uses (see `remembered`).
struct Memo {
    /// Where it is kept (`Memory::gocache`, moved here).
    gocache: Option<PathBuf>,
    /// The digest of the listing's inputs, this build's.
    inputs: String,
    /// Detection's listing was the last build's.
    listed: bool,
    /// What cgo being off left out of the last build (`cgo::left_out`).
    cgo_left_out: Option<LeftOut>,
}

/// The sources as the build sees them.
struct Sources {
    /// Where go runs: the sources, or their build copy.
    build_dir: PathBuf,
    /// The application's other files, staged for `$APP_ROOT/src`.
    app_files: PathBuf,
    root_go_files: usize,
    /// See `source::Copied::go_shape`.
    go_shape: u64,
    /// go builds in the sources themselves (where their `.git` is).
    in_place: bool,
}

/// Where what detection decided is remembered between builds (see
/// `remembered`): the build cache when it is in the application root (it
/// is then saved with the artifacts), not for `--dry-run`.
struct Memory {
    gocache: Option<PathBuf>,
    go_shape: u64,
}

impl Memory {
    fn of(found: &Inspected, go_env: &GoEnv, sources: &Sources) -> Memory {
        Memory {
            gocache: go_env
                .env
                .get("GOCACHE")
                .map(PathBuf::from)
                .filter(|gocache| !found.dry_run && gocache.starts_with(&found.app_root)),
            go_shape: sources.go_shape,
        }
    }
}

/// Walks the sources: checked, the application's files copied out (never
/// a credential file), and copied whole only where the build must not
/// write into them.
fn check_sources(
    found: &Inspected,
    work: &WorkArea,
    interrupt: &Interrupt,
    report: &mut Report,
) -> Result<Sources, Error> {
    let src = &found.src;
    let build_copy = detect::build_copy(&found.kind, work.path());
    let in_place = build_copy.is_none();
    let app_files = work.path().join("app-files");
    let leave_out =
        credentials::left_out_of_the_sources(&found.credentials, found.app_root_in_src.as_deref());
    let prepared = source::prepare(
        src,
        build_copy.as_deref(),
        (!found.dry_run).then_some(app_files.as_path()),
        &leave_out,
        &|| interrupt.check(),
    )?;
    for warning in &prepared.warnings {
        report.warn(warning);
    }
    // A repository whose Go module is in a directory of its own: built
    // from the top, go would find no main package, or the wrong one.
    if found.kind == detect::Kind::BareMain
        && prepared.root_go_files == 0
        && !prepared.modules_below.is_empty()
    {
        return Err(Error::ModuleBelowTheTop {
            modules: prepared.modules_below,
        });
    }
    if prepared.go_files == 0 && !found.top.go_mod && !found.top.go_work {
        return Err(Error::NoGoSources {
            src: src.clone(),
            looks_like: prepared.looks_like,
        });
    }
    let build_dir = match build_copy {
        Some(copy) => {
            report.done(&format!("Copied the sources from {}", Escaped::new(src)));
            copy
        }
        None => {
            report.done(&format!(
                "Checked the sources in {} (built in place)",
                Escaped::new(src)
            ));
            std::fs::canonicalize(src).map_err(|e| Error::io("read", src, e))?
        }
    };
    Ok(Sources {
        build_dir,
        app_files,
        root_go_files: prepared.root_go_files,
        go_shape: prepared.go_shape,
        in_place,
    })
}

fn facts<'a>(
    found: &'a Inspected,
    sources: &'a Sources,
    targets: &'a [String],
    work: &'a Path,
) -> Facts<'a> {
    Facts {
        src: &found.src,
        app_root: &found.app_root,
        artifacts: &found.artifacts,
        config: &found.config,
        kind: &found.kind,
        kind_warnings: &found.kind_warnings,
        go: &found.go,
        build_dir: &sources.build_dir,
        work,
        root_go_files: sources.root_go_files,
        targets,
    }
}

/// Go's caches from the artifacts, before go first runs (not for
/// `--dry-run`, which writes nothing). A signal stops a long restore
/// half-way (what it brought in is noted for the next build's prune).
fn restore_caches(
    found: &Inspected,
    go_env: &GoEnv,
    interrupt: &Interrupt,
    report: &mut Report,
) -> Option<Caches> {
    (!found.dry_run).then(|| {
        artifacts::restore(
            &found.artifacts,
            &found.src,
            artifacts::cache_dirs(&go_env.env),
            &|| interrupt.check().is_err(),
            report,
        )
    })
}

/// What the plan needs of go: its version, go.mod's (go.work's) lines and,
/// unless the root is taken as the main package, `go list -find`'s
/// packages, or what the last build's listing found when nothing it
/// depends on changed (see `remembered`). The files go must find first are
/// written here: the go.mod copies of `-mod=mod`, a bare main.go's
/// throwaway go.mod. Returns also what was remembered.
fn ask_go(f: &Facts, go_env: &GoEnv, memory: Memory) -> Result<(GoSaid, Memo), Error> {
    if go_env.copy_go_mod {
        crate::modfile::copy_into(f.build_dir, f.work)?;
    }
    let go_version = detect::go_version(f.go, &go_env.env, f.build_dir)?;
    // A Go too old is named with where it is: the one found may not be
    // the one meant (a fallback install folder; see gotool::find_go).
    let named = |e: Error| e.naming_go(f.go);
    let declared =
        detect::declared(f.go, f.build_dir, f.kind, &go_env.env, &go_version).map_err(named)?;
    let go_switched = toolchain::switched(
        crate::gotool::version_file(f.go).as_deref(),
        &go_version,
        go_env.env.get("GOTOOLCHAIN").map_or("", String::as_str),
        &declared,
        if *f.kind == detect::Kind::Workspace {
            "go.work"
        } else {
            "go.mod"
        },
    );
    decide::go_new_enough(f.kind, &go_env.env, &go_version, &declared).map_err(named)?;
    if let Some(go_mod) = decide::throwaway_go_mod(f.kind, &go_version) {
        let path = f.build_dir.join("go.mod");
        std::fs::write(&path, go_mod).map_err(|e| Error::io("write", &path, e))?;
    }
    let inputs = remembered::digest(f, go_env, &go_version, &declared, memory.go_shape);
    let recalled = memory
        .gocache
        .as_deref()
        .map(|gocache| remembered::recall(gocache, &inputs))
        .unwrap_or_default();
    let memo = Memo {
        gocache: memory.gocache,
        inputs,
        listed: recalled.listing.is_some(),
        cgo_left_out: recalled.cgo_left_out,
    };
    let listing = match (recalled.listing, decide::to_list(f, &declared)) {
        (Some(listing), _) => Some(listing),
        (None, Some(patterns)) => Some(list(f, go_env, &patterns)?),
        (None, None) => None,
    };
    let said = GoSaid {
        go_version,
        go_switched,
        declared,
        listing,
        elsewhere: Vec::new(),
    };
    Ok((said, memo))
}

/// No main package where they are looked for (the root, `cmd/`): the
/// error names those go finds elsewhere in the sources (`./...`), for
/// GO_TARGETS.
fn with_mains_elsewhere(
    error: Error,
    f: &Facts,
    go_env: &GoEnv,
    declared: &detect::Declared,
) -> Error {
    let Error::NoMainPackage { root, .. } = error else {
        return error;
    };
    Error::NoMainPackage {
        root,
        elsewhere: all_main_packages(f, go_env, declared),
    }
}

/// Every main package of the sources (`go list -find` of
/// `detect::everywhere_patterns`), shallowest first; none when go cannot
/// tell.
fn all_main_packages(f: &Facts, go_env: &GoEnv, declared: &detect::Declared) -> Vec<String> {
    list(f, go_env, &detect::everywhere_patterns(f.kind, declared))
        .map(|listing| detect::main_packages(&listing.packages, f.build_dir))
        .unwrap_or_default()
}

/// The plan from what go said, naming in its errors and warnings the main
/// packages outside where they were looked for: when there is none to
/// build, and when several are built and none starts by itself
/// (seaweedfs's ./weed beside cmd/weed-db and cmd/weed-sql). The latter
/// is asked once: a build that recalls detection starts no go for it.
fn plan_naming_mains_elsewhere(
    f: &Facts,
    go_env: &GoEnv,
    said: &GoSaid,
    recalled: bool,
) -> Result<BuildPlan, Error> {
    let plan = decide::plan(f, go_env.clone(), said)
        .map_err(|e| with_mains_elsewhere(e, f, go_env, &said.declared))?;
    if recalled || !decide::undecided_run(&plan) {
        return Ok(plan);
    }
    let elsewhere = decide::mains_elsewhere(&plan, all_main_packages(f, go_env, &said.declared));
    if elsewhere.is_empty() {
        return Ok(plan);
    }
    decide::plan(
        f,
        go_env.clone(),
        &GoSaid {
            elsewhere,
            ..said.clone()
        },
    )
}

/// `go list -find` of `patterns`, with cgo on (see `cgo::listing_env`).
fn list(f: &Facts, go_env: &GoEnv, patterns: &[String]) -> Result<Listing, Error> {
    let env = crate::cgo::listing_env(&go_env.env);
    let (packages, warnings) = detect::list(f.go, f.build_dir, patterns, &f.config.tags, &env)?;
    Ok(Listing { packages, warnings })
}

fn report_plan(plan: &BuildPlan, recalled: bool, report: &mut Report) {
    for warning in &plan.warnings {
        report.warn(warning);
    }
    let packages: Vec<&str> = plan.targets.iter().map(|t| t.package.as_str()).collect();
    let how = if recalled {
        " (as the previous build found them: go.mod, the settings and the .go files' paths are unchanged)"
    } else {
        ""
    };
    report.done(&format!(
        "Detected {}; main package(s): {}; {}{how}",
        plan.kind.in_a_sentence(),
        packages.join(", "),
        plan.go_described()
    ));
    if let Some(note) = &plan.run_note {
        report.done(note);
    }
}

/// `go build` as planned. A guessed root that go says is not a main
/// package (or that has errors) is what the plan foresaw: then the main
/// packages `go list -find` finds are built (`listed_instead`), unless it
/// finds the root itself, whose failure then stands. So too for main
/// packages remembered from the last build (`recalled`), in case a
/// package clause changed in place. Returns the plan that was built.
fn go_build(
    plan: BuildPlan,
    recalled: bool,
    listed_instead: &dyn Fn() -> Result<BuildPlan, Error>,
    interrupt: &Interrupt,
    report: &mut Report,
) -> Result<BuildPlan, Error> {
    create_output_dirs(&plan)?;
    report.begin(&format!(
        "Building with {}: {}",
        plan.go_version,
        plan.command_line()
    ));
    let plan = match build::go_build(&plan, interrupt) {
        Err(failed @ Error::GoFailed { .. })
            if (plan.root_guessed || recalled) && failed.concerns_packages() =>
        {
            let listed = listed_instead()?;
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
            // Which of several programs starts: said once they are known.
            if let Some(note) = listed
                .run_note
                .as_ref()
                .filter(|n| Some(*n) != plan.run_note.as_ref())
            {
                report.done(note);
            }
            let why = if recalled {
                "The main packages the previous build found are not all there"
            } else {
                "The root is not a main package"
            };
            report.begin(&format!(
                "{why}; building with {}: {}",
                listed.go_version,
                listed.command_line()
            ));
            build::go_build(&listed, interrupt)?;
            listed
        }
        result => result.map(|()| plan)?,
    };
    report.done(&format!(
        "Built {}",
        plan.targets
            .iter()
            .map(|t| format!("bin/{}", t.binary))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(plan)
}

/// The output directory, and the caches when they live in the
/// application root.
fn create_output_dirs(plan: &BuildPlan) -> Result<(), Error> {
    for cache in ["GOCACHE", "GOMODCACHE"] {
        if let Some(dir) = plan.env.get(cache).map(PathBuf::from) {
            if dir.starts_with(&plan.app_root) {
                install::create_dir(&dir).map_err(|e| Error::io("create", &dir, e))?;
            }
        }
    }
    install::create_dir(&plan.out_dir).map_err(|e| Error::io("create", &plan.out_dir, e))
}

/// The SBOMs, from the binaries' build information, staged in the work
/// area for the install; the build information is kept for the labels.
/// Beside them, go is asked what cgo being off left out of the build
/// (`cgo::left_out`), unless the last build remembered it (`memo`).
fn write_sboms(
    plan: &BuildPlan,
    settings: &provenance::Settings,
    labels_wanted: bool,
    (work, memo): (&Path, &Memo),
    report: &mut Report,
) -> Result<(PathBuf, provenance::Staged, Option<LeftOut>), Error> {
    std::thread::scope(|scope| {
        let cgo_left_out = scope.spawn(|| crate::cgo::left_out(plan, memo.cgo_left_out.clone()));
        let sbom_dir = work.join(provenance::SBOM_DIR);
        std::fs::create_dir(&sbom_dir).map_err(|e| Error::io("create", &sbom_dir, e))?;
        let staged = settings.before_install(plan, &sbom_dir, labels_wanted, report)?;
        Ok((sbom_dir, staged, cgo_left_out.join().unwrap_or(None)))
    })
}

/// What cgo being off left out of the build, warned of; remembered with
/// detection's listing for the next build when the build cache is
/// saved with the artifacts.
fn remember(
    memo: &Memo,
    listed: Option<&Listing>,
    cgo_left_out: Option<&LeftOut>,
    report: &Report,
) {
    let mut warnings = Vec::new();
    if let Some(found) = cgo_left_out {
        crate::cgo::warn_of_left_out(found, &mut warnings);
    }
    warnings.iter().for_each(|w| report.warn(w));
    if let Some(gocache) = &memo.gocache {
        remembered::remember(gocache, &memo.inputs, listed, cgo_left_out);
    }
}

/// The application image's labels, after the install, for s2i to read.
fn label_image(
    file: Option<PathBuf>,
    found: &Inspected,
    plan: &BuildPlan,
    staged: &provenance::Staged,
    report: &mut Report,
) {
    if let Some(file) = file {
        found.provenance.after_install(plan, staged, &file, report);
    }
}

/// Go's caches keep what this build used, for s2i-save-artifacts.
fn finish_caches(caches: Option<Caches>, plan: &BuildPlan, report: &mut Report) {
    if let Some(caches) = caches {
        artifacts::finish(caches, plan, report);
    }
}

fn summarize(report: &Report, plan: &BuildPlan, installed: &Installed) {
    report.line(&format!(
        "---> Done in {:.2}s with {}",
        report.total_secs(),
        plan.go_version
    ));
    for (path, bytes) in &installed.binaries {
        let role = if Some(path) == installed.run.as_ref() {
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
}
