//! Go's own failures, end to end: for each class of `gofailure`, a source
//! that makes the real go fail that way, and the whole build log
//! snapshotted: go's messages, untouched, then s2i-assemble's one line
//! naming the problem and the fix. Offline: GOPROXY=off, a file:// proxy,
//! or a server on 127.0.0.1.

mod support;

use s2i_tests::go::{fixture_proxy, set_requirement, ModuleProxy};
use s2i_tests::loopback::{HostOptions, PrivateHost};
use s2i_tests::require_tool;
use support::{contents, listing, Case, RefusingServer};

use s2i_tests::write_files as write;

/// Assembles, expects exit code 1 and nothing installed, checks that
/// go's own words are in the log and that our line is the last one;
/// returns the log.
fn fails(case: &Case, go_said: &str, our_line_starts: &str) -> String {
    let (code, log) = case.assemble_log(&[]);
    assert_eq!(code, Some(1), "expected a failure:\n{log}");
    assert!(
        log.contains(go_said),
        "go's own message {go_said:?}:\n{log}"
    );
    let last = log.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!("s2i-assemble: {our_line_starts}")),
        "the last line explains it:\n{log}"
    );
    if case.app_root.exists() {
        let left = listing(&case.app_root);
        assert!(left.is_empty(), "a failed build left {left:?}");
    }
    log
}

const MAIN_WIDGETS: &str =
    "package main\n\nimport \"github.com/acme/widgets/render\"\n\nfunc main() { render.Page() }\n";

