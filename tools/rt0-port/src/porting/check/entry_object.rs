//! The entry's object: its initializer record points at the entry, and it holds the state every
//! export waits on, so linking any export links the record (no --whole-archive). Both facts
//! follow rt0's entry design; this module is the one place `check` states them.

use std::path::Path;
use std::process::Command;

use super::objects::{is_stub_symbol, sym};
use super::step::{step, Step, Verdict};
use crate::description::Description;
use crate::porting::toolchain::run_cmd;

/// The symbol the initializer record points at.
pub const ENTRY_SYMBOL: &str = "rt0_lib_entry";
/// The state exports wait on, which must live in the entry's object.
const STATE_SYMBOL: &str = "rt0_entry_state";

/// The initializer record in `[initializer].section` points at the entry, in the object that
/// defines the entry state.
pub fn initializer(d: &Description, obj: &Path) -> Step {
    let entry = sym(d, ENTRY_SYMBOL);
    let relocs = match run_cmd(Command::new("llvm-objdump").arg("-r").arg(obj)) {
        Ok(o) => o,
        Err(e) => return step("initializer", Verdict::Fail, e),
    };
    // `llvm-objdump -r` names Mach-O sections without their segment.
    let want = d
        .initializer
        .section
        .rsplit(',')
        .next()
        .unwrap_or("")
        .to_string();
    let mut found_section = false;
    let mut points_at_entry = false;
    for block in relocs.split("RELOCATION RECORDS FOR [").skip(1) {
        let name = block.split(']').next().unwrap_or("");
        if name == want || name.starts_with(&format!("{want}.")) {
            found_section = true;
            points_at_entry |= block.lines().skip(1).any(|l| {
                l.split_whitespace()
                    .last()
                    .is_some_and(|s| is_stub_symbol(s, &entry))
            });
        }
    }
    let nm = run_cmd(Command::new("llvm-nm").arg("--defined-only").arg(obj)).unwrap_or_default();
    let state_here = nm
        .lines()
        .any(|l| l.split_whitespace().last() == Some(sym(d, STATE_SYMBOL).as_str()));
    match (found_section, points_at_entry, state_here) {
        (true, true, true) => step(
            "initializer",
            Verdict::Pass,
            format!(
                "{} -> {entry}, with {STATE_SYMBOL} in the same object",
                d.initializer.section
            ),
        ),
        (false, _, _) => step(
            "initializer",
            Verdict::Fail,
            format!(
                "no relocated {} section in the entry object",
                d.initializer.section
            ),
        ),
        (true, false, _) => step(
            "initializer",
            Verdict::Fail,
            format!("{} does not point at {entry}", d.initializer.section),
        ),
        (true, true, false) => step(
            "initializer",
            Verdict::Fail,
            format!("{STATE_SYMBOL} is not in the entry's object: a static link may drop the initializer"),
        ),
    }
}
