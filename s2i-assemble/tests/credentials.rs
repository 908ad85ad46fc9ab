//! Credentials and CAs given to the build, offline: what `--dry-run` and
//! the log say about them (by host and kind, never by value), the line a
//! malformed file or variable gets, and what stays out of the application
//! (credential files at the top of the sources, tokens from
//! `.s2i/environment` in the run manifest). The builds that use them
//! against a private host are in `tests/tests/private_modules.rs`.

mod support;

use std::path::Path;
use std::process::Output;

use support::{all, listing, Case};

/// Made up here; every output is searched for them.
const PASSWORD: &str = "pw-made-up-Qz81xRk";
const TOKEN: &str = "tok-made-up-Vb27pLm";

const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIBATAKBggqhkjOPQQDAjAZMRcwFQYDVQQDEw5zMmktZ28g\ndGVzdCBDQTAeFw0yNjEyMDEwMDAwMDBaFw0yNjEyMDIwMDAwMDBaMBkxFzAVBgNV\n-----END CERTIFICATE-----\n";

use s2i_tests::write_files as write;

/// s2i-assemble run in `workdir`, with nothing of the secrets in what it printed.
fn assemble_in(case: &Case, workdir: &Path, args: &[&str]) -> Output {
    let output = case
        .command(args)
        .current_dir(workdir)
        .env("HOME", workdir)
        .output()
        .unwrap();
    let printed = all(&output);
    for secret in [PASSWORD, TOKEN] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    output
}