#[test]
fn missing_go_sum_entry() {
    let Some(case) = Case::new("missing_go_sum_entry", "module-dep") else {
        return;
    };
    std::fs::remove_file(case.src.join("go.sum")).unwrap();
    let log = fails(
        &case,
        "missing go.sum entry for module providing package example.com/greeting",
        "go.mod and go.sum are out of date",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn package_that_no_required_module_provides() {
    let Some(case) = Case::new("package_that_no_required_module_provides", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n"),
            ("main.go", MAIN_WIDGETS),
        ],
    );
    let log = fails(
        &case,
        "no required module provides package github.com/acme/widgets/render",
        "no module in go.mod provides package github.com/acme/widgets/render",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn dependency_that_the_proxy_does_not_have() {
    let Some(case) = Case::new("dependency_that_the_proxy_does_not_have", "module-dep") else {
        return;
    };
    let proxy = RefusingServer::start(
        "410 Gone",
        "not found: example.com/greeting@v1.0.0: invalid version: unknown revision v1.0.0",
    );
    let case = case.env("GOPROXY", &proxy.url());
    let log = fails(
        &case,
        "410 Gone",
        "cannot download example.com/greeting@v1.0.0 with GOPROXY=http://127.0.0.1:",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn private_module_proxy_asks_for_credentials() {
    let Some(case) = Case::new("private_module_proxy_asks_for_credentials", "module-dep") else {
        return;
    };
    let proxy = RefusingServer::start("401 Unauthorized", "unauthorized");
    let case = case.env("GOPROXY", &proxy.url());
    let log = fails(&case, "401 Unauthorized", "127.0.0.1:");
    assert!(
        log.contains("refused access to example.com/greeting@v1.0.0"),
        "{log}"
    );
    insta::assert_snapshot!(log);
}

/// An application that requires a private module from github.com, with
/// its go.sum: fetching it is all that can fail.
const APP_NEEDING_A_PRIVATE_MODULE: &[(&str, &str)] = &[
    (
        "go.mod",
        "module example.com/app\n\ngo 1.21\n\nrequire github.com/acme/private v1.0.0\n",
    ),
    (
        "go.sum",
        "github.com/acme/private v1.0.0 h1:NYGaNP7rBTvKjT6OGTYWp4kVu/OZsaBM/IhEAVb8tsY=\n\
         github.com/acme/private v1.0.0/go.mod h1:bRuIjpk30d+tlgrtuSf5jzQPa6I1xgEjNsI2ddCB1yE=\n",
    ),
    (
        "main.go",
        "package main\n\nimport \"github.com/acme/private\"\n\nfunc main() { private.Hello() }\n",
    ),
];

/// A private repository on a git host that asks for a user name: git's
/// `https://github.com/` is rewritten to a server on 127.0.0.1 that
/// answers 401, as github.com does without credentials.
#[test]
fn private_git_host_asks_for_credentials() {
    let test = "private_git_host_asks_for_credentials";
    let Some(case) = Case::new(test, "") else {
        return;
    };
    if require_tool("git", test).is_none() {
        return;
    }
    write(&case.src, APP_NEEDING_A_PRIVATE_MODULE);
    let host = RefusingServer::start("401 Unauthorized", "unauthorized");
    let case = case
        .env("GOPROXY", "direct")
        .env("GOPRIVATE", "github.com/acme")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            &format!("url.{}/.insteadOf", host.url()),
        )
        .env("GIT_CONFIG_VALUE_0", "https://github.com/");
    let log = fails(&case, "terminal prompts disabled", "127.0.0.1:");
    assert!(
        log.contains("refused access to github.com/acme/private@v1.0.0"),
        "{log}"
    );
    insta::assert_snapshot!(log);
}

/// A private module fetched from its host directly (GOPRIVATE) by an
/// image without git: PATH holds only go's own folder. go fails before
/// any connection, so nothing here needs a network.
#[test]
fn git_missing_while_a_direct_fetch_needs_it() {
    let Some(case) = Case::new("git_missing_while_a_direct_fetch_needs_it", "") else {
        return;
    };
    write(&case.src, APP_NEEDING_A_PRIVATE_MODULE);
    let go_only = case.tmp.path().join("go-only");
    std::fs::create_dir(&go_only).unwrap();
    std::os::unix::fs::symlink(&case.go.bin, go_only.join("go")).unwrap();
    let case = case
        .env("PATH", &go_only.display().to_string())
        .env("GOPROXY", "https://proxy.golang.org,direct")
        .env("GOPRIVATE", "github.com/acme");
    let log = fails(
        &case,
        "executable file not found in $PATH",
        "go fetches github.com/acme/private@v1.0.0 from its git host directly",
    );
    assert!(
        log.contains("this image has no git: use a builder image with git"),
        "{log}"
    );
    insta::assert_snapshot!(log);
}

/// The tests' private code host (HTTPS, a CA made when it starts): a proxy
/// whose CA the builder does not have.
#[test]
fn proxy_certificate_from_an_unknown_authority() {
    let test = "proxy_certificate_from_an_unknown_authority";
    let Some(case) = Case::new(test, "module-dep") else {
        return;
    };
    let server = PrivateHost::start(&case.go, &HostOptions::default());
    let case = case.env("GOPROXY", &server.url());
    let log = fails(
        &case,
        "x509: certificate signed by unknown authority",
        "the certificate of 127.0.0.1:",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn checksum_mismatch_is_a_security_error() {
    let Some(case) = Case::new("checksum_mismatch_is_a_security_error", "module-dep") else {
        return;
    };
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    let go_sum = case.src.join("go.sum");
    let text = std::fs::read_to_string(&go_sum).unwrap();
    let tampered: String = text
        .lines()
        .map(
            |line| match line.strip_prefix("example.com/greeting v1.0.0 h1:") {
                Some(_) => {
                    "example.com/greeting v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                        .to_string()
                }
                None => format!("{line}\n"),
            },
        )
        .collect();
    std::fs::write(&go_sum, tampered).unwrap();
    let case = case.env("GOPROXY", &proxy.url());
    let log = fails(
        &case,
        "SECURITY ERROR",
        "example.com/greeting@v1.0.0 as downloaded does not match go.sum",
    );
    assert!(
        !log.contains("GONOSUMCHECK")
            && !log.contains("GOFLAGS=-insecure")
            && !log.contains("GONOSUMDB"),
        "never advise turning verification off:\n{log}"
    );
    insta::assert_snapshot!(log);
}

/// The same mismatch on a layout without root Go files, where detection's
/// `go list -find` is the command that fails: its message whole, not cut.
#[test]
fn checksum_mismatch_seen_by_go_list() {
    let Some(case) = Case::new("checksum_mismatch_seen_by_go_list", "") else {
        return;
    };
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.19\n\nrequire example.com/greeting v1.0.0\n"),
            (
                "go.sum",
                "example.com/greeting v1.0.0 h1:NYGaNP7rBTvKjT6OGTYWp4kVu/OZsaBM/IhEAVb8tsY=\n\
                 example.com/greeting v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            ),
            (
                "cmd/app/main.go",
                "package main\n\nimport \"example.com/greeting\"\n\nfunc main() { println(greeting.Hello()) }\n",
            ),
        ],
    );
    let case = case.env("GOPROXY", &proxy.url());
    let log = fails(
        &case,
        "For more information, see 'go help module-auth'.",
        "example.com/greeting@v1.0.0/go.mod as downloaded does not match go.sum",
    );
    assert!(!log.contains("---> Building"), "detection failed:\n{log}");
    insta::assert_snapshot!(log);
}

#[test]
fn inconsistent_vendoring() {
    let Some(case) = Case::new("inconsistent_vendoring", "vendored") else {
        return;
    };
    set_requirement(&case.src, "example.com/greeting", "v1.1.0").unwrap();
    let log = fails(
        &case,
        "inconsistent vendoring",
        "vendor/ does not match go.mod",
    );
    insta::assert_snapshot!(log);
}

const GO_MOD_CGO: &str = "module example.com/cgoapp\n\ngo 1.21\n";
const MAIN_CGO: &str = "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(int(C.abs(-3))) }\n";

/// The root is built without asking go list first: the failed build does.
#[test]
fn cgo_in_the_main_package() {
    let Some(case) = Case::new("cgo_in_the_main_package", "") else {
        return;
    };
    write(&case.src, &[("go.mod", GO_MOD_CGO), ("main.go", MAIN_CGO)]);
    let log = fails(
        &case,
        "build constraints exclude all Go files",
        "package example.com/cgoapp needs cgo, but CGO_ENABLED=0",
    );
    insta::assert_snapshot!(log);
}

/// A program under cmd/: detection's go list sees it, and the build never starts.
#[test]
fn cgo_in_a_cmd_program_is_named_before_the_build() {
    let Some(case) = Case::new("cgo_in_a_cmd_program_is_named_before_the_build", "") else {
        return;
    };
    write(
        &case.src,
        &[("go.mod", GO_MOD_CGO), ("cmd/tool/main.go", MAIN_CGO)],
    );
    let (code, log) = case.assemble_log(&[]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        !log.contains("---> Building"),
        "named before the build:\n{log}"
    );
    assert!(
        log.ends_with("s2i-assemble: package example.com/cgoapp/cmd/tool needs cgo, but CGO_ENABLED=0 (this builder's default, for static binaries that run on the scratch runtime image): set CGO_ENABLED=1; the binary is then linked dynamically against the builder's C library and runs on the builder image, not on the scratch runtime image\n"),
        "{log}"
    );
    insta::assert_snapshot!(log);
}

/// One file of the main package uses cgo: with cgo off go leaves it out
/// and the rest fails on what it defined.
#[test]
fn cgo_in_part_of_the_main_package() {
    let Some(case) = Case::new("cgo_in_part_of_the_main_package", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", GO_MOD_CGO),
            ("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(absolute(-3)) }\n"),
            ("abs.go", "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc absolute(n int) int { return int(C.abs(C.int(n))) }\n"),
        ],
    );
    let log = fails(
        &case,
        "undefined: absolute",
        "package example.com/cgoapp needs cgo",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn cgo_in_a_dependency() {
    let Some(case) = Case::new("cgo_in_a_dependency", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", GO_MOD_CGO),
            ("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/cgoapp/cdep\"\n)\n\nfunc main() { fmt.Println(cdep.Abs(-3)) }\n"),
            ("cdep/abs.go", "package cdep\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc Abs(n int) int { return int(C.abs(C.int(n))) }\n"),
        ],
    );
    let log = fails(
        &case,
        "imports example.com/cgoapp/cdep: build constraints exclude all Go files",
        "package example.com/cgoapp/cdep needs cgo",
    );
    insta::assert_snapshot!(log);
}

/// A dependency calls what the cgo files of a package it imports define
/// (influxdb's flux and its libflux): go says `undefined: libx.Options` in
/// the caller; the package that needs cgo is the one imported.
#[test]
fn cgo_in_a_package_a_dependency_imports() {
    let Some(case) = Case::new("cgo_in_a_package_a_dependency_imports", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", GO_MOD_CGO),
            ("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/cgoapp/top\"\n)\n\nfunc main() { fmt.Println(top.Run()) }\n"),
            ("top/top.go", "package top\n\nimport \"example.com/cgoapp/libx\"\n\nfunc Run() int { return libx.Options() + libx.Plain }\n"),
            ("libx/plain.go", "package libx\n\nconst Plain = 1\n"),
            ("libx/options.go", "package libx\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc Options() int { return int(C.abs(-2)) }\n"),
        ],
    );
    fails(
        &case,
        "undefined: libx.Options",
        "package example.com/cgoapp/libx needs cgo",
    );
}

/// Files only for cgo builds (`//go:build cgo`), no `import "C"`: cgo off
/// leaves none, and that is said, not just `build constraints exclude`.
#[test]
fn cgo_build_constraint_on_the_main_package() {
    let Some(case) = Case::new("cgo_build_constraint_on_the_main_package", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/tagged\n\ngo 1.21\n"),
            (
                "main.go",
                "//go:build cgo\n\npackage main\n\nfunc main() { println(\"cgo build\") }\n",
            ),
        ],
    );
    let log = fails(
        &case,
        "build constraints exclude all Go files",
        "package example.com/tagged needs cgo, but CGO_ENABLED=0",
    );
    insta::assert_snapshot!(log);
}

/// Build constraints that leave nothing for this GOOS are not taken for cgo.
#[test]
fn build_constraints_for_another_os() {
    let Some(case) = Case::new("build_constraints_for_another_os", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/winonly\n\ngo 1.21\n"),
            ("main_windows.go", "package main\n\nfunc main() {}\n"),
        ],
    );
    let log = fails(&case, "build constraints exclude all Go files", "");
    assert!(!log.contains("cgo"), "{log}");
    insta::assert_snapshot!(log);
}

/// What the cgo fixtures are: they build with cgo on (and a C compiler).
#[test]
fn cgo_sources_build_with_cgo_enabled() {
    let test = "cgo_sources_build_with_cgo_enabled";
    let Some(case) = Case::new(test, "") else {
        return;
    };
    if require_tool("gcc", test).is_none() {
        return;
    }
    write(&case.src, &[("go.mod", GO_MOD_CGO), ("main.go", MAIN_CGO)]);
    let case = case.env("CGO_ENABLED", "1");
    case.assemble_ok();
    assert_eq!(case.run("gobinary"), "3\n");
}

/// A library named as the root guess, with cgo, is not a main package:
/// the programs under cmd/ are built, as for any library root.
#[test]
fn cgo_library_root_is_not_taken_for_the_program() {
    let Some(case) = Case::new("cgo_library_root_is_not_taken_for_the_program", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", GO_MOD_CGO),
            ("abs.go", "package cgoapp\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc Abs(n int) int { return int(C.abs(C.int(n))) }\n"),
            ("cmd/tool/main.go", "package main\n\nfunc main() { println(\"tool\") }\n"),
        ],
    );
    case.assemble_ok();
    assert!(case.app_root.join("bin/tool").is_file());
}

#[test]
fn compile_error_names_file_line_and_package() {
    let Some(case) = Case::new("compile_error_names_file_line_and_package", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/shop\n\ngo 1.19\n"),
            ("main.go", "package main\n\nimport \"example.com/shop/internal/store\"\n\nfunc main() { store.Open() }\n"),
            ("internal/store/store.go", "package store\n\nfunc Open() {\n\treturn 1\n}\n"),
        ],
    );
    let log = fails(
        &case,
        "internal/store/store.go:4:9: too many return values",
        "compile error at internal/store/store.go:4 in package example.com/shop/internal/store",
    );
    insta::assert_snapshot!(log);
}

