//! The entry record: the one structure the entry stub and Rust share.
//!
//! Each library's [`Library`](crate::Library) starts with it. The library's initializer calls
//! the entry stub with the loader's arguments and the record's address; the stub calls the four
//! functions below through it. Their offsets come from build.rs (`RT0_RECORD_*` in rt0_abi.h,
//! `abi::record` here) and are checked against the Rust layout at compile time.

use crate::thread::StartFn;
use core::ffi::{c_char, c_void};

/// The functions the entry stub calls, in the order it calls them.
#[repr(C)]
pub struct EntryRecord {
    /// `prepare(record, argc, argv, envp)`: claims the entry (the first caller wins), saves the
    /// arguments, pins the image; returns the init stack size, or 0 when there is nothing to
    /// start (the entry already ran).
    pub(crate) prepare: unsafe extern "C" fn(
        *const EntryRecord,
        usize,
        *const *const c_char,
        *const *const c_char,
    ) -> usize,
    /// `create(stack_size, start, arg)`: the library's thread creator (pthread or raw);
    /// returns 0 or an encoded failure.
    pub(crate) create: unsafe extern "C" fn(usize, StartFn, *mut c_void) -> u32,
    /// The init thread's start routine; its argument is the record.
    pub(crate) thread_main: StartFn,
    /// `finish(record, code)`: records a creation failure (0 = none).
    pub(crate) finish: unsafe extern "C" fn(*const EntryRecord, u32),
}

// The layout build.rs gave the stubs is the layout Rust uses.
const _: () = {
    use crate::abi::record;
    assert!(core::mem::offset_of!(EntryRecord, prepare) == record::PREPARE);
    assert!(core::mem::offset_of!(EntryRecord, create) == record::CREATE);
    assert!(core::mem::offset_of!(EntryRecord, thread_main) == record::THREAD_MAIN);
    assert!(core::mem::offset_of!(EntryRecord, finish) == record::FINISH);
};
