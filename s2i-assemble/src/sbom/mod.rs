//! An SBOM of one built binary, from its embedded build information
//! ([`BuildInfo`]): pure functions from what go recorded (and what the build
//! knows of its sources) to a document, rendered as SPDX 2.3 JSON
//! ([`spdx`]) and CycloneDX 1.6 JSON ([`cyclonedx`]).
//!
//! What it holds: the program (file name, SHA-256), the main module, every
//! dependency module as it was used (a `replace`d one as its replacement),
//! each with its version and `h1:` hash, the Go standard library of the
//! toolchain, and go's build settings (GOOS, GOARCH, CGO_ENABLED, -tags,
//! -trimpath, ...; -ldflags as s2i-assemble passed it, since go leaves it out
//! of -trimpath builds). Deterministic: components sorted, identifiers
//! derived from names, the only time the creation time (given, from
//! SOURCE_DATE_EPOCH when set).

pub mod cyclonedx;
pub mod spdx;

use std::collections::BTreeMap;

use crate::buildinfo::BuildInfo;

/// The program the document is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// Its file name (`api`).
    pub name: String,
    /// Its path under the application root (`bin/api`).
    pub path: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Where the sources came from, as far as the build knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The repository URL (OPENSHIFT_BUILD_SOURCE, credentials removed).
    pub url: Option<String>,
    /// The commit: go's VCS stamp, else the sources' git, else OPENSHIFT_BUILD_COMMIT.
    pub revision: Option<String>,
    /// Which of those the revision came from.
    pub revision_from: Option<&'static str>,
    /// The branch or tag (OPENSHIFT_BUILD_REFERENCE).
    pub reference: Option<String>,
    /// go's vcs.time and vcs.modified, when it stamped the binary.
    pub commit_time: Option<String>,
    pub modified: Option<bool>,
}

/// What the document is made from, besides the build information.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub binary: Binary,
    pub source: Source,
    /// `-ldflags` as s2i-assemble passed it (go records it only without -trimpath).
    pub ldflags: Option<String>,
    /// `h1:` hashes from the sources' go.sum, for modules whose hash go did
    /// not record (vendored builds): (module path, version) -> hash.
    pub go_sum: &'a BTreeMap<(String, String), String>,
    /// RFC 3339, UTC.
    pub created: String,
    /// `s2i-assemble-0.1.0`.
    pub tool: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The main module: the application's own code.
    Main,
    Dependency,
    /// The Go standard library and runtime of the toolchain.
    Stdlib,
}

/// A Go module linked into the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub role: Role,
    /// The module path as used (a replacement module's own path).
    pub path: String,
    /// None when go knows none: `(devel)`, a directory replacement.
    pub version: Option<String>,
    /// The `h1:` hash.
    pub h1: Option<String>,
    /// A sentence on where it came from, when that is not plain.
    pub note: Option<String>,
}

impl Component {
    /// `pkg:golang/PATH@VERSION`; the standard library is `pkg:golang/stdlib@1.27.3`.
    pub fn purl(&self) -> String {
        let path: Vec<String> = self.path.split('/').map(percent_encode).collect();
        let mut purl = format!("pkg:golang/{}", path.join("/"));
        if let Some(version) = &self.version {
            let version = match self.role {
                Role::Stdlib => go_release(version),
                _ => version.clone(),
            };
            purl.push('@');
            purl.push_str(&percent_encode(&version));
        }
        purl
    }

    /// The hex SHA-256 an `h1:` hash is (base64 of a SHA-256), as syft
    /// writes it: SPDX and CycloneDX have no algorithm called h1.
    pub fn h1_sha256(&self) -> Option<String> {
        let encoded = self.h1.as_deref()?.strip_prefix("h1:")?;
        let bytes = base64_decode(encoded)?;
        (bytes.len() == 32).then(|| hex(&bytes))
    }