/// What `go generate` makes is not committed (syncthing's GUI assets):
/// the package that should define the name has a `//go:generate` line.
#[test]
fn code_go_generate_makes_is_missing() {
    let Some(case) = Case::new("code_go_generate_makes_is_missing", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/sync

go 1.21
"),
            ("main.go", "package main

import (
	\"fmt\"

	\"example.com/sync/lib/auto\"
)

func main() { fmt.Println(len(auto.Assets())) }
"),
            ("lib/auto/doc.go", "// Package auto holds the GUI's files.\npackage auto\n\n//go:generate go run ../../script/genassets.go -o gui.files.go ../../gui\n"),
        ],
    );
    let log = fails(
        &case,
        "main.go:9:36: undefined: auto.Assets",
        "compile error at main.go:9 in package example.com/sync (undefined: auto.Assets), and the package that should define it has lib/auto/doc.go:4: //go:generate go run ../../script/genassets.go -o gui.files.go ../../gui: what go generate makes",
    );
    insta::assert_snapshot!(log);
}

/// A package of the module whose directory the repository lacks
/// (generated protobuf code, ignored by git): go says no module provides
/// it, as for a dependency; `go get` is not the fix.
#[test]
fn a_package_of_this_module_missing_from_the_sources() {
    let Some(case) = Case::new("a_package_of_this_module_missing_from_the_sources", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n"),
            (
                "main.go",
                "package main\n\nimport \"example.com/app/gen/pb\"\n\nfunc main() { pb.Serve() }\n",
            ),
            (".gitignore", "gen/\n"),
        ],
    );
    let log = fails(
        &case,
        "no required module provides package example.com/app/gen/pb",
        "package example.com/app/gen/pb is this module's own, but the sources have no directory gen/pb: it is not committed",
    );
    assert!(!log.contains("go get example.com/app/gen/pb` in"), "{log}");
    insta::assert_snapshot!(log);
}

