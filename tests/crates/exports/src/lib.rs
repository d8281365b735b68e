//! Exports with and without `#[rt0::export]` (tests/exports.rs). Init takes
//! `EXPORTS_INIT_SLEEP_MS` milliseconds (`forever`: it never ends) and fails when
//! `EXPORTS_INIT_FAIL=1`. Exports wait at most 300 ms for init unless they say otherwise.

use std::ffi::c_int;
use std::time::Duration;

rt0::lib_entry!(init -> Config, export_timeout_ms = 300);

/// What init leaves for the exports.
pub struct Config {
    base: c_int,
}

fn init(args: &rt0::Args) -> Result<Config, Box<dyn std::error::Error + Send + Sync>> {
    if args
        .env("EXPORTS_INIT_SLEEP_MS")
        .is_some_and(|v| v.to_bytes() == b"forever")
    {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    if let Some(ms) = args.env("EXPORTS_INIT_SLEEP_MS") {
        let ms: u64 = ms.to_str()?.parse()?; // `?` on std errors: they become the InitError
        std::thread::sleep(Duration::from_millis(ms));
    }
    if args
        .env("EXPORTS_INIT_FAIL")
        .is_some_and(|v| v.to_bytes() == b"1")
    {
        return Err("exports: init failed on request".into());
    }
    Ok(Config { base: 40 })
}

/// Written without the wrapper: waits by hand. base + 1, or -100 when init failed.
#[no_mangle]
pub extern "C" fn ex_plain() -> c_int {
    match rt0::state!() {
        Ok(config) => config.base + 1,
        Err(_) => -100,
    }
}

/// base + x, or -1 when init failed or did not finish within the library's 300 ms.
#[rt0::export(on_error = -1)]
pub extern "C" fn ex_add(#[state] config: &Config, x: c_int) -> c_int {
    config.base + x
}

/// base + x like `ex_add`, but waits at most 100 ms for init: -3 when it is not done by then.
#[rt0::export(on_error = -3, timeout_ms = 100)]
pub extern "C" fn ex_add_within_100ms(#[state] config: &Config, x: c_int) -> c_int {
    config.base + x
}

/// base + x, but never waits (`timeout_ms = 0`): -4 at once while init runs.
#[rt0::export(on_error = -4, timeout_ms = 0)]
pub extern "C" fn ex_add_now(#[state] config: &Config, x: c_int) -> c_int {
    config.base + x
}

/// base + x, waiting up to 2 s, longer than the library's 300 ms: -5 when init is not done.
#[rt0::export(on_error = -5, timeout_ms = 2000)]
pub extern "C" fn ex_add_within_2s(#[state] config: &Config, x: c_int) -> c_int {
    config.base + x
}

/// x, but panics for x > 0: the wrapper returns -2 and nothing unwinds into C.
#[rt0::export(on_error = -2)]
pub extern "C" fn ex_panic(x: c_int) -> c_int {
    if x > 0 {
        panic!("ex_panic was given {x}");
    }
    x
}

/// Returns nothing; must not crash whatever init did.
#[rt0::export]
pub extern "C" fn ex_unit(#[state] _config: &Config) {}

/// The init state without waiting: 0 pending, 1 running, 2 done, 3 failed, 4 a fork child that cannot use the parent's state.
#[no_mangle]
pub extern "C" fn ex_init_state() -> c_int {
    match rt0::library!().init_state() {
        rt0::InitState::Pending => 0,
        rt0::InitState::Running => 1,
        rt0::InitState::Done => 2,
        rt0::InitState::Failed => 3,
        // A fork child whose library cannot use the parent's state (yet).
        rt0::InitState::Forked => 4,
        _ => -1,
    }
}

/// The failure's message, or "" (leaked once per call: a test helper).
#[no_mangle]
pub extern "C" fn ex_error() -> *const std::ffi::c_char {
    let text = match rt0::wait_init_done!() {
        Ok(()) => String::new(),
        Err(e) => e.to_string(),
    };
    std::ffi::CString::new(text).unwrap_or_default().into_raw()
}

/// Waits at most `ms` milliseconds: 0 when init is done, 1 when it timed out, 2 otherwise.
#[no_mangle]
pub extern "C" fn ex_wait_ms(ms: c_int) -> c_int {
    match rt0::library!().wait_timeout(Duration::from_millis(ms.max(0) as u64)) {
        Ok(_) => 0,
        Err(e) if e.kind() == rt0::InitErrorKind::TimedOut => 1,
        Err(_) => 2,
    }
}
