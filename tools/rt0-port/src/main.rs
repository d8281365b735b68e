//! rt0-port: tooling for porters (filled in by the emulator and porting issues).
fn main() {
    eprintln!("rt0-port: no subcommands yet");
    std::process::exit(2);
}
