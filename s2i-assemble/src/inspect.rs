//! Inspect: what the build starts from, read and never written. The
//! sources' top level, where the application root lies against them, the
//! settings, the credentials for go's downloads, the kind of build, the
//! SBOM settings and which go builds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::Options;
use crate::config::{self, Config};
use crate::credentials;
use crate::detect::Kind;
use crate::errors::Error;
use crate::gotool;
use crate::provenance;
use crate::report::Report;
use crate::roots;
use crate::source::{self, TopLevel};

/// What inspect found.
pub struct Inspected {
    /// `--src`, absolute.
    pub src: PathBuf,
    /// `--app-root`, absolute.
    pub app_root: PathBuf,
    /// `--artifacts`, as given.
    pub artifacts: PathBuf,
    pub dry_run: bool,
    pub top: TopLevel,
    /// The application root, when it lies inside the sources (left out of them).
    pub app_root_in_src: Option<PathBuf>,
    pub config: Config,
    pub credentials: credentials::Found,
    pub kind: Kind,
    pub kind_warnings: Vec<String>,
    pub provenance: provenance::Settings,
    /// The go that builds.
    pub go: PathBuf,
}

/// Reads it all; warnings about the settings go to `report`.
pub fn inspect(options: &Options, report: &mut Report) -> Result<Inspected, Error> {
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
    credentials::keep_out_of_the_run_manifest(&found, &mut config, report);
    let (kind, kind_warnings) = Kind::of(&top, &config)?;
    let provenance = provenance::Settings::from_config(&config)?;
    let go = gotool::find_go(&config.env)?;
    if let Some(warning) = gotool::not_on_path(&go, &config.env) {
        report.warn(&warning);
    }
    Ok(Inspected {
        src,
        app_root,
        artifacts: options.artifacts.clone(),
        dry_run: options.dry_run,
        top,
        app_root_in_src,
        config,
        credentials: found,
        kind,
        kind_warnings,
        provenance,
        go,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert!(absolute(Path::new("out")).is_absolute());
    }
}
