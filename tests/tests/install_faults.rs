//! Faults during the install: `s2i-assemble` killed with SIGKILL at each
//! step of installing a new build over a previous one (the test builds'
//! `S2I_TEST_KILL_AT=N` hook, the N-th step, see s2i-common's `install`),
//! and a full disk. After each, the application root runs, through
//! `s2i-run`, the previous build unchanged or the new one whole, and the
//! next build succeeds and leaves nothing behind.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use s2i_tests::go::{require_go, Go};
use s2i_tests::{bytes_available as available, output_text as all, workspace_bin};

/// The install's steps are numbered from 1: step 1 is before the commit
/// point (a kill there keeps the previous build), step 2 right after it
/// (from there on the new build is installed, by whoever finishes).
const LAST_BEFORE_COMMIT: usize = 1;

/// Build A: programs `a-main` (run) and `a-extra`, and files `a.txt` and
/// `static/a.css`. Build B: program `b-main` only, and `b.txt`.
fn write_sources(dir: &Path, build: &str) {
    let _ = fs::remove_dir_all(dir);
    let programs: &[&str] = if build == "a" {
        &["a-main", "a-extra"]
    } else {
        &["b-main"]
    };
    let file = |rel: &str, text: &str| {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    file("go.mod", "module example.com/faults\n\ngo 1.21\n");
    for program in programs {
        file(
            &format!("cmd/{program}/main.go"),
            &format!(
                "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {{\n\
                 \tdata, err := os.ReadFile(\"{build}.txt\")\n\
                 \tfmt.Printf(\"{program}: %s %v\\n\", data, err)\n}}\n"
            ),
        );
    }
    file(&format!("{build}.txt"), &format!("files of build {build}"));
    file(&format!("static/{build}.css"), "body {}");
    file(".s2i/environment", &format!("GO_RUN={}\n", programs[0]));
}

struct Root<'a> {
    go: &'a Go,
    tmp: tempfile::TempDir,
}

