//! A raw-creator library with no C library at all: init sleeps `NOLIBC_SLEEP_MS` (rt0's own
//! nanosleep), then writes `nolibc init done` on fd 2 with rt0's own write. If the image had
//! been unmapped by a `dlclose` meanwhile, that code would be gone and the process would die
//! of SIGSEGV.

#![no_std]

rt0::lib_entry!(init -> u32, creator = raw);

fn init(args: &rt0::Args) -> Result<u32, rt0::InitError> {
    let mut ms = 0u32;
    for &b in args.env("NOLIBC_SLEEP_MS").map(|v| v.to_bytes()).unwrap_or(b"") {
        ms = ms * 10 + u32::from(b.wrapping_sub(b'0') % 10);
    }
    rt0::sys::sleep_ms(ms);
    rt0::sys::write_all(2, b"nolibc init done\n");
    Ok(42)
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
