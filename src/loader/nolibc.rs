//! Pinning without the `libc` feature (Linux): rt0 links no C library then, but the process
//! that loaded the image has one, with its `dlopen`. rt0 finds it the way a debugger does and
//! pins the image with it, as the `libc` build does (`dlopen(self, RTLD_NOLOAD |
//! RTLD_NODELETE)`):
//!
//! 1. the program's program headers, from the auxiliary vector (`AT_PHDR`, `AT_PHNUM`, read from
//!    `/proc/self/auxv`), give its dynamic section, whose `DT_DEBUG` entry the dynamic loader
//!    sets to its `r_debug` record (glibc and musl both do; `<link.h>`);
//! 2. `r_debug.r_map` is the loader's list of loaded objects (`struct link_map`: `l_addr`,
//!    `l_name`, `l_ld`, `l_next`, a public layout of `<link.h>`); the object whose loadable
//!    segments hold this library's record is this image, and its `l_name` the name to pin;
//! 3. `dlopen` is looked up by name in each object's dynamic symbol table (through its GNU or
//!    SysV hash table): libc.so.6 (glibc 2.34 and later), libdl.so.2 (older glibc), the loader
//!    itself (musl).
//!
//! A static program has no dynamic section and never unloads anything: nothing to pin. Where a
//! step finds nothing (no `/proc`), the trace says the image is not pinned.

use crate::library::Head;
use core::ffi::{c_char, c_void, CStr};

// <elf.h>
const AT_PHDR: usize = 3;
const AT_PHNUM: usize = 5;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_PHDR: u32 = 6;
const DT_NULL: i64 = 0;
const DT_HASH: i64 = 4;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_DEBUG: i64 = 21;
const DT_GNU_HASH: i64 = 0x6fff_fef5;
const STT_FUNC: u8 = 2;
// <dlfcn.h>: the same values in glibc and musl on every Linux architecture rt0 supports.
const RTLD_LAZY: i32 = 1;
const RTLD_NOLOAD: i32 = 4;
const RTLD_NODELETE: i32 = 0x1000;

/// `Elf64_Phdr`.
#[repr(C)]
struct ProgramHeader {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_paddr: u64,
    p_filesz: u64,
    p_memsz: u64,
    p_align: u64,
}

/// `Elf64_Dyn`.
#[repr(C)]
struct Dynamic {
    tag: i64,
    val: u64,
}

/// `Elf64_Sym`.
#[repr(C)]
struct Symbol {
    name: u32,
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
    size: u64,
}

/// The public head of `struct link_map` (`<link.h>`).
#[repr(C)]
struct LinkMap {
    l_addr: usize,
    l_name: *const c_char,
    l_ld: *const Dynamic,
    l_next: *const LinkMap,
    l_prev: *const LinkMap,
}

type Dlopen = unsafe extern "C" fn(*const c_char, i32) -> *mut c_void;

pub(crate) fn pin(head: &Head) {
    let why = match pin_with_the_loaders_dlopen(head) {
        Ok(message) => message,
        Err(message) => message,
    };
    crate::trace::loader(head, why, None);
}

