//! The scaffold's `entry.S` and `syscall.S`: the nearest port's files, unchanged below a comment
//! listing the questions the new port must answer, and an `#error` that stops the build until
//! they are rewritten.

use std::fmt::Write as _;

use super::triple::TripleParts;

/// The question about the entry stub's shape, which follows the per-library entry design
/// (`check`'s entry_object.rs verifies it): keep it here, in one place.
const ENTRY_OBJECT_QUESTION: [&str; 2] = [
    "RT0_SYM_lib_entry is called by each library's own initializer (lib_entry! registers it in [initializer].section)",
    "  with the loader's registers and the record in RT0_C_ARG5: is it global + hidden, and does it keep no data and register no initializer?",
];

/// A stub file of the scaffold: the nearest port's, stopped by `#error` until rewritten.
pub fn stub(
    triple: &str,
    parts: &TripleParts,
    from: &str,
    name: &str,
    text: &str,
    same_arch: bool,
) -> String {
    let questions: &[&str] = match name {
        "entry.S" => &[
            "How does the loader call an initializer here: which registers hold argc/argv/envp ([initializer])?",
            ENTRY_OBJECT_QUESTION[0],
            ENTRY_OBJECT_QUESTION[1],
            "Which registers must the stub preserve, and how is the stack kept aligned for the calls",
            "  into Rust ([c_abi], [stack])? How are addresses formed without text relocations (PC-relative)?",
        ],
        _ => &[
            "rt0_syscall6: how do the C arguments (nr, a0..a5) move into [syscall]'s registers, and how is a",
            "  failure turned into -errno ([syscall].error)?",
            "rt0_raw_thread_create: which register gets each [thread_create] argument, and what does the",
            "  child (Linux) or the registered start routine (darwin, [thread_start]) do first: take the",
            "  stack from its register, align it, zero the frame pointer, call func(arg), free the stack,",
            "  end only the thread?",
        ],
    };
    let questions = questions.join("\n * ");
    let mut s = String::new();
    let _ = writeln!(s, "/*");
    let _ = writeln!(s, " * TODO(rt0-port new): arch/{triple}/{name}, started from arch/{from}/{name} (below, unchanged).");
    if same_arch {
        let _ = writeln!(s, " * Same architecture: the instructions carry over; check every OS-specific step against the sources.");
    } else {
        let _ = writeln!(
            s,
            " * {from} is another architecture: rewrite every instruction for {}. Keep its structure and its\n * comments' contract, and take registers and numbers from rt0_abi.h (generated from abi.toml).",
            parts.arch
        );
    }
    let _ = writeln!(s, " * Questions this file must answer:\n * {questions}");
    let _ = writeln!(
        s,
        " * When done, delete this comment and the #error line below. Guide: docs/porting.md."
    );
    let _ = writeln!(s, " */");
    let _ = writeln!(s, "#error \"arch/{triple}/{name} is the unported copy of arch/{from}/{name} (TODO: port it, see docs/porting.md)\"\n");
    s.push_str(text);
    s
}
