// `?` on any error through Box<dyn Error>, but rt0's `alloc` feature is off.
rt0::lib_entry!(init -> u32);

fn init(_: &rt0::Args) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok("8080".parse()?)
}

fn main() {}
