//! rt0 under another name: nothing here may say `rt0`.
#![deny(warnings)]

runtime::lib_entry!(init -> u32, export_timeout_ms = 1000);

fn init(_: &runtime::Args) -> Result<u32, runtime::InitError> {
    Ok(41)
}

/// init's value + 1, or 0 when init failed.
#[runtime::export(on_error = 0, timeout_ms = 100)]
pub extern "C" fn renamed_next(#[state] value: &u32) -> u32 {
    value + 1
}