/// Written on macOS, whose file system ignores case: the import says
/// `internal/Utils`, the directory is `internal/utils`.
#[test]
fn an_import_path_and_its_directory_differ_in_case() {
    let Some(case) = Case::new("an_import_path_and_its_directory_differ_in_case", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n"),
            ("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/app/internal/Utils\"\n)\n\nfunc main() { fmt.Println(utils.Hi()) }\n"),
            ("internal/utils/utils.go", "package utils\n\nfunc Hi() string { return \"hi\" }\n"),
        ],
    );
    let log = fails(
        &case,
        "no required module provides package example.com/app/internal/Utils",
        "package example.com/app/internal/Utils is this module's own, but the sources have internal/utils, not internal/Utils: names that differ only in case",
    );
    insta::assert_snapshot!(log);
}

/// A package that moved into a module of its own (genproto's
/// googleapis/api did in 2023): the old module still holds it, and both
/// are required.
#[test]
fn a_package_two_required_modules_provide() {
    let Some(case) = Case::new("a_package_two_required_modules_provide", "") else {
        return;
    };
    let modules = tempfile::tempdir().unwrap();
    let old = modules.path().join("a");
    let moved = modules.path().join("ab");
    write(
        &old,
        &[
            ("go.mod", "module example.com/a\n\ngo 1.21\n"),
            ("a.go", "package a\n"),
            (
                "b/b.go",
                "package b\n\nfunc B() string { return \"old\" }\n",
            ),
        ],
    );
    write(
        &moved,
        &[
            ("go.mod", "module example.com/a/b\n\ngo 1.21\n"),
            (
                "b.go",
                "package b\n\nfunc B() string { return \"moved\" }\n",
            ),
        ],
    );
    let proxy = ModuleProxy::build(
        &modules.path().join("proxy"),
        &[
            ("example.com/a", "v1.0.0", &old),
            ("example.com/a/b", "v1.0.0", &moved),
        ],
    )
    .unwrap();
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/a/b v1.0.0\n)\n"),
            ("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/a/b\"\n)\n\nfunc main() { fmt.Println(b.B()) }\n"),
        ],
    );
    let case = case.env("GOPROXY", &proxy.url()).env("GOFLAGS", "-mod=mod");
    let log = fails(
        &case,
        "ambiguous import: found package example.com/a/b in multiple modules",
        "package example.com/a/b is in more than one module the build requires (example.com/a@v1.0.0, example.com/a/b@v1.0.0): it most likely moved out of example.com/a",
    );
    insta::assert_snapshot!(log);
}

