//! # rt0: library entry points for Rust static and shared libraries
//!
//! rt0 gives a Rust `staticlib` or `cdylib` what Go's `-buildmode=c-archive` / `c-shared` gives
//! Go code: an entry point that runs when the C host loads the library, saves argc/argv/envp,
//! starts the library's initialization on a fresh OS thread and returns at once, so the host's
//! `main` proceeds; exported functions wait for that init with [`wait_init_done`].
//!
//! ```ignore
//! rt0::lib_entry!(init);
//! fn init(args: &rt0::Args) -> Result<(), rt0::InitError> { /* runs on its own thread */ Ok(()) }
//! #[no_mangle]
//! pub extern "C" fn mylib_answer() -> i32 { if rt0::wait_init_done().is_ok() { 42 } else { -1 } }
//! ```
//!
//! The per-target parts (entry stub, syscall trampoline, register-convention description) live
//! under `arch/<triple>/`; `build.rs` turns the description into [`abi`].
//!
//! Modules: [`entry`] (the load-time entry, init state, waiting), [`thread`] (`newosproc0`:
//! creating an OS thread with no runtime), [`sys`] (typed system calls), [`abi`] (the generated
//! constants).

#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "std")]
extern crate std;

pub mod abi;
pub mod entry;
#[cfg(target_os = "linux")]
mod procself;
pub mod sys;
pub mod thread;

pub use entry::{
    args, creator, wait_init_done, Args, Creator, InitError, InitErrorKind, InitState,
};
pub use thread::{newosproc0, try_newosproc0, CreateError, CreateStage};
