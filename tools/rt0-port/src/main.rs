//! rt0-port: tooling for porters of rt0 (docs/porting.md, docs/emulator.md).
//!
//! - `list`, `describe`, `new`, `check`: where every port stands, its conventions, a new port's
//!   skeleton, and its verdict (`porting/`);
//! - `emulate`: builds the demo, links it with a C host against the emulated libSystem, and
//!   runs it under an emulated XNU (`emulate/`).
//!
//! The usage text (`rt0-port help`, `rt0-port <command> --help`) is generated from the
//! argument definitions below and in each command's module.

mod arch_tree;
mod emulate;
mod porting;
mod workspace;

use clap::{Parser, Subcommand};
// The description reader rt0's build script uses, so both read abi.toml the same way; the
// modules name it `crate::description`.
use rt0_description as description;

/// Porting tools for rt0: emulate, list, describe, new, check.
#[derive(Parser, Debug)]
#[command(
    name = "rt0-port",
    after_help = "See docs/porting.md and docs/emulator.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every port under arch/ and how it is verified.
    List(porting::list::Args),
    /// A port's register conventions.
    Describe(porting::describe::Args),
    /// Start a port from the nearest finished one (docs/porting.md).
    New(porting::new::Args),
    /// Build, static checks, scenarios; a verdict table.
    Check(porting::check::Args),
    /// Run the demo (or --exe) under the emulated XNU; exits with the emulated status.
    Emulate(emulate::Args),
}

fn main() {
    let status = match Cli::parse().command {
        Command::List(a) => porting::with_ctx("list", &a.arch, |c| porting::list::run(c, &a)),
        Command::Describe(a) => {
            porting::with_ctx("describe", &a.arch, |c| porting::describe::run(c, &a))
        }
        Command::New(a) => porting::with_ctx("new", &a.arch, |c| porting::new::run(c, &a)),
        Command::Check(a) => porting::with_ctx("check", &a.arch, |c| porting::check::run(c, &a)),
        Command::Emulate(a) => emulate::command(a),
    };
    std::process::exit(status);
}
