//! `rt0-port new <triple> [--from <folder>]`: starts a port.
//!
//! Creates `arch/<triple>/{abi.toml, entry.S, syscall.S}` from the nearest existing port (same OS
//! first, since the stubs' logic follows the kernel; then same architecture) and appends one line
//! to `arch/targets.toml`. Every fact that depends on what changed is written as a `TODO` naming
//! the question it answers and where the fact is found; the stubs are the nearest port's with a
//! `#error` that stops the build until they are rewritten. `verified_by` starts as `not-yet`.
//! So the scaffold builds nowhere and `rt0-port check` fails, listing what is missing, until
//! every TODO is answered. An existing folder or registration is never overwritten.

use super::{ports, Ctx, Usage};
use crate::description::{self, Description, Os};
use std::fmt::Write as _;

/// What a triple says about its architecture and OS.
#[derive(Debug, Clone)]
pub struct TripleParts {
    /// The description's arch spelling (`x86_64`, `aarch64`, `riscv64`, ...).
    pub arch: String,
    /// `linux` or `darwin`.
    pub os: Os,
    /// The environment (`gnu`, `musl`, ...), empty if none.
    pub env: String,
}

/// Splits a Rust target triple into what a description needs.
pub fn parse_triple(triple: &str) -> Result<TripleParts, String> {
    let parts: Vec<&str> = triple.split('-').collect();
    if parts.len() < 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!("`{triple}` is not a target triple (<arch>-<vendor>-<os>[-<env>], `rustc --print target-list`)"));
    }
    let arch = match parts[0] {
        "x86_64" => "x86_64".to_string(),
        "aarch64" | "arm64" => "aarch64".to_string(),
        a if a.starts_with("riscv64") => "riscv64".to_string(),
        a => a.to_string(),
    };
    let os = if parts[2] == "darwin" || triple.contains("apple-darwin") {
        Os::Darwin
    } else if parts[2] == "linux" {
        Os::Linux
    } else {
        return Err(format!(
            "`{triple}`: rt0's descriptions know the operating systems linux and darwin; a port to `{}` first needs an `Os` for it in build/description.rs (its required numbers and constants) and in build.rs",
            parts[2]
        ));
    };
    Ok(TripleParts {
        arch,
        os,
        env: parts.get(3).copied().unwrap_or("").to_string(),
    })
}

/// The folder a new port of `parts` starts from: same OS and arch, else same OS, else same arch.
fn nearest(ctx: &Ctx, parts: &TripleParts) -> Option<(String, Description)> {
    let mut cands: Vec<(u8, String, Description)> = Vec::new();
    for p in ports(ctx)
        .ok()?
        .into_iter()
        .filter(|p| p.registered && p.overlay.is_none())
    {
        let Ok(d) = p.description(ctx) else { continue };
        if !p.todos(ctx).is_empty() || d.verified_by == "not-yet" {
            continue; // never copy from another scaffold
        }
        let same_os = d.os == parts.os;
        let same_arch = d.arch.as_str() == parts.arch;
        let score = match (same_os, same_arch) {
            (true, true) => 0,
            // A load-store architecture is closer to another one than to x86_64.
            (true, false) if (parts.arch != "x86_64") == (d.arch.as_str() != "x86_64") => 1,
            (true, false) => 2,
            (false, true) => 3,
            (false, false) => 4,
        };
        cands.push((score, p.folder.clone(), d));
    }
    cands.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    cands.into_iter().next().map(|(_, f, d)| (f, d))
}

fn toml_str(s: &str) -> String {
    format!("{s:?}")
}

fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| toml_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A TODO value: a string the strict parser rejects, naming the question and the source.
fn todo(question: &str, source: &str) -> String {
    toml_str(&format!("TODO: {question} ({source})"))
}

struct Sources {
    kernel: &'static str,
    numbers: String,
    syscall_conv: String,
    c_abi: String,
    clone: String,
    thread_start: String,
}

