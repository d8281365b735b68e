//! The asm stubs (`arch/<triple>/entry.S`, `syscall.S`) as Rust sees them.
//!
//! Their symbol names carry a hash of the stub code (build.rs `stub_tag`), so two copies of rt0
//! linked into one program share a stub only when it is the same code. The declarations are
//! generated with those names into `OUT_DIR/stubs.rs`.

include!(concat!(env!("OUT_DIR"), "/stubs.rs"));
