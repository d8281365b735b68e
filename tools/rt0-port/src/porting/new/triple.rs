//! What a Rust target triple says about a new port: its architecture (as descriptions spell
//! it), its OS (one rt0's descriptions know) and its environment. Parsed by target-lexicon, as
//! build.rs parses the target it builds for.

use std::str::FromStr;

use target_lexicon::{Architecture, Environment, OperatingSystem, Triple};

use crate::description::Os;

/// What a triple says about its architecture and OS.
#[derive(Debug, Clone)]
pub struct TripleParts {
    /// The description's arch spelling (`x86_64`, `aarch64`, `riscv64`, ...).
    pub arch: String,
    /// `linux` or `darwin`.
    pub os: Os,
    /// The environment (`gnu`, `musl`, ...), empty if none.
    pub env: String,
}

/// Splits a Rust target triple into what a description needs.
pub fn parse_triple(triple: &str) -> Result<TripleParts, String> {
    let t = Triple::from_str(triple).map_err(|e| {
        format!("`{triple}` is not a target triple ({e}; see `rustc --print target-list`)")
    })?;
    let arch = match t.architecture {
        Architecture::X86_64 => "x86_64".to_string(),
        Architecture::Aarch64(_) => "aarch64".to_string(),
        Architecture::Riscv64(_) => "riscv64".to_string(),
        a => a.to_string(),
    };
    let os = match t.operating_system {
        OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_) => Os::Darwin,
        OperatingSystem::Linux => Os::Linux,
        other => {
            return Err(format!(
                "`{triple}`: rt0's descriptions know the operating systems linux and darwin; a port to `{other}` first needs an `Os` for it in rt0-description (description/src/model.rs, its required numbers and constants in required.rs) and in build.rs"
            ))
        }
    };
    let env = match t.environment {
        Environment::Unknown => String::new(),
        e => e.to_string(),
    };
    Ok(TripleParts { arch, os, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triples_split_into_what_a_description_needs() {
        let p = parse_triple("riscv64gc-unknown-linux-gnu").unwrap();
        assert_eq!(
            (p.arch.as_str(), p.os, p.env.as_str()),
            ("riscv64", Os::Linux, "gnu")
        );
        let p = parse_triple("aarch64-apple-darwin").unwrap();
        assert_eq!(
            (p.arch.as_str(), p.os, p.env.as_str()),
            ("aarch64", Os::Darwin, "")
        );
        let p = parse_triple("x86_64-unknown-linux-musl").unwrap();
        assert_eq!(p.env, "musl");
        assert!(parse_triple("x86_64-unknown-freebsd")
            .unwrap_err()
            .contains("`Os`"));
        assert!(parse_triple("riscv64").is_err());
        assert!(parse_triple("a--b").is_err());
    }
}
