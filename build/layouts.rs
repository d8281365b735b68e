//! The two structures asm and Rust share, one pointer-sized word per field: their field offsets
//! for Rust (`abi::record`, `abi::stack_header`, checked against the structs with `offset_of!`)
//! and for the `.S` stubs (`RT0_RECORD_*`, `RT0_STACK_HEADER_*`).

use std::fmt::Write as _;

/// The entry record, the one structure asm and Rust share: the entry stub reads four function
/// pointers from it (src/library/record.rs asserts these offsets with `offset_of!`).
const RECORD_FIELDS: &[&str] = &["prepare", "create", "thread_main", "finish"];

/// The header at the top of every raw thread's stack (src/thread.rs `StackHeader`): the new
/// thread's trampoline reads the mapping to free, and a word of its own.
const STACK_HEADER_FIELDS: &[&str] = &["map_base", "map_len", "stub_word"];

/// The layouts asm and Rust share, one word per field, in the order given.
const SHARED_LAYOUTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "record",
        "RT0_RECORD_",
        "the entry record (src/library/record.rs)",
        RECORD_FIELDS,
    ),
    (
        "stack_header",
        "RT0_STACK_HEADER_",
        "a raw thread's stack header (src/thread.rs)",
        STACK_HEADER_FIELDS,
    ),
];

/// The shared layouts' field offsets for Rust (`abi::record`, `abi::stack_header`), which the Rust
/// side checks against its structs with `offset_of!`.
pub fn rust_modules(pointer_bytes: usize) -> String {
    let mut s = String::new();
    for (module, prefix, what, fields) in SHARED_LAYOUTS {
        let _ = writeln!(
            s,
            "\n/// The layout of {what}, shared with the stubs (`{prefix}*` in rt0_abi.h).\n#[doc(hidden)]\npub mod {module} {{"
        );
        for (i, field) in fields.iter().enumerate() {
            let _ = writeln!(
                s,
                "    /// Offset of `{field}`.\n    pub const {}: usize = {};",
                field.to_ascii_uppercase(),
                i * pointer_bytes
            );
        }
        s.push_str("}\n");
    }
    s
}

/// The same offsets for the `.S` files.
pub fn asm_defines(pointer_bytes: usize) -> String {
    let mut s = String::new();
    for (_, prefix, what, fields) in SHARED_LAYOUTS {
        let _ = writeln!(s, "/* The layout of {what}. */");
        for (i, field) in fields.iter().enumerate() {
            let _ = writeln!(s, "#define {prefix}{field} {}", i * pointer_bytes);
        }
    }
    s
}
