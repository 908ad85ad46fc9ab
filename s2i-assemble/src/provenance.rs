//! What was built from what, in three hooks of the pipeline:
//!
//! - before the build ([`Settings::prepare_vcs`]): go stamps the commit when
//!   git can read `.git` (`vcs`), and `GO_LDFLAGS`' placeholders are filled
//!   in (`placeholders`);
//! - after it ([`Settings::before_install`]): each binary's build
//!   information is read, and its SBOMs (`sbom`) are staged in the work
//!   area, to be installed with it into `$APP_ROOT/sbom/`;
//! - after the install ([`Settings::after_install`]): the application
//!   image's labels, for s2i (`labels`).
//!
//! Settings (read from go's environment: the process's, `.s2i/environment`,
//! go.toml's `[env]`): `GO_SBOM` picks the formats or turns them off;
//! `SOURCE_DATE_EPOCH` is the creation time (else the build's time);
//! OpenShift's `OPENSHIFT_BUILD_SOURCE`, `OPENSHIFT_BUILD_COMMIT` and
//! `OPENSHIFT_BUILD_REFERENCE` say where the sources came from when go's
//! VCS stamp does not.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use s2i_common::display::Escaped;
use s2i_common::settings::{GO_LDFLAGS, GO_SBOM, SOURCE_DATE_EPOCH};
use sha2::{Digest, Sha256};

use crate::buildinfo::{self, BuildInfo};
use crate::config::Config;
use crate::errors::Error;
use crate::labels;
use crate::placeholders::{self, Template};
use crate::plan::BuildPlan;
use crate::report::Report;
use crate::sbom::{self, cyclonedx, spdx, Sbom};
use crate::vcs::{Stamping, Vcs};

/// Where the SBOMs go, under the application root (and the work area).
pub use s2i_common::paths::SBOM_DIR;

/// One SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Spdx,
    CycloneDx,
}

impl Format {
    /// The file name's ending: `api.spdx.json`, `api.cdx.json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Spdx => "spdx.json",
            Format::CycloneDx => "cdx.json",
        }
    }

    fn render(self, sbom: &Sbom) -> String {
        match self {
            Format::Spdx => spdx::render(sbom),
            Format::CycloneDx => cyclonedx::render(sbom),
        }
    }
}

/// The settings of this stage, read and checked before anything is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Empty: no SBOM.
    pub formats: Vec<Format>,
    /// RFC 3339: SOURCE_DATE_EPOCH's time, else now.
    pub created: String,
    /// Whether `created` came from SOURCE_DATE_EPOCH.
    pub created_fixed: bool,
    /// What OpenShift (and, once looked at, git) says of the sources.
    pub source: sbom::Source,
    /// `GO_LDFLAGS`, read for placeholders.
    pub ldflags: Option<Template>,
}

impl Settings {
    /// Reads and checks the settings of `config` (before anything is written).
    pub fn from_config(config: &Config) -> Result<Settings, Error> {
        let mut settings = Settings::from_env(&config.env)?;
        if let Some(ldflags) = &config.ldflags {
            let template = Template::parse(ldflags).map_err(|why| Error::BadSetting {
                name: GO_LDFLAGS,
                value: ldflags.clone(),
                why,
            })?;
            settings.ldflags = Some(template).filter(|t| !t.names().is_empty());
        }
        Ok(settings)
    }

    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Settings, Error> {
        let formats = match env.get(GO_SBOM).map(|v| v.trim()) {
            None | Some("") => vec![Format::Spdx, Format::CycloneDx],
            Some(value) => parse_formats(value).map_err(|why| Error::BadSetting {
                name: GO_SBOM,
                value: value.to_string(),
                why,
            })?,
        };
        let (created, created_fixed) = match env.get(SOURCE_DATE_EPOCH) {
            Some(value) => {
                let seconds = parse_epoch(value).map_err(|why| Error::BadSetting {
                    name: SOURCE_DATE_EPOCH,
                    value: value.clone(),
                    why,
                })?;
                (sbom::rfc3339(seconds), true)
            }
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                (sbom::rfc3339(now), false)
            }
        };
        let value = |name: &str| {
            env.get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let revision = value("OPENSHIFT_BUILD_COMMIT");
        let source = sbom::Source {
            url: value("OPENSHIFT_BUILD_SOURCE").map(|u| without_credentials(&u)),
            revision_from: revision.as_ref().map(|_| "OPENSHIFT_BUILD_COMMIT"),
            revision,
            reference: value("OPENSHIFT_BUILD_REFERENCE"),
            ..sbom::Source::default()
        };
        Ok(Settings {
            formats,
            created,
            created_fixed,
            source,
            ldflags: None,
        })
    }

