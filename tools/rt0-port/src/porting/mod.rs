//! The porter's subcommands (docs/porting.md), each in its own module:
//!
//! - `list`: every folder under `arch/` and every registered triple, with its files, whether it
//!   builds here, how it is verified and the last check's verdict;
//! - `describe`: a port's parsed description, as text or JSON;
//! - `new`: a new port's folder from the nearest finished one, every fact to find marked `TODO`;
//! - `check`: build, static checks, scenarios; a verdict table.
//!
//! They share the modules below them, never each other: `ctx` (which arch tree), `ports` (what
//! it holds), `toolchain` (finding and running build tools), `results` (the verdicts `check`
//! records and `list` shows) and `table` (aligned terminal tables).
//!
//! Every subcommand takes `--arch-dir DIR` to work on another arch tree (a scratch copy in the
//! tool's own tests); the builds it runs get `RT0_ARCH_DIR=DIR`, which build.rs honours.

pub mod check;
pub mod ctx;
pub mod describe;
pub mod list;
pub mod new;
pub mod ports;
pub mod results;
pub mod table;
pub mod toolchain;

use std::path::PathBuf;

/// The arch tree option every porting subcommand takes.
#[derive(clap::Args, Debug, Clone)]
pub struct ArchDir {
    /// Work on this arch tree instead of the workspace's arch/ (default: RT0_ARCH_DIR, else
    /// <workspace>/arch).
    #[arg(long, value_name = "DIR")]
    pub arch_dir: Option<PathBuf>,
}

/// Runs a subcommand's body on the arch tree `dir` names; `name` prefixes errors.
pub fn with_ctx(name: &str, dir: &ArchDir, body: impl FnOnce(&ctx::Ctx) -> i32) -> i32 {
    match ctx::Ctx::new(dir.arch_dir.clone()) {
        Ok(c) => body(&c),
        Err(e) => {
            eprintln!("rt0-port {name}: {e}");
            2
        }
    }
}
