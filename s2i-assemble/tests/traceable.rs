//! Traceable builds: go's VCS stamp from a `.git` in the sources (also one
//! of another user), `GO_LDFLAGS`' placeholders, the commit from
//! OpenShift's environment without `.git`, and the application image's
//! labels (`image_metadata.json`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{all, Case};

use s2i_tests::go::output_ok;
use s2i_tests::{git, require_root, require_tool};

/// A made-up credential in the source URL: it must show nowhere.
const SECRET: &str = "s3cr3t-t0ken-4711";
const EPOCH: &str = "1704164645";
const EPOCH_RFC3339: &str = "2024-01-02T03:04:05Z";
/// OpenShift's environment for a build of commit `ENV_COMMIT` of `main`.
const ENV_COMMIT: &str = "feedfacefeedfacefeedfacefeedfacefeedface";

const PROGRAM: &str = r#"package main

import "fmt"

var commit, short, version, ref, date = "none", "none", "none", "none", "none"

func main() {
	fmt.Printf("commit=%s short=%s version=%s ref=%s date=%s\n", commit, short, version, ref, date)
}
"#;

const LDFLAGS: &str = "-X main.commit=${S2I_GIT_COMMIT} -X main.short=${S2I_GIT_SHORT_COMMIT} -X main.version=${S2I_VERSION} -X main.ref=${S2I_GIT_REF} -X main.date=${S2I_BUILD_DATE}";

/// A case whose sources are the program above, module example.com/stamped.
fn stamped_case(test: &str) -> Option<Case> {
    let case = Case::new(test, "")?;
    std::fs::write(
        case.src.join("go.mod"),
        "module example.com/stamped\n\ngo 1.21\n",
    )
    .unwrap();
    std::fs::write(case.src.join("main.go"), PROGRAM).unwrap();
    Some(case)
}

/// Makes the sources a git checkout with one commit tagged v1.2.3 on
/// branch main; returns the commit.
fn commit_sources(src: &Path) -> String {
    git(src, &["init", "-q", "-b", "main"]);
    git(src, &["add", "-A"]);
    git(src, &["commit", "-q", "-m", "the program"]);
    git(src, &["tag", "v1.2.3"]);
    git(src, &["rev-parse", "HEAD"]).trim().to_string()
}

/// `go version -m` of an installed binary, as `key=value` build settings
/// and the main module's version.
fn stamp_of(case: &Case, binary: &str) -> (Vec<String>, String) {
    let json = output_ok(
        case.go
            .command()
            .args(["version", "-m", "-json"])
            .arg(case.app_root.join(binary))
            .current_dir(case.tmp.path()),
    );
    let info: Value = serde_json::from_str(&json).unwrap();
    let settings = info["Settings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{}={}",
                s["Key"].as_str().unwrap_or(""),
                s["Value"].as_str().unwrap_or("")
            )
        })
        .filter(|s| s.starts_with("vcs"))
        .collect();
    (
        settings,
        info["Main"]["Version"].as_str().unwrap_or("").to_string(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn go_at_least(case: &Case, minor: u32) -> bool {
    let mut parts = case.go.version.split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let have: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    major > 1 || have >= minor
}

/// What a file holds, or None: to see that a test left it as it was.
fn state_of(path: &Path) -> Option<(Vec<u8>, std::time::SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((std::fs::read(path).ok()?, meta.modified().ok()?))
}

#[test]
fn a_git_checkout_of_another_user_is_stamped() {
    let test = "a_git_checkout_of_another_user_is_stamped";
    let Some(()) = require_root(test) else {
        return;
    };
    let Some(_) = require_tool("git", test) else {
        return;
    };
    let Some(case) = stamped_case(test) else {
        return;
    };
    let commit = commit_sources(&case.src);
    // The checkout belongs to someone else, as in a build container: git
    // calls it "dubious" and, unhelped, fails go build.
    output_ok(
        Command::new("chown")
            .args(["-R", "12345:12345"])
            .arg(&case.src),
    );
    let git_config = case.src.join(".git/config");
    let config_before = read(&git_config);
    let global_before = [
        PathBuf::from("/etc/gitconfig"),
        case.go.dirs.home.join(".gitconfig"),
        case.go.dirs.home.join(".config/git/config"),
    ]
    .map(|p| (state_of(&p), p));
    let metadata = case.tmp.path().join("s2i/image_metadata.json");
    let case = case
        .env("GO_LDFLAGS", LDFLAGS)
        .env(
            "OPENSHIFT_BUILD_SOURCE",
            &format!("https://bot:{SECRET}@git.example.com/org/stamped.git"),
        )
        .env("SOURCE_DATE_EPOCH", EPOCH)
        // A variable of the user's own for git: safe.directory goes after it.
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "core.quotepath")
        .env("GIT_CONFIG_VALUE_0", "false");
    let out = case.assemble(&["--image-metadata", metadata.to_str().unwrap()]);
    assert!(out.status.success(), "{}", all(&out));
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        log.contains("---> go stamps the commit into the binaries (git reads .git; safe.directory for this build only)"),
        "{log}"
    );

    let (stamp, version) = stamp_of(&case, "bin/stamped");
    assert_eq!(
        stamp,
        [
            "vcs=git".to_string(),
            format!("vcs.revision={commit}"),
            format!("vcs.time={EPOCH_RFC3339}"),
            "vcs.modified=false".to_string(),
        ]
    );
    if go_at_least(&case, 24) {
        assert_eq!(
            version, "v1.2.3",
            "Go 1.24+ takes the main module's version from the tag"
        );
    }
    assert_eq!(
        case.run("bin/stamped"),
        format!(
            "commit={commit} short={} version=v1.2.3 ref=v1.2.3 date={EPOCH_RFC3339}\n",
            &commit[..12]
        )
    );

    let spdx = read(&case.app_root.join("sbom/stamped.spdx.json"));
    assert!(
        spdx.contains(&format!(
            "from https://git.example.com/org/stamped.git, commit {commit} (from go's VCS stamp), committed {EPOCH_RFC3339}."
        )),
        "{spdx}"
    );
    let labels = read(&metadata);
    assert!(
        labels.contains(&format!(
            "\"org.opencontainers.image.revision\": \"{commit}\""
        )),
        "{labels}"
    );
    assert!(
        labels.contains("\"org.opencontainers.image.version\": \"v1.2.3\"")
            || !go_at_least(&case, 24),
        "{labels}"
    );
    assert!(
        labels.contains(
            "\"org.opencontainers.image.source\": \"https://git.example.com/org/stamped.git\""
        ),
        "{labels}"
    );

    // The credential in the URL is nowhere, and nothing was written to any
    // git configuration; the checkout is still the other user's.
    for (what, text) in [
        ("the log", all(&out)),
        ("the SPDX document", spdx),
        (
            "the CycloneDX BOM",
            read(&case.app_root.join("sbom/stamped.cdx.json")),
        ),
        ("the labels", labels),
    ] {
        assert!(
            !text.contains(SECRET),
            "{what} shows the credential:\n{text}"
        );
    }
    assert_eq!(
        read(&git_config),
        config_before,
        "the checkout's .git/config was written"
    );
    for (before, path) in global_before {
        assert_eq!(state_of(&path), before, "{} was written", path.display());
    }
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&case.src).unwrap().uid(), 12345);
    assert!(!case.app_root.join("src/.git").exists());
}

