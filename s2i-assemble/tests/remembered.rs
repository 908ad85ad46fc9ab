//! What detection decided travels to the next build in the build cache: an
//! incremental build whose go.mod, settings and `.go` files' paths are
//! unchanged starts no go before its build; a change to any of them and
//! go is asked again.

mod support;

use std::fs;
use std::path::Path;

use support::Case;

const RECALLED: &str = "(as the previous build found them: go.mod, the settings and the .go files' paths are unchanged)";
const DETECTED: &str = "---> The root is not a main package; building with";

/// A copy of `from` made of hard links (the tests' shared, warm build
/// cache), so that the build cache can be the application root's.
fn link_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            link_tree(&entry.path(), &target);
        } else {
            fs::hard_link(entry.path(), target).unwrap();
        }
    }
}

/// Builds with GOCACHE in the application root (as the builder image has
/// it, and as the artifacts carry it) and `extra` environment; returns
/// stdout.
fn build(case: &Case, extra: &[(&str, &str)]) -> String {
    let gocache = case.app_root.join(".cache/go-build");
    let out = case
        .command(&[])
        .env("GOCACHE", &gocache)
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(case.run("gobinary"), "hello from lib-with-cmd\n");
    stdout
}

fn detected(stdout: &str) -> bool {
    assert!(
        stdout.contains(DETECTED) != stdout.contains(RECALLED),
        "either detected or recalled:\n{stdout}"
    );
    stdout.contains(DETECTED)
}

#[test]
fn detection_is_remembered_until_go_mod_a_setting_or_the_shape_changes() {
    let Some(case) = Case::new(
        "detection_is_remembered_until_go_mod_a_setting_or_the_shape_changes",
        "lib-with-cmd",
    ) else {
        return;
    };
    link_tree(
        &case.go.dirs.gocache,
        &case.app_root.join(".cache/go-build"),
    );
    let note = case.app_root.join(".cache/go-build/s2i-go-detected");

    // The root is tried, then go list finds cmd/greet: remembered.
    assert!(detected(&build(&case, &[])));
    assert!(note.is_file());
    // Nothing changed: no go start before the build.
    let again = build(&case, &[]);
    assert!(!detected(&again), "{again}");
    assert!(again.contains("main package(s): ./cmd/greet"), "{again}");

    // go.mod changed.
    let go_mod = case.src.join("go.mod");
    let text = fs::read_to_string(&go_mod).unwrap();
    fs::write(&go_mod, format!("{text}\n// a comment\n")).unwrap();
    assert!(detected(&build(&case, &[])));
    assert!(!detected(&build(&case, &[])));

    // A setting that changes what go lists.
    assert!(detected(&build(&case, &[("GOFLAGS", "-tags=extra")])));
    assert!(!detected(&build(&case, &[("GOFLAGS", "-tags=extra")])));
    assert!(detected(&build(&case, &[])));

    // The directory shape: a new package.
    let new = case.src.join("internal/extra");
    fs::create_dir_all(&new).unwrap();
    fs::write(new.join("extra.go"), "package extra\n").unwrap();
    assert!(detected(&build(&case, &[])));
    assert!(!detected(&build(&case, &[])));

    // A note that is not ours to trust (garbled): go is asked.
    fs::write(&note, "{").unwrap();
    assert!(detected(&build(&case, &[])));
}

#[test]
fn a_package_clause_changed_in_place_is_caught_by_the_build() {
    let Some(case) = Case::new(
        "a_package_clause_changed_in_place_is_caught_by_the_build",
        "lib-with-cmd",
    ) else {
        return;
    };
    link_tree(
        &case.go.dirs.gocache,
        &case.app_root.join(".cache/go-build"),
    );
    assert!(detected(&build(&case, &[])));
    // The root becomes the program, cmd/greet a library: the same files.
    let root = case.src.join("greeter.go");
    let main = case.src.join("cmd/greet/main.go");
    let (root_text, main_text) = (
        fs::read_to_string(&root).unwrap(),
        fs::read_to_string(&main).unwrap(),
    );
    fs::write(
        &root,
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from lib-with-cmd\") }\n",
    )
    .unwrap();
    fs::write(&main, "package greet\n").unwrap();
    let gocache = case.app_root.join(".cache/go-build");
    let out = case.command(&[]).env("GOCACHE", &gocache).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(RECALLED), "{stdout}");
    assert!(
        stdout.contains(
            "---> The main packages the previous build found are not all there; building with"
        ),
        "{stdout}"
    );
    assert_eq!(case.run("gobinary"), "hello from lib-with-cmd\n");
    drop((root_text, main_text));
}

