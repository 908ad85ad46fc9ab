//! s2i-assemble and s2i-run are binary crates: their modules are reachable
//! from a fuzz target only by compiling them into it. This writes, for
//! each, the list of its modules (the `mod NAME;` lines of its `main.rs`)
//! as `#[path]` declarations that a target includes at its root, where
//! their `crate::` paths resolve as in the binary. Read from `main.rs` on
//! every build, the list cannot drift from the binary's; nothing in the
//! binaries changes for the fuzzing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for krate in ["s2i-assemble", "s2i-run"] {
        let src = root.join(krate).join("src");
        let main = src.join("main.rs");
        println!("cargo:rerun-if-changed={}", main.display());
        let text = std::fs::read_to_string(&main).unwrap();
        let mut modules = String::new();
        for line in text.lines() {
            let line = line.trim();
            let Some(name) = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))
                .and_then(|rest| rest.strip_suffix(';'))
            else {
                continue;
            };
            let file = [
                src.join(format!("{name}.rs")),
                src.join(name).join("mod.rs"),
            ]
            .into_iter()
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("{krate}: no file for `mod {name};`"));
            writeln!(
                modules,
                "#[path = {:?}]\nmod {name};",
                file.display().to_string()
            )
            .unwrap();
        }
        let name = krate.replace('-', "_");
        std::fs::write(out.join(format!("{name}_modules.rs")), modules).unwrap();
    }
}
