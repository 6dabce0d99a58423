//! trunkwatch command line.
fn main() {
    eprintln!("trunkwatch: not wired yet");
    std::process::exit(1);
}
