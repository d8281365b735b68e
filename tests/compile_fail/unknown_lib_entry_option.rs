// A misspelt option.
rt0::lib_entry!(init, export_timeout = 100);

fn init(_: &rt0::Args) -> Result<(), rt0::InitError> {
    Ok(())
}

fn main() {}