    /// Before the build: whether go stamps the commit (and git's
    /// environment for it, into `config`), the commit for the SBOMs and
    /// labels, and `GO_LDFLAGS` with its placeholders filled in.
    /// `in_place`: go builds in `src`, not in a copy without `.git`.
    pub fn prepare_vcs(
        &mut self,
        src: &Path,
        in_place: bool,
        config: &mut Config,
        report: &mut Report,
    ) {
        let vcs = Vcs::probe(src, in_place, &config.env);
        match &vcs.stamping {
            Stamping::On => report.done(
                "go stamps the commit into the binaries (git reads .git; safe.directory for this build only)",
            ),
            Stamping::Off(why) if vcs.found_git_dir() => {
                report.done(&format!("No VCS stamping: {why}"))
            }
            Stamping::Off(_) => {}
        }
        config.env.extend(vcs.git_env.iter().cloned());
        config.stamp_vcs = vcs.stamping == Stamping::On;
        let env_revision = self.source.revision.clone();
        if let Some(facts) = &vcs.facts {
            self.source.revision = Some(facts.commit.clone());
            self.source.revision_from = Some("the sources' git");
        }
        let Some(template) = &self.ldflags else {
            return;
        };
        let names = template.names();
        let short = |c: &String| c.chars().take(12).collect::<String>();
        let commit = vcs
            .facts
            .as_ref()
            .map(|f| f.commit.clone())
            .or(env_revision);
        let reference = self.source.reference.clone().or_else(|| {
            names
                .contains("S2I_GIT_REF")
                .then(|| vcs.reference(&config.env))
                .flatten()
        });
        let version = names
            .contains("S2I_VERSION")
            .then(|| vcs.describe(&config.env))
            .flatten()
            .or_else(|| self.source.reference.clone())
            .or_else(|| commit.as_ref().map(short));
        let date = if self.created_fixed {
            Some(self.created.clone())
        } else {
            vcs.facts
                .as_ref()
                .map(|f| sbom::rfc3339(f.commit_time))
                .or_else(|| Some(self.created.clone()))
        };
        let values = placeholders::Values {
            commit,
            reference,
            version,
            date,
        };
        let (expanded, unknown) = template.expand(&values);
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|n| format!("${{{n}}}")).collect();
            report.warn(&format!(
                "GO_LDFLAGS: nothing here tells {} (no readable .git in the sources, no OPENSHIFT_BUILD_COMMIT or OPENSHIFT_BUILD_REFERENCE): `unknown` is used",
                names.join(", ")
            ));
        }
        config.ldflags = Some(expanded);
    }

    /// After the build: reads each binary's build information (for the
    /// SBOMs and the labels) and writes its SBOMs into `staging`, an empty
    /// folder of the work area; the binaries are still in the plan's
    /// output folder.
    pub fn before_install(
        &self,
        plan: &BuildPlan,
        staging: &Path,
        labels_wanted: bool,
        report: &mut Report,
    ) -> Result<Staged, Error> {
        let mut staged = Staged::default();
        if self.formats.is_empty() && !labels_wanted {
            return Ok(staged);
        }
        let go_sum = read_go_sums(&plan.build_dir);
        let ldflags = effective_ldflags(&plan.go_args, plan.env.get("GOFLAGS").map(String::as_str));
        let work = plan.out_dir.parent().unwrap_or(&plan.out_dir);
        for target in &plan.targets {
            let binary = plan.out_dir.join(&target.binary);
            // The binary is hashed while go reads its build information
            // (inline if no thread is to be had).
            let (info, sha256) = std::thread::scope(|scope| {
                let hashing = (!self.formats.is_empty()).then(|| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, || sha256_of(&binary))
                        .map_err(|_| ())
                });
                let info = buildinfo::read(&plan.go, &plan.go_version, &plan.env, work, &binary);
                let sha256 = hashing.map(|hashing| match hashing {
                    Ok(thread) => thread
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    Err(()) => sha256_of(&binary),
                });
                (info, sha256)
            });
            let info = info?;
            if let Some(sha256) = sha256 {
                let sha256 = sha256.map_err(|e| Error::io("read", &binary, e))?;
                let sbom = Sbom::new(
                    &info,
                    sbom::Inputs {
                        binary: sbom::Binary {
                            name: target.binary.clone(),
                            path: format!("{}/{}", s2i_common::paths::BIN_DIR, target.binary),
                            sha256,
                        },
                        source: self.source.clone(),
                        ldflags: ldflags.clone(),
                        go_sum: &go_sum,
                        created: self.created.clone(),
                        tool: format!("s2i-assemble-{}", env!("CARGO_PKG_VERSION")),
                    },
                );
                for format in &self.formats {
                    let name = format!("{}.{}", target.binary, format.extension());
                    let text = format.render(&sbom);
                    let file = staging.join(&name);
                    fs::write(&file, &text).map_err(|e| Error::io("write", &file, e))?;
                    staged.written.push(Written {
                        path: Path::new(SBOM_DIR).join(&name),
                        sha256: sbom::hex(&Sha256::digest(text.as_bytes())),
                    });
                }
            }
            staged.infos.push(info);
        }
        if !staged.written.is_empty() {
            let names: Vec<String> = staged
                .written
                .iter()
                .map(|w| Escaped::new(&w.path).to_string())
                .collect();
            report.done(&format!("Wrote the SBOMs {}", names.join(", ")));
        }
        Ok(staged)
    }

    /// After the install: the application image's labels into `file`
    /// (merged with what an earlier writer put there). A failure is a
    /// warning: the application is built and installed.
    pub fn after_install(
        &self,
        plan: &BuildPlan,
        staged: &Staged,
        file: &Path,
        report: &mut Report,
    ) {
        let facts = self.label_facts(plan, staged);
        let labels = labels::labels(&facts);
        match write_labels(file, &labels) {
            Ok(()) => report.done(&format!(
                "Wrote {} labels of the application image into {}",
                labels.len(),
                Escaped::new(file)
            )),
            Err(why) => report.warn(&format!(
                "the application image gets no labels from this build: cannot write {}: {why}",
                Escaped::new(file)
            )),
        }
    }

    fn label_facts(&self, plan: &BuildPlan, staged: &Staged) -> labels::Facts {
        let stamped = staged.infos.iter().find_map(|i| i.setting("vcs.revision"));
        let run = plan.run.and_then(|i| staged.infos.get(i));
        let version = run
            .map(|i| i.main.version.clone())
            .filter(|v| !v.is_empty() && v != "(devel)");
        let mut main_packages: Vec<String> = Vec::new();
        for info in &staged.infos {
            if !main_packages.contains(&info.path) {
                main_packages.push(info.path.clone());
            }
        }
        labels::Facts {
            source: self.source.url.clone(),
            revision: stamped
                .map(str::to_string)
                .or_else(|| self.source.revision.clone()),
            version,
            reference: self.source.reference.clone(),
            created: self.created.clone(),
            go_version: plan.go_version.clone(),
            main_packages,
            sboms: staged
                .written
                .iter()
                .map(|w| {
                    (
                        plan.app_root.join(&w.path).display().to_string(),
                        w.sha256.clone(),
                    )
                })
                .collect(),
        }
    }
}