const CGO_WARNING: &str = "s2i-assemble: warning: cgo is off (CGO_ENABLED=0, this builder's default), so go left out the cgo files (import \"C\") of";

/// A dependency with cgo files and a `!cgo` stub (as
/// github.com/mattn/go-sqlite3 has) builds with cgo off and fails at run
/// time: the build warns, and the next build recalls what it found
/// without asking go again.
#[test]
fn what_cgo_left_out_is_warned_of_and_remembered() {
    let Some(case) = Case::new("what_cgo_left_out_is_warned_of_and_remembered", "") else {
        return;
    };
    case.write("go.mod", "module example.com/stubbed\n\ngo 1.21\n");
    case.write(
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/stubbed/db\"\n)\n\nfunc main() { fmt.Println(db.Open()) }\n",
    );
    case.write(
        "db/db_cgo.go",
        "package db\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc Open() string { return \"opened\" }\n",
    );
    case.write(
        "db/db_stub.go",
        "//go:build !cgo\n\npackage db\n\nfunc Open() string { return \"this is a stub: it needs cgo\" }\n",
    );
    link_tree(
        &case.go.dirs.gocache,
        &case.app_root.join(".cache/go-build"),
    );
    let note = case.app_root.join(".cache/go-build/s2i-go-detected");
    let build = |extra: &[(&str, &str)]| -> String {
        let out = case
            .command(&[])
            .env("GOCACHE", case.app_root.join(".cache/go-build"))
            .envs(extra.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert_eq!(case.run("gobinary"), "this is a stub: it needs cgo\n");
        stderr
    };
    let warned_of = |stderr: &str| -> Option<String> {
        let line = stderr.lines().find(|l| l.starts_with(CGO_WARNING))?;
        let rest = &line[CGO_WARNING.len()..];
        Some(rest[1..rest.find(':').unwrap()].to_string())
    };

    let first = build(&[]);
    assert_eq!(
        warned_of(&first).as_deref(),
        Some("example.com/stubbed/db"),
        "{first}"
    );
    insta::assert_snapshot!(first.lines().find(|l| l.starts_with(CGO_WARNING)).unwrap());

    // Recalled, not asked again: what the note says is what is warned of.
    let text = fs::read_to_string(&note).unwrap();
    assert!(text.contains("\"example.com/stubbed/db\""), "{text}");
    fs::write(
        &note,
        text.replace(
            "\"example.com/stubbed/db\"",
            "\"example.com/from/the/note\"",
        ),
    )
    .unwrap();
    let again = build(&[]);
    assert_eq!(
        warned_of(&again).as_deref(),
        Some("example.com/from/the/note"),
        "{again}"
    );

    // CGO_ENABLED=0 set by the user: their choice, no warning.
    let chosen = build(&[("CGO_ENABLED", "0")]);
    assert_eq!(warned_of(&chosen), None, "{chosen}");
    assert!(!note.exists(), "nothing left to remember");
    // Back to the default: go is asked again.
    assert_eq!(
        warned_of(&build(&[])).as_deref(),
        Some("example.com/stubbed/db")
    );
}

/// Of two programs, only a helper imports the package with a stub: the
/// warning says so, for the user to see that the service is not affected.
#[test]
fn what_cgo_left_out_names_the_programs_that_import_it() {
    let Some(case) = Case::new("what_cgo_left_out_names_the_programs_that_import_it", "") else {
        return;
    };
    case.write("go.mod", "module example.com/two\n\ngo 1.21\n");
    case.write("cmd/server/main.go", "package main\n\nfunc main() {}\n");
    case.write(
        "cmd/server-check/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/two/db\"\n)\n\nfunc main() { fmt.Println(db.Open()) }\n",
    );
    case.write(
        "db/db_cgo.go",
        "package db\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc Open() string { return \"opened\" }\n",
    );
    case.write(
        "db/db_stub.go",
        "//go:build !cgo\n\npackage db\n\nfunc Open() string { return \"stub\" }\n",
    );
    let out = case.command(&[]).env("GO_RUN", "server").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warning = stderr.lines().find(|l| l.starts_with(CGO_WARNING));
    assert!(
        warning.is_some_and(|w| w.contains(
            " of example.com/two/db (imported by server-check only): it was built from its other files"
        )),
        "{stderr}"
    );
}
