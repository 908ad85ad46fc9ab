//! Reproducible builds: the same sources, built in other directories, at
//! other times, as other UIDs (root, and 1001 through `setpriv`), give
//! byte-identical binaries, and SBOMs that differ only in their creation
//! time; with SOURCE_DATE_EPOCH, identical SBOMs too.
//!
//! The sources are a git checkout (so go stamps the commit; the checkout
//! belongs to root, and the UID 1001 build reads it through the
//! safe.directory s2i-assemble passes git) with a dependency from a module
//! proxy. Needs root (to build as another UID), git and setpriv.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use s2i_tests::go::{self, fixture_proxy, output_ok, Go};
use s2i_tests::{fixtures_dir, git, require_root, require_tool};

/// The other UID, as OpenShift's would be: any number, group 0.
const OTHER_UID: &str = "1001";

struct Build<'a> {
    go: &'a Go,
    src: PathBuf,
    app_root: PathBuf,
    /// GOCACHE, GOMODCACHE and HOME live here, the builder's own.
    home: PathBuf,
    as_other_uid: bool,
    proxy: String,
    epoch: Option<&'a str>,
}

impl Build<'_> {
    fn run(&self) -> String {
        let s2i_assemble = env!("CARGO_BIN_EXE_s2i-assemble");
        let mut command = if self.as_other_uid {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", OTHER_UID, "--regid", "0", "--clear-groups", "--"]);
            c.arg(s2i_assemble);
            c
        } else {
            Command::new(s2i_assemble)
        };
        let go_dir = self.go.bin.parent().unwrap();
        command
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", go_dir.display()),
            )
            .env("HOME", &self.home)
            .env("GOCACHE", self.home.join("go-build"))
            .env("GOMODCACHE", self.home.join("go-mod"))
            .env("GOPROXY", &self.proxy)
            .env("GOSUMDB", "off")
            .env("GOTELEMETRY", "off")
            .arg("--src")
            .arg(&self.src)
            .arg("--app-root")
            .arg(&self.app_root)
            .arg("--artifacts")
            .arg(self.home.join("no-artifacts"));
        if let Some(epoch) = self.epoch {
            command.env("SOURCE_DATE_EPOCH", epoch);
        }
        output_ok(&mut command)
    }

    fn file(&self, name: &str) -> Vec<u8> {
        let path = self.app_root.join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }
}

/// The lines of `a` and `b` that differ.
fn differing(a: &[u8], b: &[u8]) -> Vec<(String, String)> {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    assert_eq!(a.lines().count(), b.lines().count(), "{a}\n---\n{b}");
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.trim().to_string(), y.trim().to_string()))
        .collect()
}

fn make_dir(path: &Path, owner: Option<&str>) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    if let Some(owner) = owner {
        output_ok(Command::new("chown").arg(format!("{owner}:0")).arg(path));
    }
}

#[test]
fn other_directories_times_and_uids_give_the_same_binary_and_sbom() {
    let test = "other_directories_times_and_uids_give_the_same_binary_and_sbom";
    let Some(()) = require_root(test) else {
        return;
    };
    let (Some(_), Some(_)) = (require_tool("git", test), require_tool("setpriv", test)) else {
        return;
    };
    let Some(go) = go::require_go(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Go's module caches are read-only: TempDir alone cannot remove them.
    let _cleanup = RemoveTree(tmp.path().to_path_buf());
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let proxy = fixture_proxy(&tmp.path().join("proxy")).unwrap();

    // The sources, a commit of module-dep, and a copy of the checkout
    // somewhere else entirely.
    let src_a = tmp.path().join("a/src");
    make_dir(&src_a, None);
    for file in ["go.mod", "go.sum", "main.go"] {
        std::fs::copy(
            fixtures_dir().join("module-dep").join(file),
            src_a.join(file),
        )
        .unwrap();
    }
    git(&src_a, &["init", "-q"]);
    git(&src_a, &["add", "-A"]);
    git(&src_a, &["commit", "-q", "-m", "module-dep"]);
    let src_b = tmp.path().join("b/another/place/src");
    make_dir(src_b.parent().unwrap(), None);
    output_ok(Command::new("cp").arg("-a").arg(&src_a).arg(&src_b));

    let root_home = tmp.path().join("root");
    make_dir(&root_home, None);
    let other_home = tmp.path().join("uid1001");
    make_dir(&other_home, Some(OTHER_UID));
    let build = |src: &Path, app_root: PathBuf, home: &Path, other: bool, epoch| Build {
        go: &go,
        src: src.to_path_buf(),
        app_root,
        home: home.to_path_buf(),
        as_other_uid: other,
        proxy: proxy.url(),
        epoch,
    };

    // Without SOURCE_DATE_EPOCH: the creation time is the build's own.
    let a = build(&src_a, root_home.join("app"), &root_home, false, None);
    let log_a = a.run();
    assert!(log_a.contains("---> go stamps the commit"), "{log_a}");
    // A second apart at least, so that the two creation times differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = build(&src_b, other_home.join("app"), &other_home, true, None);
    let log_b = b.run();
    assert!(log_b.contains("---> go stamps the commit"), "{log_b}");

    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(b.app_root.join("bin/dep")).unwrap().uid();
    assert_eq!(
        owner.to_string(),
        OTHER_UID,
        "the second build ran as UID {OTHER_UID}"
    );
    assert!(
        a.file("bin/dep") == b.file("bin/dep"),
        "the binaries differ: {} vs {}",
        a.app_root.join("bin/dep").display(),
        b.app_root.join("bin/dep").display()
    );
    let stamp = output_ok(
        go.command()
            .args(["version", "-m"])
            .arg(a.app_root.join("bin/dep")),
    );
    assert!(stamp.contains("\tbuild\tvcs.revision="), "{stamp}");
    let spdx = differing(&a.file("sbom/dep.spdx.json"), &b.file("sbom/dep.spdx.json"));
    assert_eq!(spdx.len(), 1, "{spdx:?}");
    assert!(
        spdx[0].0.starts_with("\"created\": \"") && spdx[0].1.starts_with("\"created\": \""),
        "{spdx:?}"
    );
    let cdx = differing(&a.file("sbom/dep.cdx.json"), &b.file("sbom/dep.cdx.json"));
    assert_eq!(cdx.len(), 1, "{cdx:?}");
    assert!(cdx[0].0.starts_with("\"timestamp\": \""), "{cdx:?}");

    // With SOURCE_DATE_EPOCH, the SBOMs are the same to the byte.
    let epoch = Some("1704164645");
    let c = build(
        &src_a,
        root_home.join("app-epoch"),
        &root_home,
        false,
        epoch,
    );
    c.run();
    let d = build(
        &src_b,
        other_home.join("app-epoch"),
        &other_home,
        true,
        epoch,
    );
    d.run();
    assert!(c.file("bin/dep") == a.file("bin/dep"));
    assert!(d.file("bin/dep") == a.file("bin/dep"));
    for sbom in ["sbom/dep.spdx.json", "sbom/dep.cdx.json"] {
        assert_eq!(
            String::from_utf8_lossy(&c.file(sbom)),
            String::from_utf8_lossy(&d.file(sbom)),
            "{sbom}"
        );
        assert!(String::from_utf8_lossy(&c.file(sbom)).contains("2024-01-02T03:04:05Z"));
    }
}

/// Removes a tree with Go's read-only module cache in it, also when the
/// test fails.
struct RemoveTree(PathBuf);

impl Drop for RemoveTree {
    fn drop(&mut self) {
        let _ = go::remove_tree(&self.0);
    }
}
