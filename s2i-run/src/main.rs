fn main() {
    eprintln!("s2i-run: not implemented yet");
    std::process::exit(1);
}
