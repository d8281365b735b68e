//! libSystem's C library part, as far as hosts and Rust's core need it: memory and string
//! functions, a clock, `getenv`, and crt_externs.h's `_NSGetArgc`, `_NSGetArgv` and
//! `_NSGetEnviron`.

use unicorn_engine::Unicorn;

use super::exports::Function;
use super::failure::fault;
use crate::emulate::dyld::Dyld;
use crate::emulate::kernel::Kernel;
use crate::emulate::machine::memory::{read_cstr, read_u64};

/// memcpy / memmove(dst, src, n) -> dst; `None` after a fault.
pub fn memmove(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    if a[2] > 0 {
        let Ok(v) = uc.mem_read_as_vec(a[1], a[2] as usize) else {
            fault(k, uc, a[1]);
            return None;
        };
        if uc.mem_write(a[0], &v).is_err() {
            fault(k, uc, a[0]);
            return None;
        }
    }
    Some(a[0])
}

/// memset(dst, val, n) / bzero(dst, n) -> dst; `None` after a fault.
pub fn fill(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, dst: u64, val: u8, n: u64) -> Option<u64> {
    if n > 0 && uc.mem_write(dst, &vec![val; n as usize]).is_err() {
        fault(k, uc, dst);
        return None;
    }
    Some(dst)
}

/// memcmp(x, y, n): the difference of the first differing bytes.
pub fn memcmp(uc: &Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let x = uc.mem_read_as_vec(a[0], a[2] as usize).unwrap_or_default();
    let y = uc.mem_read_as_vec(a[1], a[2] as usize).unwrap_or_default();
    x.iter()
        .zip(y.iter())
        .find(|(p, q)| p != q)
        .map_or(0, |(p, q)| (*p as i64 - *q as i64) as u64)
}

/// strlen(s).
pub fn strlen(uc: &Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    read_cstr(uc, a[0], 1 << 20).map_or(0, |s| s.len() as u64)
}

/// strcmp(x, y), over at most 1 MiB of each.
pub fn strcmp(uc: &Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let max = 1 << 20;
    let x = read_cstr(uc, a[0], max).unwrap_or_default();
    let y = read_cstr(uc, a[1], max).unwrap_or_default();
    for i in 0..max {
        let p = *x.get(i).unwrap_or(&0) as i64;
        let q = *y.get(i).unwrap_or(&0) as i64;
        if p != q || p == 0 {
            return (p - q) as u64;
        }
    }
    0
}

/// Libc clock_gettime: the model's virtual clock (ns since start) for every clock id.
pub fn clock_gettime(k: &Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let ns = k.clock;
    let ts = [ns / 1_000_000_000, ns % 1_000_000_000];
    let b: Vec<u8> = ts.iter().flat_map(|x| x.to_le_bytes()).collect();
    if uc.mem_write(a[1], &b).is_err() {
        u64::MAX
    } else {
        0
    }
}

/// crt_externs.h `_NSGetArgc()`, `_NSGetArgv()`, `_NSGetEnviron()`: the address of the word
/// holding argc, argv or environ, which is ProgramVars' `NXArgcPtr`, `NXArgvPtr` or `environPtr`
/// (libSystem records the ProgramVars dyld passes its initializer; DYLD's test
/// crt-vars-libSystem checks `_NSGetArgc() == &NXArgc`, and so on). Here ProgramVars is the
/// block `dyld::exec` wrote (its pointees are in libSystem's data page, readable and writable by
/// the process), so these return the very vectors dyld passes to initializers and main.
pub fn crt_extern(d: &Dyld, uc: &Unicorn<'_, ()>, f: Function) -> u64 {
    let field = match f {
        Function::NsGetArgc => 1,
        Function::NsGetArgv => 2,
        _ => 3,
    };
    // dyld::exec: the initializers' fifth argument is &ProgramVars.
    let pv = d.args[4];
    let mut word = [0u8; 8];
    match uc.mem_read(pv + 8 * field, &mut word) {
        Ok(()) => u64::from_le_bytes(word),
        Err(_) => 0,
    }
}

/// Libc stdlib/FreeBSD/getenv.c getenv(name): the value of the first `name=value` string in
/// `environ` (the vector `_NSGetEnviron()` points at), or NULL. A name with `=` in it or an
/// empty one finds nothing.
pub fn getenv(d: &Dyld, uc: &Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let Some(name) = read_cstr(uc, a[0], 4096) else {
        return 0;
    };
    if name.is_empty() || name.contains(&b'=') {
        return 0;
    }
    let environ_word = crt_extern(d, uc, Function::NsGetEnviron);
    let Some(mut entry) = read_u64(uc, environ_word) else {
        return 0;
    };
    while let Some(s) = read_u64(uc, entry).filter(|s| *s != 0) {
        if let Some(text) = read_cstr(uc, s, 1 << 16) {
            if text.len() > name.len() && text.starts_with(&name) && text[name.len()] == b'=' {
                return s + name.len() as u64 + 1;
            }
        }
        entry += 8;
    }
    0
}
