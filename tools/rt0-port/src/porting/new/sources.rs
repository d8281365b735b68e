//! Where each fact of a new port is found, per OS and architecture: the kernel and C library
//! sources the scaffold's TODO questions cite, and what each syscall-number name means.

use super::triple::TripleParts;
use crate::description::Os;

/// The sources a scaffold's TODO questions cite, for one OS and architecture.
pub struct Sources {
    pub kernel: &'static str,
    pub numbers: String,
    pub syscall_conv: String,
    pub c_abi: String,
    pub clone: String,
    pub thread_start: String,
}

/// The sources for a port of `parts`.
pub fn sources(parts: &TripleParts) -> Sources {
    let a = &parts.arch;
    match parts.os {
        Os::Linux => {
            // The kernel's folder is named after the architecture family, not musl's/Rust's name.
            let k = match a.as_str() {
                "x86_64" => "x86",
                "aarch64" => "arm64",
                "riscv64" => "riscv",
                "loongarch64" => "loongarch",
                "powerpc64" | "powerpc64le" => "powerpc",
                "s390x" => "s390",
                "mips64" | "mips64el" => "mips",
                other => other,
            };
            Sources {
            kernel: "LNX = torvalds/linux, MUSL = bminor/musl",
            numbers: format!("MUSL arch/{a}/bits/syscall.h.in; LNX include/uapi/asm-generic/unistd.h or arch/{k}'s syscall table"),
            syscall_conv: format!("MUSL arch/{a}/syscall_arch.h; LNX arch/{k}/include/asm/syscall.h and entry code; `man 2 syscall` table"),
            c_abi: format!("the {a} psABI's calling convention"),
            clone: format!("MUSL src/thread/{a}/clone.s; LNX kernel/fork.c and arch/{k}/Kconfig CLONE_BACKWARDS*"),
            thread_start: String::new(),
            }
        }
        // `new` refuses Windows triples (new/triple.rs); named for completeness.
        Os::Windows => Sources {
            kernel: "Microsoft Learn (x64 calling convention, PE format)",
            numbers: String::new(),
            syscall_conv: String::new(),
            c_abi: "Microsoft Learn, x64 calling convention".to_string(),
            clone: String::new(),
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
pub fn number_meaning(os: Os, name: &str) -> &'static str {
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
