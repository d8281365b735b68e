// Exports in the forms users write, in a program that is its own host. Init never ends, so
// every export's wait is cut short by a timeout: its own `timeout_ms`, or the library's
// `export_timeout_ms`, given here after `stack_size` (the options may come in any order).
#![deny(warnings)]

use std::time::{Duration, Instant};

rt0::lib_entry!(init -> u32, stack_size = stack_size, export_timeout_ms = 200);

fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn stack_size(_: &rt0::Args) -> usize {
    1 << 20
}

/// A one-expression body and its own timeout.
#[rt0::export(on_error = -1, timeout_ms = 100)]
pub extern "C" fn pass_own_timeout(#[state] base: &u32) -> i64 {
    i64::from(*base)
}

/// The library's timeout; an attribute in `#[unsafe(..)]` that is not `no_mangle`.
#[rt0::export(on_error = -2)]
#[unsafe(link_section = ".text.pass_library_timeout")]
pub extern "C" fn pass_library_timeout(x: i64) -> i64 {
    x
}

/// Names its own symbol: the wrapper adds no `#[no_mangle]` (both would warn).
#[rt0::export(on_error = -3, timeout_ms = 10)]
#[export_name = "pass_renamed_symbol"]
pub extern "C" fn pass_renamed() -> i64 {
    0
}

// No doc comment: with one, rustc does not report the unnecessary braces a wrapper that put the
// body in a block of its own would draw.
#[rt0::export(on_error = -4, timeout_ms = 1)]
pub extern "C" fn pass_undocumented(x: i64) -> i64 { x }

// Reached by symbol name: these link only if the wrapper gave the exports those symbols.
extern "C" {
    #[link_name = "pass_renamed_symbol"]
    fn pass_renamed_by_symbol() -> i64;
    #[link_name = "pass_library_timeout"]
    fn pass_library_timeout_by_symbol(x: i64) -> i64;
}

fn main() {
    let start = Instant::now();
    assert_eq!(pass_own_timeout(), -1);
    let own = start.elapsed();
    assert!(own >= Duration::from_millis(100), "{own:?}");
    assert!(own < Duration::from_secs(10), "{own:?}");

    let start = Instant::now();
    // SAFETY: the export above, by its symbol.
    assert_eq!(unsafe { pass_library_timeout_by_symbol(5) }, -2);
    let library = start.elapsed();
    assert!(library >= Duration::from_millis(200), "{library:?}");
    assert!(library < Duration::from_secs(10), "{library:?}");

    // SAFETY: the export above, by the symbol its attribute gave it.
    assert_eq!(unsafe { pass_renamed_by_symbol() }, -3);
    assert_eq!(pass_undocumented(1), -4);
    assert_eq!(rt0::library!().init_state(), rt0::InitState::Running);
}
