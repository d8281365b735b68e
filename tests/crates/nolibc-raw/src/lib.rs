//! A raw-creator library with no C library at all: init sleeps `NOLIBC_SLEEP_MS` (rt0's own
//! nanosleep), then writes `nolibc init done` on fd 2 with rt0's own write. If the image had
//! been unmapped by a `dlclose` meanwhile, that code would be gone and the process would die
//! of SIGSEGV.
//!
//! The line is moved into place with `copy_within`, which the compiler turns into a call of
//! `memmove`: no rt0 code calls it, so this is the call's first use in the process, made on the
//! raw init thread. Where that call goes through a PLT slot the loader binds lazily (aarch64
//! glibc, a program linked without `-z now`), it would enter glibc's lazy resolver, which needs
//! the thread pointer the raw thread does not have: rt0 must refuse to start init there.

#![no_std]

rt0::lib_entry!(init -> u32, creator = raw);

fn init(args: &rt0::Args) -> Result<u32, rt0::InitError> {
    let mut ms = 0u32;
    for &b in args.env("NOLIBC_SLEEP_MS").map(|v| v.to_bytes()).unwrap_or(b"") {
        ms = ms * 10 + u32::from(b.wrapping_sub(b'0') % 10);
    }
    rt0::sys::sleep_ms(ms);
    let mut buf = [0u8; 40];
    rt0::sys::write_all(2, done_line(&mut buf));
    Ok(42)
}

/// `nolibc init done\n`, moved to the front of `buf` by a copy of a length the compiler cannot
/// see (a `memmove` call into the host's C library).
fn done_line(buf: &mut [u8; 40]) -> &[u8] {
    const LINE: &[u8] = b"nolibc init done\n";
    for (slot, &b) in buf.iter_mut().skip(8).zip(LINE) {
        *slot = b;
    }
    let len = core::hint::black_box(LINE.len());
    buf.copy_within(8..8 + len, 0);
    buf.get(..len).unwrap_or(LINE)
}

/// 42 once init is done; -1 when it failed.
#[no_mangle]
pub extern "C" fn nolibc_value() -> i32 {
    match rt0::state!() {
        Ok(v) => *v as i32,
        Err(_) => -1,
    }
}

/// The unwinding personality the precompiled `core` refers to even under `panic = "abort"`;
/// a `no_std` cdylib must define it (it is never called).
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
