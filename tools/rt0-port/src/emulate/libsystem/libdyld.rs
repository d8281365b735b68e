//! libdyld's part of libSystem, for a process of one image (the executable): `dladdr` finds
//! addresses in it, `dlopen` of its own path (or NULL) returns a handle and never loads
//! anything else.

use unicorn_engine::Unicorn;

use super::failure::fault;
use crate::emulate::dyld::Dyld;
use crate::emulate::kernel::Kernel;
use crate::emulate::machine::memory::{read_cstr, LIBSYSTEM_DATA};

/// The handle `dlopen` returns for the executable: an address in libSystem's data, so it is
/// non-null and never a valid image pointer of the program's own.
const MAIN_HANDLE: u64 = LIBSYSTEM_DATA + 0x300;

/// <dlfcn.h> (macOS SDK): dlopen's mode bits.
const RTLD_MODES: [(u64, &str); 7] = [
    (0x1, "RTLD_LAZY"),
    (0x2, "RTLD_NOW"),
    (0x4, "RTLD_LOCAL"),
    (0x8, "RTLD_GLOBAL"),
    (0x10, "RTLD_NOLOAD"),
    (0x80, "RTLD_NODELETE"),
    (0x100, "RTLD_FIRST"),
];
pub const RTLD_NODELETE: u64 = 0x80;

/// `mode` as `RTLD_A|RTLD_B` (unknown bits in hex).
fn mode_names(mode: u64) -> String {
    let mut v: Vec<String> = RTLD_MODES
        .iter()
        .filter(|(b, _)| mode & b != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let known: u64 = RTLD_MODES.iter().map(|(b, _)| b).sum();
    if mode & !known != 0 {
        v.push(format!("{:#x}", mode & !known));
    }
    if v.is_empty() {
        "0".into()
    } else {
        v.join("|")
    }
}

/// dladdr(addr, info) (DYLD dyld/DyldAPIs.cpp dladdr): for an address in the executable, fills
/// Dl_info {dli_fname, dli_fbase, dli_sname, dli_saddr} (no symbol names: sname and saddr are
/// NULL) and returns non-zero; otherwise 0. The report gets one `dladdr` line per call.
pub fn dladdr(k: &mut Kernel, d: &Dyld, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let found = a[0] >= d.image_header && a[0] < d.image_end;
    let line = format!(
        "dladdr thread={} addr={:#x} found={}",
        k.cur + 1,
        a[0],
        found as u8
    );
    k.report.push(line);
    if !found {
        return 0;
    }
    let info = [d.image_path, d.image_header, 0, 0];
    let bytes: Vec<u8> = info.iter().flat_map(|w| w.to_le_bytes()).collect();
    if uc.mem_write(a[1], &bytes).is_err() {
        fault(k, uc, a[1]);
        return 0;
    }
    1
}

/// dlopen(path, mode): NULL or the executable's own path give its handle (the image is loaded,
/// so RTLD_NOLOAD changes nothing) and count one more reference; RTLD_NODELETE marks the image
/// never-unload (dlopen(3): "the specified image will never be unloaded"; the dyld source line
/// is not cited here). Any other path gives NULL (loading is not modeled).
/// Every call is a report line: `dlopen thread=T path=self|null|other mode=0x.. (NAMES)
/// handle=0x..`.
pub fn dlopen(k: &mut Kernel, d: &mut Dyld, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let (path, mode) = (a[0], a[1]);
    let which = if path == 0 {
        "null"
    } else {
        let own = read_cstr(uc, d.image_path, 4096);
        let asked = read_cstr(uc, path, 4096);
        if asked.is_some() && asked == own {
            "self"
        } else {
            "other"
        }
    };
    let handle = if which == "other" {
        k.trace("dlopen of another image: loading is not modeled");
        0
    } else {
        d.dlopen_refs += 1;
        if mode & RTLD_NODELETE != 0 && which == "self" {
            d.nodelete = true;
        }
        MAIN_HANDLE
    };
    let line = format!(
        "dlopen thread={} path={which} mode={mode:#x} ({}) handle={handle:#x}",
        k.cur + 1,
        mode_names(mode)
    );
    k.report.push(line);
    handle
}
