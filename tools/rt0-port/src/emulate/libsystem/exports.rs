//! What the emulated libSystem exports: the one table of its functions and variables.
//!
//! Three things are derived from it, so they cannot drift apart:
//! - the emulator's dispatch (`libsystem::call` matches every [`Function`] exhaustively, and a
//!   variant missing here is never constructed, which the compiler reports);
//! - the `libSystem.tbd` that `rt0-port emulate` links executables against ([`tbd_text`]);
//! - `tools/darwin-sdk/usr/lib/*.tbd`, the stub cargo's darwin links use, which a test below
//!   compares with [`tbd_text`] (`RT0_WRITE_DARWIN_SDK=1` rewrites them from the table).

/// A libSystem function the emulator runs in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Write,
    Exit,
    ExitNow,
    Abort,
    PthreadCreate,
    PthreadAttrInit,
    PthreadAttrSetstacksize,
    PthreadAttrSetdetachstate,
    PthreadAttrDestroy,
    PthreadSigmask,
    PthreadThreadidNp,
    PthreadSelf,
    PthreadExit,
    UlockWait,
    UlockWake,
    Sigprocmask,
    Mmap,
    Munmap,
    Mprotect,
    Errno,
    SchedYield,
    Memcpy,
    Memmove,
    Memset,
    Bzero,
    Memcmp,
    Strlen,
    Strcmp,
    Strncmp,
    StackChkFail,
    DyldStubBinder,
    ClockGettime,
    Malloc,
    Free,
    Calloc,
    Realloc,
    PosixMemalign,
    Getenv,
    DispatchSemaphoreCreate,
    DispatchSemaphoreSignal,
    DispatchSemaphoreWait,
    DispatchTime,
    DispatchRelease,
    PthreadDetach,
    PthreadGetStackaddrNp,
    PthreadGetStacksizeNp,
    PthreadSetnameNp,
    TlvAtexit,
    PthreadMutexattrInit,
    PthreadMutexattrSettype,
    PthreadMutexattrDestroy,
    PthreadMutexInit,
    PthreadMutexLock,
    PthreadMutexTrylock,
    PthreadMutexUnlock,
    PthreadMutexDestroy,
    PthreadCondInit,
    PthreadCondWait,
    PthreadCondTimedwaitRelativeNp,
    PthreadCondSignal,
    PthreadCondBroadcast,
    PthreadCondDestroy,
    Memchr,
    PthreadJoin,
    AssertRtn,
    Udivti3,
    Umodti3,
    Divti3,
    Modti3,
    Dladdr,
    Dlopen,
    Getpid,
    NsGetArgc,
    NsGetArgv,
    NsGetEnviron,
    TlvBootstrap,
    Printf,
    Fprintf,
    Snprintf,
    Puts,
    Fputs,
    Putchar,
    Fflush,
}

/// A libSystem variable, in the emulator's data page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// `__stack_chk_guard`: the stack-protector canary.
    StackChkGuard,
    /// `mach_task_self_`: the task's port name.
    MachTaskSelf,
    /// `__stdoutp` (stdio.h `stdout`): the address of stdout's FILE.
    Stdoutp,
    /// `__stderrp` (stdio.h `stderr`): the address of stderr's FILE.
    Stderrp,
}

/// One exported symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Code: a trap stub the emulator answers.
    Function(Function),
    /// Data.
    Variable(Variable),
}

use Export::{Function as F, Variable as V};