fn sources(parts: &TripleParts) -> Sources {
    let a = &parts.arch;
    match parts.os {
        Os::Linux => Sources {
            kernel: "LNX = torvalds/linux, MUSL = bminor/musl",
            numbers: format!("MUSL arch/{a}/bits/syscall.h.in; LNX include/uapi/asm-generic/unistd.h or arch/{a}'s syscall table"),
            syscall_conv: format!("MUSL arch/{a}/syscall_arch.h; LNX arch/{a} entry code; `man 2 syscall` table"),
            c_abi: format!("the {a} psABI's calling convention"),
            clone: format!("MUSL src/thread/{a}/clone.s; LNX kernel/fork.c and arch/Kconfig CLONE_BACKWARDS*"),
            thread_start: String::new(),
        },
        Os::Darwin => {
            // XNU's folders are named i386 and arm for the 64-bit architectures too.
            let (bsd, osfmk) = match a.as_str() {
                "x86_64" => ("i386", "i386"),
                "aarch64" => ("arm", "arm64"),
                _ => ("<arch>", "<arch>"),
            };
            Sources {
                kernel: "XNU = apple-oss-distributions/xnu, LP = apple-oss-distributions/libpthread",
                numbers: "XNU bsd/kern/syscalls.master (shared by every architecture)".to_string(),
                syscall_conv: format!("XNU bsd/dev/{bsd}/systemcalls.c; libsyscall/custom/SYS.h"),
                c_abi: format!("Apple's {a} calling convention: the psABI with Apple's changes"),
                clone: "LP kern/kern_support.c _bsdthread_create".to_string(),
                thread_start: format!("LP kern/kern_support.c, the per-arch register setup in _bsdthread_create; XNU osfmk/{osfmk}/"),
            }
        }
    }
}

/// Meaning of each syscall-number name, for the TODO questions.
fn number_meaning(os: Os, name: &str) -> &'static str {
    match (os, name) {
        (Os::Linux, "exit") => "exit (ends the calling thread only)",
        (Os::Linux, "exit_group") => "exit_group (ends the process)",
        (Os::Linux, "thread_sigmask") => "rt_sigprocmask",
        (Os::Linux, "thread_id") => "gettid",
        (Os::Linux, "thread_create") => "clone (not clone3)",
        (Os::Darwin, "exit") => "exit",
        (Os::Darwin, "process_sigmask") => "sigprocmask (whole process; rt0 never uses it)",
        (Os::Darwin, "thread_sigmask") => "__pthread_sigmask (calling thread only)",
        (Os::Darwin, "thread_id") => "thread_selfid",
        (Os::Darwin, "thread_create") => "bsdthread_create",
        (Os::Darwin, "thread_terminate") => "bsdthread_terminate",
        (Os::Darwin, "thread_register") => "bsdthread_register",
        (Os::Darwin, "wait_on_address") => "__ulock_wait",
        (Os::Darwin, "wake_address") => "__ulock_wake",
        (_, "write") => "write",
        (_, "mmap") => "mmap",
        (_, "munmap") => "munmap",
        (_, "mprotect") => "mprotect",
        (_, "futex") => "futex",
        (_, "nanosleep") => "nanosleep",
        (_, "openat") => "openat",
        (_, "read") => "read",
        (_, "close") => "close",
        _ => "this call",
    }
}