/// Writes the labels file whole (its folder created), keeping the labels
/// an earlier writer put there that these do not set.
fn write_labels(file: &Path, labels: &[(String, String)]) -> Result<(), String> {
    let existing = match fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.to_string()),
    };
    let text = labels::render(existing.as_deref(), labels)
        .map_err(|why| format!("it is there already, and {why}; it is left as it is"))?;
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    s2i_common::atomic::write(file, text.as_bytes(), 0o664).map_err(|e| e.to_string())
}

fn parse_formats(value: &str) -> Result<Vec<Format>, String> {
    if ["off", "false", "none", "0"].contains(&value.to_ascii_lowercase().as_str()) {
        return Ok(Vec::new());
    }
    let mut formats = Vec::new();
    for word in value.split([',', ' ']).filter(|w| !w.is_empty()) {
        let format = match word.to_ascii_lowercase().as_str() {
            "spdx" => Format::Spdx,
            "cyclonedx" | "cdx" => Format::CycloneDx,
            _ => {
                return Err(format!(
                    "{word:?} is no SBOM format; expected spdx, cyclonedx (both comma-separated), or off"
                ))
            }
        };
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    if formats.is_empty() {
        return Err("expected spdx, cyclonedx (both comma-separated), or off".into());
    }
    Ok(formats)
}

/// SOURCE_DATE_EPOCH: a non-negative integer of seconds, as
/// reproducible-builds.org defines it (a malformed one stops the build).
fn parse_epoch(value: &str) -> Result<i64, String> {
    let text = value.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "expected the Unix time in seconds, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)"
                .into(),
        );
    }
    text.parse::<i64>()
        .ok()
        .filter(|s| *s <= 253_402_300_799)
        .ok_or_else(|| "the time is past the year 9999".into())
}

