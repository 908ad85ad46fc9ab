//! SPDX 2.3, JSON: one package for the program (with its SHA-256), one
//! per module linked into it (purl, `h1:` hash as SHA-256 and as written in
//! the comment), one for the standard library (purl and CPE, which
//! vulnerability scanners match the Go version by); the program CONTAINS
//! the modules and the standard library and is GENERATED_FROM the main
//! module. Licences are NOASSERTION: the build information holds none.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{hex, id_part, Component, Role, Sbom};

/// The document as pretty-printed JSON (keys sorted), ending in a newline.
pub fn render(sbom: &Sbom) -> String {
    let mut ids = Ids::default();
    let binary_id = ids.take(&format!("SPDXRef-Binary-{}", id_part(&sbom.binary.name)));
    let mut packages = vec![binary_package(sbom, &binary_id)];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", &binary_id)];
    for component in sbom.components() {
        let id = ids.take(&component_id(component));
        packages.push(component_package(sbom, component, &id));
        let kind = if component.role == Role::Main {
            "GENERATED_FROM"
        } else {
            "CONTAINS"
        };
        relationships.push(relationship(&binary_id, kind, &id));
    }
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": sbom.binary.path,
        "documentNamespace": "",
        "creationInfo": {
            "created": "",
            "creators": [format!("Tool: {}", sbom.tool)],
            "comment": format!(
                "From the build information go embedded in {} (go version -m).",
                sbom.binary.path
            ),
        },
        "packages": packages,
        "relationships": relationships,
    });
    // Unique per content, and the same for the same content at any time.
    let digest = hex(&Sha256::digest(document.to_string().as_bytes()));
    document["documentNamespace"] = json!(format!(
        "https://spdx.org/spdxdocs/s2i-go/{}-{}",
        id_part(&sbom.binary.name),
        &digest[..32]
    ));
    document["creationInfo"]["created"] = json!(sbom.created);
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values serialise");
    text.push('\n');
    text
}

fn binary_package(sbom: &Sbom, id: &str) -> Value {
    let platform = match (sbom.setting("GOOS"), sbom.setting("GOARCH")) {
        (Some(os), Some(arch)) => format!(" for {os}/{arch}"),
        _ => String::new(),
    };
    let mut package = json!({
        "SPDXID": id,
        "name": sbom.binary.name,
        "packageFileName": sbom.binary.path,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "checksums": [{"algorithm": "SHA256", "checksumValue": sbom.binary.sha256}],
        "primaryPackagePurpose": "APPLICATION",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "summary": format!(
            "The Go program {}, built with {}{platform}.",
            sbom.main_package, sbom.go_version
        ),
        "comment": sbom.settings_text(),
    });
    if let Some(version) = sbom.main_module.as_ref().and_then(|m| m.version.as_ref()) {
        package["versionInfo"] = json!(version);
    }
    let source_info: Vec<String> = sbom
        .provenance_text()
        .into_iter()
        .chain(sbom.gopath_note().map(str::to_string))
        .collect();
    if !source_info.is_empty() {
        package["sourceInfo"] = json!(source_info.join(" "));
    }
    package
}

fn component_package(sbom: &Sbom, component: &Component, id: &str) -> Value {
    let purpose = match component.role {
        Role::Main => "SOURCE",
        Role::Dependency | Role::Stdlib => "LIBRARY",
    };
    let mut refs = vec![json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": component.purl(),
    })];
    if component.role == Role::Stdlib {
        refs.push(json!({
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": format!(
                "cpe:2.3:a:golang:go:{}:-:*:*:*:*:*:*",
                super::go_release(&sbom.go_version)
            ),
        }));
    }
    let mut package = json!({
        "SPDXID": id,
        "name": component.name(),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": purpose,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "externalRefs": refs,
    });
    if let Some(version) = &component.version {
        package["versionInfo"] = json!(version);
    }
    if let Some(sha256) = component.h1_sha256() {
        package["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": sha256}]);
    }
    let mut comment = Vec::new();
    if let Some(h1) = &component.h1 {
        comment.push(format!(
            "go.sum hash: {h1} (its checksum above is this hash, base64-decoded)."
        ));
    }
    if let Some(note) = &component.note {
        comment.push(note.clone());
    }
    if !comment.is_empty() {
        package["comment"] = json!(comment.join(" "));
    }
    package
}

fn component_id(component: &Component) -> String {
    let kind = match component.role {
        Role::Main => "MainModule",
        Role::Dependency => "Module",
        Role::Stdlib => "Stdlib",
    };
    if component.role == Role::Stdlib {
        return format!(
            "SPDXRef-{kind}-{}",
            id_part(component.version.as_deref().unwrap_or(""))
        );
    }
    let mut id = format!("SPDXRef-{kind}-{}", id_part(&component.path));
    if let Some(version) = &component.version {
        id.push('-');
        id.push_str(&id_part(version));
    }
    id
}

fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({"spdxElementId": from, "relationshipType": kind, "relatedSpdxElement": to})
}

/// Identifiers made unique, in the order they are asked for (which is
/// sorted): the same inputs give the same identifiers.
#[derive(Default)]
struct Ids(BTreeSet<String>);

impl Ids {
    fn take(&mut self, wanted: &str) -> String {
        let mut id = wanted.to_string();
        let mut n = 2;
        while !self.0.insert(id.clone()) {
            id = format!("{wanted}-{n}");
            n += 1;
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::tests::{fixture_go_sum, inputs, recorded_info, recorded_inputs, RECORDED};

    #[test]
    fn documents_of_the_recorded_builds() {
        let sums = fixture_go_sum();
        for case in RECORDED {
            let sbom = Sbom::new(&recorded_info(case), recorded_inputs(case, &sums));
            insta::assert_snapshot!(format!("spdx-{case}"), render(&sbom));
        }
    }

    #[test]
    fn the_namespace_follows_the_content_not_the_time() {
        let sums = fixture_go_sum();
        let info = recorded_info("module-dep");
        let one = render(&Sbom::new(&info, inputs("module-dep", &sums)));
        let mut later = inputs("module-dep", &sums);
        later.created = "2030-01-01T00:00:00Z".into();
        let two = render(&Sbom::new(&info, later));
        let differing: Vec<(&str, &str)> = one
            .lines()
            .zip(two.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            differing,
            [(
                "    \"created\": \"2024-01-02T03:04:05Z\",",
                "    \"created\": \"2030-01-01T00:00:00Z\","
            )]
        );
        let mut other = inputs("module-dep", &sums);
        other.binary.sha256 = "1".repeat(64);
        let three = render(&Sbom::new(&info, other));
        let namespace = |text: &str| {
            text.lines()
                .find(|l| l.contains("documentNamespace"))
                .unwrap()
                .to_string()
        };
        assert_ne!(namespace(&one), namespace(&three));
    }

    #[test]
    fn identifiers_stay_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.take("SPDXRef-Module-a-b"), "SPDXRef-Module-a-b");
        assert_eq!(ids.take("SPDXRef-Module-a-b"), "SPDXRef-Module-a-b-2");
        assert_eq!(ids.take("SPDXRef-Module-a-b"), "SPDXRef-Module-a-b-3");
    }
}