/// The scaffold's abi.toml.
fn abi_toml(triple: &str, parts: &TripleParts, from: &str, near: &Description) -> String {
    let src = sources(parts);
    let same_arch = near.arch.as_str() == parts.arch;
    let known_arch = matches!(parts.arch.as_str(), "x86_64" | "aarch64");
    let os = parts.os;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Register convention of {triple}: started by `rt0-port new` from arch/{from}/abi.toml."
    );
    let _ = writeln!(s, "# Each unanswered fact is a string (or a comment) opening with the to-do marker: it asks one question and");
    let _ = writeln!(s, "# names where the answer is found. Replace the whole string with the value (and keep a comment citing the");
    let _ = writeln!(
        s,
        "# source). `rt0-port check {triple}` lists what is left,"
    );
    let _ = writeln!(
        s,
        "# and the build refuses this description until it is complete. Guide: docs/porting.md."
    );
    let _ = writeln!(s, "# Sources: {}.", src.kernel);
    let _ = writeln!(s, "# Facts already collected for rt0's ports: ../shared/reference/abi-facts.md (if you have it).\n");

    let _ = writeln!(s, "[target]\ntriple = {}", toml_str(triple));
    let _ = writeln!(s, "arch = {}", toml_str(&parts.arch));
    if !known_arch {
        let _ = writeln!(
            s,
            "# TODO: build/description.rs knows the architectures x86_64 and aarch64: give `Arch` a `{}` variant\n\
             # (its register names for `is_register`, `asm_register`, `asm_register32`) and map it in build.rs\n\
             # `check_against_triple`; src/ needs its `target_arch` arms (docs/porting.md, \"A new architecture\").",
            parts.arch
        );
    }
    let _ = writeln!(s, "os = {}", toml_str(os.as_str()));
    let _ = writeln!(
        s,
        "object_format = {}",
        toml_str(if os == Os::Darwin { "macho" } else { "elf" })
    );
    let _ = writeln!(
        s,
        "verified_by = \"not-yet\"  # TODO: when the scenarios pass, say how: \"native\" (runs on this host), \"qemu-user\", \"emulated-xnu\"\n"
    );

    let _ = writeln!(s, "[syscall]");
    if same_arch && near.os == os {
        let _ = writeln!(s, "# copied from arch/{from}: same architecture and OS");
        let _ = writeln!(s, "instruction = {}", toml_str(&near.syscall.instruction));
        let _ = writeln!(
            s,
            "number_register = {}",
            toml_str(&near.syscall.number_register)
        );
        let _ = writeln!(s, "number_prefix = {:#x}", near.syscall.number_prefix);
        let _ = writeln!(
            s,
            "arg_registers = {}",
            toml_list(&near.syscall.arg_registers)
        );
        let _ = writeln!(s, "error = {}", toml_str(near.syscall.error.as_str()));
        let _ = writeln!(
            s,
            "return_registers = {}",
            toml_list(&near.syscall.return_registers)
        );
        let _ = writeln!(s, "clobbers = {}", toml_list(&near.syscall.clobbers));
    } else {
        let _ = writeln!(
            s,
            "# {from} has: instruction {:?}, number in {}, args {:?}",
            near.syscall.instruction, near.syscall.number_register, near.syscall.arg_registers
        );
        let _ = writeln!(
            s,
            "instruction = {}",
            todo(
                "which instruction traps into the kernel, as the assembler spells it",
                &src.syscall_conv
            )
        );
        let _ = writeln!(
            s,
            "number_register = {}",
            todo("which register carries the call number", &src.syscall_conv)
        );
        if os == Os::Linux {
            let _ = writeln!(
                s,
                "number_prefix = 0          # Linux numbers carry no class prefix"
            );
        } else {
            let _ = writeln!(s, "number_prefix = {}", todo("what is added to a BSD call number (SYSCALL_CLASS_UNIX << 24 on x86_64; 0 on arm64, where the class is not encoded)", &src.syscall_conv));
        }
        let _ = writeln!(
            s,
            "arg_registers = {}",
            todo(
                "which six registers carry the arguments, first first (a list)",
                &src.syscall_conv
            )
        );
        if os == Os::Linux {
            let _ = writeln!(s, "error = \"negative\"         # every Linux architecture rt0 has: -4095..-1 is -errno (check yours)");
        } else {
            let _ = writeln!(
                s,
                "error = \"carry\"            # XNU: carry flag set, positive errno"
            );
        }
        let _ = writeln!(
            s,
            "return_registers = {}",
            todo(
                "which registers carry the results (a list, first result first)",
                &src.syscall_conv
            )
        );
        let _ = writeln!(
            s,
            "clobbers = {}",
            todo(
                "which registers does the trap destroy (a list; [] if the kernel restores all)",
                &src.syscall_conv
            )
        );
    }

    let _ = writeln!(s, "\n[c_abi]");
    if same_arch {
        let _ = writeln!(
            s,
            "# copied from arch/{from}: same architecture (check {}'s ABI does not differ)",
            os.as_str()
        );
        let _ = writeln!(
            s,
            "arg_registers = {}",
            toml_list(&near.c_abi.arg_registers)
        );
        let _ = writeln!(
            s,
            "return_register = {}",
            toml_str(&near.c_abi.return_register)
        );
        let _ = writeln!(s, "callee_saved = {}", toml_list(&near.c_abi.callee_saved));
    } else {
        let _ = writeln!(
            s,
            "arg_registers = {}",
            todo(
                "which registers carry a C function's integer arguments (a list)",
                &src.c_abi
            )
        );
        let _ = writeln!(
            s,
            "return_register = {}",
            todo(
                "which register carries a C function's integer result",
                &src.c_abi
            )
        );
        let _ = writeln!(
            s,
            "callee_saved = {}",
            todo(
                "which registers must a C function preserve (a list, with the frame pointer)",
                &src.c_abi
            )
        );
    }

    let _ = writeln!(s, "\n[numbers]");
    let numbers_shared = os == Os::Darwin || same_arch;
    if numbers_shared {
        let _ = writeln!(
            s,
            "# copied from arch/{from}: {}",
            if os == Os::Darwin {
                "XNU's numbers are the same on every architecture"
            } else {
                "same architecture"
            }
        );
    } else {
        let _ = writeln!(
            s,
            "# {}: the numbers differ per architecture on Linux; {from}'s are given as a hint only",
            src.numbers
        );
    }
    let list = description::NUMBERS_COMMON
        .iter()
        .chain(if os == Os::Darwin {
            description::NUMBERS_DARWIN
        } else {
            description::NUMBERS_LINUX
        });
    for name in list {
        let hint = near.number(name);
        match (numbers_shared, hint) {
            (true, Some(n)) => {
                let _ = writeln!(s, "{name} = {n}    # {}", number_meaning(os, name));
            }
            _ => {
                let h = hint
                    .map(|n| format!("; {from} has {n}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "{name} = {}",
                    todo(
                        &format!("the number of {}{h}", number_meaning(os, name)),
                        &src.numbers
                    )
                );
            }
        }
    }

    let _ = writeln!(s, "\n[thread_create]");
    match os {
        Os::Darwin => {
            let _ = writeln!(
                s,
                "# bsdthread_create(func, func_arg, stack, pthread, flags) -> pthread ({})",
                src.clone
            );
            let _ = writeln!(s, "args = {}", toml_list(&near.thread_create.map.args));
            if same_arch {
                let _ = writeln!(
                    s,
                    "registers = {}",
                    toml_list(&near.thread_create.map.registers)
                );
            } else {
                let _ = writeln!(s, "registers = {}", todo("the register of each of func, arg, stack, pthread, flags: the first five syscall argument registers (a list)", &src.syscall_conv));
            }
        }
        Os::Linux => {
            if same_arch {
                let _ = writeln!(
                    s,
                    "# copied from arch/{from}: same architecture ({})",
                    src.clone
                );
                let _ = writeln!(s, "args = {}", toml_list(&near.thread_create.map.args));
                let _ = writeln!(
                    s,
                    "registers = {}",
                    toml_list(&near.thread_create.map.registers)
                );
            } else {
                let _ = writeln!(
                    s,
                    "# {from} has args {:?} in {:?}",
                    near.thread_create.map.args, near.thread_create.map.registers
                );
                let _ = writeln!(s, "args = {}", todo("in which order does this architecture's clone take flags, stack, ptid, ctid, tls (CLONE_BACKWARDS, BACKWARDS2, BACKWARDS3 or the default order; a list of those five names)", &src.clone));
                let _ = writeln!(s, "registers = {}", todo("which syscall argument register carries each of those, in the same order (a list)", &src.syscall_conv));
            }
        }
    }
    let _ = writeln!(
        s,
        "flags = {:#x}    # copied from arch/{from}: {}",
        near.thread_create.flags,
        if os == Os::Darwin {
            "PTHREAD_START_CUSTOM"
        } else {
            "CLONE_VM|FS|FILES|SIGHAND|SYSVSEM|THREAD|SETTLS with tls = 0 (Go's cloneFlags | SETTLS)"
        }
    );

    if os == Os::Darwin {
        let _ = writeln!(s, "\n[thread_start]");
        let ts = near.thread_start.as_ref();
        let _ = writeln!(s, "# The routine registered with bsdthread_register is entered with these registers ({}).", src.thread_start);
        let _ = writeln!(
            s,
            "args = {}",
            toml_list(&ts.map(|t| t.map.args.clone()).unwrap_or_else(|| {
                description::THREAD_START_ARGS_DARWIN
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }))
        );
        if same_arch {
            if let Some(ts) = ts {
                let _ = writeln!(s, "registers = {}", toml_list(&ts.map.registers));
                let _ = writeln!(s, "stack_pointer = {}", toml_str(&ts.stack_pointer));
                let _ = writeln!(s, "legacy_stack_offset = {}", ts.legacy_stack_offset);
            }
        } else {
            let _ = writeln!(s, "registers = {}", todo("which register carries each of pthread, kport, func, arg, stack, flags when the new thread starts (a list)", &src.thread_start));
            let _ = writeln!(
                s,
                "stack_pointer = {}",
                todo("the stack-pointer register's name", &src.c_abi)
            );
            let _ = writeln!(s, "legacy_stack_offset = {}", todo("where did older kernels leave the stack pointer relative to the stack argument (an integer; 0 if always exact)", &src.thread_start));
        }
    }

    let _ = writeln!(
        s,
        "\n[thread_exit]\n# copied from arch/{from}: the same kernel's thread-exit call"
    );
    let _ = writeln!(s, "args = {}", toml_list(&near.thread_exit_args));

    let _ = writeln!(s, "\n[initializer]");
    let _ = writeln!(
        s,
        "section = {}    # copied from arch/{from}: the same loader",
        toml_str(&near.initializer.section)
    );
    if os == Os::Linux && parts.env.starts_with("musl") {
        let _ = writeln!(s, "# musl calls initializers with no arguments (MUSL ldso/dynlink.c do_init_fini): rt0 reads /proc/self");
        let _ = writeln!(
            s,
            "args = []\nregisters = []\nargs_fallback = \"proc-self\""
        );
    } else {
        let args = if os == Os::Linux {
            vec!["argc".to_string(), "argv".into(), "envp".into()]
        } else {
            near.initializer.map.args.clone()
        };
        let loader = if os == Os::Linux {
            "GLIBC elf/dl-init.c call_init"
        } else {
            "DYLD dyld/Loader.cpp"
        };
        let _ = writeln!(
            s,
            "# the loader calls each initializer as ({}) ({loader})",
            args.join(", ")
        );
        let _ = writeln!(s, "args = {}", toml_list(&args));
        if same_arch {
            let regs: Vec<String> = near
                .c_abi
                .arg_registers
                .iter()
                .take(args.len())
                .cloned()
                .collect();
            let _ = writeln!(s, "registers = {}", toml_list(&regs));
        } else {
            let _ = writeln!(s, "registers = {}", todo(&format!("which registers carry those {} arguments: the first C argument registers (a list)", args.len()), &src.c_abi));
        }
    }

    let _ = writeln!(s, "\n[stack]");
    if same_arch {
        let _ = writeln!(
            s,
            "# copied from arch/{from}: same architecture (check the page sizes {} runs with)",
            os.as_str()
        );
        let _ = writeln!(
            s,
            "alignment = {}\nred_zone = {}\npage_size = {}\nguard_size = {}",
            near.stack.alignment, near.stack.red_zone, near.stack.page_size, near.stack.guard_size
        );
    } else {
        let _ = writeln!(
            s,
            "alignment = {}",
            todo(
                "the stack alignment required at a call, in bytes",
                &src.c_abi
            )
        );
        let _ = writeln!(
            s,
            "red_zone = {}",
            todo(
                "how many bytes below the stack pointer may a leaf function use (0 if none)",
                &src.c_abi
            )
        );
        let _ = writeln!(
            s,
            "page_size = {}",
            todo(
                "the largest page size a kernel for this architecture runs with, in bytes",
                "the kernel's Kconfig PAGE_SIZE options"
            )
        );
        let _ = writeln!(
            s,
            "guard_size = {}",
            todo(
                "the guard under each raw stack: at least page_size",
                "docs/architecture.md, raw stacks"
            )
        );
    }

    let _ = writeln!(s, "\n[constants]");
    let _ = writeln!(
        s,
        "# TODO: confirm every value below for {triple}: copied from arch/{from} ({}).",
        if os == Os::Linux {
            "LNX include/uapi/asm-generic/{mman-common,signal,errno-base,errno,futex,fcntl}.h; a few architectures (alpha, mips, parisc, powerpc, sparc) override them in arch/<arch>/include/uapi/asm/"
        } else {
            "the macOS SDK's <sys/mman.h>, <sys/signal.h>, <sys/errno.h>; XNU bsd/sys/ulock.h"
        }
    );
    let _ = writeln!(s, "# (Delete the line above once they are confirmed.)");
    for (k, v) in &near.constants {
        match v {
            description::Constant::Int(i) if *i >= 0x1000 => {
                let _ = writeln!(s, "{k} = {i:#x}");
            }
            description::Constant::Int(i) => {
                let _ = writeln!(s, "{k} = {i}");
            }
            description::Constant::List(l) => {
                let items: Vec<String> = l.iter().map(|x| x.to_string()).collect();
                let _ = writeln!(s, "{k} = [{}]", items.join(", "));
            }
        }
    }
    s
}

