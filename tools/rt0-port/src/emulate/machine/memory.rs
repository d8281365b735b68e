//! The emulated address space: where the model puts things, and small helpers to read guest
//! memory and translate Mach-O / mmap protections into unicorn's.

use unicorn_engine::{Prot, Unicorn};

/// Unicorn maps and protects memory in 4 KiB units on both CPUs. This is the emulator's mapping
/// granule, not the guest's page size (16 KiB on arm64: see `Cpu::page_size`).
pub const UNICORN_GRANULE: u64 = 4096;

/// Where the libSystem stubs are mapped.
pub const LIBSYSTEM_BASE: u64 = 0x7fff_2000_0000;
/// libSystem's data (exported variables, dyld's ProgramVars).
pub const LIBSYSTEM_DATA: u64 = 0x7fff_3000_0000;
/// The main thread's pthread_t: libpthread's static `_main_thread`, in libSystem's data (the
/// last 4 KiB of it; the model keeps nothing in the object, only its address is used).
pub const MAIN_PTHREAD: u64 = LIBSYSTEM_DATA + 0x3000;
/// The top of the main thread's stack, and its size.
pub const MAIN_STACK_TOP: u64 = 0x7ff7_c000_0000;
pub const MAIN_STACK_SIZE: u64 = 8 << 20;
/// Where anonymous mappings (mmap, malloc, thread stacks) start.
pub const MMAP_BASE: u64 = 0x0003_0000_0000;
/// Thread-specific data: one granule per thread (the errno slot lives there).
pub const TSD_BASE: u64 = 0x7fff_4000_0000;
/// How many threads' TSD is mapped.
pub const TSD_SLOTS: u64 = 1024;

/// `v` rounded up to a multiple of `a` (a power of two).
pub fn round_up(v: u64, a: u64) -> u64 {
    (v + a - 1) & !(a - 1)
}

/// VM_PROT / PROT_* bits (1 read, 2 write, 4 execute) as unicorn's protection.
pub fn prot_of(vm: u32) -> Prot {
    let mut p = Prot::NONE;
    if vm & 1 != 0 {
        p |= Prot::READ;
    }
    if vm & 2 != 0 {
        p |= Prot::WRITE;
    }
    if vm & 4 != 0 {
        p |= Prot::EXEC;
    }
    p
}

/// The little-endian u64 at `a`, if mapped.
pub fn read_u64(uc: &Unicorn<'_, ()>, a: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    uc.mem_read(a, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

/// The little-endian u32 at `a`, if mapped.
pub fn read_u32(uc: &Unicorn<'_, ()>, a: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    uc.mem_read(a, &mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

/// The NUL-terminated string at `a`, at most `max` bytes, if mapped.
pub fn read_cstr(uc: &Unicorn<'_, ()>, a: u64, max: usize) -> Option<Vec<u8>> {
    read_cstr_or_unmapped(uc, a, max).ok()
}

/// The NUL-terminated string at `addr`, at most `max` bytes, read a granule at a time; `Err`
/// names the first address that is not mapped (where the program would fault).
pub fn read_cstr_or_unmapped(uc: &Unicorn<'_, ()>, addr: u64, max: usize) -> Result<Vec<u8>, u64> {
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < max {
        let granule_end = (at | (UNICORN_GRANULE - 1)).wrapping_add(1);
        let n = (granule_end.wrapping_sub(at) as usize).min(max - out.len());
        let mut chunk = vec![0u8; n];
        uc.mem_read(at, &mut chunk).map_err(|_| at)?;
        if let Some(nul) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..nul]);
            return Ok(out);
        }
        out.extend_from_slice(&chunk);
        at = at.wrapping_add(n as u64);
    }
    Ok(out)
}

/// The mapping holding `addr` as (start, end, protection), if mapped.
pub fn mapping_of(uc: &Unicorn<'_, ()>, addr: u64) -> Option<(u64, u64, Prot)> {
    uc.mem_regions()
        .ok()?
        .into_iter()
        .find(|r| r.begin <= addr && addr <= r.end)
        .map(|r| (r.begin, r.end + 1, Prot(r.perms)))
}

/// The pieces of [addr, addr+len) that are mapped, as (start, length).
pub fn mapped_pieces(uc: &Unicorn<'_, ()>, addr: u64, len: u64) -> Vec<(u64, u64)> {
    let end = addr + len;
    let mut v = Vec::new();
    for r in uc.mem_regions().unwrap_or_default() {
        let (b, e) = (r.begin, r.end + 1);
        let s = b.max(addr);
        let t = e.min(end);
        if s < t {
            v.push((s, t - s));
        }
    }
    v
}
