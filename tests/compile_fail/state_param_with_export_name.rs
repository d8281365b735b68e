// A #[state] parameter on an export that names its symbol with #[export_name = ..]:
// refused as with #[no_mangle], naming the fix.
rt0::lib_entry!(init -> u32);

fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> {
    Ok(41)
}

#[rt0::export(on_error = 0)]
#[export_name = "mylib_add"]
pub extern "C" fn add(#[state] base: &u32, step: u32) -> u32 {
    base + step
}

fn main() {}
