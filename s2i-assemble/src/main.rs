fn main() {
    eprintln!("s2i-assemble: not implemented yet");
    std::process::exit(1);
}
