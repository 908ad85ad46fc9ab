//! `cargo xtask dist`: the runtime binaries, static (static-pie on musl), in `dist/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::run;

/// The binaries that ship in the builder image, in /usr/libexec/s2i.
pub const BINARIES: [&str; 4] = ["s2i-assemble", "s2i-run", "s2i-usage", "s2i-save-artifacts"];

const MUSL: &str = "x86_64-unknown-linux-musl";
const GNU: &str = "x86_64-unknown-linux-gnu";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Builds the binaries and copies them to `dist/`; returns that folder.
pub fn build() -> Result<PathBuf, String> {
    let root = workspace_root();
    let target = if has_target(MUSL) || add_target(MUSL) {
        MUSL
    } else {
        // Without musl, glibc's static libc; the explicit --target keeps
        // crt-static away from proc-macro crates, which cannot be static.
        eprintln!("xtask: the musl target is unavailable; falling back to a static glibc build (larger binaries)");
        GNU
    };
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(&root)
        .args(["build", "--release", "--target", target]);
    for bin in BINARIES {
        cargo.args(["--package", bin]);
    }
    if target == GNU {
        cargo.env("RUSTFLAGS", "-C target-feature=+crt-static");
    }
    run(&mut cargo)?;

    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    for bin in BINARIES {
        let built = root.join("target").join(target).join("release").join(bin);
        let shipped = dist.join(bin);
        std::fs::copy(&built, &shipped).map_err(|e| {
            format!(
                "cannot copy {} to {}: {e}",
                built.display(),
                shipped.display()
            )
        })?;
        let size = std::fs::metadata(&shipped).map(|m| m.len()).unwrap_or(0);
        eprintln!("xtask: dist/{bin} ({} KB)", size / 1024);
    }
    Ok(dist)
}

/// A toolchain program (`rustc`, `rustup`) from the folder cargo runs from,
/// so the check does not depend on what the caller's PATH holds: a PATH
/// without ~/.cargo/bin once made dist fall back to glibc silently.
fn toolchain_program(name: &str) -> PathBuf {
    let beside_cargo = Path::new(env!("CARGO")).with_file_name(name);
    if beside_cargo.is_file() {
        beside_cargo
    } else {
        PathBuf::from(name)
    }
}

fn has_target(target: &str) -> bool {
    Command::new(toolchain_program("rustc"))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|sysroot| sysroot.join("lib/rustlib").join(target).is_dir())
}

fn add_target(target: &str) -> bool {
    eprintln!("xtask: adding the {target} target with rustup");
    Command::new(toolchain_program("rustup"))
        .args(["target", "add", target])
        .status()
        .is_ok_and(|s| s.success())
}
