// `#[state]` must borrow the state: init's value stays with the library.
rt0::lib_entry!(init -> Config);

pub struct Config {
    base: i32,
}

fn init(_: &rt0::Args) -> Result<Config, rt0::InitError> {
    Ok(Config { base: 1 })
}

#[rt0::export(on_error = -1)]
pub extern "C" fn mylib_base(#[state] config: Config) -> i32 {
    config.base
}

fn main() {}
