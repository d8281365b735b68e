//! libdyld's part of libSystem, for a process of one image (the executable): `dladdr` finds
//! addresses in it, `dlopen` of its own path (or NULL) returns a handle and never loads
//! anything else.

use unicorn_engine::Unicorn;

use super::fault;
use crate::emulate::memory::{read_cstr, LIBSYSTEM_DATA};
use crate::emulate::process::State;

/// The handle `dlopen` returns for the executable: an address in libSystem's data, so it is
/// non-null and never a valid image pointer of the program's own.
const MAIN_HANDLE: u64 = LIBSYSTEM_DATA + 0x300;

/// dladdr(addr, info) (DYLD dyld/DyldAPIs.cpp dladdr): for an address in the executable, fills
/// Dl_info {dli_fname, dli_fbase, dli_sname, dli_saddr} (no symbol names: sname and saddr are
/// NULL) and returns non-zero; otherwise 0.
pub fn dladdr(st: &mut State, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let d = &st.dyld;
    if a[0] < d.image_header || a[0] >= d.image_end {
        return 0;
    }
    let info = [d.image_path, d.image_header, 0, 0];
    let bytes: Vec<u8> = info.iter().flat_map(|w| w.to_le_bytes()).collect();
    if uc.mem_write(a[1], &bytes).is_err() {
        fault(st, uc, a[1]);
        return 0;
    }
    1
}

/// dlopen(path, mode): NULL or the executable's own path give its handle; any other path gives
/// NULL (loading is not modeled, so only RTLD_NOLOAD-style uses work).
pub fn dlopen(st: &mut State, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if a[0] == 0 {
        return MAIN_HANDLE;
    }
    let own = read_cstr(uc, st.dyld.image_path, 4096);
    let asked = read_cstr(uc, a[0], 4096);
    if asked.is_some() && asked == own {
        MAIN_HANDLE
    } else {
        st.trace("dlopen of another image: loading is not modeled");
        0
    }
}
