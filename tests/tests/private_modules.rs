//! Private modules end to end, on 127.0.0.1 only: a private git host (`git
//! http-backend` behind HTTPS with basic authentication and a test CA made
//! when it starts) and a private module proxy, reached with credentials
//! given the documented ways: an input secret's `.netrc` in the working
//! directory, a build volume (`GO_CREDENTIALS_DIR`), `GO_TOKEN_<host>`
//! variables, a token in a `.gitconfig`'s `insteadOf` URL. The module path
//! `github.com/acme/private` reaches the host through a `.gitconfig`'s
//! `url.<base>.insteadOf`, as a private GitHub repository would.
//!
//! After every build, successful or not, and after a SIGTERM in the middle
//! of a download, the made-up password and token must be nowhere: not in
//! the application root (caches included), the sources, the working
//! directory, `$HOME`, the temporary directory, the artifacts that
//! `s2i-save-artifacts` streams, or what was printed.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use s2i_tests::go::{require_go, Go, ModuleProxy};
use s2i_tests::loopback::{bare_repo, go_sum_lines, HostOptions, PrivateHost};
use s2i_tests::{output_text as text, require_tool, workspace_bin};

/// Made up here; a leak check greps every output for them.
const PASSWORD: &str = "pw-made-up-7fQ2x9Lw";
const TOKEN: &str = "tok-made-up-K3v8Lq1Zc";
const WRONG: &str = "pw-made-up-wrong-Hx4";

const MODULE: &str = "github.com/acme/private";
const MODULE_FILES: &[(&str, &str)] = &[
    ("go.mod", "module github.com/acme/private\n\ngo 1.21\n"),
    (
        "private.go",
        "package private\n\nfunc Hello() string { return \"hello from private\" }\n",
    ),
];

/// One build's world: the host, the sources that need its module, an
/// application root whose `src/` is the working directory (and `$HOME`),
/// as in the image, where an input secret lands.
struct World {
    go: Go,
    tmp: tempfile::TempDir,
    src: PathBuf,
    app_root: PathBuf,
    workdir: PathBuf,
    /// s2i-assemble's TMPDIR: must be empty after it.
    tmpdir: PathBuf,
    host: PrivateHost,
    env: Vec<(String, String)>,
    started: SystemTime,
}

