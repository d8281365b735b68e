//! The emulated machine, under every layer: the CPUs (`cpu`), the address map and guest memory
//! helpers (`memory`), and trap stubs, the code mapped where a library modeled in Rust would be
//! (`stubs`).

pub mod cpu;
pub mod memory;
pub mod stubs;
