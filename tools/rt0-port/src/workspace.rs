//! Where the rt0 workspace and its arch tree are, for every command: one lookup instead of one
//! per module.

use std::path::{Path, PathBuf};

/// The workspace root: `RT0_WORKSPACE`, else two levels above this crate's manifest
/// (tools/rt0-port), where rt0's Cargo.toml is.
pub fn root() -> PathBuf {
    if let Some(r) = std::env::var_os("RT0_WORKSPACE") {
        return PathBuf::from(r);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    here.canonicalize().unwrap_or(here)
}

/// The arch tree build.rs reads: `RT0_ARCH_DIR` (as build.rs honours it), else `<root>/arch`.
pub fn arch_dir(root: &Path) -> PathBuf {
    match std::env::var_os("RT0_ARCH_DIR") {
        Some(d) => PathBuf::from(d),
        None => root.join("arch"),
    }
}