impl World {
    /// The git host (and a proxy of the same module), accepting `logins`.
    fn new(test: &str, logins: &[(&str, &str)], proxy_has_module: bool) -> Option<World> {
        let go = require_go(test)?;
        require_tool("git", test)?;
        let tmp = tempfile::tempdir().unwrap();
        let repos = tmp.path().join("repos");
        bare_repo(&repos, "acme/private", MODULE_FILES, "v1.0.0");
        let proxy = tmp.path().join("proxy");
        std::fs::create_dir_all(&proxy).unwrap();
        if proxy_has_module {
            let source = tmp.path().join("module");
            for (path, text) in MODULE_FILES {
                std::fs::create_dir_all(&source).unwrap();
                std::fs::write(source.join(path), text).unwrap();
            }
            ModuleProxy::build(&proxy, &[(MODULE, "v1.0.0", &source)]).unwrap();
        }
        let host = PrivateHost::start(
            &go,
            &HostOptions {
                git_root: Some(repos),
                proxy_root: Some(proxy),
                logins: logins
                    .iter()
                    .map(|(u, p)| (u.to_string(), p.to_string()))
                    .collect(),
                ..HostOptions::default()
            },
        );
        let src = tmp.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            src.join("go.mod"),
            format!("module example.com/app\n\ngo 1.21\n\nrequire {MODULE} v1.0.0\n"),
        )
        .unwrap();
        std::fs::write(
            src.join("go.sum"),
            go_sum_lines(&go, MODULE, "v1.0.0", MODULE_FILES),
        )
        .unwrap();
        std::fs::write(
            src.join("main.go"),
            format!("package main\n\nimport \"{MODULE}\"\n\nfunc main() {{ println(private.Hello()) }}\n"),
        )
        .unwrap();
        let app_root = tmp.path().join("app-root");
        let workdir = app_root.join("src");
        std::fs::create_dir_all(&workdir).unwrap();
        let tmpdir = tmp.path().join("tmpdir");
        std::fs::create_dir_all(&tmpdir).unwrap();
        Some(World {
            go,
            tmp,
            src,
            app_root,
            workdir,
            tmpdir,
            host,
            env: vec![("GOPRIVATE".into(), "github.com/acme".into())],
            started: SystemTime::now(),
        })
    }

    fn env(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    /// An input secret's file in the working directory: mode 0666, as
    /// OpenShift copies it.
    fn input_secret(&self, name: &str, text: &str) -> PathBuf {
        let path = self.workdir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        path
    }

    /// A `.gitconfig` that sends `https://github.com/` to the host (with
    /// `userinfo@` in the URL when given).
    fn rewrite(&self, userinfo: &str) -> String {
        format!(
            "[url \"https://{userinfo}127.0.0.1:{}/git/\"]\n\tinsteadOf = https://github.com/\n",
            self.host.port
        )
    }

    fn command(&self) -> Command {
        let mut command = Command::new(workspace_bin("s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("GOMODCACHE")
            .env_remove("APP_ROOT")
            .env("HOME", &self.workdir)
            .env("TMPDIR", &self.tmpdir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.workdir)
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(&self.app_root)
            .arg("--artifacts")
            .arg(self.tmp.path().join("no-artifacts"));
        command
    }

    fn assemble(&self) -> Output {
        let output = self.command().output().expect("s2i-assemble starts");
        self.assert_nothing_leaked(&output);
        output
    }

    fn assemble_ok(&self) -> String {
        let output = self.assemble();
        assert!(
            output.status.success(),
            "s2i-assemble failed:\n{}",
            text(&output)
        );
        let run = Command::new(self.app_root.join("gobinary"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stderr), "hello from private\n");
        text(&output)
    }

    /// Expects exit 1; returns s2i-assemble's last line.
    fn assemble_fails(&self) -> String {
        let output = self.assemble();
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr
            .lines()
            .last()
            .unwrap_or("")
            .replace(&self.host.port.to_string(), "[PORT]")
    }

    /// The password and token appear nowhere a build leaves them.
    fn assert_nothing_leaked(&self, output: &Output) {
        let mut places = vec![
            ("stdout".to_string(), output.stdout.clone()),
            ("stderr".to_string(), output.stderr.clone()),
        ];
        let save = Command::new(workspace_bin("s2i-save-artifacts"))
            .env("APP_ROOT", &self.app_root)
            .env_remove("S2I_GO_BASE_CACHE")
            .output()
            .unwrap();
        assert!(save.status.success(), "{}", text(&save));
        places.push(("the artifacts stream".to_string(), save.stdout));
        let mut roots = vec![
            self.app_root.clone(),
            self.src.clone(),
            self.tmpdir.clone(),
            self.go.dirs.gopath.clone(),
            self.go.dirs.home.clone(),
        ];
        roots.dedup();
        for root in &roots {
            for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
                if entry.file_type().is_file() {
                    let bytes = std::fs::read(entry.path()).unwrap_or_default();
                    places.push((entry.path().display().to_string(), bytes));
                }
            }
        }
        // What go wrote into the shared build cache during this test.
        for entry in walkdir::WalkDir::new(&self.go.dirs.gocache)
            .into_iter()
            .flatten()
        {
            let new = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| t >= self.started);
            if new && entry.file_type().is_file() {
                let bytes = std::fs::read(entry.path()).unwrap_or_default();
                places.push((entry.path().display().to_string(), bytes));
            }
        }
        let mut leaks = Vec::new();
        for (place, bytes) in &places {
            for secret in [PASSWORD, TOKEN, WRONG] {
                if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                    leaks.push(format!("{secret} in {place}"));
                }
            }
        }
        assert!(
            leaks.is_empty(),
            "credentials leaked:\n{}",
            leaks.join("\n")
        );
        // (go's own work directory may stay when go is killed: not ours.)
        let left: Vec<_> = std::fs::read_dir(&self.tmpdir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|name| name.to_string_lossy().starts_with(".s2i-assemble"))
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
        assert!(
            !self.app_root.join(".s2i-assemble").exists(),
            "the work area is left"
        );
        for name in [".netrc", ".gitconfig", ".git-credentials"] {
            assert!(
                !self.go.dirs.home.join(name).exists(),
                "{name} written to a HOME"
            );
        }
    }
}

