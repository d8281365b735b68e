//! What the emulated libSystem exports: the one table of its functions and variables, and its
//! scope.
//!
//! The scope is frozen (docs/emulator.md, "What libSystem's model covers"): the table holds what
//! the programs ci/ runs under the emulator import and nothing more — the demo (rt0 and its
//! host) on both paths, the packaged fresh std crate's C host, and this crate's test hosts.
//! tests/emulate_scope.rs links them all and fails when an entry here is imported by none of
//! them, or when what a host linked without `--lazy-imports` imports is not here. A program that
//! calls more stops with status 125 naming the function; running a std program's libSystem use
//! is what a Mac is for.
//!
//! Three things are derived from the table, so they cannot drift apart:
//! - the emulator's dispatch (`libsystem::call` matches every [`Function`] exhaustively, and a
//!   variant missing here is never constructed, which the compiler reports);
//! - the `libSystem.tbd` that `rt0-port emulate` links executables against ([`tbd_text`]);
//! - `tools/darwin-sdk/usr/lib/*.tbd`, the stub cargo's darwin links use, which a test below
//!   compares with [`tbd_text`] (`RT0_WRITE_DARWIN_SDK=1` rewrites them from the table).

/// A libSystem function the emulator runs in Rust.
#[rustfmt::skip]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Write, Errno, Getpid, Getenv, ClockGettime, SchedYield, StackChkFail, UlockWait,
    Mmap, Mprotect,
    Memcpy, Memmove, Memset, Bzero, Memcmp, Strlen, Strcmp,
    PthreadCreate, PthreadAttrInit, PthreadAttrSetstacksize, PthreadAttrSetdetachstate,
    PthreadAttrDestroy, PthreadSigmask, PthreadThreadidNp, PthreadSelf, PthreadJoin,
    PthreadGetStackaddrNp, PthreadGetStacksizeNp, PthreadSetnameNp, PthreadAtfork,
    PthreadMutexattrInit, PthreadMutexattrSettype, PthreadMutexattrDestroy, PthreadMutexInit,
    PthreadMutexLock, PthreadMutexTrylock, PthreadMutexUnlock, PthreadMutexDestroy,
    PthreadCondWait, PthreadCondTimedwaitRelativeNp, PthreadCondSignal,
    Malloc, Free, Calloc, Realloc, PosixMemalign,
    DispatchSemaphoreCreate, DispatchSemaphoreSignal, DispatchSemaphoreWait, DispatchTime,
    DispatchRelease,
    Printf, Fprintf, Snprintf, Puts, Fputs, Putchar, Fflush,
    Dladdr, Dlopen, NsGetArgc, NsGetArgv, NsGetEnviron, TlvAtexit, TlvBootstrap, DyldStubBinder,
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
use Function::*;

/// Every symbol the emulated libSystem exports, by its Mach-O name. A function's stub address
/// follows its position here.
#[rustfmt::skip]
pub const EXPORTS: &[(&str, Export)] = &[
    // Libc and libsyscall.
    ("_write", F(Write)), ("___error", F(Errno)), ("_getpid", F(Getpid)),
    ("_getenv", F(Getenv)), ("_clock_gettime", F(ClockGettime)),
    ("_sched_yield", F(SchedYield)), ("___stack_chk_fail", F(StackChkFail)),
    ("___ulock_wait", F(UlockWait)), ("_mmap", F(Mmap)), ("_mprotect", F(Mprotect)),
    ("_memcpy", F(Memcpy)), ("_memmove", F(Memmove)), ("_memset", F(Memset)),
    ("_bzero", F(Bzero)), ("___bzero", F(Bzero)), ("_memcmp", F(Memcmp)),
    ("_strlen", F(Strlen)), ("_strcmp", F(Strcmp)),
    // libpthread.
    ("_pthread_create", F(PthreadCreate)), ("_pthread_attr_init", F(PthreadAttrInit)),
    ("_pthread_attr_setstacksize", F(PthreadAttrSetstacksize)),
    ("_pthread_attr_setdetachstate", F(PthreadAttrSetdetachstate)),
    ("_pthread_attr_destroy", F(PthreadAttrDestroy)), ("_pthread_sigmask", F(PthreadSigmask)),
    ("_pthread_threadid_np", F(PthreadThreadidNp)), ("_pthread_self", F(PthreadSelf)),
    ("_pthread_join", F(PthreadJoin)),
    ("_pthread_get_stackaddr_np", F(PthreadGetStackaddrNp)),
    ("_pthread_get_stacksize_np", F(PthreadGetStacksizeNp)),
    ("_pthread_setname_np", F(PthreadSetnameNp)), ("_pthread_atfork", F(PthreadAtfork)),
    ("_pthread_mutexattr_init", F(PthreadMutexattrInit)),
    ("_pthread_mutexattr_settype", F(PthreadMutexattrSettype)),
    ("_pthread_mutexattr_destroy", F(PthreadMutexattrDestroy)),
    ("_pthread_mutex_init", F(PthreadMutexInit)), ("_pthread_mutex_lock", F(PthreadMutexLock)),
    ("_pthread_mutex_trylock", F(PthreadMutexTrylock)),
    ("_pthread_mutex_unlock", F(PthreadMutexUnlock)),
    ("_pthread_mutex_destroy", F(PthreadMutexDestroy)),
    ("_pthread_cond_wait", F(PthreadCondWait)),
    ("_pthread_cond_timedwait_relative_np", F(PthreadCondTimedwaitRelativeNp)),
    ("_pthread_cond_signal", F(PthreadCondSignal)),
    // libmalloc and libdispatch.
    ("_malloc", F(Malloc)), ("_free", F(Free)), ("_calloc", F(Calloc)),
    ("_realloc", F(Realloc)), ("_posix_memalign", F(PosixMemalign)),
    ("_dispatch_semaphore_create", F(DispatchSemaphoreCreate)),
    ("_dispatch_semaphore_signal", F(DispatchSemaphoreSignal)),
    ("_dispatch_semaphore_wait", F(DispatchSemaphoreWait)),
    ("_dispatch_time", F(DispatchTime)), ("_dispatch_release", F(DispatchRelease)),
    // stdio.
    ("_printf", F(Printf)), ("_fprintf", F(Fprintf)), ("_snprintf", F(Snprintf)),
    ("_puts", F(Puts)), ("_fputs", F(Fputs)), ("_putchar", F(Putchar)), ("_fflush", F(Fflush)),
    // libdyld. `__tlv_bootstrap` is the placeholder thunk of every thread-local descriptor,
    // replaced at load.
    ("_dladdr", F(Dladdr)), ("_dlopen", F(Dlopen)), ("__NSGetArgc", F(NsGetArgc)),
    ("__NSGetArgv", F(NsGetArgv)), ("__NSGetEnviron", F(NsGetEnviron)),
    ("__tlv_atexit", F(TlvAtexit)), ("__tlv_bootstrap", F(TlvBootstrap)),
    ("dyld_stub_binder", F(DyldStubBinder)),
    // Variables.
    ("___stack_chk_guard", V(Variable::StackChkGuard)),
    ("_mach_task_self_", V(Variable::MachTaskSelf)),
    ("___stdoutp", V(Variable::Stdoutp)), ("___stderrp", V(Variable::Stderrp)),
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
        assert_eq!(function("___bzero"), Some(Function::Bzero));
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
