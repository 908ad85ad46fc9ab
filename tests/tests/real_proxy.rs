//! Builds against the real Go module proxy (proxy.golang.org, which the
//! project's machines reach; the tests skip loudly where it is not, and
//! fail under CI), each followed by an incremental rebuild from what
//! `s2i-save-artifacts` streamed, offline (`GOPROXY=off`): proof that
//! what the first build downloaded was kept.
//!
//! - default settings (GOPROXY and GOSUMDB unset): real public
//!   dependencies, pinned by go.sum;
//! - a newer toolchain: the image's Go older than go.mod's `toolchain`
//!   line, `GOTOOLCHAIN=auto`: the first build downloads it (about 76 MB,
//!   once in this test run), the rebuild runs it from the restored module
//!   cache, and the saved stream keeps that toolchain only.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use s2i_tests::go::{remove_tree, require_go, Go};
use s2i_tests::{output_text as text, skip, workspace_bin};

const PROXY_HOST: &str = "proxy.golang.org";

/// The real module proxy answers, or a loud skip (a panic under CI).
fn require_proxy(test: &str) -> Option<()> {
    let reachable = (PROXY_HOST, 443)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10)).is_ok()
        });
    if reachable {
        Some(())
    } else {
        skip(test, &format!("{PROXY_HOST} is not reachable"))
    }
}

/// An application root built from `src` with `go`, the caches under it.
struct App {
    go: Go,
    tmp: tempfile::TempDir,
    src: PathBuf,
    app_root: PathBuf,
}

impl App {
    fn new(go: Go, files: &[(&str, &str)]) -> App {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        s2i_tests::write_files(&src, files);
        let app_root = tmp.path().join("app-root");
        App {
            go,
            tmp,
            src,
            app_root,
        }
    }