/// Whether the host served the repository to `user`.
fn served_git_to(host: &PrivateHost, user: &str) -> bool {
    host.requests().lines().any(|l| {
        l.starts_with("POST /git/acme/private/git-upload-pack ")
            && l.ends_with(&format!(" {user} 200"))
    })
}

#[test]
fn git_host_with_an_input_secret_in_the_working_directory() {
    let test = "git_host_with_an_input_secret_in_the_working_directory";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    // As OpenShift copies a secret holding .netrc, .gitconfig and ca.crt.
    world.input_secret(
        ".netrc",
        &format!("machine 127.0.0.1\n  login alice\n  password {PASSWORD}\n"),
    );
    world.input_secret(".gitconfig", &world.rewrite(""));
    std::fs::copy(world.host.ca(), world.workdir.join("ca.crt")).unwrap();
    world.env("GO_CA_BUNDLE", "ca.crt");
    let log = world.assemble_ok();
    assert!(
        served_git_to(&world.host, "alice"),
        "{}",
        world.host.requests()
    );
    let workdir_shown = world.workdir.display().to_string();
    assert!(
        log.contains(&format!(
            "127.0.0.1: login and password from {workdir_shown}/.netrc line 1"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("git configuration from {workdir_shown}/.gitconfig (URL rewrites: https://github.com/ -> https://127.0.0.1:{}/git/)", world.host.port)),
        "{log}"
    );
    assert!(
        log.contains("ca.crt (1 certificate), trusted besides the system's roots"),
        "{log}"
    );
    // The working directory is the application's `src/`: the input
    // secret's files are not among the application's files.
    assert_no_credential_files(&world.workdir);
}

/// No `.netrc`, `.gitconfig` or `.git-credentials`, dotted or not, below `dir`.
fn assert_no_credential_files(dir: &std::path::Path) {
    let names = [
        ".netrc",
        "netrc",
        ".gitconfig",
        "gitconfig",
        ".git-credentials",
        "git-credentials",
    ];
    let found: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| names.iter().any(|n| e.file_name() == *n))
        .map(|e| e.path().display().to_string())
        .collect();
    assert!(
        found.is_empty(),
        "credential files in the application: {found:?}"
    );
}

/// An input secret with a `destinationDir`: its files land in a folder of
/// the working directory, which `GO_CREDENTIALS_DIR` names relatively.
#[test]
fn git_host_with_an_input_secret_in_a_destination_dir() {
    let test = "git_host_with_an_input_secret_in_a_destination_dir";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    std::fs::create_dir(world.workdir.join("go-credentials")).unwrap();
    let credentials = world.input_secret(
        "go-credentials/.git-credentials",
        &format!("https://alice:{PASSWORD}@127.0.0.1\n"),
    );
    world.input_secret("go-credentials/.gitconfig", &world.rewrite(""));
    world.env("GO_CREDENTIALS_DIR", "go-credentials");
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    let log = world.assemble_ok();
    assert!(served_git_to(&world.host, "alice"));
    assert!(
        log.contains(&format!("{} line 1", credentials.display())),
        "{log}"
    );
    assert_no_credential_files(&world.app_root.join("src"));
}

#[test]
fn git_host_with_credentials_from_a_build_volume() {
    let test = "git_host_with_credentials_from_a_build_volume";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    // A secret mounted read-only, its keys without the dot.
    let volume = world.tmp.path().join("volume");
    std::fs::create_dir(&volume).unwrap();
    let netrc = volume.join("git-credentials");
    std::fs::write(&netrc, format!("https://alice:{PASSWORD}@127.0.0.1\n")).unwrap();
    std::fs::write(volume.join("gitconfig"), world.rewrite("")).unwrap();
    std::fs::write(
        volume.join("ca.crt"),
        std::fs::read(world.host.ca()).unwrap(),
    )
    .unwrap();
    for file in ["git-credentials", "gitconfig", "ca.crt"] {
        std::fs::set_permissions(volume.join(file), std::fs::Permissions::from_mode(0o444))
            .unwrap();
    }
    world.env("GO_CREDENTIALS_DIR", &volume.display().to_string());
    world.env("GO_CA_BUNDLE", &volume.join("ca.crt").display().to_string());
    let log = world.assemble_ok();
    assert!(served_git_to(&world.host, "alice"));
    assert!(log.contains("git-credentials line 1"), "{log}");
    // Outside the application root: read, never emptied.
    assert!(std::fs::read_to_string(&netrc).unwrap().contains(PASSWORD));
    std::fs::remove_dir_all(&volume).unwrap();
}

