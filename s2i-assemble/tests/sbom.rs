//! The SBOMs of real builds: one of each kind of Go source, built by the
//! real s2i-assemble with a hermetic Go. Each SBOM must pass the real
//! validators (pyspdxtools, cyclonedx-python-lib) and list exactly the
//! modules `go version -m` reports for the installed binary.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::Case;

use s2i_tests::go::{fixture_proxy, output_ok};
use s2i_tests::sbom::{require_validators, Validators};

/// A module as go reports it used: (path, version or None, h1 or None).
type Used = (String, Option<String>, Option<String>);

/// What `go version -m -json` says of `binary`: its Go version, its main
/// module and the dependencies as used (a replacement in place of what it
/// replaces; a directory replacement has no version, as go has none).
fn go_reports(case: &Case, binary: &Path) -> (String, Option<String>, BTreeSet<Used>) {
    // The Go on PATH (1.24 or later prints JSON), whichever Go built it.
    let reader = s2i_tests::go::require_go("go version -m -json").expect("a go on PATH");
    let json = output_ok(
        reader
            .command()
            .args(["version", "-m", "-json"])
            .arg(binary)
            .current_dir(case.tmp.path()),
    );
    let info: Value = serde_json::from_str(&json).unwrap();
    let text = |v: &Value| {
        v.as_str()
            .filter(|s| !s.is_empty() && *s != "(devel)")
            .map(str::to_string)
    };
    let mut deps = BTreeSet::new();
    for dep in info["Deps"].as_array().into_iter().flatten() {
        let used = match &dep["Replace"] {
            Value::Null => dep,
            replacement => replacement,
        };
        let path = used["Path"].as_str().unwrap();
        if path.starts_with("./") || path.starts_with("../") || path.starts_with('/') {
            deps.insert((dep["Path"].as_str().unwrap().to_string(), None, None));
        } else {
            deps.insert((path.to_string(), text(&used["Version"]), text(&used["Sum"])));
        }
    }
    let main = text(&info["Main"]["Path"]);
    (info["GoVersion"].as_str().unwrap().to_string(), main, deps)
}

/// The SPDX document's modules (packages with a purl, less the standard
/// library), with the `h1:` hash its comment quotes.
fn spdx_modules(doc: &Value) -> BTreeSet<Used> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["primaryPackagePurpose"] == "LIBRARY" && p["name"] != "stdlib")
        .map(|p| {
            let h1 = p["comment"]
                .as_str()
                .and_then(|c| c.split_whitespace().find(|w| w.starts_with("h1:")))
                .map(str::to_string);
            (
                p["name"].as_str().unwrap().to_string(),
                p["versionInfo"].as_str().map(str::to_string),
                h1,
            )
        })
        .collect()
}

