// A #[state] parameter on an export that writes its own #[no_mangle]: the form cbindgen reads,
// which would put the parameter in the C header. The error names the form to write instead.
rt0::lib_entry!(init -> u32);

fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> {
    Ok(41)
}

#[rt0::export(on_error = 0)]
#[no_mangle]
pub extern "C" fn mylib_add(#[state] base: &u32, step: u32) -> u32 {
    base + step
}

fn main() {}
