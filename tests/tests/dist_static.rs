//! The binaries in dist/ (written by `cargo xtask dist`, which `cargo xtask
//! test` runs first) are static: they go into application images with no C
//! library, so each must start with nothing but the kernel. Checked in the
//! ELF file itself: no program interpreter, no shared library needed.

use s2i_tests::elf;

#[test]
fn every_binary_in_dist_is_static() {
    let dist = s2i_tests::workspace_root().join("dist");
    let Ok(entries) = std::fs::read_dir(&dist) else {
        s2i_tests::skip::<()>(
            "every_binary_in_dist_is_static",
            "dist/ is missing: run `cargo xtask dist` (or `cargo xtask test`)",
        );
        return;
    };
    let mut binaries: Vec<_> = entries
        .map(|e| e.expect("a readable dist/ entry").path())
        .filter(|p| p.is_file())
        .collect();
    binaries.sort();
    assert!(!binaries.is_empty(), "dist/ holds no binary");
    let mut dynamic = Vec::new();
    for binary in &binaries {
        let linkage = elf::linkage_of(binary).unwrap_or_else(|e| panic!("{e}"));
        if !linkage.is_static() {
            dynamic.push(format!("{}: {linkage:?}", binary.display()));
        }
    }
    assert!(
        dynamic.is_empty(),
        "dynamically linked binaries in dist/:\n{}",
        dynamic.join("\n")
    );
    for name in ["s2i-run", "s2i-assemble", "s2i-usage", "s2i-save-artifacts"] {
        assert!(dist.join(name).is_file(), "dist/{name} is missing");
    }
}

/// Each binary names itself and the workspace's version with `--version`
/// and `-V`: how the image tests tell that an image's scripts are the ones
/// built from these sources.
#[test]
fn every_binary_prints_its_version() {
    for name in ["s2i-run", "s2i-assemble", "s2i-usage", "s2i-save-artifacts"] {
        let bin = s2i_tests::workspace_bin(name);
        for flag in ["--version", "-V"] {
            let out = std::process::Command::new(&bin)
                .arg(flag)
                .output()
                .expect("run the binary");
            assert!(out.status.success(), "{name} {flag}: {}", out.status);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("{name} {}\n", env!("CARGO_PKG_VERSION")),
                "{name} {flag}"
            );
            assert!(out.stderr.is_empty(), "{name} {flag} wrote to stderr");
        }
    }
}
