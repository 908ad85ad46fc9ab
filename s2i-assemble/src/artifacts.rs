//! Incremental builds: Go's caches come back from the previous image's
//! artifacts before go first runs, and after the build keep only what it
//! used (or go entirely with `GO_CLEAN_CACHE=true`), for
//! `s2i-save-artifacts` to save. The work itself is in the s2i-cache crate.
//!
//! Nothing here fails a build: doubtful artifacts or a failed prune are
//! warnings, and the worst outcome is a slower, clean build. What an
//! interrupted build restored and did not prune (s2i-cache's `unpruned`
//! notes) is pruned after this one, like what this build restores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use s2i_cache::prune::{self, BuildCacheUse, BuildList, BuildListInputs};
use s2i_cache::{clean, restore, unpruned, CacheDirs};
use s2i_common::display::escaped;

use crate::detect::Kind;
use crate::gotool;
use crate::plan::BuildPlan;
use crate::report::Report;

pub use s2i_common::settings::GO_CLEAN_CACHE;

/// The caches of this build, and what watches the build cache's use.
pub struct Caches {
    dirs: CacheDirs,
    /// Set only when build-cache entries were restored (now or by an
    /// interrupted build): see [`restore`].
    build_use: Option<BuildCacheUse>,
    /// Something was restored (now or by an interrupted build): prune.
    restored: bool,
    /// What is left of the artifacts, being removed while go builds; the
    /// build's end waits for it.
    _clearing: restore::Clearing,
}

/// GOCACHE and GOMODCACHE in go's environment `env`.
pub fn cache_dirs(env: &BTreeMap<String, String>) -> CacheDirs {
    let dir = |name: &str| PathBuf::from(env.get(name).cloned().unwrap_or_default());
    CacheDirs {
        build: dir("GOCACHE"),
        module: dir("GOMODCACHE"),
    }
}

/// Restores the caches from `artifacts` (a directory s2i extracted, or a tar
/// file) into `dirs`, the build's GOCACHE and GOMODCACHE. Stops half-way
/// when `cancelled` says so (a signal): the caller then asks its own, and
/// ends.
pub fn restore(
    artifacts: &Path,
    src: &Path,
    dirs: CacheDirs,
    cancelled: &dyn Fn() -> bool,
    report: &mut Report,
) -> Caches {
    // Announced first, so that the step's time includes the restore.
    if restore::present(artifacts) {
        report.begin(&format!(
            "Restoring build artifacts from {}",
            escaped(artifacts)
        ));
    }
    // What is left of the artifacts goes while go builds, unless go could
    // see it go: artifacts inside the sources (a local `--artifacts`).
    let (restored, clearing) = if inside(artifacts, src) {
        (
            restore::restore_with(artifacts, &dirs, cancelled),
            restore::Clearing::done(),
        )
    } else {
        restore::restore_clearing_in_background(artifacts, &dirs, cancelled)
    };
    let unpruned = !restored.build_entries.is_empty() || restored.module_unpruned;
    let caches = |build_use| Caches {
        dirs: dirs.clone(),
        build_use,
        restored: unpruned,
        _clearing: clearing,
    };
    if restored.cancelled {
        return caches(None);
    }
    for cache in &restored.restored {
        report.line(&format!("     {cache}"));
    }
    for warning in &restored.warnings {
        report.warn(warning);
    }
    let leftover = &restored.leftover;
    if !leftover.is_empty() {
        let mut what = Vec::new();
        if !leftover.build_entries.is_empty() {
            what.push(format!(
                "{} build-cache entries",
                leftover.build_entries.len()
            ));
        }
        if leftover.module {
            what.push("the module cache".to_string());
        }
        report.line(&format!(
            "---> Found what an interrupted build restored and did not prune ({}): pruned after this build",
            what.join(", ")
        ));
    }
    // Refused whole: the warning says so, and that the build is a clean one.
    if !restored.restored.is_empty() {
        report.done("Restored build artifacts");
    }
    // Pruning bounds what comes back from build to build, so it follows a
    // restore only, and looks only at what a restore brought in: entries
    // that were in place (the image's own base cache, a GOCACHE shared with
    // other builds) are not ours to prune.
    let build_use = (!restored.build_entries.is_empty())
        .then(|| BuildCacheUse::begin(&dirs.build, restored.build_entries));
    caches(build_use)
}

/// True when `path` is `dir` or below it (both as they resolve).
fn inside(path: &Path, dir: &Path) -> bool {
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    resolve(path).starts_with(resolve(dir))
}