/// Every symbol the emulated libSystem exports, by its Mach-O name. A function's stub address
/// follows its position here.
pub const EXPORTS: &[(&str, Export)] = &[
    ("_write", F(Function::Write)),
    ("_exit", F(Function::Exit)),
    ("__exit", F(Function::ExitNow)),
    ("_abort", F(Function::Abort)),
    ("_pthread_create", F(Function::PthreadCreate)),
    ("_pthread_attr_init", F(Function::PthreadAttrInit)),
    (
        "_pthread_attr_setstacksize",
        F(Function::PthreadAttrSetstacksize),
    ),
    (
        "_pthread_attr_setdetachstate",
        F(Function::PthreadAttrSetdetachstate),
    ),
    ("_pthread_attr_destroy", F(Function::PthreadAttrDestroy)),
    ("_pthread_sigmask", F(Function::PthreadSigmask)),
    ("_pthread_threadid_np", F(Function::PthreadThreadidNp)),
    ("_pthread_self", F(Function::PthreadSelf)),
    ("_pthread_exit", F(Function::PthreadExit)),
    ("___ulock_wait", F(Function::UlockWait)),
    ("___ulock_wake", F(Function::UlockWake)),
    ("_sigprocmask", F(Function::Sigprocmask)),
    ("_mmap", F(Function::Mmap)),
    ("_munmap", F(Function::Munmap)),
    ("_mprotect", F(Function::Mprotect)),
    ("___error", F(Function::Errno)),
    ("_sched_yield", F(Function::SchedYield)),
    ("_memcpy", F(Function::Memcpy)),
    ("_memmove", F(Function::Memmove)),
    ("_memset", F(Function::Memset)),
    ("_bzero", F(Function::Bzero)),
    ("___bzero", F(Function::Bzero)),
    ("_memcmp", F(Function::Memcmp)),
    ("_bcmp", F(Function::Memcmp)),
    ("_strlen", F(Function::Strlen)),
    ("_strcmp", F(Function::Strcmp)),
    ("_strncmp", F(Function::Strncmp)),
    ("___stack_chk_fail", F(Function::StackChkFail)),
    ("dyld_stub_binder", F(Function::DyldStubBinder)),
    ("_clock_gettime", F(Function::ClockGettime)),
    ("_malloc", F(Function::Malloc)),
    ("_free", F(Function::Free)),
    ("_calloc", F(Function::Calloc)),
    ("_realloc", F(Function::Realloc)),
    ("_posix_memalign", F(Function::PosixMemalign)),
    ("_getenv", F(Function::Getenv)),
    (
        "_dispatch_semaphore_create",
        F(Function::DispatchSemaphoreCreate),
    ),
    (
        "_dispatch_semaphore_signal",
        F(Function::DispatchSemaphoreSignal),
    ),
    (
        "_dispatch_semaphore_wait",
        F(Function::DispatchSemaphoreWait),
    ),
    ("_dispatch_time", F(Function::DispatchTime)),
    ("_dispatch_release", F(Function::DispatchRelease)),
    ("_pthread_detach", F(Function::PthreadDetach)),
    (
        "_pthread_get_stackaddr_np",
        F(Function::PthreadGetStackaddrNp),
    ),
    (
        "_pthread_get_stacksize_np",
        F(Function::PthreadGetStacksizeNp),
    ),
    ("_pthread_setname_np", F(Function::PthreadSetnameNp)),
    ("__tlv_atexit", F(Function::TlvAtexit)),
    ("_pthread_mutexattr_init", F(Function::PthreadMutexattrInit)),
    (
        "_pthread_mutexattr_settype",
        F(Function::PthreadMutexattrSettype),
    ),
    (
        "_pthread_mutexattr_destroy",
        F(Function::PthreadMutexattrDestroy),
    ),
    ("_pthread_mutex_init", F(Function::PthreadMutexInit)),
    ("_pthread_mutex_lock", F(Function::PthreadMutexLock)),
    ("_pthread_mutex_trylock", F(Function::PthreadMutexTrylock)),
    ("_pthread_mutex_unlock", F(Function::PthreadMutexUnlock)),
    ("_pthread_mutex_destroy", F(Function::PthreadMutexDestroy)),
    ("_pthread_cond_init", F(Function::PthreadCondInit)),
    ("_pthread_cond_wait", F(Function::PthreadCondWait)),
    (
        "_pthread_cond_timedwait_relative_np",
        F(Function::PthreadCondTimedwaitRelativeNp),
    ),
    ("_pthread_cond_signal", F(Function::PthreadCondSignal)),
    ("_pthread_cond_broadcast", F(Function::PthreadCondBroadcast)),
    ("_pthread_cond_destroy", F(Function::PthreadCondDestroy)),
    ("_memchr", F(Function::Memchr)),
    ("_pthread_join", F(Function::PthreadJoin)),
    ("___assert_rtn", F(Function::AssertRtn)),
    ("___udivti3", F(Function::Udivti3)),
    ("___umodti3", F(Function::Umodti3)),
    ("___divti3", F(Function::Divti3)),
    ("___modti3", F(Function::Modti3)),
    ("_dladdr", F(Function::Dladdr)),
    ("_dlopen", F(Function::Dlopen)),
    ("_getpid", F(Function::Getpid)),
    ("__NSGetArgc", F(Function::NsGetArgc)),
    ("__NSGetArgv", F(Function::NsGetArgv)),
    ("__NSGetEnviron", F(Function::NsGetEnviron)),
    // libdyld's placeholder thunk of every thread-local descriptor, replaced at load.
    ("__tlv_bootstrap", F(Function::TlvBootstrap)),
    ("_printf", F(Function::Printf)),
    ("_fprintf", F(Function::Fprintf)),
    ("_snprintf", F(Function::Snprintf)),
    ("_puts", F(Function::Puts)),
    ("_fputs", F(Function::Fputs)),
    ("_putchar", F(Function::Putchar)),
    ("_fflush", F(Function::Fflush)),
    ("___stack_chk_guard", V(Variable::StackChkGuard)),
    ("_mach_task_self_", V(Variable::MachTaskSelf)),
    ("___stdoutp", V(Variable::Stdoutp)),
    ("___stderrp", V(Variable::Stderrp)),
];