/// A dependency whose code does not compile (here a plain type error; in
/// the wild, code that needs cgo or a newer Go): the message names the
/// module and its file, not the user's code to fix. The module path has
/// capitals, which the module cache encodes (`!widget!co`).
#[test]
fn a_dependency_that_does_not_compile_is_named() {
    let Some(case) = Case::new("a_dependency_that_does_not_compile_is_named", "") else {
        return;
    };
    let modules = tempfile::tempdir().unwrap();
    let broken = modules.path().join("broken");
    write(
        &broken,
        &[
            ("go.mod", "module example.com/WidgetCo/render\n\ngo 1.21\n"),
            (
                "page/page.go",
                "package page\n\nfunc Page() int { return \"not an int\" }\n",
            ),
        ],
    );
    let proxy = ModuleProxy::build(
        &modules.path().join("proxy"),
        &[("example.com/WidgetCo/render", "v1.2.0", &broken)],
    )
    .unwrap();
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n\nrequire example.com/WidgetCo/render v1.2.0\n"),
            ("main.go", "package main\n\nimport \"example.com/WidgetCo/render/page\"\n\nfunc main() { println(page.Page()) }\n"),
        ],
    );
    let case = case.env("GOPROXY", &proxy.url()).env("GOFLAGS", "-mod=mod");
    let log = fails(
        &case,
        "cannot use \"not an int\"",
        "compile error in the dependency example.com/WidgetCo/render@v1.2.0 (page/page.go:3, package example.com/WidgetCo/render/page): its code does not build with this build's settings",
    );
    assert!(!log.contains("fix the code"), "{log}");
}

