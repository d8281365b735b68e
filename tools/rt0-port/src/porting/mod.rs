//! The porter's subcommands: `list`, `describe`, `new`, `check` (docs/porting.md).

/// Runs the porting subcommand `cmd` with its arguments; returns the exit status.
pub fn run(cmd: &str, args: &[String]) -> i32 {
    let _ = args;
    eprintln!("rt0-port {cmd}: being written (docs/porting.md)");
    2
}