/// `https://user:token@host/x` -> `https://host/x`: a URL with credentials
/// must not end up in an SBOM or a label.
pub fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// An SBOM written for one binary.
#[derive(Debug, Clone)]
pub struct Written {
    /// Under the application root: `sbom/api.spdx.json`.
    pub path: PathBuf,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// What [`Settings::before_install`] found and wrote.
#[derive(Default)]
pub struct Staged {
    pub written: Vec<Written>,
    /// Each binary's build information, in the plan's order of targets.
    pub infos: Vec<BuildInfo>,
}

/// go.sum's hashes (and go.work.sum's), for modules go recorded none of.
fn read_go_sums(build_dir: &Path) -> BTreeMap<(String, String), String> {
    let mut sums = BTreeMap::new();
    for name in ["go.work.sum", "go.sum"] {
        if let Ok(text) = fs::read_to_string(build_dir.join(name)) {
            sums.extend(sbom::parse_go_sum(&text));
        }
    }
    sums
}

/// The `-ldflags` go builds with: the last on the command line, else
/// GOFLAGS's.
pub fn effective_ldflags(go_args: &[String], goflags: Option<&str>) -> Option<String> {
    let mut found = None;
    let mut args = go_args.iter();
    while let Some(arg) = args.next() {
        // go takes `--flag` as `-flag`.
        let arg = if arg.starts_with("--") {
            &arg[1..]
        } else {
            arg.as_str()
        };
        if let Some(value) = arg.strip_prefix("-ldflags=") {
            found = Some(value.to_string());
        } else if arg == "-ldflags" {
            found = args.next().cloned();
        }
    }
    found.or_else(|| {
        goflags?
            .split_whitespace()
            .rev()
            .find_map(|f| f.strip_prefix("-ldflags="))
            .map(str::to_string)
    })
}

/// A binary's SHA-256, read a MiB at a time (`io::copy` from the bare file
/// read 8 KiB at a time: thousands of system calls for a large program).
fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = io::BufReader::with_capacity(1 << 20, fs::File::open(path)?);
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(sbom::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    #[test]
    fn formats_default_to_both_and_turn_off() {
        let formats =
            |value: &str| Settings::from_env(&env(&[("GO_SBOM", value)])).map(|s| s.formats);
        assert_eq!(
            Settings::from_env(&env(&[])).unwrap().formats,
            [Format::Spdx, Format::CycloneDx]
        );
        assert_eq!(formats("spdx").unwrap(), [Format::Spdx]);
        assert_eq!(
            formats(" CycloneDX , spdx").unwrap(),
            [Format::CycloneDx, Format::Spdx]
        );
        assert!(formats("off").unwrap().is_empty());
        assert!(formats("false").unwrap().is_empty());
        assert_eq!(
            formats("spdx,swid").unwrap_err().to_string(),
            "invalid GO_SBOM=\"spdx,swid\": \"swid\" is no SBOM format; expected spdx, cyclonedx (both comma-separated), or off"
        );
    }

    #[test]
    fn source_date_epoch_is_the_creation_time() {
        let s = Settings::from_env(&env(&[("SOURCE_DATE_EPOCH", "1704164645")])).unwrap();
        assert_eq!(s.created, "2024-01-02T03:04:05Z");
        assert!(s.created_fixed);
        for bad in ["", "-1", "1.5", "yesterday", "99999999999999999999"] {
            let e = Settings::from_env(&env(&[("SOURCE_DATE_EPOCH", bad)])).unwrap_err();
            assert!(
                e.to_string().starts_with("invalid SOURCE_DATE_EPOCH="),
                "{e}"
            );
        }
        assert!(!Settings::from_env(&env(&[])).unwrap().created_fixed);
    }

    #[test]
    fn openshift_source_without_credentials() {
        let s = Settings::from_env(&env(&[
            (
                "OPENSHIFT_BUILD_SOURCE",
                "https://bot:s3cr3t@git.example.com/org/app.git",
            ),
            ("OPENSHIFT_BUILD_COMMIT", "abc123"),
            ("OPENSHIFT_BUILD_REFERENCE", "main"),
        ]))
        .unwrap();
        assert_eq!(
            s.source.url.as_deref(),
            Some("https://git.example.com/org/app.git")
        );
        assert_eq!(s.source.revision.as_deref(), Some("abc123"));
        assert_eq!(s.source.revision_from, Some("OPENSHIFT_BUILD_COMMIT"));
        assert_eq!(s.source.reference.as_deref(), Some("main"));
        assert_eq!(
            without_credentials("git@github.com:org/app.git"),
            "git@github.com:org/app.git"
        );
        assert_eq!(without_credentials("ssh://git@host/a@b"), "ssh://host/a@b");
    }

    #[test]
    fn the_ldflags_go_builds_with() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            effective_ldflags(&args(&["build", "-ldflags=-s -w", "-o", "x"]), None).as_deref(),
            Some("-s -w")
        );
        assert_eq!(
            effective_ldflags(&args(&["build", "-ldflags=-s", "-ldflags", "-w"]), None).as_deref(),
            Some("-w")
        );
        assert_eq!(
            effective_ldflags(&args(&["build", "--ldflags=-X a=b"]), None).as_deref(),
            Some("-X a=b")
        );
        assert_eq!(
            effective_ldflags(&args(&["build"]), Some("-mod=mod -ldflags=-s")).as_deref(),
            Some("-s")
        );
        assert_eq!(effective_ldflags(&args(&["build"]), None), None);
    }
}