    /// The name shown: the module path, `stdlib` for the standard library.
    pub fn name(&self) -> &str {
        &self.path
    }
}

/// A build setting, and whether go recorded it or s2i-assemble adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSetting {
    pub key: String,
    pub value: String,
    pub recorded_by_go: bool,
}

/// One binary's SBOM, format-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    pub binary: Binary,
    /// The main package's import path.
    pub main_package: String,
    /// None in GOPATH mode, where go records no modules.
    pub main_module: Option<Component>,
    /// Sorted by path, then version.
    pub dependencies: Vec<Component>,
    pub stdlib: Component,
    /// As go reports it: `go1.27.3`.
    pub go_version: String,
    pub settings: Vec<BuildSetting>,
    pub source: Source,
    pub created: String,
    pub tool: String,
}

impl Sbom {
    pub fn new(info: &BuildInfo, inputs: Inputs) -> Sbom {
        let gopath_mode = info.main.path.is_empty();
        let main_module = (!gopath_mode).then(|| Component {
            role: Role::Main,
            path: info.main.path.clone(),
            version: real_version(&info.main.version),
            h1: non_empty(&info.main.sum),
            note: None,
        });
        let mut dependencies: Vec<Component> = info
            .deps
            .iter()
            .map(|dep| dependency(dep, inputs.go_sum))
            .collect();
        dependencies.sort_by(|a, b| (&a.path, &a.version).cmp(&(&b.path, &b.version)));

        let mut settings: Vec<BuildSetting> = info
            .settings
            .iter()
            .map(|s| BuildSetting {
                key: s.key.clone(),
                value: s.value.clone(),
                recorded_by_go: true,
            })
            .collect();
        if let Some(ldflags) = inputs
            .ldflags
            .filter(|_| info.setting("-ldflags").is_none())
        {
            settings.push(BuildSetting {
                key: "-ldflags".into(),
                value: ldflags,
                recorded_by_go: false,
            });
        }

        let mut source = inputs.source;
        if let Some(revision) = info.setting("vcs.revision") {
            source.revision = Some(revision.to_string());
            source.revision_from = Some("go's VCS stamp");
            source.commit_time = info.setting("vcs.time").map(str::to_string);
            source.modified = info.setting("vcs.modified").map(|m| m == "true");
        }
        let stdlib = Component {
            role: Role::Stdlib,
            path: "stdlib".into(),
            version: Some(info.go_version.clone()),
            h1: None,
            note: Some(format!(
                "The Go standard library and runtime of the toolchain that built the program ({}).",
                info.go_version
            )),
        };
        Sbom {
            binary: inputs.binary,
            main_package: info.path.clone(),
            main_module,
            dependencies,
            stdlib,
            go_version: info.go_version.clone(),
            settings,
            source,
            created: inputs.created,
            tool: inputs.tool,
        }
    }

    /// A setting go recorded (`GOOS`, `CGO_ENABLED`).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }

    /// The build settings as one text, one `key=value` a line, for formats
    /// without a place for them.
    pub fn settings_text(&self) -> String {
        let mut text = String::from("Go build settings (go version -m):");
        for s in &self.settings {
            text.push_str(&format!("\n{}={}", s.key, s.value));
            if !s.recorded_by_go {
                text.push_str(
                    "  (as s2i-assemble passed it; go does not record it with -trimpath)",
                );
            }
        }
        text
    }

    /// A sentence on where the program came from, if anything is known.
    pub fn provenance_text(&self) -> Option<String> {
        let s = &self.source;
        if s.url.is_none() && s.revision.is_none() && s.reference.is_none() {
            return None;
        }
        let mut text = format!("Built by {} from", self.tool);
        match &s.url {
            Some(url) => text.push_str(&format!(" {url}")),
            None => text.push_str(" its sources"),
        }
        if let Some(reference) = &s.reference {
            text.push_str(&format!(", reference {reference}"));
        }
        if let Some(revision) = &s.revision {
            text.push_str(&format!(", commit {revision}"));
            if let Some(from) = s.revision_from {
                text.push_str(&format!(" (from {from})"));
            }
        }
        if let Some(time) = &s.commit_time {
            text.push_str(&format!(", committed {time}"));
        }
        if s.modified == Some(true) {
            text.push_str(", with uncommitted changes");
        }
        text.push('.');
        Some(text)
    }