impl Root<'_> {
    fn new(go: &Go) -> Root<'_> {
        Root {
            go,
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn app_root(&self) -> PathBuf {
        self.tmp.path().join("app-root")
    }

    fn assemble(&self, build: &str, kill_at: Option<usize>) -> Output {
        let src = self.tmp.path().join(format!("src-{build}"));
        write_sources(&src, build);
        let mut command = Command::new(workspace_bin("s2i-assemble"));
        self.go.hermetic_env(&mut command);
        command
            .env_remove("APP_ROOT")
            .env_remove("S2I_TEST_KILL_AT")
            .arg("--src")
            .arg(&src)
            .arg("--app-root")
            .arg(self.app_root())
            .arg("--artifacts")
            .arg(self.tmp.path().join("no-artifacts"));
        if let Some(step) = kill_at {
            command.env("S2I_TEST_KILL_AT", step.to_string());
        }
        command.output().unwrap()
    }

    fn assemble_ok(&self, build: &str) {
        let out = self.assemble(build, None);
        assert!(out.status.success(), "{}", all(&out));
    }

    /// What `s2i-run` starts in the application root prints.
    fn run(&self, kill_at: Option<usize>) -> Output {
        let mut command = Command::new(workspace_bin("s2i-run"));
        command
            .env("APP_ROOT", self.app_root())
            .env("S2I_RUN_INIT", "never")
            .env_remove("S2I_TEST_KILL_AT")
            .env_remove("APP_ARGS");
        if let Some(step) = kill_at {
            command.env("S2I_TEST_KILL_AT", step.to_string());
        }
        command.output().unwrap()
    }

    fn run_ok(&self) -> String {
        let out = self.run(None);
        assert!(out.status.success(), "{}", all(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A file's size and a hash of its bytes (FNV-1a), to compare contents
/// without printing them.
fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    });
    format!("{} bytes, {hash:016x}", bytes.len())
}

/// The application root's installed files with their contents: every path
/// but the caches (`.cache`) and a killed build's work area, which the next
/// build removes.
fn installed(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            // What the next build removes: a killed build's work area, a
            // finished journal not yet removed.
            if rel == ".cache" || rel == ".s2i-assemble" || rel == ".s2i-install.done" {
                continue;
            }
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.push((format!("{rel}/"), String::new()));
                walk(root, &path, out);
            } else if rel.starts_with("sbom/") {
                // Which SBOMs there are; what they say (paths, times of
                // each build) is the provenance tests' business.
                out.push((rel, String::new()));
            } else {
                out.push((rel, fingerprint(&fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn names(state: &[(String, String)]) -> Vec<&str> {
    state.iter().map(|(name, _)| name.as_str()).collect()
}

/// An application root's installed files, and what it runs.
type Installed = (Vec<(String, String)>, String);

/// The states to compare with: build A installed, and B installed over A.
fn reference(go: &Go) -> (Installed, Installed) {
    let root = Root::new(go);
    root.assemble_ok("a");
    let (a, a_runs) = (installed(&root.app_root()), root.run_ok());
    root.assemble_ok("b");
    let (b, b_runs) = (installed(&root.app_root()), root.run_ok());
    assert_eq!(a_runs, "a-main: files of build a <nil>\n");
    assert_eq!(b_runs, "b-main: files of build b <nil>\n");
    assert!(
        !names(&b)
            .iter()
            .any(|n| n.contains("a-") || n.contains("a.")),
        "B over A keeps nothing of A: {:?}",
        names(&b)
    );
    ((a, a_runs), (b, b_runs))
}

#[test]
fn a_kill_at_any_install_step_leaves_the_previous_build_or_the_new_one_whole() {
    let test = "a_kill_at_any_install_step_leaves_the_previous_build_or_the_new_one_whole";
    let Some(go) = require_go(test) else { return };
    let ((_, a_runs), (b, b_runs)) = reference(&go);
    let mut step = 0;
    loop {
        step += 1;
        let root = Root::new(&go);
        root.assemble_ok("a");
        let a = installed(&root.app_root());
        let killed = root.assemble("b", Some(step));
        if killed.status.success() {
            // Past the last step: every one has been tried.
            assert!(step > 10, "only {} steps?", step - 1);
            break;
        }
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "step {step}: not killed there\n{}",
            all(&killed)
        );
        if step > LAST_BEFORE_COMMIT {
            // s2i-run finishes the installation first, even when it is
            // killed at its own first step.
            let again = root.run(Some(1));
            assert!(
                again.status.signal() == Some(9) || again.status.success(),
                "step {step}: {}",
                all(&again)
            );
            assert_eq!(root.run_ok(), b_runs, "step {step}");
            assert_eq!(installed(&root.app_root()), b, "step {step}");
        } else {
            assert_eq!(root.run_ok(), a_runs, "step {step}");
            assert_eq!(installed(&root.app_root()), a, "step {step}");
        }
        // The next build succeeds and nothing is left over.
        root.assemble_ok("b");
        assert_eq!(installed(&root.app_root()), b, "step {step}: next build");
        for leftover in [".s2i-assemble", ".s2i-install", ".s2i-install.done"] {
            assert!(
                !root.app_root().join(leftover).exists(),
                "step {step}: {leftover} is left"
            );
        }
        assert_eq!(root.run_ok(), b_runs);
    }
}

#[test]
fn a_build_that_finds_an_unfinished_install_finishes_it_first() {
    let test = "a_build_that_finds_an_unfinished_install_finishes_it_first";
    let Some(go) = require_go(test) else { return };
    let (_, (b, _)) = reference(&go);
    let root = Root::new(&go);
    root.assemble_ok("a");
    // A step after the commit, in the middle of the install.
    let killed = root.assemble("b", Some(LAST_BEFORE_COMMIT + 5));
    assert_eq!(killed.status.signal(), Some(9), "{}", all(&killed));
    // No s2i-run in between: the next s2i-assemble finishes B, then
    // installs A over it.
    let out = root.assemble("a", None);
    assert!(out.status.success(), "{}", all(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("---> Finished the installation an interrupted build left"),
        "{stdout}"
    );
    assert_eq!(root.run_ok(), "a-main: files of build a <nil>\n");
    // A's record says which binaries are A's: B's goes.
    let names: Vec<String> = installed(&root.app_root())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        names.contains(&"bin/a-extra".to_string()) && !names.contains(&"bin/b-main".to_string()),
        "{names:?}"
    );
    let _ = b;
}

#[test]
fn leftover_temporary_manifests_are_removed() {
    let test = "leftover_temporary_manifests_are_removed";
    let Some(go) = require_go(test) else { return };
    let root = Root::new(&go);
    root.assemble_ok("a");
    // What a kill during the manifest's write left before the journal.
    let leftover = root.app_root().join(".s2i-run.toml.tmp-4242");
    fs::write(&leftover, "program = ").unwrap();
    root.assemble_ok("b");
    assert!(!leftover.exists());
}

/// A small tmpfs as the application root's file system (root only), filled
/// to leave less and less room for the next build: at each fill the build
/// either fails, keeping the previous build whole, or installs the new one
/// whole; and once there is room again, the next build succeeds.
#[test]
fn a_full_disk_keeps_the_previous_build_or_installs_the_new_one_whole() {
    let test = "a_full_disk_keeps_the_previous_build_or_installs_the_new_one_whole";
    let Some(go) = require_go(test) else { return };
    if s2i_tests::require_root(test).is_none() {
        return;
    }
    let root = Root::new(&go);
    let mount = root.app_root();
    fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24m", "tmpfs"])
        .arg(&mount)
        .status()
        .unwrap();
    if !mounted.success() {
        s2i_tests::skip::<()>(test, "cannot mount a tmpfs (no CAP_SYS_ADMIN here)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let filler = mount.join("filler");
    let without_filler = |state: Vec<(String, String)>| -> Vec<(String, String)> {
        state.into_iter().filter(|(n, _)| n != "filler").collect()
    };

    let mut failed = 0;
    for room_kb in [0, 16, 256, 1024, 2048, 3072, 4096, 6144, 8192] {
        let _ = fs::remove_file(&filler);
        root.assemble_ok("a");
        let a = installed(&mount);
        let a_runs = root.run_ok();
        let fill = available(&mount).saturating_sub(room_kb * 1024);
        fs::write(&filler, vec![0u8; fill as usize]).unwrap();
        let out = root.assemble("b", None);
        let now = without_filler(installed(&mount));
        if out.status.success() {
            assert_eq!(root.run_ok(), "b-main: files of build b <nil>\n");
        } else {
            failed += 1;
            assert_eq!(out.status.code(), Some(1), "{}", all(&out));
            assert!(
                all(&out).to_lowercase().contains("no space left on device"),
                "{room_kb} KB free: {}",
                all(&out)
            );
            assert_eq!(now, a, "{room_kb} KB free: the previous build changed");
            assert_eq!(root.run_ok(), a_runs);
        }
        fs::remove_file(&filler).unwrap();
        root.assemble_ok("b");
        assert_eq!(root.run_ok(), "b-main: files of build b <nil>\n");
        let mut next = installed(&mount);
        next.retain(|(n, _)| n.starts_with("bin/") || n.starts_with("src/"));
        assert!(
            !next
                .iter()
                .any(|(n, _)| n.contains("a-") || n.contains("a.")),
            "{room_kb} KB free: {:?}",
            names(&next)
        );
    }
    assert!(failed > 0, "the disk was never full enough to fail a build");
}