#[test]
fn without_git_the_commit_comes_from_openshift() {
    let test = "without_git_the_commit_comes_from_openshift";
    let Some(case) = stamped_case(test) else {
        return;
    };
    let metadata = case.tmp.path().join("image_metadata.json");
    let case = case
        .env("GO_LDFLAGS", LDFLAGS)
        .env(
            "OPENSHIFT_BUILD_SOURCE",
            "https://git.example.com/org/stamped.git",
        )
        .env("OPENSHIFT_BUILD_COMMIT", ENV_COMMIT)
        .env("OPENSHIFT_BUILD_REFERENCE", "main")
        .env("SOURCE_DATE_EPOCH", EPOCH);
    let out = case.assemble(&["--image-metadata", metadata.to_str().unwrap()]);
    assert!(out.status.success(), "{}", all(&out));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        !log.contains("VCS stamping") && !log.contains("stamps the commit"),
        "no .git, nothing said of stamping: {log}"
    );
    let (stamp, version) = stamp_of(&case, "bin/stamped");
    assert!(stamp.is_empty(), "{stamp:?}");
    assert_eq!(version, "(devel)");
    assert_eq!(
        case.run("bin/stamped"),
        format!(
            "commit={ENV_COMMIT} short={} version=main ref=main date={EPOCH_RFC3339}\n",
            &ENV_COMMIT[..12]
        )
    );
    let spdx = read(&case.app_root.join("sbom/stamped.spdx.json"));
    assert!(
        spdx.contains(&format!(
            "reference main, commit {ENV_COMMIT} (from OPENSHIFT_BUILD_COMMIT)"
        )),
        "{spdx}"
    );

    // The labels, as s2i reads them: a list of objects of strings.
    let text = read(&metadata);
    let file: Value = serde_json::from_str(&text).unwrap();
    let mut size = 0;
    for label in file["labels"].as_array().expect("a labels list") {
        for (name, value) in label.as_object().expect("an object") {
            size += name.len() + value.as_str().expect("a string value").len();
        }
    }
    assert!(size <= 2048, "{size} bytes of labels");
    let shown = text
        .replace(&case.app_root.display().to_string(), "[APP_ROOT]")
        .replace(&format!("go{}", case.go.version), "go[VERSION]");
    let shown = redact_sha256(&shown);
    insta::assert_snapshot!(shown);
}