    /// Every component: main module, dependencies, standard library.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        self.main_module
            .iter()
            .chain(&self.dependencies)
            .chain(std::iter::once(&self.stdlib))
    }

    /// A note for the main package in GOPATH mode.
    pub fn gopath_note(&self) -> Option<&'static str> {
        self.main_module.is_none().then_some(
            "Built in GOPATH mode: go records no modules, so the packages compiled in from GOPATH \
             or vendor/ are not listed, nor their versions.",
        )
    }
}

fn dependency(
    dep: &crate::buildinfo::Module,
    go_sum: &BTreeMap<(String, String), String>,
) -> Component {
    let from_go_sum = |path: &str, version: &str| {
        go_sum
            .get(&(path.to_string(), version.to_string()))
            .cloned()
    };
    match dep.replace.as_deref() {
        // A directory: its code is part of the sources, with no version.
        Some(to) if is_directory(&to.path) => Component {
            role: Role::Dependency,
            path: dep.path.clone(),
            version: None,
            h1: None,
            note: Some(format!(
                "{} {} is replaced by the directory {} (go.mod's replace): its code comes from the sources.",
                dep.path, dep.version, to.path
            )),
        },
        Some(to) => {
            let (h1, from_sum) = match non_empty(&to.sum) {
                Some(h1) => (Some(h1), false),
                None => (from_go_sum(&to.path, &to.version), true),
            };
            let mut note = format!(
                "Replaces {} {} (go.mod's replace).",
                dep.path, dep.version
            );
            if from_sum && h1.is_some() {
                note.push_str(GO_SUM_NOTE);
            }
            Component {
                role: Role::Dependency,
                path: to.path.clone(),
                version: real_version(&to.version),
                h1,
                note: Some(note),
            }
        }
        None => {
            let version = real_version(&dep.version);
            let (h1, note) = match (non_empty(&dep.sum), &version) {
                (Some(h1), _) => (Some(h1), None),
                (None, Some(version)) => match from_go_sum(&dep.path, version) {
                    Some(h1) => (Some(h1), Some(GO_SUM_NOTE.trim_start().to_string())),
                    None => (None, None),
                },
                (None, None) => (
                    None,
                    Some("A module of the workspace or the sources, with no version.".to_string()),
                ),
            };
            Component {
                role: Role::Dependency,
                path: dep.path.clone(),
                version,
                h1,
                note,
            }
        }
    }
}

const GO_SUM_NOTE: &str =
    " Its h1: hash is from go.sum: go did not record one (a vendored build), and the vendored copy is not checked against it.";

/// A replacement that is a directory (`./x`, `../x`, `/x`), not a module.
fn is_directory(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == ".."
}

fn real_version(version: &str) -> Option<String> {
    (!version.is_empty() && version != "(devel)").then(|| version.to_string())
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// `1.27.3` of `go1.27.3` (and of `go1.27.3 X:boringcrypto`), as vulnerability
/// databases version the standard library.
pub fn go_release(go_version: &str) -> String {
    let first = go_version.split_whitespace().next().unwrap_or(go_version);
    first.strip_prefix("go").unwrap_or(first).to_string()
}

/// The `h1:` lines of go.sum: (module path, version) -> hash (the lines for
/// a module's go.mod alone, `VERSION/go.mod`, are left out).
pub fn parse_go_sum(text: &str) -> BTreeMap<(String, String), String> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (path, version, hash) = (fields.next()?, fields.next()?, fields.next()?);
            (!version.ends_with("/go.mod") && hash.starts_with("h1:"))
                .then(|| ((path.to_string(), version.to_string()), hash.to_string()))
        })
        .collect()
}