fn pin_with_the_loaders_dlopen(head: &Head) -> Result<&'static str, &'static str> {
    const NO_AUXV: &str = "pin: built without libc, and /proc/self/auxv cannot be read; not pinned";
    let phdr = crate::procself::auxv_value(AT_PHDR).ok_or(NO_AUXV)?;
    let phnum = crate::procself::auxv_value(AT_PHNUM).ok_or(NO_AUXV)?;
    // SAFETY: the kernel's record of the program's program headers, mapped for the process's
    // life; the walk reads only the objects the loader itself lists.
    unsafe {
        let headers = core::slice::from_raw_parts(phdr as *const ProgramHeader, phnum);
        let bias = match headers.iter().find(|h| h.p_type == PT_PHDR) {
            Some(h) => phdr.wrapping_sub(h.p_vaddr as usize),
            None => 0,
        };
        let Some(dynamic) = headers.iter().find(|h| h.p_type == PT_DYNAMIC) else {
            return Ok("pin: a static program, which never unloads anything");
        };
        let dynamic = bias.wrapping_add(dynamic.p_vaddr as usize) as *const Dynamic;
        let r_debug = entry(dynamic, DT_DEBUG).filter(|&v| v != 0).ok_or(
            "pin: built without libc, and the loader left no r_debug in DT_DEBUG; not pinned",
        )?;
        // struct r_debug { int r_version; struct link_map *r_map; ... }
        let mut map = *((r_debug + core::mem::size_of::<usize>()) as *const *const LinkMap);
        let me = head as *const Head as usize;
        let (mut mine, mut dlopen) = (None, None);
        let mut hops = 0;
        while !map.is_null() && hops < 4096 {
            let object = &*map;
            let named = !object.l_name.is_null() && *object.l_name != 0;
            if named && mine.is_none() && holds(object.l_addr, me) {
                mine = Some(object.l_name);
            }
            if dlopen.is_none() {
                dlopen = lookup(object, c"dlopen");
            }
            map = object.l_next;
            hops += 1;
        }
        let Some(name) = mine else {
            return Ok("pin: linked into the program, never unloaded");
        };
        let dlopen = dlopen
            .ok_or("pin: built without libc, and no loaded object exports dlopen; not pinned")?;
        let dlopen: Dlopen = core::mem::transmute(dlopen);
        let handle = dlopen(name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
        if handle.is_null() {
            return Err("pin: dlopen(RTLD_NOLOAD) of this image failed; not pinned");
        }
    }
    Ok("pin: image pinned for the life of the process (RTLD_NODELETE, through the loader's dlopen)")
}

/// The value of the first `tag` entry of a dynamic section.
///
/// # Safety
/// `dynamic` must be a mapped, DT_NULL-terminated dynamic section.
unsafe fn entry(mut dynamic: *const Dynamic, tag: i64) -> Option<usize> {
    // SAFETY: the caller's contract; the walk stops at DT_NULL.
    unsafe {
        while (*dynamic).tag != DT_NULL {
            if (*dynamic).tag == tag {
                return Some((*dynamic).val as usize);
            }
            dynamic = dynamic.add(1);
        }
    }
    None
}

/// Whether the object loaded at `base` (its ELF header is there: shared objects are linked at
/// address 0) has a loadable segment holding `address`.
///
/// # Safety
/// `base` must be the load address of a mapped shared object.
unsafe fn holds(base: usize, address: usize) -> bool {
    // SAFETY: the caller's contract: the ELF header and program headers are mapped there.
    unsafe {
        if base == 0 || *(base as *const [u8; 4]) != *b"\x7fELF" {
            return false;
        }
        let phoff = *((base + 32) as *const u64) as usize; // e_phoff
        let phnum = *((base + 56) as *const u16) as usize; // e_phnum
        let headers = core::slice::from_raw_parts((base + phoff) as *const ProgramHeader, phnum);
        headers.iter().any(|h| {
            let start = base.wrapping_add(h.p_vaddr as usize);
            h.p_type == PT_LOAD
                && (start..start.wrapping_add(h.p_memsz as usize)).contains(&address)
        })
    }
}

/// A dynamic-section address: glibc relocates them in place on most architectures, musl and
/// glibc on RISC-V leave them as linked (relative to the load address).
fn relocated(value: usize, base: usize) -> usize {
    if value < base {
        base.wrapping_add(value)
    } else {
        value
    }
}

/// The address of the function `name` that `object` defines, found through its hash table.
///
/// # Safety
/// `object` must be an entry of the loader's list of loaded objects.
unsafe fn lookup(object: &LinkMap, name: &CStr) -> Option<usize> {
    if object.l_ld.is_null() {
        return None;
    }
    let base = object.l_addr;
    // SAFETY: the object's own dynamic section and the tables it names, all mapped.
    unsafe {
        let strtab = relocated(entry(object.l_ld, DT_STRTAB)?, base) as *const c_char;
        let symtab = relocated(entry(object.l_ld, DT_SYMTAB)?, base) as *const Symbol;
        let matches = |index: usize| -> Option<usize> {
            let sym = &*symtab.add(index);
            let defined = sym.shndx != 0 && sym.value != 0 && sym.info & 0xf == STT_FUNC;
            (defined && CStr::from_ptr(strtab.add(sym.name as usize)) == name)
                .then(|| base.wrapping_add(sym.value as usize))
        };
        if let Some(table) = entry(object.l_ld, DT_GNU_HASH) {
            return gnu_hash_lookup(relocated(table, base) as *const u32, name, matches);
        }
        let table = relocated(entry(object.l_ld, DT_HASH)?, base) as *const u32;
        // SysV hash: nbucket, nchain, then the chains cover every symbol: try them all.
        let count = *table.add(1) as usize;
        (1..count).find_map(matches)
    }
}

/// A lookup through a `DT_GNU_HASH` table (the layout binutils and lld write: nbuckets,
/// symoffset, bloom_size, bloom_shift, the bloom words, the buckets, the chains).
///
/// # Safety
/// `table` must be a mapped GNU hash table of the object `matches` reads.
unsafe fn gnu_hash_lookup(
    table: *const u32,
    name: &CStr,
    matches: impl Fn(usize) -> Option<usize>,
) -> Option<usize> {
    let hash = name.to_bytes().iter().fold(5381u32, |h, &b| {
        h.wrapping_mul(33).wrapping_add(u32::from(b))
    });
    // SAFETY: the caller's contract; every index below is within the table's own counts.
    unsafe {
        let (nbuckets, symoffset, bloom_size) = (
            *table as usize,
            *table.add(1) as usize,
            *table.add(2) as usize,
        );
        if nbuckets == 0 {
            return None;
        }
        let buckets = table.add(4 + bloom_size * (core::mem::size_of::<usize>() / 4));
        let chains = buckets.add(nbuckets);
        let mut index = *buckets.add(hash as usize % nbuckets) as usize;
        if index < symoffset {
            return None;
        }
        loop {
            let chain = *chains.add(index - symoffset);
            if chain | 1 == hash | 1 {
                if let Some(address) = matches(index) {
                    return Some(address);
                }
            }
            if chain & 1 != 0 {
                return None;
            }
            index += 1;
        }
    }
}
