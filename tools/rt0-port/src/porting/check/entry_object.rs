//! The entry, as rt0's per-library design builds it (docs/architecture.md sections 1 and 4):
//!
//! - the stub object (`arch/<triple>/entry.S`) defines `rt0_lib_entry_<hash>`, global and hidden
//!   (ELF `STV_HIDDEN`, Mach-O private extern), and is stateless: no initializer record and no
//!   data of its own, so one stub serves every rt0 library linked with it;
//! - each library's initializer record (in `[initializer].section`, emitted by `lib_entry!` in
//!   the library's own crate) points at a function of that crate, the per-library shim, which
//!   branches to the stub. The record sits in the object that also holds the library's state,
//!   which every export reads, so linking any export links it (no --whole-archive).
//!
//! Both are read from objects with LLVM's tools; this module is the one place `check` states
//! them.

use std::path::Path;
use std::process::Command;

use super::objects::{is_stub_symbol, sym};
use super::step::{step, Step, Verdict};
use crate::description::Description;
use crate::porting::toolchain::run_cmd;

/// The stub symbol the per-library initializers call (with its hash suffix).
pub const ENTRY_SYMBOL: &str = "rt0_lib_entry";

/// Sections that hold state or an initializer record, as `llvm-objdump -h` names them (ELF
/// prefixes; Mach-O section names without their segment).
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

/// The last component of the initializer section's name as `llvm-objdump` prints it.
fn initializer_section_name(d: &Description) -> String {
    d.initializer
        .section
        .rsplit(',')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Whether `name` is the section `want` or one of its numbered/suffixed variants
/// (`.init_array.00100`).
fn is_section(name: &str, want: &str) -> bool {
    name == want || name.starts_with(&format!("{want}."))
}

/// The stub object defines the entry stub, global and hidden, and holds no initializer record
/// and no data.
pub fn stub_object(d: &Description, obj: &Path) -> Step {
    let name = "entry stub";
    let entry = sym(d, ENTRY_SYMBOL);
    // The symbol and its visibility.
    let hidden = if d.object_format == "macho" {
        // `llvm-nm -m`: `0000… (__TEXT,__text) private external _rt0_lib_entry_<hash>`.
        let nm = match run_cmd(Command::new("llvm-nm").arg("-m").arg(obj)) {
            Ok(o) => o,
            Err(e) => return step(name, Verdict::Fail, e),
        };
        nm.lines()
            .find(|l| {
                l.split_whitespace()
                    .last()
                    .is_some_and(|s| is_stub_symbol(s, &entry))
            })
            .map(|l| (l.contains("private external"), l.trim().to_string()))
    } else {
        // `llvm-readelf -s`: `6: 0000… 60 FUNC GLOBAL HIDDEN 1 rt0_lib_entry_<hash>`.
        let s = match run_cmd(Command::new("llvm-readelf").arg("-s").arg(obj)) {
            Ok(o) => o,
            Err(e) => return step(name, Verdict::Fail, e),
        };
        s.lines()
            .find(|l| {
                l.split_whitespace()
                    .last()
                    .is_some_and(|s| is_stub_symbol(s, &entry))
                    && !l.contains(" UND ")
            })
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.contains(&"GLOBAL") && w.contains(&"HIDDEN"), w.join(" "))
            })
    };
    let (symbol_ok, symbol_line) = match hidden {
        Some(x) => x,
        None => {
            return step(
                name,
                Verdict::Fail,
                format!("{} does not define {entry}_<hash>", obj.display()),
            )
        }
    };
    if !symbol_ok {
        return step(
            name,
            Verdict::Fail,
            format!("{entry}_<hash> must be global and hidden (.globl + .hidden / .private_extern): `{symbol_line}`"),
        );
    }
    // Stateless: no section of state or initializers with content.
    let headers = match run_cmd(Command::new("llvm-objdump").arg("-h").arg(obj)) {
        Ok(o) => o,
        Err(e) => return step(name, Verdict::Fail, e),
    };
    let init = initializer_section_name(d);
    let stateful: Vec<String> = headers
        .lines()
        .filter_map(|l| {
            // `  2 .data  00000000 0000000000000000 DATA`
            let w: Vec<&str> = l.split_whitespace().collect();
            let (sec, size) = (w.get(1)?, u64::from_str_radix(w.get(2)?, 16).ok()?);
            let state = STATE_SECTIONS.iter().any(|s| is_section(sec, s)) || is_section(sec, &init);
            (state && size > 0).then(|| format!("{sec} ({size} bytes)"))
        })
        .collect();
    if !stateful.is_empty() {
        return step(
            name,
            Verdict::Fail,
            format!(
                "the entry stub must keep no state and register no initializer (each library's \
                 lib_entry! does), but {} has {}",
                obj.display(),
                stateful.join(", ")
            ),
        );
    }
    let symbol = symbol_line
        .split_whitespace()
        .last()
        .unwrap_or("")
        .to_string();
    step(
        name,
        Verdict::Pass,
        format!("{symbol}: global, hidden; no data, no initializer record"),
    )
}

