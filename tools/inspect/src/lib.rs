//! Reading what rt0's builds and C hosts produce, in one place for `rt0-port check` and the
//! tests: static archives and their members ([`archive`]), ELF and Mach-O objects and linked
//! images with their symbols, sections, relocations and load-time fix-ups ([`object`],
//! [`image`]), a function's instructions ([`disasm`]), and the `key=value` reports the C hosts
//! and the emulator print ([`report`]).
//!
//! Objects are parsed with goblin and code is disassembled with capstone (its C sources are
//! bundled; the `disasm` feature, on by default), so nothing depends on the LLVM tools installed
//! or on how a version of them prints.

pub mod archive;
#[cfg(feature = "disasm")]
pub mod disasm;
pub mod image;
pub mod object;
pub mod report;

mod error;

pub use archive::{Archive, Member};
pub use error::Error;
pub use object::{Arch, Format, Object, Relocation, Section, Symbol};

/// Whether `found` names rt0's stub symbol `name`: `name` itself, or `name_<hex>` (rt0's build
/// script suffixes every stub symbol with a hash of the stub code and the description, so that
/// two copies of rt0 in one program share a stub only when it is the same code).
pub fn is_stub_symbol(found: &str, name: &str) -> bool {
    found == name
        || found
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_stub_symbol;

    #[test]
    fn stub_symbols_are_found_with_or_without_their_hash() {
        let base = "_rt0_raw_thread_create";
        assert!(is_stub_symbol("_rt0_raw_thread_create", base));
        assert!(is_stub_symbol("_rt0_raw_thread_create_ee1f4edb", base));
        assert!(!is_stub_symbol("_rt0_raw_thread_create_x", base));
        assert!(!is_stub_symbol("_rt0_raw_thread_created", base));
        assert!(!is_stub_symbol("_rt0_raw_thread_create_", base));
    }
}