/// The same in a vendored dependency: named from vendor/modules.txt, and
/// the fix ends with `go mod vendor`.
#[test]
fn a_vendored_dependency_that_does_not_compile_is_named() {
    let Some(case) = Case::new("a_vendored_dependency_that_does_not_compile_is_named", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.21\n\nrequire example.com/render v1.2.0\n"),
            ("main.go", "package main\n\nimport \"example.com/render/page\"\n\nfunc main() { println(page.Page()) }\n"),
            ("vendor/modules.txt", "# example.com/render v1.2.0\n## explicit; go 1.21\nexample.com/render/page\n"),
            ("vendor/example.com/render/page/page.go", "package page\n\nfunc Page() int { return \"not an int\" }\n"),
        ],
    );
    let log = fails(
        &case,
        "cannot use \"not an int\"",
        "compile error in the dependency example.com/render@v1.2.0 (vendor/example.com/render/page/page.go:3, package example.com/render/page): its code does not build with this build's settings",
    );
    assert!(
        log.contains("then `go mod tidy` and `go mod vendor`)"),
        "{log}"
    );
}

#[test]
fn go_mod_syntax_error() {
    let Some(case) = Case::new("go_mod_syntax_error", "") else {
        return;
    };
    write(
        &case.src,
        &[
            (
                "go.mod",
                "module example.com/app\n\ngo 1.21\n\nrequir example.com/greeting v1.0.0\n",
            ),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
    );
    let log = fails(
        &case,
        "unknown directive: requir",
        "go.mod line 5 is invalid (unknown directive: requir)",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn go_work_syntax_error() {
    let Some(case) = Case::new("go_work_syntax_error", "workspace") else {
        return;
    };
    let go_work = case.src.join("go.work");
    let mut text = std::fs::read_to_string(&go_work).unwrap();
    text.push_str("bogus ./x\n");
    std::fs::write(&go_work, text).unwrap();
    let log = fails(&case, "unknown directive: bogus", "go.work line ");
    insta::assert_snapshot!(log);
}

#[test]
fn toolchain_that_cannot_be_downloaded() {
    let Some(case) = Case::new("toolchain_that_cannot_be_downloaded", "") else {
        return;
    };
    write(
        &case.src,
        &[
            ("go.mod", "module example.com/app\n\ngo 1.99.1\n"),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
    );
    let case = case.env("GOTOOLCHAIN", "auto");
    let log = fails(
        &case,
        "toolchain not available",
        "GOTOOLCHAIN=auto could not download go1.99.1",
    );
    insta::assert_snapshot!(log);
}

#[test]
fn anything_else_names_the_go_command() {
    let Some(case) = Case::new("anything_else_names_the_go_command", "module-basic") else {
        return;
    };
    let case = case.env("GO_BUILD_FLAGS", "-bogus");
    let log = fails(
        &case,
        "flag provided but not defined: -bogus",
        "go build failed (exit status: 2); Go's messages are above",
    );
    insta::assert_snapshot!(log);
}

/// `-mod=mod` lets go write go.mod and go.sum: it writes copies in the
/// work area, and the sources stay byte for byte what they were.
fn mod_mod_leaves_the_sources_untouched(test: &str, name: &str, value: &str) {
    let Some(case) = Case::new(test, "module-dep") else {
        return;
    };
    std::fs::remove_file(case.src.join("go.sum")).unwrap();
    let proxy = fixture_proxy(&case.tmp.path().join("proxy")).unwrap();
    let before = contents(&case.src);
    let case = case.env("GOPROXY", &proxy.url()).env(name, value);
    case.assemble_ok();
    assert_eq!(
        case.run("gobinary"),
        "module-dep says hello from greeting v1.0.0\n"
    );
    assert!(
        contents(&case.src) == before,
        "the sources changed: {:?}",
        listing(&case.src)
    );
}

#[test]
fn goflags_mod_mod_leaves_the_sources_untouched() {
    mod_mod_leaves_the_sources_untouched(
        "goflags_mod_mod_leaves_the_sources_untouched",
        "GOFLAGS",
        "-mod=mod",
    );
}

#[test]
fn go_build_flags_mod_mod_leaves_the_sources_untouched() {
    mod_mod_leaves_the_sources_untouched(
        "go_build_flags_mod_mod_leaves_the_sources_untouched",
        "GO_BUILD_FLAGS",
        "-mod=mod",
    );
}