/// A member's relocations in the initializer section: the symbols the records point at.
fn record_targets(relocs: &str, section: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in relocs.split("RELOCATION RECORDS FOR [").skip(1) {
        let sec = block.split(']').next().unwrap_or("");
        if !is_section(sec, section) {
            continue;
        }
        for l in block.lines().skip(2) {
            if l.trim().is_empty() {
                break;
            }
            if let Some(t) = l.split_whitespace().last() {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// The relocations in function `f` of an `llvm-objdump -d -r` listing: (type, symbol). The
/// function's block starts at its label or, where LLVM 14 labels a Mach-O section start `ltmpN`
/// instead, at the block starting at `f`'s address (`addr`), and ends at the next label that is
/// not assembler-local (`.L…`).
fn relocations_in(listing: &str, f: &str, addr: Option<u64>) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = false;
    let mut out = Vec::new();
    for l in listing.lines() {
        let t = l.trim_end();
        if let Some(label) = t
            .strip_suffix(">:")
            .and_then(|x| x.split_once(" <"))
            .filter(|(a, _)| a.chars().all(|c| c.is_ascii_hexdigit()))
        {
            // Assembler-local labels (riscv's `.Lpcrel_hi0`, `.L0 `) are inside a function.
            if label.1.starts_with(".L") {
                continue;
            }
            let at = u64::from_str_radix(label.0, 16).ok();
            inside = label.1 == f || (label.1.starts_with("ltmp") && addr.is_some() && at == addr);
            found |= inside;
            continue;
        }
        if !inside {
            continue;
        }
        // `\t\t0000000000000074:  ARM64_RELOC_BRANCH26\t_rt0_lib_entry_e2544630`
        let w: Vec<&str> = t.split_whitespace().collect();
        // ELF prints an addend after the symbol (`rt0_lib_entry_0abfbc11-0x4`).
        if w.len() == 3 && w[0].ends_with(':') && w[0].len() > 8 {
            let symbol = w[2].split(['+', '-']).next().unwrap_or(w[2]);
            out.push((w[1].to_string(), symbol.to_string()));
        }
    }
    found.then_some(out)
}

/// The library (the demo's archive): a member has a relocated initializer record that points at
/// a function that member defines, and that function refers to the entry stub (the per-library
/// shim calls `rt0_lib_entry_<hash>` with the record; a debug build calls through the GOT).
pub fn initializer(d: &Description, archive: &Path, work: &Path) -> Step {
    let name = "initializer";
    let entry = sym(d, ENTRY_SYMBOL);
    let section = initializer_section_name(d);
    // LLVM 14 fails on some members newer rustc writes (bitcode in compiler_builtins) but
    // prints the others: read what it printed.
    let nm = match run_cmd(
        Command::new("llvm-nm")
            .args(["-A", "--defined-only"])
            .arg(archive),
    ) {
        Ok(o) | Err(o) => o,
    };
    let relocs = match run_cmd(Command::new("llvm-objdump").arg("-r").arg(archive)) {
        Ok(o) | Err(o) => o,
    };
    // Split `llvm-objdump -r` per member: `archive(member):\tfile format …`.
    let mut with_record: Vec<(String, Vec<String>)> = Vec::new();
    let mut member = String::new();
    let mut text = String::new();
    let flush = |member: &str, text: &str, out: &mut Vec<(String, Vec<String>)>| {
        let t = record_targets(text, &section);
        if !member.is_empty() && !t.is_empty() {
            out.push((member.to_string(), t));
        }
    };
    for l in relocs.lines() {
        if l.contains("file format") {
            flush(&member, &text, &mut with_record);
            text.clear();
            member = l
                .split_once("):")
                .and_then(|(a, _)| a.rsplit_once('('))
                .map(|(_, m)| m.to_string())
                .unwrap_or_default();
        } else {
            text.push_str(l);
            text.push('\n');
        }
    }
    flush(&member, &text, &mut with_record);
    if with_record.is_empty() {
        return step(
            name,
            Verdict::Fail,
            format!(
                "no member of {} has a relocated {} record: lib_entry! registers none",
                archive.display(),
                d.initializer.section
            ),
        );
    }
    // Other members may register initializers of their own (compiler-builtins' C code does on
    // aarch64 Linux): the library passes when one record leads to the stub.
    let mut found = Vec::new();
    let mut others = Vec::new();
    for (member, targets) in &with_record {
        let defined: Vec<(&str, u64)> = nm
            .lines()
            .filter(|l| l.contains(&format!(":{member}:")))
            .filter_map(|l| {
                let w: Vec<&str> = l.rsplit(':').next()?.split_whitespace().collect();
                (w.len() == 3).then(|| (w[2], u64::from_str_radix(w[0], 16).unwrap_or(0)))
            })
            .collect();
        let dir = work.join("initializer");
        let _ = std::fs::create_dir_all(&dir);
        if let Err(e) = run_cmd(
            Command::new("llvm-ar")
                .arg("x")
                .arg(archive)
                .arg(member)
                .current_dir(&dir),
        ) {
            return step(name, Verdict::Fail, e);
        }
        let listing = match run_cmd(
            Command::new("llvm-objdump")
                .args(["-d", "-r", "--no-show-raw-insn"])
                .arg(dir.join(member)),
        ) {
            Ok(o) => o,
            Err(e) => return step(name, Verdict::Fail, e),
        };
        for t in targets {
            let addr = defined.iter().find(|(s, _)| s == t).map(|x| x.1);
            let relocs = addr.and_then(|a| relocations_in(&listing, t, Some(a)));
            match relocs
                .as_ref()
                .and_then(|r| r.iter().find(|(_, s)| is_stub_symbol(s, &entry)))
            {
                Some((kind, s)) => found.push(format!("{section} -> {t} -> {s} ({kind})")),
                None if addr.is_none() => {
                    others.push(format!("{member}: -> {t} (not a function it defines)"))
                }
                None => others.push(format!("{member}: -> {t} (does not call {entry}_<hash>)")),
            }
        }
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
    step(name, Verdict::Pass, found.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_block_is_found_by_label_or_by_ltmp_address() {
        let listing = "\
0000000000000000 <ltmp0>:
       0:\tstp\tx29, x30, [sp, #-16]!
0000000000000040 <.L0 >:
\t\t0000000000000074:  ARM64_RELOC_BRANCH26\t_rt0_lib_entry_e2544630
0000000000000080 <_other>:
\t\t0000000000000084:  R_X86_64_PLT32\trt0_lib_entry_0abfbc11-0x4
";
        let r = relocations_in(listing, "__ZN5entry", Some(0)).unwrap();
        assert_eq!(
            r,
            [(
                "ARM64_RELOC_BRANCH26".to_string(),
                "_rt0_lib_entry_e2544630".to_string()
            )]
        );
        assert!(relocations_in(listing, "__ZN5entry", Some(8)).is_none());
        let r = relocations_in(listing, "_other", None).unwrap();
        assert_eq!(
            r[0].1, "rt0_lib_entry_0abfbc11",
            "the addend is not the name"
        );
    }

    #[test]
    fn record_targets_are_read_from_the_initializer_section_only() {
        let relocs = "\
RELOCATION RECORDS FOR [.text._ZN5entry]:
OFFSET           TYPE                     VALUE
0000000000000010 R_X86_64_PLT32           rt0_lib_entry_0abfbc11-0x4

RELOCATION RECORDS FOR [.init_array]:
OFFSET           TYPE                     VALUE
0000000000000000 R_X86_64_64              _ZN5entry

";
        assert_eq!(record_targets(relocs, ".init_array"), ["_ZN5entry"]);
    }
}