/// A stub file of the scaffold: the nearest port's, stopped by `#error` until rewritten.
fn stub(
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
            "How is the initializer record emitted in [initializer].section, in the same object as",
            "  rt0_entry_state, so that linking any export links the entry (no --whole-archive)?",
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

/// Runs `new`.
pub fn run(ctx: &Ctx, args: &[String]) -> Result<i32, Usage> {
    let mut triple = None;
    let mut from = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--from" => {
                from = Some(
                    it.next()
                        .ok_or_else(|| Usage(Some("--from needs a folder".into())))?
                        .clone(),
                )
            }
            a if a.starts_with('-') => return Err(Usage(Some(format!("unknown option {a}")))),
            a if triple.is_none() => triple = Some(a.to_string()),
            a => return Err(Usage(Some(format!("one triple only (also got {a})")))),
        }
    }
    let Some(triple) = triple else {
        return Err(Usage(Some("which triple?".into())));
    };
    match create(ctx, &triple, from.as_deref()) {
        Ok(report) => {
            print!("{report}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("rt0-port new: {e}");
            Ok(1)
        }
    }
}

/// Creates the scaffold; returns what was done, for the terminal.
pub fn create(ctx: &Ctx, triple: &str, from: Option<&str>) -> Result<String, String> {
    let parts = parse_triple(triple)?;
    let dir = ctx.arch.join(triple);
    if dir.exists() {
        return Err(format!(
            "{} already exists: refusing to overwrite a port (delete the folder and its line in {} to start over)",
            dir.display(),
            ctx.registry_file().display()
        ));
    }
    let registry = ctx.registry()?;
    if let Some(r) = registry.iter().find(|r| r.triple == triple) {
        return Err(format!(
            "{triple} is already registered in {} (served from arch/{}): refusing to overwrite a port",
            ctx.registry_file().display(),
            r.folder
        ));
    }
    let (from, near) = match from {
        Some(f) => {
            let p = super::Port {
                triple: f.to_string(),
                folder: f.to_string(),
                overlay: None,
                registered: false,
            };
            let d = p.description(ctx).map_err(|e| format!("--from {f}: {e}"))?;
            (f.to_string(), d)
        }
        None => nearest(ctx, &parts).ok_or_else(|| {
            format!(
                "no finished port under {} to start from",
                ctx.arch.display()
            )
        })?,
    };
    let same_arch = near.arch.as_str() == parts.arch;
    let abi = abi_toml(triple, &parts, &from, &near);
    let mut files = vec![("abi.toml".to_string(), abi)];
    for name in ["entry.S", "syscall.S"] {
        let src = ctx.arch.join(&from).join(name);
        let text = std::fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        files.push((
            name.to_string(),
            stub(triple, &parts, &from, name, &text, same_arch),
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
    }
    let reg = ctx.registry_file();
    let mut text = std::fs::read_to_string(&reg).map_err(|e| format!("{}: {e}", reg.display()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "{triple:?} = {triple:?}   # scaffold from `rt0-port new` (verified_by = \"not-yet\")\n"
    ));
    std::fs::write(&reg, text).map_err(|e| format!("{}: {e}", reg.display()))?;
    // The registry must still parse (build.rs reads it for every target).
    ctx.registry()?;

    let p = super::Port {
        triple: triple.to_string(),
        folder: triple.to_string(),
        overlay: None,
        registered: true,
    };
    let todos = p.todos(ctx);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "created {}/ from arch/{from} ({}):",
        dir.display(),
        if same_arch {
            "same architecture"
        } else if near.os == parts.os {
            "same OS"
        } else {
            "nearest port"
        }
    );
    for (name, _) in &files {
        let n = todos.iter().filter(|t| &t.0 == name).count();
        let _ = writeln!(out, "  {name:<10} {n} TODO line(s)");
    }
    let _ = writeln!(out, "registered {triple} in {}", reg.display());
    let _ = writeln!(
        out,
        "next: answer every TODO (docs/porting.md), then `rt0-port check {triple}`"
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triples_split_into_what_a_description_needs() {
        let p = parse_triple("riscv64gc-unknown-linux-gnu").unwrap();
        assert_eq!(
            (p.arch.as_str(), p.os, p.env.as_str()),
            ("riscv64", Os::Linux, "gnu")
        );
        let p = parse_triple("aarch64-apple-darwin").unwrap();
        assert_eq!((p.arch.as_str(), p.os), ("aarch64", Os::Darwin));
        let p = parse_triple("x86_64-unknown-linux-musl").unwrap();
        assert_eq!(p.env, "musl");
        assert!(parse_triple("x86_64-unknown-freebsd")
            .unwrap_err()
            .contains("`Os`"));
        assert!(parse_triple("riscv64").is_err());
        assert!(parse_triple("a--b").is_err());
    }

    #[test]
    fn todo_values_are_toml_strings_the_parser_rejects() {
        let t = todo("which register", "SRC");
        let v: toml::Table = format!("k = {t}").parse().unwrap();
        assert_eq!(v["k"].as_str(), Some("TODO: which register (SRC)"));
    }
}
