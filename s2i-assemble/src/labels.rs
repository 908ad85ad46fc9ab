//! The labels of the application image. After assemble, the s2i CLI reads
//! `/tmp/.s2i/image_metadata.json` from the build container and applies its
//! labels when it commits the image (source-to-image,
//! pkg/build/strategies/sti: `checkAndGetNewLabels`): the file must be
//! `{"labels": [{"NAME": "VALUE"}, ...]}` with string values, and all the
//! image's labels together (the builder's, s2i's own, these) must stay
//! within s2i's limit of 10240 bytes of names and values, or the build
//! fails. These stay within [`BUDGET`].
//!
//! Only written when asked: by default when the sources are at S2I's
//! `/tmp/src`, else with `--image-metadata FILE`; a local
//! `s2i-assemble --src .` writes nothing into `/tmp/.s2i`.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

/// Where s2i looks for the file in the build container.
pub const S2I_IMAGE_METADATA: &str = "/tmp/.s2i/image_metadata.json";

/// The most bytes (names and values) these labels take: a fifth of s2i's
/// 10240, leaving the rest to the builder image's labels and s2i's own
/// (`io.openshift.s2i.build.*`, a commit message among them).
pub const BUDGET: usize = 2048;

/// The file to write, if any: `--image-metadata FILE`, else S2I's when the
/// sources are where S2I puts them.
pub fn destination(asked: Option<&Path>, src: &Path) -> Option<PathBuf> {
    match asked {
        Some(file) => Some(file.to_path_buf()),
        None => (src == Path::new(s2i_common::paths::DEFAULT_SRC))
            .then(|| PathBuf::from(S2I_IMAGE_METADATA)),
    }
}

/// What the labels say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The repository (OPENSHIFT_BUILD_SOURCE, credentials removed).
    pub source: Option<String>,
    /// The commit: go's VCS stamp, the sources' git, OPENSHIFT_BUILD_COMMIT.
    pub revision: Option<String>,
    /// The main module's version, when go knows one (a VCS tag).
    pub version: Option<String>,
    /// The branch or tag (OPENSHIFT_BUILD_REFERENCE).
    pub reference: Option<String>,
    /// RFC 3339: SOURCE_DATE_EPOCH, else the build's time.
    pub created: String,
    pub go_version: String,
    /// The import paths of the main packages built.
    pub main_packages: Vec<String>,
    /// Each SBOM: its absolute path in the image and its hex SHA-256.
    pub sboms: Vec<(String, String)>,
}

/// The labels, sorted by name, within [`BUDGET`]: the lists (main packages,
/// SBOMs) are cut short, saying how many more there are, when they would
/// not fit.
pub fn labels(facts: &Facts) -> Vec<(String, String)> {
    let mut fixed: Vec<(String, String)> = [
        (
            "org.opencontainers.image.created",
            Some(facts.created.clone()),
        ),
        ("org.opencontainers.image.source", facts.source.clone()),
        ("org.opencontainers.image.revision", facts.revision.clone()),
        ("org.opencontainers.image.version", facts.version.clone()),
        ("org.opencontainers.image.ref.name", facts.reference.clone()),
        (
            "io.openshift.s2i.go.version",
            Some(facts.go_version.clone()),
        ),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_string(), value.filter(|v| !v.is_empty())?)))
    .collect();
    // A value longer than the budget alone (a strange URL) is left out.
    fixed.retain(|(name, value)| name.len() + value.len() <= BUDGET / 4);
    let used: usize = fixed.iter().map(|(n, v)| n.len() + v.len()).sum();
    let sbom_entries: Vec<String> = facts
        .sboms
        .iter()
        .map(|(path, sha256)| format!("{path}@sha256:{sha256}"))
        .collect();
    let lists = [
        ("io.openshift.s2i.go.main-packages", &facts.main_packages),
        ("io.openshift.s2i.go.sbom", &sbom_entries),
    ];
    let mut room = BUDGET.saturating_sub(used);
    let mut labels = fixed;
    for (i, (name, entries)) in lists.iter().enumerate() {
        if entries.is_empty() {
            continue;
        }
        // Each list gets an equal share of what is left, the last all of it.
        let share = room / (lists.len() - i);
        let value = fit(entries, share.saturating_sub(name.len()));
        room = room.saturating_sub(name.len() + value.len());
        labels.push((name.to_string(), value));
    }
    labels.sort();
    labels
}

/// `entries` joined by commas, as many as fit in `room` bytes, then
/// `+N more` for those that do not.
fn fit(entries: &[String], room: usize) -> String {
    let mut value = String::new();
    for (i, entry) in entries.iter().enumerate() {
        let more = entries.len() - i - 1;
        let tail = if more > 0 {
            format!(",+{more} more")
        } else {
            String::new()
        };
        let sep = if value.is_empty() { "" } else { "," };
        if value.len() + sep.len() + entry.len() + tail.len() > room {
            let left = entries.len() - i;
            if value.is_empty() {
                return format!("+{left} more");
            }
            value.push_str(&format!(",+{left} more"));
            return value;
        }
        value.push_str(sep);
        value.push_str(entry);
    }
    value
}

