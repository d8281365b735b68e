// An export in a crate that never declared its entry.
#[rt0::export]
pub extern "C" fn mylib_ping() {}

fn main() {}