/// `sha256:HEX` -> `sha256:[SHA256]`: the SBOMs' digests follow the Go version.
fn redact_sha256(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("sha256:") {
        out.push_str(&rest[..i + 7]);
        let hex = rest[i + 7..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count();
        out.push_str("[SHA256]");
        rest = &rest[i + 7 + hex..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_git_dir_without_git_on_path_is_not_stamped_and_the_build_goes_on() {
    let test = "a_git_dir_without_git_on_path_is_not_stamped_and_the_build_goes_on";
    let Some(_) = require_tool("git", test) else {
        return;
    };
    let Some(case) = stamped_case(test) else {
        return;
    };
    commit_sources(&case.src);
    let go_dir = case.go.bin.parent().unwrap().to_path_buf();
    let case = case.env("GO_LDFLAGS", LDFLAGS);
    let out = case.command(&[]).env("PATH", &go_dir).output().unwrap();
    assert!(out.status.success(), "{}", all(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("---> No VCS stamping: a .git, but no git on PATH ("),
        "{stdout}"
    );
    assert!(
        stderr.contains("s2i-assemble: warning: GO_LDFLAGS: nothing here tells ${S2I_GIT_COMMIT}, ${S2I_GIT_SHORT_COMMIT}, ${S2I_VERSION}, ${S2I_GIT_REF} (no readable .git in the sources, no OPENSHIFT_BUILD_COMMIT or OPENSHIFT_BUILD_REFERENCE): `unknown` is used"),
        "{stderr}"
    );
    assert!(case
        .run("bin/stamped")
        .starts_with("commit=unknown short=unknown version=unknown ref=unknown date=20"));
    let (stamp, _) = stamp_of(&case, "bin/stamped");
    assert!(stamp.is_empty(), "{stamp:?}");
}

#[test]
fn an_unreadable_git_dir_is_not_stamped_and_the_build_goes_on() {
    let test = "an_unreadable_git_dir_is_not_stamped_and_the_build_goes_on";
    let Some(_) = require_tool("git", test) else {
        return;
    };
    let Some(case) = stamped_case(test) else {
        return;
    };
    std::fs::create_dir(case.src.join(".git")).unwrap();
    std::fs::write(case.src.join(".git/HEAD"), "not a ref\n").unwrap();
    let out = case.assemble(&[]);
    assert!(out.status.success(), "{}", all(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("---> No VCS stamping: git cannot read .git: "),
        "{stdout}"
    );
    assert!(case.run("bin/stamped").starts_with("commit=none"));
}

#[test]
fn a_misspelt_placeholder_stops_the_build_before_anything_is_written() {
    let test = "a_misspelt_placeholder_stops_the_build_before_anything_is_written";
    let Some(case) = stamped_case(test) else {
        return;
    };
    let case = case.env("GO_LDFLAGS", "-X main.commit=${S2I_GIT_COMIT}");
    let (last, _) = case.assemble_fails();
    assert_eq!(
        last,
        "s2i-assemble: invalid GO_LDFLAGS=\"-X main.commit=${S2I_GIT_COMIT}\": ${S2I_GIT_COMIT} is no placeholder; the placeholders are ${S2I_GIT_COMMIT}, ${S2I_GIT_SHORT_COMMIT}, ${S2I_GIT_REF}, ${S2I_VERSION}, ${S2I_BUILD_DATE}"
    );
    assert!(!case.app_root.exists());
}

/// A local build (`--src` elsewhere than S2I's /tmp/src, no
/// `--image-metadata`) writes no labels into /tmp/.s2i.
#[test]
fn a_local_build_writes_no_image_metadata() {
    let test = "a_local_build_writes_no_image_metadata";
    let Some(case) = stamped_case(test) else {
        return;
    };
    let s2i_file = Path::new("/tmp/.s2i/image_metadata.json");
    let before = state_of(s2i_file);
    let log = case.assemble_ok();
    assert!(!log.contains("labels"), "{log}");
    assert_eq!(
        state_of(s2i_file),
        before,
        "{} was written",
        s2i_file.display()
    );
}

/// A file written before (by a wrapper `assemble`) keeps its labels.
#[test]
fn labels_written_before_are_kept() {
    let test = "labels_written_before_are_kept";
    let Some(case) = stamped_case(test) else {
        return;
    };
    let metadata = case.tmp.path().join("image_metadata.json");
    std::fs::write(&metadata, r#"{"labels": [{"team": "payments"}]}"#).unwrap();
    let out = case.assemble(&["--image-metadata", metadata.to_str().unwrap()]);
    assert!(out.status.success(), "{}", all(&out));
    let file: Value = serde_json::from_str(&read(&metadata)).unwrap();
    let names: Vec<&str> = file["labels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o.as_object().unwrap().keys().map(String::as_str))
        .collect();
    assert_eq!(names[0], "team");
    assert!(names.contains(&"io.openshift.s2i.go.version"), "{names:?}");

    // Not the shape s2i reads: left as it is, with a warning; the build is fine.
    std::fs::write(&metadata, "{\"labels\": 3}").unwrap();
    let out = case.assemble(&["--image-metadata", metadata.to_str().unwrap()]);
    assert!(out.status.success(), "{}", all(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "s2i-assemble: warning: the application image gets no labels from this build: cannot write {}: it is there already, and it has no \"labels\" list; it is left as it is",
            metadata.display()
        )),
        "{stderr}"
    );
    assert_eq!(read(&metadata), "{\"labels\": 3}");
}