/// The file's content: the labels of `existing` (a file written before,
/// by a wrapper `assemble` say) that these do not set, then these, each its
/// own object. Err when `existing` is not the shape s2i reads.
pub fn render(existing: Option<&str>, labels: &[(String, String)]) -> Result<String, String> {
    let mut kept: Vec<Value> = Vec::new();
    if let Some(text) = existing.filter(|t| !t.trim().is_empty()) {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("it is not JSON: {e}"))?;
        let list = value
            .get("labels")
            .and_then(Value::as_array)
            .ok_or("it has no \"labels\" list")?;
        for item in list {
            let object = item.as_object().ok_or("a label is not an object")?;
            let mut rest = Map::new();
            for (name, value) in object {
                if !value.is_string() {
                    return Err(format!("the label {name:?} is not a string"));
                }
                if !labels.iter().any(|(n, _)| n == name) {
                    rest.insert(name.clone(), value.clone());
                }
            }
            if !rest.is_empty() {
                kept.push(Value::Object(rest));
            }
        }
    }
    kept.extend(labels.iter().map(|(name, value)| json!({ name: value })));
    let mut text =
        serde_json::to_string_pretty(&json!({ "labels": kept })).expect("JSON serialises");
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn facts() -> Facts {
        Facts {
            source: Some("https://github.com/example/app".into()),
            revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
            version: Some("v1.2.3".into()),
            reference: Some("main".into()),
            created: "2024-01-02T03:04:05Z".into(),
            go_version: "go1.27.3".into(),
            main_packages: vec![
                "example.com/app/cmd/api".into(),
                "example.com/app/cmd/worker".into(),
            ],
            sboms: vec![
                ("/opt/app-root/sbom/api.spdx.json".into(), "a".repeat(64)),
                ("/opt/app-root/sbom/api.cdx.json".into(), "b".repeat(64)),
            ],
        }
    }

    #[test]
    fn the_file_s2i_reads() {
        insta::assert_snapshot!(render(None, &labels(&facts())).unwrap());
    }

    #[test]
    fn only_what_is_known() {
        let facts = Facts {
            created: "2024-01-02T03:04:05Z".into(),
            go_version: "go1.27.3".into(),
            ..Facts::default()
        };
        let names: Vec<String> = labels(&facts).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "io.openshift.s2i.go.version",
                "org.opencontainers.image.created"
            ]
        );
    }

    #[test]
    fn many_programs_stay_within_the_budget() {
        let mut facts = facts();
        facts.main_packages = (0..200)
            .map(|i| format!("example.com/app/cmd/program{i}"))
            .collect();
        facts.sboms = (0..400)
            .map(|i| {
                (
                    format!("/opt/app-root/sbom/program{i}.spdx.json"),
                    "c".repeat(64),
                )
            })
            .collect();
        let labels = labels(&facts);
        let size: usize = labels.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert!(size <= BUDGET, "{size}");
        let value = |name: &str| labels.iter().find(|(n, _)| n == name).unwrap().1.clone();
        assert!(
            value("io.openshift.s2i.go.main-packages").starts_with("example.com/app/cmd/program0,")
        );
        assert!(value("io.openshift.s2i.go.main-packages").contains(" more"));
        assert!(value("io.openshift.s2i.go.sbom").ends_with(" more"));
        assert!(value("io.openshift.s2i.go.sbom").contains("program0.spdx.json@sha256:"));
    }

    #[test]
    fn an_earlier_file_is_merged_and_a_foreign_one_refused() {
        let earlier = r#"{"labels": [{"team": "payments", "org.opencontainers.image.version": "old"}, {"tier": "web"}]}"#;
        let text = render(Some(earlier), &labels(&facts())).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let all: Vec<(String, String)> = value["labels"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| {
                o.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            })
            .collect();
        assert!(all.contains(&("team".into(), "payments".into())));
        assert!(all.contains(&("tier".into(), "web".into())));
        assert!(all.contains(&("org.opencontainers.image.version".into(), "v1.2.3".into())));
        assert!(!all.contains(&("org.opencontainers.image.version".into(), "old".into())));
        assert_eq!(
            render(Some("{"), &[]).unwrap_err().split(':').next(),
            Some("it is not JSON")
        );
        assert_eq!(
            render(Some("{\"labels\": 3}"), &[]).unwrap_err(),
            "it has no \"labels\" list"
        );
        assert_eq!(
            render(Some("{\"labels\": [{\"a\": 1}]}"), &[]).unwrap_err(),
            "the label \"a\" is not a string"
        );
    }

    #[test]
    fn written_only_when_asked_or_for_s2i() {
        assert_eq!(
            destination(None, Path::new("/tmp/src")),
            Some(PathBuf::from("/tmp/.s2i/image_metadata.json"))
        );
        assert_eq!(destination(None, Path::new("/home/me/app")), None);
        assert_eq!(
            destination(Some(Path::new("/x/meta.json")), Path::new("/home/me/app")),
            Some(PathBuf::from("/x/meta.json"))
        );
    }
}
