//! The scaffold's `abi.toml`: every fact the nearest port shares is copied (with a comment
//! saying why it carries over), every other one is a `TODO` string naming its question and the
//! source that answers it, so the strict parser refuses the file until all are answered.

use std::fmt::Write as _;

use super::sources::{number_meaning, sources, Sources};
use super::triple::TripleParts;
use crate::description::{self, Description, Os};

/// What the scaffold is written from.
struct Scaffold<'a> {
    triple: &'a str,
    parts: &'a TripleParts,
    from: &'a str,
    near: &'a Description,
    src: Sources,
    same_arch: bool,
}

/// The scaffold's abi.toml for `triple`, from the port in folder `from` described by `near`.
pub fn abi_toml(triple: &str, parts: &TripleParts, from: &str, near: &Description) -> String {
    let sc = Scaffold {
        triple,
        parts,
        from,
        near,
        src: sources(parts),
        same_arch: near.arch.as_str() == parts.arch,
    };
    let mut s = String::new();
    sc.header_and_target(&mut s);
    sc.section_syscall(&mut s);
    sc.section_c_abi(&mut s);
    sc.section_numbers(&mut s);
    sc.section_thread_create(&mut s);
    sc.section_thread_exit(&mut s);
    sc.section_initializer(&mut s);
    sc.section_stack(&mut s);
    sc.section_constants(&mut s);
    s
}

impl Scaffold<'_> {
    fn header_and_target(&self, s: &mut String) {
        let triple = self.triple;
        let parts = self.parts;
        let from = self.from;
        let src = &self.src;
        let known_arch = matches!(self.parts.arch.as_str(), "x86_64" | "aarch64" | "riscv64");
        let os = self.parts.os;
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
        let _ = writeln!(s);

        let _ = writeln!(s, "[target]\ntriple = {}", toml_str(triple));
        let _ = writeln!(s, "arch = {}", toml_str(&parts.arch));
        if !known_arch {
            let _ = writeln!(
                s,
                "# TODO: rt0-description (description/src/arch.rs) knows the architectures x86_64, aarch64 and riscv64: give `Arch` a `{}` variant\n\
                 # (its register names for `is_register`, `asm_register`, `asm_register32`) and map it in build.rs\n\
                 # `check_against_triple`; rt0-port's checks and tools/symexec learn it too (docs/porting.md, \"A new architecture\").",
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
    }

    fn section_syscall(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
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
    }

    fn section_c_abi(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
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
    }

    fn section_numbers(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
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
    }

    fn section_thread_create(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
        let _ = writeln!(s, "\n[thread_create]");
        match os {
            // `new` refuses Windows triples (new/triple.rs): no raw thread creation there.
            Os::Windows => {}
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
    }

    fn section_thread_exit(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let _ = writeln!(
            s,
            "\n[thread_exit]\n# copied from arch/{from}: the same kernel's thread-exit call"
        );
        let _ = writeln!(s, "args = {}", toml_list(&near.thread_exit_args));
    }

    fn section_initializer(&self, s: &mut String) {
        let parts = self.parts;
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
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
    }

    fn section_stack(&self, s: &mut String) {
        let from = self.from;
        let near = self.near;
        let src = &self.src;
        let same_arch = self.same_arch;
        let os = self.parts.os;
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
                near.stack.alignment,
                near.stack.red_zone,
                near.stack.page_size,
                near.stack.guard_size
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
    }

    fn section_constants(&self, s: &mut String) {
        let triple = self.triple;
        let from = self.from;
        let near = self.near;
        let os = self.parts.os;
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
    }
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
pub fn todo(question: &str, source: &str) -> String {
    toml_str(&format!("TODO: {question} ({source})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_values_are_toml_strings_the_parser_rejects() {
        let t = todo("which register", "SRC");
        let v: toml::value::Table = toml::from_str(&format!("k = {t}")).unwrap();
        assert_eq!(v["k"].as_str(), Some("TODO: which register (SRC)"));
    }
}