/// After a successful build: removes the caches (`GO_CLEAN_CACHE=true`) or
/// prunes them to what the build used.
pub fn finish(caches: Caches, plan: &BuildPlan, report: &mut Report) {
    if is_true(plan.env.get(GO_CLEAN_CACHE)) {
        unpruned::forget(&caches.dirs.build);
        unpruned::forget(&caches.dirs.module);
        clean(&caches.dirs, report);
        return;
    }
    let toolchain = toolchain_in_use(plan);
    keep_only_that_toolchain(&caches.dirs.module, toolchain.as_deref(), plan, report);
    if !caches.restored {
        return;
    }
    let mut kept = Vec::new();
    let mut removed = s2i_cache::Size::default();
    match caches.build_use.as_ref().map(BuildCacheUse::prune) {
        Some(Ok(pruned)) => {
            kept.push(format!("build cache {}", pruned.kept));
            removed.add(pruned.removed);
            unpruned::forget(&caches.dirs.build);
        }
        Some(Err(e)) => report.warn(&format!("cannot prune the build cache: {e}")),
        None => unpruned::forget(&caches.dirs.build),
    }
    let inputs = build_list_inputs(plan);
    let module_cache = &caches.dirs.module;
    if inputs.as_ref().is_some_and(|i| i.recorded_in(module_cache)) {
        // The previous build pruned it to the build list of the same go.mod
        // and go.sum: this build needed nothing more, nothing to ask go.
        kept.push("module cache as restored (same go.mod and go.sum)".into());
        unpruned::forget(module_cache);
    } else {
        BuildListInputs::forget(module_cache);
        let list = build_list(plan).map(|mut list| {
            if let Some(version) = &toolchain {
                list.keep_toolchain(version);
            }
            list
        });
        match list {
            Ok(list) => match list.prune(module_cache) {
                Ok(pruned) => {
                    kept.push(format!("module cache {}", pruned.kept));
                    removed.add(pruned.removed);
                    if let Some(inputs) = &inputs {
                        let _ = inputs.record(module_cache);
                    }
                    unpruned::forget(module_cache);
                }
                Err(e) => report.warn(&format!("cannot prune the module cache: {e}")),
            },
            Err(why) => report.warn(&format!("the module cache is kept whole: {why}")),
        }
    }
    if !kept.is_empty() {
        report.done(&format!(
            "Kept what this build used of the restored caches: {}; removed {}",
            kept.join(", "),
            removed
        ));
    }
}

/// `GO_CLEAN_CACHE=true`: removes what Go put into GOCACHE and GOMODCACHE,
/// wherever they are; anything else there stays, with a warning (see
/// [`s2i_cache::clean`]).
fn clean(dirs: &CacheDirs, report: &mut Report) {
    let mut removed = s2i_cache::Size::default();
    let mut left = Vec::new();
    for (name, dir, clean) in [
        (
            "GOCACHE",
            &dirs.build,
            clean::build_cache as fn(&Path) -> std::io::Result<clean::Cleaned>,
        ),
        ("GOMODCACHE", &dirs.module, clean::module_cache),
    ] {
        if dir.as_os_str().is_empty() || dir.as_os_str() == "off" {
            continue;
        }
        match clean(dir) {
            Ok(cleaned) if !cleaned.recognised => report.warn(&format!(
                "GO_CLEAN_CACHE=true left {name}={} as it is: it does not look like Go's {}; \
                 only what Go puts into its caches is removed",
                escaped(dir),
                if name == "GOCACHE" {
                    "build cache (no README from go)"
                } else {
                    "module cache (no cache/download)"
                }
            )),
            Ok(cleaned) => {
                removed.add(cleaned.removed);
                left.extend(cleaned.left.into_iter().map(|p| (name, dir, p)));
            }
            Err(e) => report.warn(&format!("cannot remove Go's caches: {}: {e}", escaped(dir))),
        }
    }
    // An entry of one cache that the other removed (both in one folder).
    left.retain(|(_, _, path)| std::fs::symlink_metadata(path).is_ok());
    for name in ["GOCACHE", "GOMODCACHE"] {
        let mine: Vec<_> = left.iter().filter(|(n, _, _)| *n == name).collect();
        let Some((_, dir, _)) = mine.first() else {
            continue;
        };
        let mut shown: Vec<String> = mine
            .iter()
            .take(3)
            .map(|(_, dir, path)| escaped(path.strip_prefix(dir).unwrap_or(path)).to_string())
            .collect();
        if mine.len() > 3 {
            shown.push("…".into());
        }
        report.warn(&format!(
            "GO_CLEAN_CACHE=true left {} entries in {name}={} that are not Go's ({}): \
             only what Go puts into its caches is removed; point {name} at a folder of its own",
            mine.len(),
            escaped(dir),
            shown.join(", ")
        ));
    }
    report.done(&format!(
        "Removed Go's caches (GO_CLEAN_CACHE=true): {removed}; the next build starts clean"
    ));
}