fn workdir(case: &Case) -> std::path::PathBuf {
    let dir = case.tmp.path().join("workdir");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn last_line(case: &Case, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    case.redact(stderr.lines().last().unwrap_or(""))
}

#[test]
fn dry_run_lists_credentials_by_host_and_kind_and_the_private_patterns() {
    let Some(case) = Case::new(
        "dry_run_lists_credentials_by_host_and_kind_and_the_private_patterns",
        "module-dep",
    ) else {
        return;
    };
    let workdir = workdir(&case);
    write(
        &workdir,
        &[
            (".netrc", &format!("machine proxy.corp.example login ci password {PASSWORD}\n")),
            (
                ".gitconfig",
                &format!("[url \"https://oauth2:{TOKEN}@git.corp.example/\"]\n\tinsteadOf = https://github.com/acme/\n[credential]\n\thelper = store\n"),
            ),
            ("ca/ca.crt", CA),
        ],
    );
    let case = case
        .env("GO_TOKEN_git__corp_example", &format!("ci:{TOKEN}"))
        .env("GO_CA_BUNDLE", "ca/ca.crt")
        .env("GOPRIVATE", "github.com/acme,*.corp.example")
        .env("GOINSECURE", "legacy.corp.example")
        .env(
            "GOPROXY",
            &format!("https://ci:{PASSWORD}@proxy.corp.example/go,direct"),
        );
    let tmpdir = case.tmp.path().join("tmpdir");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let case = case.env("TMPDIR", &tmpdir.display().to_string());
    let output = assemble_in(&case, &workdir, &["--dry-run"]);
    assert!(output.status.success(), "{}", all(&output));
    assert_eq!(
        std::fs::read_dir(&tmpdir).unwrap().count(),
        0,
        "the credentials' directory is removed"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let plan = &stdout[stdout.find("Build plan").unwrap()..];
    let plan = case.redact(plan);
    // The temporary directory's random name.
    let plan: String = plan
        .lines()
        .map(|l| match l.find(".s2i-assemble-credentials.") {
            Some(at) => {
                let rest = &l[at..];
                let end = rest.find('/').unwrap_or(rest.len());
                format!(
                    "{}.s2i-assemble-credentials.[RANDOM]{}\n",
                    &l[..at],
                    &rest[end..]
                )
            }
            None => format!("{l}\n"),
        })
        .collect();
    insta::assert_snapshot!(plan);
    // --dry-run reads the secrets, and empties nothing.
    assert!(std::fs::read_to_string(workdir.join(".netrc"))
        .unwrap()
        .contains(PASSWORD));
}

#[test]
fn malformed_netrc_names_the_file_and_line() {
    let Some(case) = Case::new("malformed_netrc_names_the_file_and_line", "module-basic") else {
        return;
    };
    let workdir = workdir(&case);
    write(
        &workdir,
        &[(".netrc", &format!("machine a.example login x password {PASSWORD}\nmachine git.corp.example login ci password\n"))],
    );
    let output = assemble_in(&case, &workdir, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", all(&output));
    assert_eq!(
        last_line(&case, &output),
        "s2i-assemble: the credential file [TMP]/workdir/.netrc line 2 cannot be used: `password` has no value after it; fix that line where the file comes from (the secret), its values are never shown"
    );
    assert!(!case.app_root.join("bin").exists(), "nothing was built");
}

#[test]
fn malformed_git_credentials_and_gitconfig_name_the_line() {
    let test = "malformed_git_credentials_and_gitconfig_name_the_line";
    let Some(case) = Case::new(test, "module-basic") else {
        return;
    };
    if s2i_tests::require_tool("git", test).is_none() {
        return;
    }
    let workdir = workdir(&case);
    let volume = case.tmp.path().join("volume");
    write(
        &volume,
        &[(
            "git-credentials",
            &format!("https://ci:{TOKEN}@git.corp.example\ngit.corp.example ci {PASSWORD}\n"),
        )],
    );
    let case = case.env("GO_CREDENTIALS_DIR", &volume.display().to_string());
    let output = assemble_in(&case, &workdir, &[]);
    assert_eq!(
        last_line(&case, &output),
        "s2i-assemble: the credential file [TMP]/volume/git-credentials line 2 cannot be used: no URL; a line is an https URL with the user name and token before the host (USER:TOKEN@HOST); fix that line where the file comes from (the secret), its values are never shown"
    );
    std::fs::remove_file(volume.join("git-credentials")).unwrap();
    write(
        &volume,
        &[(
            ".gitconfig",
            &format!(
                "[url \"https://x:{TOKEN}@h/\"]\n\tinsteadOf = https://github.com/\n[broken\n"
            ),
        )],
    );
    let output = assemble_in(&case, &workdir, &[]);
    assert_eq!(
        last_line(&case, &output),
        "s2i-assemble: the credential file [TMP]/volume/.gitconfig line 3 cannot be used: git cannot read it (a bad line); fix that line where the file comes from (the secret), its values are never shown"
    );
}

#[test]
fn unreadable_ca_bundle_and_bad_token_names_are_refused() {
    let test = "unreadable_ca_bundle_and_bad_token_names_are_refused";
    let Some(case) = Case::new(test, "module-basic") else {
        return;
    };
    let workdir = workdir(&case);
    write(
        &workdir,
        &[("ca.crt", "not a certificate\n"), ("cut.crt", &CA[..120])],
    );
    let output = assemble_in(&case, &workdir, &[]);
    assert!(
        output.status.success(),
        "no setting, no check: {}",
        all(&output)
    );
    let with = |name: &str, value: &str| {
        let case = Case::new(test, "module-basic").unwrap().env(name, value);
        let output = assemble_in(&case, &workdir, &[]);
        assert_eq!(output.status.code(), Some(1), "{}", all(&output));
        last_line(&case, &output).replace(&workdir.display().to_string(), "[WORKDIR]")
    };
    assert_eq!(
        with("GO_CA_BUNDLE", "ca.crt"),
        "s2i-assemble: the CA bundle [WORKDIR]/ca.crt (GO_CA_BUNDLE) cannot be used: no certificate in it (expected PEM: -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); GO_CA_BUNDLE names PEM files of CA certificates (-----BEGIN CERTIFICATE-----)"
    );
    assert_eq!(
        with("GO_CA_BUNDLE", "cut.crt"),
        "s2i-assemble: the CA bundle [WORKDIR]/cut.crt line 1 (GO_CA_BUNDLE) cannot be used: a certificate that starts here has no END line; GO_CA_BUNDLE names PEM files of CA certificates (-----BEGIN CERTIFICATE-----)"
    );
    assert!(with("GO_CA_BUNDLE", "missing.crt").contains(
        "missing.crt (GO_CA_BUNDLE) cannot be used: cannot read it: No such file or directory"
    ));
    assert_eq!(
        with("GO_TOKEN_git_corp_", TOKEN),
        "s2i-assemble: GO_TOKEN_git_corp_ cannot be used: `git_corp_` is no host name written as the variable's name takes it; write the host after GO_TOKEN_ with _ for each . and __ for each - (GO_TOKEN_git__corp_example for git-corp.example), and the value as TOKEN or USER:TOKEN"
    );
    assert!(with("GO_CREDENTIALS_DIR", "nowhere").starts_with("s2i-assemble: invalid GO_CREDENTIALS_DIR=\"nowhere\": [WORKDIR]/nowhere is not a directory"));
}

/// Credential files at the top of the sources are never application files;
/// a token committed in .s2i/environment builds, with a warning, and never
/// reaches the run manifest.
#[test]
fn credentials_stay_out_of_the_application() {
    let Some(case) = Case::new("credentials_stay_out_of_the_application", "module-basic") else {
        return;
    };
    write(
        &case.src,
        &[
            (
                ".netrc",
                &format!("machine h.example login ci password {PASSWORD}\n"),
            ),
            (
                ".git-credentials",
                &format!("https://ci:{PASSWORD}@h.example\n"),
            ),
            (".gitconfig", "[core]\n\tautocrlf = false\n"),
            ("templates/index.html", "<p>hi</p>\n"),
            (
                ".s2i/environment",
                &format!("GO_TOKEN_h_example={TOKEN}\nGIN_MODE=release\nNETRC=/x/netrc\n"),
            ),
        ],
    );
    let workdir = workdir(&case);
    let output = assemble_in(&case, &workdir, &[]);
    assert!(output.status.success(), "{}", all(&output));
    assert_eq!(
        listing(&case.app_root.join("src")),
        ["templates/", "templates/index.html"]
    );
    let manifest = case.manifest();
    assert!(manifest.contains("GIN_MODE = \"release\""), "{manifest}");
    assert!(
        !manifest.contains("GO_TOKEN") && !manifest.contains("NETRC"),
        "{manifest}"
    );
    let stderr = case.redact(&String::from_utf8_lossy(&output.stderr));
    assert!(
        stderr.contains("s2i-assemble: warning: GO_TOKEN_h_example is set in the sources (.s2i/environment or .s2i/go.toml): a token committed with the sources is readable by anyone who can read them; give it from a secret instead (README: Private modules)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("s2i-assemble: warning: GO_TOKEN_h_example (from .s2i/environment) is left out of the run manifest: it is a credential, for the build only"),
        "{stderr}"
    );
    for entry in walkdir::WalkDir::new(&case.app_root).into_iter().flatten() {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            for secret in [PASSWORD, TOKEN] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    entry.path().display()
                );
            }
        }
    }
}
