//! README.md's `console` blocks, run with the binaries of `dist/` and
//! their output compared (trycmd): README's examples cannot drift from the
//! binaries. `TRYCMD=overwrite` rewrites the outputs in README.md.

#[test]
fn readme_console_examples_run() {
    let root = s2i_tests::workspace_root();
    let dist = root.join("dist");
    let names = ["s2i-assemble", "s2i-run", "s2i-usage", "s2i-save-artifacts"];
    if !names.iter().all(|n| dist.join(n).is_file()) {
        s2i_tests::skip::<()>(
            "readme_console_examples_run",
            "dist/ is missing: run `cargo xtask dist` (or `cargo xtask test`)",
        );
        return;
    }
    let cases = trycmd::TestCases::new();
    for name in names {
        cases.register_bin(name, dist.join(name));
    }
    cases.case(root.join("README.md"));
}
