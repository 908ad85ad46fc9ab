fn main() {
    eprintln!("s2i-usage: not implemented yet");
    std::process::exit(1);
}
