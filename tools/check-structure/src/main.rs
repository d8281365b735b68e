//! check-structure (run through `ci/check-structure`): whether the workspace keeps the shape
//! docs/GUIDE asks for, for every crate in it (each package's library, binaries and build script,
//! as `cargo metadata` lists them). It prints each violation and exits 1 if there is any:
//!
//! 1. **No module cycle.** Modules are found as rustc finds them (`mod x;` files, `#[path]`,
//!    inline `mod x { }`); a module reaches another through `use` declarations and paths in its
//!    code (`crate::a::b`, `super::x`, `self::m`, a child module's name, a name a `use` bound to a
//!    module), inside macro arguments too. Test code (`#[cfg(test)]`) and `macro_rules!` bodies
//!    are left out.
//!
//!    Granularity: a module counts as its top-level module under the crate root
//!    (`library::start` is `library`), except inside a top-level *directory* module (one whose
//!    children live in files of their own: `src/emulate/`, `src/porting/`), where each child is a
//!    unit (`emulate::xnu`, `emulate::libsystem`; deeper modules count as that child). Why: a
//!    top-level module is the unit a reader of the crate sees and the one a cycle between
//!    concepts shows in (rt0's `library`, `loader`, `trace`), and a file per submodule is how the
//!    guide splits a concept, so cycles among a concept's own files are that concept's business;
//!    but a directory module like rt0-port's `emulate` is a subsystem whose children are the
//!    concepts (process, xnu, dyld, libsystem), and at the top level every cycle among them would
//!    be hidden inside `emulate`. References between a unit and the units nested in it
//!    (`emulate`'s mod.rs and `emulate::xnu`, the crate root and anything) are not edges: a
//!    directory module's own file, like the crate root, is the facade of what is under it and
//!    the ground its children share, not a peer.
//! 2. **No non-test Rust file over 700 lines** (files under a `tests/` folder and files only
//!    `#[cfg(test)]` modules reach are test code).
//! 3. **No Rust file that runs llvm-objdump** (a string literal naming the program, anywhere
//!    outside `target/`, tests included).
//! 4. **The emulated libSystem model** (`tools/rt0-port/src/emulate/libsystem/**/*.rs`) is at
//!    most 2,617 lines.
//!
//! Usage: `check-structure [--edges] [WORKSPACE_DIR]` (default: the current directory).
//! `--edges` also prints every edge between units, with the first reference that makes it: the
//! map to read when breaking a cycle.

mod cycles;
mod lines;
mod modules;
mod objdump;
mod paths;
#[cfg(test)]
mod tests;
mod workspace;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The most lines a non-test Rust file may have.
const MAX_FILE_LINES: usize = 700;
/// The emulated libSystem's budget: its size when the limit was set (issue 26); a new libSystem
/// function should come with a simplification elsewhere in the model.
const MAX_LIBSYSTEM_LINES: usize = 2617;
/// Where the emulated libSystem model is, under the workspace root.
const LIBSYSTEM_DIR: &str = "tools/rt0-port/src/emulate/libsystem";

fn main() {
    let mut show_edges = false;
    let mut dir = PathBuf::from(".");
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("--edges") => show_edges = true,
            Some("-h" | "--help") => {
                println!("usage: check-structure [--edges] [WORKSPACE_DIR]");
                return;
            }
            _ => dir = PathBuf::from(arg),
        }
    }
    let ws = match workspace::load(&dir) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("check-structure: {e}");
            std::process::exit(2);
        }
    };
    let mut violations = 0;
    let mut reported = 0;
    let rel = |p: &Path| workspace::relative(&ws.root, p);

    // 1. Module cycles, per crate; and which files only test modules reach (for 2).
    println!("== module cycles");
    let mut test_files = BTreeSet::new();
    let mut product_files = BTreeSet::new();
    for target in ws.targets.iter().filter(|t| !t.test_only) {
        let tree = modules::Tree::load(&target.root);
        for (file, test) in &tree.files {
            if *test {
                test_files.insert(file.clone());
            } else {
                product_files.insert(file.clone());
            }
        }
        for p in &tree.problems {
            println!("  note: {} ({}): {p}", target.package, target.kind);
        }
        let refs = paths::references(&tree);
        if show_edges {
            println!("  {} ({}):", target.package, target.kind);
            for (from, tos) in cycles::graph(&tree, &refs) {
                for (to, at) in tos {
                    let at = at
                        .strip_prefix(&format!("{}/", ws.root.display()))
                        .unwrap_or(&at);
                    let (from, to) = (cycles::name(&from), cycles::name(&to));
                    println!("    edge {from} -> {to}: {at}");
                }
            }
        }
        for c in cycles::cycles(&tree, &refs) {
            violations += 1;
            println!(
                "  CYCLE in {} ({}, {}): {}",
                target.package,
                target.kind,
                rel(&target.root),
                c.members.join(", ")
            );
            println!("    one way round: {}", c.path.join(" -> "));
            for (from, to, at) in &c.evidence {
                let at = at
                    .strip_prefix(&format!("{}/", ws.root.display()))
                    .unwrap_or(at);
                println!("    {from} -> {to}: {at}");
            }
        }
    }

    none_if_no_new(violations, &mut reported);

    // 2. Oversized files.
    println!("== non-test Rust files over {MAX_FILE_LINES} lines");
    let files = workspace::rust_files(&ws.root);
    let test_only = |f: &Path| test_files.contains(f) && !product_files.contains(f);
    for (file, n) in lines::oversized(&ws.root, &files, &test_only, MAX_FILE_LINES) {
        violations += 1;
        println!("  TOO LONG: {} has {n} lines", rel(&file));
    }

    none_if_no_new(violations, &mut reported);

    // 3. llvm-objdump.
    println!("== Rust files that run llvm-objdump");
    for file in &files {
        match objdump::mentions(file) {
            Ok(at) if at.is_empty() => {}
            Ok(at) => {
                violations += 1;
                let at: Vec<String> = at.iter().map(|l| l.to_string()).collect();
                println!(
                    "  RUNS llvm-objdump: {} (line {})",
                    rel(file),
                    at.join(", ")
                );
            }
            Err(e) => println!("  note: {}: {e}", rel(file)),
        }
    }

    none_if_no_new(violations, &mut reported);

    // 4. The emulated libSystem's size.
    println!("== the emulated libSystem model ({LIBSYSTEM_DIR})");
    let libsystem = lines::total_under(&files, &ws.root.join(LIBSYSTEM_DIR));
    if libsystem > MAX_LIBSYSTEM_LINES {
        violations += 1;
        println!("  TOO BIG: {libsystem} lines, more than {MAX_LIBSYSTEM_LINES}");
    } else {
        println!("  {libsystem} lines (at most {MAX_LIBSYSTEM_LINES})");
    }

    if violations > 0 {
        println!("check-structure: {violations} violation(s)");
        std::process::exit(1);
    }
    println!("check-structure: ok");
}

/// Prints "none" under a check that found nothing (`violations` did not grow since `reported`).
fn none_if_no_new(violations: usize, reported: &mut usize) {
    if violations == *reported {
        println!("  none");
    }
    *reported = violations;
}