/// The exported functions, in stub order.
pub fn functions() -> impl Iterator<Item = (&'static str, Function)> {
    EXPORTS.iter().filter_map(|(n, e)| match e {
        Export::Function(f) => Some((*n, *f)),
        Export::Variable(_) => None,
    })
}

/// The function exported as `name`.
pub fn function(name: &str) -> Option<Function> {
    functions().find(|(n, _)| *n == name).map(|(_, f)| f)
}

/// The text-based stub (`.tbd`) ld64.lld links against, for both CPUs.
pub fn tbd_text() -> String {
    let mut names: Vec<&str> = EXPORTS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    let mut lines = Vec::new();
    let mut line = String::new();
    for n in names {
        if line.len() + n.len() > 90 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(n);
        line.push(',');
    }
    lines.push(line.trim_end_matches(',').to_string());
    let symbols = lines.join(&format!("\n{:21}", ""));
    format!(
        "--- !tapi-tbd
# A stand-in for macOS's libSystem text stub, so Mach-O code links on a machine without an Apple
# SDK (ld64.lld reads it). It lists exactly what rt0-port's emulated libSystem implements.
# Generated from tools/rt0-port/src/emulate/libsystem/exports.rs: edit the table there, then run
# `RT0_WRITE_DARWIN_SDK=1 cargo test -p rt0-port darwin_sdk`. On a Mac the SDK's own libSystem
# is used instead (see ../bin/darwin-cc).
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1319
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ {symbols} ]
...
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_exported_once() {
        let mut names: Vec<&str> = EXPORTS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a name is listed twice");
        assert_eq!(function("_bcmp"), Some(Function::Memcmp));
        assert_eq!(function("___stack_chk_guard"), None);
    }

    #[test]
    fn the_tbd_lists_every_export_and_nothing_else() {
        let text = tbd_text();
        let body = text.split("symbols:").nth(1).unwrap();
        let listed: Vec<&str> = body
            .split(|c: char| c == ',' || c == '[' || c == ']' || c.is_whitespace())
            .filter(|w| !w.is_empty() && *w != "...")
            .collect();
        let mut want: Vec<&str> = EXPORTS.iter().map(|(n, _)| *n).collect();
        want.sort_unstable();
        assert_eq!(listed, want);
    }

    /// The darwin SDK stubs are the table's: a symbol added to the emulator is linkable by cargo's
    /// darwin builds, and one cargo's links may use is one the emulator runs.
    #[test]
    fn darwin_sdk_stubs_are_generated_from_the_table() {
        let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../darwin-sdk/usr/lib");
        let want = tbd_text();
        let mut stale = Vec::new();
        for name in ["libSystem", "libc", "libm", "libiconv", "libpthread"] {
            let file = lib.join(format!("{name}.tbd"));
            if std::env::var_os("RT0_WRITE_DARWIN_SDK").is_some() {
                std::fs::write(&file, &want).unwrap();
            }
            if std::fs::read_to_string(&file).unwrap_or_default() != want {
                stale.push(file.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "{} differ from the table in exports.rs; run `RT0_WRITE_DARWIN_SDK=1 cargo test -p rt0-port darwin_sdk`",
            stale.join(", ")
        );
    }
}