#[test]
fn git_host_with_a_token_variable() {
    let test = "git_host_with_a_token_variable";
    let Some(mut world) = World::new(test, &[("bob", TOKEN)], false) else {
        return;
    };
    world.input_secret(".gitconfig", &world.rewrite(""));
    world.env("GO_TOKEN_127_0_0_1", &format!("bob:{TOKEN}"));
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    let log = world.assemble_ok();
    assert!(served_git_to(&world.host, "bob"));
    assert!(
        log.contains("127.0.0.1: token from GO_TOKEN_127_0_0_1"),
        "{log}"
    );
}

/// The common way to put a token into git URLs: go never sees it, and
/// nothing of it stays in the module cache's clone (`cache/vcs/...`).
#[test]
fn git_host_with_a_token_in_an_insteadof_url() {
    let test = "git_host_with_a_token_in_an_insteadof_url";
    let Some(mut world) = World::new(test, &[("oauth2", TOKEN)], false) else {
        return;
    };
    world.input_secret(".gitconfig", &world.rewrite(&format!("oauth2:{TOKEN}@")));
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    let log = world.assemble_ok();
    assert!(served_git_to(&world.host, "oauth2"));
    assert!(
        log.contains(&format!(
            "(URL rewrites: https://github.com/ -> https://***@127.0.0.1:{}/git/)",
            world.host.port
        )),
        "{log}"
    );
    let vcs = world.app_root.join(".cache/go-mod/cache/vcs");
    assert!(
        vcs.is_dir(),
        "go cloned the repository into {}",
        vcs.display()
    );
}

#[test]
fn git_host_without_credentials() {
    let test = "git_host_without_credentials";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    world.input_secret(".gitconfig", &world.rewrite(""));
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    let last = world.assemble_fails();
    assert_eq!(
        last,
        "s2i-assemble: 127.0.0.1:[PORT] refused access to github.com/acme/private@v1.0.0 without valid credentials \
(git asked for a user name: terminal prompts disabled): give the build credentials for 127.0.0.1:[PORT]: \
GO_TOKEN_127_0_0_1=<token> from a secret, or a .netrc or .git-credentials in an input secret or GO_CREDENTIALS_DIR \
(README: Private modules)"
    );
}

#[test]
fn git_host_with_a_wrong_password() {
    let test = "git_host_with_a_wrong_password";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    let netrc = world.input_secret(
        ".netrc",
        &format!("machine 127.0.0.1 login alice password {WRONG}\n"),
    );
    world.input_secret(".gitconfig", &world.rewrite(""));
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    let last = world.assemble_fails();
    assert_eq!(
        last,
        format!(
            "s2i-assemble: 127.0.0.1:[PORT] refused access to github.com/acme/private@v1.0.0 with the credentials \
given for it ({} line 1; authentication failed): check that they are current and may read github.com/acme/private@v1.0.0",
            netrc.display()
        )
    );
    // The input secret is emptied once read, whatever happens to the build.
    assert_eq!(std::fs::read(&netrc).unwrap(), b"");
}

#[test]
fn git_host_without_the_ca() {
    let test = "git_host_without_the_ca";
    let Some(world) = World::new(test, &[("alice", PASSWORD)], false) else {
        return;
    };
    world.input_secret(
        ".netrc",
        &format!("machine 127.0.0.1 login alice password {PASSWORD}\n"),
    );
    world.input_secret(".gitconfig", &world.rewrite(""));
    let last = world.assemble_fails();
    assert_eq!(
        last,
        "s2i-assemble: the certificate of 127.0.0.1:[PORT] is signed by an unknown authority (fetching \
github.com/acme/private@v1.0.0): give the build that CA: GO_CA_BUNDLE=<a PEM file of it> (go and git then trust \
it besides the system's roots; README: Private modules)"
    );
}