/// The CycloneDX BOM's library components, less the standard library.
fn cyclonedx_modules(bom: &Value) -> BTreeSet<Used> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library" && c["name"] != "stdlib")
        .map(|c| {
            let h1 = c["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == "s2i-go:go.sum:h1")
                .and_then(|p| p["value"].as_str())
                .map(str::to_string);
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().map(str::to_string),
                h1,
            )
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is no JSON: {e}", path.display()))
}

/// Assembles `case`, then checks every installed binary's two SBOMs: valid,
/// listed in the log, the binary's SHA-256, the Go version, and the modules
/// go reports (hashes: go's, or go.sum's where go recorded none). Returns
/// the modules of each binary's SBOM, for the caller's own checks.
fn check_sboms(case: &Case, validators: &Validators, go_sum: Option<&str>) -> Vec<BTreeSet<Used>> {
    let log = case.assemble_ok();
    let mut binaries: Vec<String> = std::fs::read_dir(case.app_root.join("bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    assert!(!binaries.is_empty());
    let written: Vec<String> = binaries
        .iter()
        .flat_map(|b| [format!("sbom/{b}.spdx.json"), format!("sbom/{b}.cdx.json")])
        .collect();
    assert!(
        log.contains(&format!("---> Wrote the SBOMs {} (", written.join(", "))),
        "the log does not list the SBOMs:\n{log}"
    );
    let mut listed: Vec<String> = std::fs::read_dir(case.app_root.join("sbom"))
        .unwrap()
        .map(|e| format!("sbom/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    listed.sort();
    let mut expected = written.clone();
    expected.sort();
    assert_eq!(
        listed, expected,
        "the SBOM folder holds one SPDX and one CycloneDX file a binary"
    );

    let mut all = Vec::new();
    for binary in &binaries {
        let path = case.app_root.join("bin").join(binary);
        let spdx_file = case.app_root.join(format!("sbom/{binary}.spdx.json"));
        let cdx_file = case.app_root.join(format!("sbom/{binary}.cdx.json"));
        validators
            .spdx(&spdx_file)
            .unwrap_or_else(|e| panic!("{e}"));
        validators
            .cyclonedx(&cdx_file)
            .unwrap_or_else(|e| panic!("{e}"));
        let (go_version, main, mut used) = go_reports(case, &path);
        // Where go recorded no hash (vendored builds), the SBOM has go.sum's.
        if let Some(go_sum) = go_sum {
            used = used
                .into_iter()
                .map(|(p, v, h1)| {
                    let h1 = h1.or_else(|| {
                        let version = v.as_deref()?;
                        go_sum.lines().find_map(|l| {
                            let f: Vec<&str> = l.split_whitespace().collect();
                            (f.len() == 3 && f[0] == p && f[1] == version).then(|| f[2].to_string())
                        })
                    });
                    (p, v, h1)
                })
                .collect();
        }
        let spdx = read_json(&spdx_file);
        let cdx = read_json(&cdx_file);
        assert_eq!(
            spdx_modules(&spdx),
            used,
            "SPDX of {binary} vs go version -m"
        );
        assert_eq!(
            cyclonedx_modules(&cdx),
            used,
            "CycloneDX of {binary} vs go version -m"
        );

        let sha256: String = Sha256::digest(std::fs::read(&path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let program = &spdx["packages"][0];
        assert_eq!(program["packageFileName"], format!("bin/{binary}"));
        assert_eq!(program["checksums"][0]["checksumValue"], sha256.as_str());
        assert_eq!(
            cdx["metadata"]["component"]["hashes"][0]["content"],
            sha256.as_str()
        );
        let stdlib = spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "stdlib")
            .expect("a stdlib package");
        assert_eq!(stdlib["versionInfo"], go_version.as_str());
        let main_module = spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["primaryPackagePurpose"] == "SOURCE")
            .and_then(|p| p["name"].as_str())
            .map(str::to_string);
        assert_eq!(main_module, main, "the main module of {binary}");
        all.push(used);
    }
    all
}

fn module_dep_case(test: &str) -> Option<(Case, Validators)> {
    let validators = require_validators(test)?;
    let case = Case::new(test, "module-dep")?;
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    let case = case.env("GOPROXY", &proxy.url());
    Some((case, validators))
}

fn greeting(version: &str, h1: &str) -> Used {
    (
        "example.com/greeting".into(),
        Some(version.into()),
        Some(h1.into()),
    )
}

const V100: &str = "h1:NYGaNP7rBTvKjT6OGTYWp4kVu/OZsaBM/IhEAVb8tsY=";
const V110: &str = "h1:jMTXeis6yu/zBIDE6i1qVIFZwytIdRUsY9KBDhwmUMI=";

#[test]
fn module_with_a_dependency_from_a_proxy() {
    let Some((case, validators)) = module_dep_case("module_with_a_dependency_from_a_proxy") else {
        return;
    };
    let modules = check_sboms(&case, &validators, None);
    assert_eq!(modules, [BTreeSet::from([greeting("v1.0.0", V100)])]);
}

#[test]
fn module_with_a_replace_directive() {
    let Some((case, validators)) = module_dep_case("module_with_a_replace_directive") else {
        return;
    };
    let go_mod = case.src.join("go.mod");
    let text = std::fs::read_to_string(&go_mod).unwrap();
    std::fs::write(
        &go_mod,
        format!("{text}\nreplace example.com/greeting v1.0.0 => example.com/greeting v1.1.0\n"),
    )
    .unwrap();
    let modules = check_sboms(&case, &validators, None);
    assert_eq!(modules, [BTreeSet::from([greeting("v1.1.0", V110)])]);
    let spdx = std::fs::read_to_string(case.app_root.join("sbom/dep.spdx.json")).unwrap();
    assert!(
        spdx.contains("Replaces example.com/greeting v1.0.0 (go.mod's replace)."),
        "{spdx}"
    );
}

#[test]
fn module_with_a_directory_replacement() {
    let Some((case, validators)) = module_dep_case("module_with_a_directory_replacement") else {
        return;
    };
    let local = s2i_tests::fixtures_dir().join("modules/greeting/v1.1.0");
    let into = case.src.join("greeting");
    std::fs::create_dir(&into).unwrap();
    for file in ["go.mod", "greeting.go"] {
        std::fs::copy(local.join(file), into.join(file)).unwrap();
    }
    let go_mod = case.src.join("go.mod");
    let text = std::fs::read_to_string(&go_mod).unwrap();
    std::fs::write(
        &go_mod,
        format!("{text}\nreplace example.com/greeting => ./greeting\n"),
    )
    .unwrap();
    let modules = check_sboms(&case, &validators, None);
    assert_eq!(
        modules,
        [BTreeSet::from([(
            "example.com/greeting".to_string(),
            None,
            None
        )])]
    );
}

#[test]
fn vendored_module() {
    let test = "vendored_module";
    let Some(validators) = require_validators(test) else {
        return;
    };
    let Some(case) = Case::new(test, "vendored") else {
        return;
    };
    let go_sum = std::fs::read_to_string(case.src.join("go.sum")).unwrap();
    let modules = check_sboms(&case, &validators, Some(&go_sum));
    // go records no hash for a vendored module: go.sum's is the SBOM's.
    assert_eq!(modules, [BTreeSet::from([greeting("v1.0.0", V100)])]);
}

#[test]
fn workspace() {
    let test = "workspace";
    let Some(validators) = require_validators(test) else {
        return;
    };
    let Some(case) = Case::new(test, "workspace") else {
        return;
    };
    let modules = check_sboms(&case, &validators, None);
    assert_eq!(
        modules,
        [BTreeSet::from([(
            "example.com/workspace/lib".to_string(),
            None,
            None
        )])]
    );
}

#[test]
fn several_programs_each_have_their_sboms() {
    let test = "several_programs_each_have_their_sboms";
    let Some(validators) = require_validators(test) else {
        return;
    };
    let Some(case) = Case::new(test, "multi-cmd") else {
        return;
    };
    let case = case.env("GO_RUN", "api");
    let modules = check_sboms(&case, &validators, None);
    assert!(modules.len() >= 2, "{modules:?}");
}

/// GOPATH mode: go records no modules at all, so the SBOM holds the
/// program, its package path and the standard library, and says why.
#[test]
fn gopath_mode() {
    let test = "gopath_mode";
    let Some(validators) = require_validators(test) else {
        return;
    };
    let Some(case) = Case::new(test, "gopath-legacy") else {
        return;
    };
    let case = case.env("IMPORT_URL", "github.com/example/legacy");
    let modules = check_sboms(&case, &validators, None);
    assert_eq!(modules, [BTreeSet::new()]);
    let spdx = read_json(&case.app_root.join("sbom/legacy.spdx.json"));
    let program = &spdx["packages"][0];
    assert!(
        program["sourceInfo"]
            .as_str()
            .unwrap()
            .contains("Built in GOPATH mode"),
        "{program}"
    );
    assert!(program["summary"]
        .as_str()
        .unwrap()
        .contains("github.com/example/legacy"));
}

/// GO_SBOM=off: no SBOM, and the earlier build's are gone with its
/// binaries; the folder stays, empty, for chained builds that copy it.
#[test]
fn turned_off_leaves_an_empty_folder() {
    let test = "turned_off_leaves_an_empty_folder";
    let Some(case) = Case::new(test, "module-basic") else {
        return;
    };
    case.assemble_ok();
    assert!(case.app_root.join("sbom/basic.spdx.json").is_file());
    let case = case.env("GO_SBOM", "off");
    let log = case.assemble_ok();
    assert!(!log.contains("SBOM"), "{log}");
    let left: Vec<_> = std::fs::read_dir(case.app_root.join("sbom"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_bad_setting_stops_the_build_before_anything_is_written() {
    let test = "a_bad_setting_stops_the_build_before_anything_is_written";
    for (name, value, message) in [
        (
            "GO_SBOM",
            "spdx,swid",
            "s2i-assemble: invalid GO_SBOM=\"spdx,swid\": \"swid\" is no SBOM format; expected spdx, cyclonedx (both comma-separated), or off",
        ),
        (
            "SOURCE_DATE_EPOCH",
            "yesterday",
            "s2i-assemble: invalid SOURCE_DATE_EPOCH=\"yesterday\": expected the Unix time in seconds, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
        ),
    ] {
        let Some(case) = Case::new(test, "module-basic") else {
            return;
        };
        let case = case.env(name, value);
        let (last, _) = case.assemble_fails();
        assert_eq!(last, message);
        assert!(!case.app_root.exists(), "{name}: the application root was written");
    }
}

/// Go before 1.24 prints the build information only as text: read as Go's
/// debug.ParseBuildInfo reads it, it gives the same SBOM.
#[test]
fn an_old_go_without_json_gives_the_same_sbom() {
    let test = "an_old_go_without_json_gives_the_same_sbom";
    let Some(validators) = require_validators(test) else {
        return;
    };
    let Some(old) = s2i_tests::go::require_old_go(test) else {
        return;
    };
    let case = Case::with_go(old, "vendored");
    let go_sum = std::fs::read_to_string(case.src.join("go.sum")).unwrap();
    let modules = check_sboms(&case, &validators, Some(&go_sum));
    assert_eq!(modules, [BTreeSet::from([greeting("v1.0.0", V100)])]);
    let spdx = read_json(&case.app_root.join("sbom/vendored.spdx.json"));
    let summary = spdx["packages"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("built with go{} for linux/", case.go.version)),
        "{summary}"
    );
}
