//! CycloneDX 1.6, JSON: the program is the BOM's subject
//! (`metadata.component`, with its SHA-256 and go's build settings as
//! properties), each module linked into it and the standard library a
//! component (purl, `h1:` hash as SHA-256), all of which the program
//! depends on. Written beside the SPDX document because some consumers take
//! only CycloneDX (OWASP Dependency-Track), and because it has a place for
//! build settings (properties) that SPDX 2.3 lacks; both come from the same
//! [`Sbom`], so they cannot disagree.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{hex, Component, Role, Sbom};

/// The BOM as pretty-printed JSON (keys sorted), ending in a newline.
pub fn render(sbom: &Sbom) -> String {
    let binary_ref = format!("binary:{}", sbom.binary.path);
    let mut refs = BTreeSet::from([binary_ref.clone()]);
    let mut components = Vec::new();
    for component in sbom.components() {
        let mut bom_ref = component.purl();
        let mut n = 2;
        while !refs.insert(bom_ref.clone()) {
            bom_ref = format!("{}#{n}", component.purl());
            n += 1;
        }
        components.push(component_json(component, &bom_ref));
    }
    let depends_on: Vec<&String> = refs.iter().filter(|r| **r != binary_ref).collect();
    let (tool_name, tool_version) = sbom
        .tool
        .rsplit_once('-')
        .unwrap_or((sbom.tool.as_str(), ""));

    let mut subject = json!({
        "type": "application",
        "bom-ref": binary_ref,
        "name": sbom.binary.name,
        "description": format!(
            "The Go program {} ({}), built with {}.",
            sbom.main_package, sbom.binary.path, sbom.go_version
        ),
        "hashes": [{"alg": "SHA-256", "content": sbom.binary.sha256}],
        "properties": properties(sbom),
    });
    if let Some(version) = sbom.main_module.as_ref().and_then(|m| m.version.as_ref()) {
        subject["version"] = json!(version);
    }
    if let Some(url) = sbom.source.url.as_ref().filter(|u| is_plain_url(u)) {
        subject["externalReferences"] = json!([{"type": "vcs", "url": url}]);
    }

    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": "",
            "tools": {"components": [{
                "type": "application",
                "name": tool_name,
                "version": tool_version,
            }]},
            "component": subject,
        },
        "components": components,
        "dependencies": [
            {"ref": binary_ref, "dependsOn": depends_on},
        ],
    });
    // The same content gives the same serial number, at any time.
    let digest = Sha256::digest(bom.to_string().as_bytes());
    bom["serialNumber"] = json!(format!("urn:uuid:{}", uuid_of(&digest)));
    bom["metadata"]["timestamp"] = json!(sbom.created);
    let mut text = serde_json::to_string_pretty(&bom).expect("JSON values serialise");
    text.push('\n');
    text
}

fn component_json(component: &Component, bom_ref: &str) -> Value {
    let kind = match component.role {
        Role::Main => "application",
        Role::Dependency | Role::Stdlib => "library",
    };
    let mut value = json!({
        "type": kind,
        "bom-ref": bom_ref,
        "name": component.name(),
        "purl": component.purl(),
    });
    if let Some(version) = &component.version {
        value["version"] = json!(version);
    }
    if let Some(sha256) = component.h1_sha256() {
        value["hashes"] = json!([{"alg": "SHA-256", "content": sha256}]);
    }
    let mut properties = Vec::new();
    if let Some(h1) = &component.h1 {
        properties.push(json!({"name": "s2i-go:go.sum:h1", "value": h1}));
    }
    if !properties.is_empty() {
        value["properties"] = json!(properties);
    }
    if let Some(note) = &component.note {
        value["description"] = json!(note);
    }
    value
}

/// go's build settings, then what the build knows of the sources.
fn properties(sbom: &Sbom) -> Vec<Value> {
    let mut properties: Vec<Value> = sbom
        .settings
        .iter()
        .map(|s| json!({"name": format!("s2i-go:build:{}", s.key), "value": s.value}))
        .collect();
    if sbom.settings.iter().any(|s| !s.recorded_by_go) {
        properties.push(json!({
            "name": "s2i-go:build:note",
            "value": "-ldflags is as s2i-assemble passed it: go does not record it with -trimpath",
        }));
    }
    let source = &sbom.source;
    let known = [
        ("s2i-go:source:url", source.url.clone()),
        ("s2i-go:source:revision", source.revision.clone()),
        (
            "s2i-go:source:revision-from",
            source.revision_from.map(str::to_string),
        ),
        ("s2i-go:source:reference", source.reference.clone()),
        ("s2i-go:source:commit-time", source.commit_time.clone()),
        (
            "s2i-go:source:modified",
            source.modified.map(|m| m.to_string()),
        ),
        ("s2i-go:gopath-mode", sbom.gopath_note().map(str::to_string)),
    ];
    for (name, value) in known {
        if let Some(value) = value {
            properties.push(json!({"name": name, "value": value}));
        }
    }
    properties
}

/// A URL CycloneDX's `iri-reference` takes as it is: a scheme, no spaces
/// or control characters.
fn is_plain_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && !rest.is_empty()
    }) && !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// A UUID (version 5 layout) made of the first 16 bytes of a digest.
fn uuid_of(digest: &[u8]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::tests::{fixture_go_sum, inputs, recorded_info, recorded_inputs, RECORDED};

    #[test]
    fn boms_of_the_recorded_builds() {
        let sums = fixture_go_sum();
        for case in RECORDED {
            let sbom = Sbom::new(&recorded_info(case), recorded_inputs(case, &sums));
            insta::assert_snapshot!(format!("cyclonedx-{case}"), render(&sbom));
        }
    }

    #[test]
    fn serial_numbers_are_uuids_of_the_content() {
        let uuid = uuid_of(&[0xff; 32]);
        assert_eq!(uuid, "ffffffff-ffff-5fff-bfff-ffffffffffff");
        let sums = fixture_go_sum();
        let info = recorded_info("vendored");
        let one = render(&Sbom::new(&info, inputs("vendored", &sums)));
        let mut later = inputs("vendored", &sums);
        later.created = "2031-05-06T07:08:09Z".into();
        let two = render(&Sbom::new(&info, later));
        let differing: Vec<(&str, &str)> = one
            .lines()
            .zip(two.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(differing.len(), 1, "{differing:?}");
        assert!(differing[0].0.contains("\"timestamp\""));
    }

    #[test]
    fn only_plain_urls_become_references() {
        assert!(is_plain_url("https://github.com/org/app.git"));
        assert!(is_plain_url("ssh://git@host:2222/app"));
        assert!(!is_plain_url("git@github.com:org/app.git"));
        assert!(!is_plain_url("https://host/a b"));
        assert!(!is_plain_url("/local/path"));
    }
}
