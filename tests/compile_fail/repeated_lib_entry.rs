// Two entries in one crate.
rt0::lib_entry!(init);
rt0::lib_entry!(init);

fn init(_: &rt0::Args) -> Result<(), rt0::InitError> {
    Ok(())
}

fn main() {}