/// The toolchain go switched to for this build, as the module cache holds
/// it (`v0.0.1-go1.27.3.linux-amd64`), if it does.
fn toolchain_in_use(plan: &BuildPlan) -> Option<String> {
    plan.go_switched.as_ref()?;
    let module_cache = plan.env.get("GOMODCACHE")?;
    s2i_cache::toolchain::cached(Path::new(module_cache), &plan.go_version)
}

/// In a module cache of the application root's: only the toolchain this
/// build ran stays, without its zip (see `s2i_cache::toolchain`), so that
/// the next incremental build downloads nothing and saves no other.
fn keep_only_that_toolchain(
    module_cache: &Path,
    toolchain: Option<&str>,
    plan: &BuildPlan,
    report: &mut Report,
) {
    if !module_cache.starts_with(&plan.app_root) {
        return;
    }
    match s2i_cache::toolchain::keep_only(module_cache, toolchain) {
        Ok(removed) if removed.files > 0 => report.done(&format!(
            "Kept {} in the module cache for the next build (without its zip); removed {removed}",
            toolchain.map_or("no Go toolchain".to_string(), |_| format!(
                "the toolchain {}",
                plan.go_version
            ))
        )),
        Ok(_) => {}
        Err(e) => report.warn(&format!(
            "cannot tidy the Go toolchains in the module cache: {e}"
        )),
    }
}

/// What decides the build list, for a plain module whose go.mod alone
/// decides it (no workspace, vendoring, replacements or `-mod=mod`).
fn build_list_inputs(plan: &BuildPlan) -> Option<BuildListInputs> {
    if !matches!(plan.kind, Kind::Module) {
        return None;
    }
    let goflags = plan.env.get("GOFLAGS").map_or("", String::as_str);
    let gowork = plan.env.get("GOWORK").map_or("", String::as_str);
    if goflags.contains("-mod=mod") || goflags.contains("-modfile") || !matches!(gowork, "" | "off")
    {
        return None;
    }
    BuildListInputs::of(&plan.build_dir, &plan.go_version, &[("GOFLAGS", goflags)])
}

/// The modules the build used: none in GOPATH mode (it does not use the
/// module cache), else what go reports (`go list -m -e all`, `go mod
/// graph`) in the main module's directory, offline (`GOPROXY=off`): the
/// build has downloaded all it needs. `-e`, and a failed graph taken as
/// "keep every go.mod": offline, go cannot read the go.mod files a lazily
/// loading build never downloaded (see s2i-cache's `prune::module_cache`).
/// Like every quick go command, in its own process group, which SIGTERM
/// stops.
fn build_list(plan: &BuildPlan) -> Result<BuildList, String> {
    let module_cache = plan.env.get("GOMODCACHE").map(Path::new);
    let unused = module_cache.is_none_or(s2i_common::tree::is_empty_dir);
    if unused || matches!(plan.kind, Kind::Gopath { .. }) {
        return Ok(BuildList::default());
    }
    let mut env: BTreeMap<String, String> = plan.env.clone();
    env.insert("GOPROXY".into(), "off".into());
    let run = |args: &[&str]| -> Result<String, String> {
        let out =
            gotool::output(&plan.go, args, &plan.build_dir, &env).map_err(|e| e.to_string())?;
        if !out.success {
            return Err(format!(
                "`go {}` failed: {}",
                args.join(" "),
                out.stderr.trim()
            ));
        }
        Ok(out.stdout)
    };
    let list = run(&["list", "-m", "-e", "-f", prune::LIST_FORMAT, "all"])?;
    if list.trim().is_empty() {
        return Err("`go list -m -e all` listed no module".into());
    }
    let graph = run(&["mod", "graph"]).ok();
    Ok(BuildList::parse(&list, graph.as_deref()))
}

/// The shared boolean grammar; config.rs has refused any other word.
fn is_true(value: Option<&String>) -> bool {
    value.and_then(|v| s2i_common::values::boolean(v)) == Some(true)
}