/// Percent-encodes what a purl segment may not hold as it is.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 (with padding), as go.sum writes hashes.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let trimmed = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - trimmed.len() > 2 {
        return None;
    }
    let mut out = Vec::new();
    for chunk in trimmed.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// An SPDX identifier's or a bom-ref's safe form of `text`: letters,
/// digits, `.` and `-`.
pub fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// RFC 3339 (UTC, seconds) of a Unix time.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::buildinfo;

    /// The recorded `go version -m -json` outputs (tests/buildinfo/, made
    /// by its record.sh): one of each kind of Go build.
    pub const RECORDED: &[&str] = &[
        "module-dep",
        "replace-module",
        "replace-dir",
        "vendored",
        "workspace",
        "gopath",
        "vcs",
        "cgo",
    ];

    pub fn recorded_info(case: &str) -> BuildInfo {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/buildinfo")
            .join(format!("{case}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        buildinfo::parse_json(&text).unwrap()
    }

    /// The fixtures' go.sum (module-dep's; vendored's is the same).
    pub fn fixture_go_sum() -> BTreeMap<(String, String), String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/vendored/go.sum");
        parse_go_sum(&std::fs::read_to_string(path).unwrap())
    }

    pub fn inputs<'a>(case: &str, go_sum: &'a BTreeMap<(String, String), String>) -> Inputs<'a> {
        Inputs {
            binary: Binary {
                name: case.to_string(),
                path: format!("bin/{case}"),
                sha256: "0".repeat(64),
            },
            source: Source::default(),
            ldflags: Some("-s -w -X main.version=1.0".into()),
            go_sum,
            created: "2024-01-02T03:04:05Z".into(),
            tool: "s2i-assemble-0.0.0".into(),
        }
    }

    /// [`inputs`], and for module-dep a source as OpenShift describes it:
    /// what the recorded builds' documents are rendered from.
    pub fn recorded_inputs<'a>(
        case: &str,
        go_sum: &'a BTreeMap<(String, String), String>,
    ) -> Inputs<'a> {
        let mut inputs = inputs(case, go_sum);
        if case == "module-dep" {
            inputs.source = Source {
                url: Some("https://github.com/example/dep".into()),
                revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
                revision_from: Some("OPENSHIFT_BUILD_COMMIT"),
                reference: Some("main".into()),
                ..Default::default()
            };
        }
        inputs
    }

    #[test]
    fn dependencies_are_what_go_recorded_as_used() {
        let sums = fixture_go_sum();
        let deps = |case: &str| -> Vec<(String, Option<String>, Option<String>)> {
            Sbom::new(&recorded_info(case), inputs(case, &sums))
                .dependencies
                .into_iter()
                .map(|c| (c.path, c.version, c.h1))
                .collect()
        };
        let greeting = |v: &str, h1: &str| {
            (
                "example.com/greeting".to_string(),
                Some(v.to_string()),
                Some(h1.to_string()),
            )
        };
        let v100 = "h1:NYGaNP7rBTvKjT6OGTYWp4kVu/OZsaBM/IhEAVb8tsY=";
        let v110 = "h1:jMTXeis6yu/zBIDE6i1qVIFZwytIdRUsY9KBDhwmUMI=";
        assert_eq!(deps("module-dep"), [greeting("v1.0.0", v100)]);
        assert_eq!(deps("replace-module"), [greeting("v1.1.0", v110)]);
        assert_eq!(
            deps("replace-dir"),
            [("example.com/greeting".to_string(), None, None)]
        );
        // go records no hash for vendored modules: go.sum has it.
        assert_eq!(deps("vendored"), [greeting("v1.0.0", v100)]);
        assert_eq!(
            deps("workspace"),
            [("example.com/workspace/lib".to_string(), None, None)]
        );
        assert!(deps("gopath").is_empty());
    }

    #[test]
    fn gopath_mode_has_no_main_module_and_says_so() {
        let sums = BTreeMap::new();
        let sbom = Sbom::new(&recorded_info("gopath"), inputs("gopath", &sums));
        assert!(sbom.main_module.is_none());
        assert_eq!(sbom.main_package, "github.com/example/legacy");
        assert!(sbom.gopath_note().unwrap().contains("GOPATH mode"));
    }

    #[test]
    fn the_vcs_stamp_is_the_revision_and_the_main_version() {
        let sums = BTreeMap::new();
        let mut inputs = inputs("vcs", &sums);
        inputs.source.revision = Some("from-the-environment".into());
        let sbom = Sbom::new(&recorded_info("vcs"), inputs);
        assert_eq!(
            sbom.source.revision.as_deref(),
            Some("04f88bb353df42a205ed44c93e173485cdc4bba2")
        );
        assert_eq!(
            sbom.source.commit_time.as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        assert_eq!(sbom.source.modified, Some(false));
        assert_eq!(
            sbom.main_module.unwrap().purl(),
            "pkg:golang/example.com/basic@v1.2.3"
        );
    }

    #[test]
    fn ldflags_are_added_only_where_go_did_not_record_them() {
        let sums = BTreeMap::new();
        let sbom = Sbom::new(&recorded_info("module-dep"), inputs("module-dep", &sums));
        let ldflags: Vec<&BuildSetting> = sbom
            .settings
            .iter()
            .filter(|s| s.key == "-ldflags")
            .collect();
        assert_eq!(ldflags.len(), 1);
        assert!(!ldflags[0].recorded_by_go);
        let mut info = recorded_info("module-dep");
        info.settings.push(buildinfo::Setting {
            key: "-ldflags".into(),
            value: "-s".into(),
        });
        let sbom = Sbom::new(&info, super::tests::inputs("module-dep", &sums));
        let ldflags: Vec<&str> = sbom
            .settings
            .iter()
            .filter(|s| s.key == "-ldflags")
            .map(|s| s.value.as_str())
            .collect();
        assert_eq!(ldflags, ["-s"]);
    }

    #[test]
    fn purls_and_hashes() {
        let c = |path: &str, version: Option<&str>, role: Role| Component {
            role,
            path: path.into(),
            version: version.map(str::to_string),
            h1: Some("h1:NYGaNP7rBTvKjT6OGTYWp4kVu/OZsaBM/IhEAVb8tsY=".into()),
            note: None,
        };
        assert_eq!(
            c(
                "github.com/Azure/go-autorest",
                Some("v14.2.0+incompatible"),
                Role::Dependency
            )
            .purl(),
            "pkg:golang/github.com/Azure/go-autorest@v14.2.0%2Bincompatible"
        );
        assert_eq!(
            c("example.com/x", None, Role::Main).purl(),
            "pkg:golang/example.com/x"
        );
        assert_eq!(
            c("stdlib", Some("go1.27.3 X:boringcrypto"), Role::Stdlib).purl(),
            "pkg:golang/stdlib@1.27.3"
        );
        assert_eq!(
            c("x", None, Role::Dependency).h1_sha256().unwrap(),
            "35819a34feeb053bca8d3e8e193616a78915bbf399b1a04cfc88440156fcb6c6"
        );
        assert_eq!(base64_decode("TWFu").unwrap(), b"Man");
        assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
        assert!(base64_decode("TWE").is_none());
        assert!(base64_decode("T!E=").is_none());
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_164_645), "2024-01-02T03:04:05Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn go_sum_lines() {
        let sums =
            parse_go_sum("a.com/x v1.0.0 h1:abc=\na.com/x v1.0.0/go.mod h1:def=\n\nbroken\n");
        assert_eq!(sums.len(), 1);
        assert_eq!(sums[&("a.com/x".into(), "v1.0.0".into())], "h1:abc=");
    }
}
