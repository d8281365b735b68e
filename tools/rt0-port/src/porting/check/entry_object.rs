//! The entry, as rt0's per-library design builds it (docs/architecture.md sections 1 and 4):
//!
//! - the stub object (`arch/<triple>/entry.S`) defines `rt0_lib_entry_<hash>`, global and hidden
//!   (ELF `STV_HIDDEN`, Mach-O private extern), and is stateless: no initializer record and no
//!   data of its own, so one stub serves every rt0 library linked with it;
//! - each library's initializer record (in `[initializer].section`, emitted by `lib_entry!` in
//!   the library's own crate) points at a function of that crate, the per-library shim, which
//!   branches to the stub. The record sits in the object that also holds the library's state
//!   (`__rt0_lib_entry::LIBRARY`), which every export reads, so linking any export links it (no
//!   --whole-archive).
//!
//! Both are read from the archive's objects (rt0-inspect); this module is the one place that
//! states them: the darwin archive tests check only what follows from linking and running.

use rt0_inspect::{is_stub_symbol, Archive, Object};

use super::objects::sym;
use super::step::{step, Step, Verdict};
use crate::description::Description;

/// The stub symbol the per-library initializers call (with its hash suffix).
pub const ENTRY_SYMBOL: &str = "rt0_lib_entry";

/// Sections that hold state or an initializer record (ELF prefixes; Mach-O section names
/// without their segment).
const STATE_SECTIONS: &[&str] = &[
    ".data",
    ".bss",
    ".tdata",
    ".tbss",
    ".init_array",
    ".fini_array",
    ".preinit_array",
    ".ctors",
    ".dtors",
    "__data",
    "__bss",
    "__common",
    "__mod_init_func",
    "__mod_term_func",
    "__init_offsets",
    "__thread_data",
    "__thread_bss",
    "__thread_vars",
];

/// The initializer section's name without its Mach-O segment and attributes
/// (`__DATA,__mod_init_func,mod_init_funcs` -> `__mod_init_func`).
fn initializer_section_name(d: &Description) -> String {
    let s = d.initializer.section.as_str();
    match s.split_once(',') {
        Some((_, rest)) => rest.split(',').next().unwrap_or(rest).to_string(),
        None => s.to_string(),
    }
}

/// The mangled-name piece of the library's state, `__rt0_lib_entry::LIBRARY` (lib_entry!).
const LIBRARY_STATE: &str = "15__rt0_lib_entry7LIBRARY";

/// The stub object defines the entry stub, global and hidden, and holds no initializer record
/// and no data.
pub fn stub_object(d: &Description, member: &str, obj: &Object) -> Step {
    let name = "entry stub";
    let entry = sym(d, ENTRY_SYMBOL);
    let Some(symbol) = obj
        .defined_symbols()
        .find(|s| is_stub_symbol(&s.name, &entry))
    else {
        return step(
            name,
            Verdict::Fail,
            format!("{member} does not define {entry}_<hash>"),
        );
    };
    if !(symbol.global && symbol.hidden) {
        return step(
            name,
            Verdict::Fail,
            format!(
                "{entry}_<hash> must be global and hidden (.globl + .hidden / .private_extern): \
                 {} is {}{}",
                symbol.name,
                if symbol.global { "global" } else { "local" },
                if symbol.hidden {
                    ", hidden"
                } else {
                    ", visible"
                },
            ),
        );
    }
    // Stateless: no section of state or initializers with content.
    let init = initializer_section_name(d);
    let stateful: Vec<String> = obj
        .sections
        .iter()
        .filter(|s| s.size > 0 && (STATE_SECTIONS.iter().any(|w| s.is(w)) || s.is(&init)))
        .map(|s| format!("{} ({} bytes)", s.full_name(), s.size))
        .collect();
    if !stateful.is_empty() {
        return step(
            name,
            Verdict::Fail,
            format!(
                "the entry stub must keep no state and register no initializer (each library's \
                 lib_entry! does), but {member} has {}",
                stateful.join(", ")
            ),
        );
    }
    step(
        name,
        Verdict::Pass,
        format!(
            "{}: global, hidden; no data, no initializer record",
            symbol.name
        ),
    )
}

/// Where one member's initializer records lead: for each record, the function it points at
/// and the stub reference in that function (if any).
fn records(obj: &Object, section: &str, entry: &str) -> Vec<Result<String, String>> {
    obj.relocations
        .iter()
        .filter(|r| obj.sections[r.section].is(section))
        .map(|r| {
            let Some(f) = obj.resolve(r) else {
                return Err(format!("-> {} (not a function it defines)", r.target));
            };
            obj.relocations_of(f)
                .into_iter()
                .find(|c| is_stub_symbol(&c.target, entry))
                .map(|c| format!("{section} -> {} -> {} ({})", f.name, c.target, c.kind))
                .ok_or_else(|| format!("-> {} (does not call {entry}_<hash>)", f.name))
        })
        .collect()
}

/// The library (the demo's archive): exactly one member has a relocated initializer record
/// that points at a function that member defines, which refers to the entry stub (the
/// per-library shim calls `rt0_lib_entry_<hash>` with the record; a debug build calls through
/// the GOT); and that member defines the library's state, so linking any export links it.
pub fn initializer(d: &Description, archive: &Archive) -> Step {
    let name = "initializer";
    let entry = sym(d, ENTRY_SYMBOL);
    let section = initializer_section_name(d);
    let mut found = Vec::new();
    let mut others = Vec::new();
    let mut any_record = false;
    // Other members may register initializers of their own (compiler-builtins' C code does on
    // aarch64 Linux): the library passes when one record leads to the stub.
    for (member, obj) in archive.objects() {
        for record in records(&obj, &section, &entry) {
            any_record = true;
            match record {
                Ok(chain) => {
                    let with_state = obj
                        .defined_symbols()
                        .any(|s| s.name.contains(LIBRARY_STATE));
                    found.push((member.to_string(), chain, with_state));
                }
                Err(why) => others.push(format!("{member}: {why}")),
            }
        }
    }
    if !any_record {
        return step(
            name,
            Verdict::Fail,
            format!(
                "no member of {} has a relocated {} record: lib_entry! registers none",
                archive.path.display(),
                d.initializer.section
            ),
        );
    }
    if found.is_empty() {
        return step(
            name,
            Verdict::Fail,
            format!(
                "no {section} record leads to {entry}_<hash>: lib_entry!'s record must point at the library's own \
                 initializer function, which calls the stub; records found: {}",
                others.join("; ")
            ),
        );
    }
    let chains: Vec<String> = found.iter().map(|(m, c, _)| format!("{m}: {c}")).collect();
    if found.len() > 1 {
        return step(
            name,
            Verdict::Fail,
            format!(
                "{} records lead to {entry}_<hash>, the library's lib_entry! makes one: {}",
                found.len(),
                chains.join("; ")
            ),
        );
    }
    if !found[0].2 {
        return step(
            name,
            Verdict::Fail,
            format!(
                "{}: the record is not in the object that defines the library's state \
                 (__rt0_lib_entry::LIBRARY), so linking an export would not link it",
                chains[0]
            ),
        );
    }
    step(
        name,
        Verdict::Pass,
        format!("{}, next to __rt0_lib_entry::LIBRARY", chains[0]),
    )
}