    /// `s2i-assemble` with the caches under the application root and
    /// `env` over the hermetic environment (GOPROXY=off unless given).
    fn assemble(&self, artifacts: &Path, env: &[(&str, Option<&str>)]) -> Output {
        let mut command = Command::new(workspace_bin("s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("GOCACHE")
            .env_remove("GOMODCACHE")
            .env_remove("APP_ROOT")
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(&self.app_root)
            .arg("--artifacts")
            .arg(artifacts);
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "s2i-assemble failed:\n{}",
            text(&output)
        );
        output
    }

    /// `s2i-save-artifacts` of the application root, into a tar file.
    fn save_artifacts(&self, name: &str) -> PathBuf {
        let output = Command::new(workspace_bin("s2i-save-artifacts"))
            .env("APP_ROOT", &self.app_root)
            .env_remove("S2I_GO_BASE_CACHE")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output));
        let tar = self.tmp.path().join(name);
        std::fs::write(&tar, output.stdout).unwrap();
        tar
    }

    /// What the next build's container starts from: no application root.
    fn fresh_app_root(&self) {
        remove_tree(&self.app_root).unwrap();
    }

    fn run(&self) -> String {
        let output = Command::new(self.app_root.join("gobinary"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// The entries' names of a tar file.
fn tar_names(tar: &Path) -> Vec<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(tar)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let mut archive = tar::Archive::new(&bytes[..]);
    archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

const DEPS_GO_MOD: &str = "module example.com/realdeps\n\ngo 1.21\n\nrequire (\n\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/sync v0.10.0\n)\n";
const DEPS_GO_SUM: &str =
    "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
golang.org/x/sync v0.10.0 h1:3NQrjDixjgGwUOCaF8w2+VYHv0Ve/vGYSbdkTa98gmQ=
golang.org/x/sync v0.10.0/go.mod h1:Czt+wKu1gCyEFDUtn0jG5QVvpJ6rzVqr5aXyt9drQfk=
";
const DEPS_MAIN: &str = "package main

import (
\t\"fmt\"

\t\"github.com/google/uuid\"
\t\"golang.org/x/sync/errgroup\"
)

func main() {
\tvar g errgroup.Group
\tid := \"\"
\tg.Go(func() error { id = uuid.NewSHA1(uuid.NameSpaceURL, []byte(\"https://example.com\")).String(); return nil })
\t_ = g.Wait()
\tfmt.Println(id)
}
";

#[test]
fn default_settings_download_public_dependencies_and_rebuild_offline() {
    let test = "default_settings_download_public_dependencies_and_rebuild_offline";
    let Some(go) = require_go(test) else { return };
    if require_proxy(test).is_none() {
        return;
    }
    let app = App::new(
        go,
        &[
            ("go.mod", DEPS_GO_MOD),
            ("go.sum", DEPS_GO_SUM),
            ("main.go", DEPS_MAIN),
        ],
    );
    let none = app.tmp.path().join("none");
    // Go's defaults: GOPROXY=https://proxy.golang.org,direct, GOSUMDB=sum.golang.org.
    let first = app.assemble(&none, &[("GOPROXY", None), ("GOSUMDB", None)]);
    assert!(
        String::from_utf8_lossy(&first.stderr)
            .contains("go: downloading github.com/google/uuid v1.6.0"),
        "{}",
        text(&first)
    );
    let expected = "4fd35a71-71ef-5a55-a9d9-aa75c889a6d0\n";
    assert_eq!(app.run(), expected);
    let tar = app.save_artifacts("first.tar");

    app.fresh_app_root();
    let second = app.assemble(&tar, &[("GOPROXY", Some("off")), ("GOSUMDB", None)]);
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("go: downloading"),
        "{}",
        text(&second)
    );
    assert_eq!(app.run(), expected);
    // The rebuild's own artifacts still hold both dependencies.
    let names = tar_names(&app.save_artifacts("second.tar"));
    for module in [
        "go-mod/github.com/google/uuid@v1.6.0/",
        "go-mod/golang.org/x/sync@v0.10.0/",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(module)),
            "{module} not saved"
        );
    }
}

/// A Go older than `than` (at least 1.21, which switches toolchains): the
/// machine's /usr/local/go, or `$S2I_TEST_SWITCHING_GO`; else a loud skip.
fn older_go(test: &str, than: &Go) -> Option<Go> {
    let candidate = std::env::var_os("S2I_TEST_SWITCHING_GO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/go/bin/go"));
    let Ok(go) = Go::at(&candidate) else {
        return skip(
            test,
            &format!(
                "no Go at {} to be the image's older Go",
                candidate.display()
            ),
        );
    };
    let number = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    if number(&go.version) >= number(&than.version) || number(&go.version) < vec![1, 21] {
        return skip(
            test,
            &format!(
                "{} is Go {}, not between 1.21 and {} (set S2I_TEST_SWITCHING_GO to such a go)",
                candidate.display(),
                go.version,
                than.version
            ),
        );
    }
    Some(go)
}

#[test]
fn newer_toolchain_is_downloaded_once_and_kept_with_the_module_cache() {
    let test = "newer_toolchain_is_downloaded_once_and_kept_with_the_module_cache";
    let Some(newer) = require_go(test) else {
        return;
    };
    let Some(image_go) = older_go(test, &newer) else {
        return;
    };
    if require_proxy(test).is_none() {
        return;
    }
    let toolchain = format!("go{}", newer.version);
    let go_mod = format!("module example.com/newer\n\ngo 1.21\n\ntoolchain {toolchain}\n");
    let main = "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n";
    let app = App::new(image_go, &[("go.mod", &go_mod), ("main.go", main)]);
    let auto = [("GOTOOLCHAIN", Some("auto")), ("GOSUMDB", None)];

    let first = app.assemble(
        &app.tmp.path().join("none"),
        &[auto[0], auto[1], ("GOPROXY", None)],
    );
    let log = text(&first);
    assert!(
        log.contains(&format!("go: downloading {toolchain} (linux/amd64)")),
        "the first build downloads it:\n{log}"
    );
    let why = format!(
        "{toolchain}, switched from the image's go{} by go.mod's `toolchain {toolchain}` line (GOTOOLCHAIN=auto)",
        app.go.version
    );
    assert!(log.contains(&why), "the log says which Go and why:\n{log}");
    assert_eq!(
        app.run(),
        format!("{toolchain}\n"),
        "built by the toolchain"
    );

    // A toolchain an earlier build ran (read-only, as go leaves its
    // module cache), which go.mod no longer asks for: the rebuild drops it.
    let stale = "v0.0.1-go1.21.0.linux-amd64";
    let module_cache = app.app_root.join(".cache/go-mod");
    let stale_dir = module_cache.join(format!("golang.org/toolchain@{stale}"));
    std::fs::create_dir_all(stale_dir.join("bin")).unwrap();
    std::fs::write(stale_dir.join("bin/go"), "not a go").unwrap();
    std::fs::write(
        module_cache.join(format!(
            "cache/download/golang.org/toolchain/@v/{stale}.ziphash"
        )),
        "h1:made-up=",
    )
    .unwrap();
    for dir in [stale_dir.join("bin"), stale_dir.clone()] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }

    let first_tar = app.save_artifacts("first.tar");
    let toolchains = |tar: &Path| -> Vec<String> {
        let mut found: Vec<String> = tar_names(tar)
            .into_iter()
            .filter_map(|n| {
                let rest = n.strip_prefix("go-mod/golang.org/toolchain@")?;
                Some(rest.split('/').next()?.to_string())
            })
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let zips = |tar: &Path| -> Vec<String> {
        tar_names(tar)
            .into_iter()
            .filter(|n| {
                n.starts_with("go-mod/cache/download/golang.org/toolchain/") && n.ends_with(".zip")
            })
            .collect()
    };
    assert_eq!(
        toolchains(&first_tar),
        [stale.to_string(), format!("v0.0.1-{toolchain}.linux-amd64")]
    );
    assert!(
        zips(&first_tar).is_empty(),
        "no zip: {:?}",
        zips(&first_tar)
    );

    // The incremental rebuild, offline: the toolchain from the artifacts.
    app.fresh_app_root();
    let second = app.assemble(&first_tar, &[auto[0], auto[1], ("GOPROXY", Some("off"))]);
    let log = text(&second);
    assert!(
        !log.contains("go: downloading"),
        "downloads nothing:\n{log}"
    );
    assert!(log.contains(&why), "{log}");
    assert_eq!(app.run(), format!("{toolchain}\n"));
    let second_tar = app.save_artifacts("second.tar");
    assert_eq!(
        toolchains(&second_tar),
        [format!("v0.0.1-{toolchain}.linux-amd64")]
    );
    assert!(zips(&second_tar).is_empty());
    let left: Vec<String> = tar_names(&second_tar)
        .into_iter()
        .filter(|n| n.contains(stale))
        .collect();
    assert!(left.is_empty(), "the stale toolchain is left: {left:?}");
}
