//! The smallest rt0 library: `host.c` calls `minimal_greeting()`, which waits for init.
rt0::lib_entry!(init -> String);

fn init(args: &rt0::Args) -> Result<String, rt0::InitError> {
    Ok(format!("hello from init, argc = {}\0", args.argc()))
}

#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn minimal_greeting(#[state] greeting: &String) -> *const std::ffi::c_char {
    greeting.as_ptr().cast()
}