/// The GOPROXY protocol over HTTPS with basic authentication: go itself
/// sends the `.netrc`'s login (a machine without a port, which go 1.24
/// and later match only with the port: s2i-assemble adds it).
#[test]
fn private_proxy_with_the_ca_setting_and_credentials() {
    let test = "private_proxy_with_the_ca_setting_and_credentials";
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], true) else {
        return;
    };
    let volume = world.tmp.path().join("volume");
    std::fs::create_dir(&volume).unwrap();
    std::fs::write(
        volume.join(".netrc"),
        format!("machine 127.0.0.1 login alice password {PASSWORD}\n"),
    )
    .unwrap();
    world.env("GO_CREDENTIALS_DIR", &volume.display().to_string());
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    world.env("GOPRIVATE", "");
    world.env("GOPROXY", &format!("{}/proxy", world.host.url()));
    world.assemble_ok();
    let requests = world.host.requests();
    assert!(
        requests.contains("GET /proxy/github.com/acme/private/@v/v1.0.0.zip alice 200"),
        "{requests}"
    );
    assert!(!requests.contains("/git/"), "{requests}");
}

/// `GOPROXY=https://127.0.0.1:PORT/proxy,direct`: the proxy does not have
/// the module (404), and go falls back to the git host, as go defines.
#[test]
fn private_proxy_falling_back_to_direct() {
    let test = "private_proxy_falling_back_to_direct";
    let Some(mut world) = World::new(test, &[("bob", TOKEN)], false) else {
        return;
    };
    world.input_secret(".gitconfig", &world.rewrite(""));
    world.env("GO_TOKEN_127_0_0_1", &format!("bob:{TOKEN}"));
    world.env("GO_CA_BUNDLE", &world.host.ca().display().to_string());
    world.env("GOPRIVATE", "");
    world.env("GONOSUMDB", MODULE);
    world.env("GOPROXY", &format!("{}/proxy,direct", world.host.url()));
    world.assemble_ok();
    let requests = world.host.requests();
    assert!(
        requests.contains("GET /proxy/github.com/acme/private/@v/v1.0.0.info bob 404")
            || requests.contains("GET /proxy/github.com/acme/private/@v/v1.0.0.mod bob 404"),
        "{requests}"
    );
    assert!(served_git_to(&world.host, "bob"), "{requests}");
}

/// SIGTERM while go waits for the module: the build stops, and neither the
/// credentials' files nor the input secret stay anywhere. `hang` is the
/// request that never gets its answer; with `under_cmd`, the program is in
/// cmd/app, so the download starts in detection's `go list`, not in `go
/// build`.
fn stop_in_the_middle_of_a_download(test: &str, hang: &str, under_cmd: bool) {
    let Some(mut world) = World::new(test, &[("alice", PASSWORD)], true) else {
        return;
    };
    if under_cmd {
        std::fs::create_dir_all(world.src.join("cmd/app")).unwrap();
        std::fs::rename(world.src.join("main.go"), world.src.join("cmd/app/main.go")).unwrap();
    }
    // A second host, the same module, whose `hang` request never ends.
    let hanging = PrivateHost::start(
        &world.go,
        &HostOptions {
            proxy_root: Some(world.tmp.path().join("proxy")),
            logins: vec![("alice".into(), PASSWORD.into())],
            hang: Some(hang.into()),
            ..HostOptions::default()
        },
    );
    world.input_secret(
        ".netrc",
        &format!("machine 127.0.0.1 login alice password {PASSWORD}\n"),
    );
    let ca = world.tmp.path().join("ca.pem");
    std::fs::copy(hanging.ca(), &ca).unwrap();
    world.env("GO_CA_BUNDLE", &ca.display().to_string());
    world.env("GOPRIVATE", "");
    world.env("GOPROXY", &format!("{}/proxy", hanging.url()));
    let mut child = world
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        hanging.wait_for_hang(Duration::from_secs(120)),
        "go never asked for {hang}: {}",
        hanging.requests()
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    // It must end by itself; a build that waits on go forever is the bug.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("s2i-assemble did not stop within a minute of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("stopped by SIGTERM"),
        "{}",
        text(&output)
    );
    world.assert_nothing_leaked(&output);
}

#[test]
fn sigterm_in_the_middle_of_a_download_leaves_no_secret() {
    stop_in_the_middle_of_a_download(
        "sigterm_in_the_middle_of_a_download_leaves_no_secret",
        ".zip",
        false,
    );
}

/// The same while detection's `go list` waits for a go.mod.
#[test]
fn sigterm_while_go_list_waits_for_a_download() {
    stop_in_the_middle_of_a_download("sigterm_while_go_list_waits_for_a_download", ".mod", true);
}
