//! Writes the benchmark's generated Go app (`s2i_tests::go::generate_app`):
//! `cargo run -p s2i-assemble --example generate_app -- DIR PACKAGES`.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), packages) = (args.next(), args.next()) else {
        eprintln!("usage: generate_app DIR [PACKAGES (default 300)]");
        std::process::exit(2);
    };
    let packages = packages.map_or(300, |p| p.parse().expect("PACKAGES is a number"));
    s2i_tests::go::generate_app(std::path::Path::new(&dir), packages).unwrap_or_else(|e| {
        eprintln!("generate_app: cannot write {dir}: {e}");
        std::process::exit(1);
    });
}
