//! The emulator's minimal libSystem: each exported function is a trap stub (see `stubs`); when
//! one traps, [`call`] runs the function in Rust and returns through the C return register.
//! What exists is the table in `exports`, which also writes the `.tbd` hosts link against, so
//! the link and the emulator agree.

pub mod dispatch;
pub mod exports;
mod libc;
mod libdyld;
pub mod malloc;
mod printf;
mod pthread;
mod stdio;
pub mod sync;
mod thread_exit;

use unicorn_engine::{Prot, Unicorn};

use crate::emulate::cpu::Cpu;
use crate::emulate::dyld;
use crate::emulate::memory::{LIBSYSTEM_BASE, LIBSYSTEM_DATA, UNICORN_GRANULE};
use crate::emulate::process::{
    self, exit_process, kill, Ret, State, SIGABRT, SIGSEGV, STATUS_EMULATOR_STOP,
};
use crate::emulate::stubs::{StubMap, StubTarget};
use crate::emulate::xnu;
use exports::{Export, Function, Variable, EXPORTS};

/// Entry points of the model that no program imports: dyld's and libpthread's own code.
const INTERNAL: &[&str] = &[
    "dyld_start",
    "dyld_init_return",
    "dyld_main_return",
    "pthread_return",
    "libpthread_thread_start",
    "tlv_get_addr",
    "tlv_dtor_return",
];

/// What `install` mapped.
pub struct Installed {
    /// The stubs, with the data symbols defined.
    pub stubs: StubMap,
    /// Where dyld's ProgramVars block goes (in libSystem's data page).
    pub program_vars: u64,
}

/// Maps the stubs and the data page, with every exported variable's initial value.
pub fn install(uc: &mut Unicorn<'_, ()>, cpu: Cpu) -> Result<Installed, String> {
    let mut names: Vec<String> = INTERNAL.iter().map(|n| format!("<{n}>")).collect();
    names.extend(exports::functions().map(|(n, _)| n.to_string()));
    let mut stubs = StubMap::map(uc, cpu, LIBSYSTEM_BASE, names)?;
    let data = LIBSYSTEM_DATA;
    uc.mem_map(data, 4 * UNICORN_GRANULE, Prot::READ | Prot::WRITE)
        .map_err(|e| e.to_string())?;
    for (name, export) in EXPORTS {
        let Export::Variable(v) = export else {
            continue;
        };
        let (addr, bytes) = match v {
            // A fixed canary.
            Variable::StackChkGuard => (data, 0x00e1_7a5c_0ffe_e000u64.to_le_bytes().to_vec()),
            // The task's port name (osfmk: ipc_task_init's first send right; any non-zero name
            // will do, no Mach trap is modeled).
            Variable::MachTaskSelf => (data + 8, 0x103u32.to_le_bytes().to_vec()),
            // Libc stdio/FreeBSD/findfp.c: `FILE *__stdoutp = &__sF[1]`, `__stderrp = &__sF[2]`.
            Variable::Stdoutp => (data + 0x10, stdio::STDOUT_FILE.to_le_bytes().to_vec()),
            Variable::Stderrp => (data + 0x18, stdio::STDERR_FILE.to_le_bytes().to_vec()),
        };
        uc.mem_write(addr, &bytes).map_err(|e| e.to_string())?;
        stubs.define(name, addr);
    }
    stdio::install(uc)?;
    Ok(Installed {
        stubs,
        program_vars: data + 0x100,
    })
}

/// The six C argument registers' values.
fn args(cpu: Cpu, uc: &Unicorn<'_, ()>) -> [u64; 6] {
    let r = cpu.c_arg_regs();
    std::array::from_fn(|i| cpu.read(uc, r[i]))
}

/// Runs the libSystem function whose stub trapped at `pc`.
pub fn call(st: &mut State, uc: &mut Unicorn<'_, ()>, pc: u64) {
    let cpu = st.cpu;
    let name = match st.stubs.target(pc) {
        StubTarget::Unresolved(name) => {
            let msg = format!(
                "call to {name}, which the emulated libSystem does not provide (called from {:#x})",
                cpu.return_address(uc)
            );
            st.fatal(uc, STATUS_EMULATOR_STOP, msg);
            return;
        }
        StubTarget::Named(name) => name.to_string(),
    };
    if let Some(internal) = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
        return call_internal(st, uc, internal);
    }
    let a = args(cpu, uc);
    *st.libcalls.entry(name.clone()).or_insert(0) += 1;
    *st.cur().libcalls.entry(name.clone()).or_insert(0) += 1;
    st.trace(format!(
        "{name}({:#x}, {:#x}, {:#x}, {:#x}) from {:#x}",
        a[0],
        a[1],
        a[2],
        a[3],
        cpu.return_address(uc)
    ));
    match exports::function(&name) {
        Some(f) => {
            if let Some(ret) = run_function(st, uc, f, &name, a) {
                cpu.c_return(uc, ret);
            }
        }
        None => {
            let msg = format!("libSystem function {name} is not modeled");
            st.fatal(uc, STATUS_EMULATOR_STOP, msg);
        }
    }
}

/// The model's own entry points (see [`INTERNAL`]).
fn call_internal(st: &mut State, uc: &mut Unicorn<'_, ()>, name: &str) {
    let cpu = st.cpu;
    match name {
        "dyld_start" | "dyld_init_return" => dyld::next(st, uc),
        "dyld_main_return" => {
            // DYLD dyld/dyldMain.cpp start: `int result = main(argc, argv, envp, apple);
            // exit(result);` — libSystem's exit, whole process.
            let code = cpu.read(uc, cpu.c_ret_reg()) as i32;
            st.report.push(format!("main_returned={code}"));
            let m = st.cur().sigmask;
            st.report.push(format!("main_thread_mask_at_exit={m:#x}"));
            exit_process(st, uc, code & 0xff);
        }
        // LP src/pthread.c _pthread_start → _pthread_exit(self, fun(arg)).
        "pthread_return" => {
            let value = cpu.read(uc, cpu.c_ret_reg());
            thread_exit::exit(st, uc, value);
        }
        // A thread-local destructor returned: the exiting thread's next step.
        "tlv_dtor_return" => thread_exit::next_step(st, uc),
        "libpthread_thread_start" => {
            // LP src/pthread.c _pthread_start validates the pthread_t it is given
            // (_pthread_validate_signature) and runs self->fun(self->arg), ignoring func/arg in
            // the registers: a thread made with someone else's bsdthread_create crashes here.
            let p = cpu.read(uc, cpu.thread_start_regs()[0]);
            let msg = format!(
                "libpthread's thread_start got pthread_t {p:#x} that pthread_create did not make"
            );
            kill(st, uc, SIGSEGV, msg);
        }
        "tlv_get_addr" => {
            if let Some(addr) = tlv_get_addr(st, uc) {
                cpu.c_return(uc, addr);
            }
        }
        other => {
            let msg = format!("internal entry {other} is not modeled");
            st.fatal(uc, STATUS_EMULATOR_STOP, msg);
        }
    }
}

/// DYLD threadLocalHelpers.s tlv_get_addr(descriptor): the calling thread's address of the
/// variable, `block + descriptor->offset`, the block made (from the image's template) at the
/// thread's first access as tlv_allocate_and_initialize_for_key does. Like the real one it
/// changes no register but the return one: the stub traps and returns.
fn tlv_get_addr(st: &mut State, uc: &mut Unicorn<'_, ()>) -> Option<u64> {
    let cpu = st.cpu;
    let desc = cpu.read(uc, cpu.c_arg_regs()[0]);
    let Some(offset) = crate::emulate::memory::read_u64(uc, desc + 16) else {
        fault(st, uc, desc + 16);
        return None;
    };
    let block = match st.cur().tlv_block {
        Some(b) => b,
        None => {
            let template = st.tlv_template.clone();
            let len =
                crate::emulate::memory::round_up(template.len().max(1) as u64, UNICORN_GRANULE);
            let b = st.alloc_va(len);
            if uc.mem_map(b, len, Prot::READ | Prot::WRITE).is_err()
                || uc.mem_write(b, &template).is_err()
            {
                st.fatal(
                    uc,
                    STATUS_EMULATOR_STOP,
                    "cannot map a thread-local block".into(),
                );
                return None;
            }
            st.cur().tlv_block = Some(b);
            b
        }
    };
    if offset >= st.tlv_template.len() as u64 {
        let msg = format!(
            "thread-local descriptor {desc:#x} has offset {offset:#x} past the {}-byte block",
            st.tlv_template.len()
        );
        st.fatal(uc, STATUS_EMULATOR_STOP, msg);
        return None;
    }
    Some(block + offset)
}

/// Runs one exported function; `Some(value)` to return, `None` when the call does not return
/// to its caller (the thread blocked, exited, or the run stopped).
fn run_function(
    st: &mut State,
    uc: &mut Unicorn<'_, ()>,
    f: Function,
    name: &str,
    a: [u64; 6],
) -> Option<u64> {
    let cpu = st.cpu;
    Some(match f {
        Function::Write => {
            let r = xnu::k_write(uc, a[0], a[1], a[2]);
            c_result(st, uc, r)
        }
        // LP/Libc exit: atexit handlers (none here) then __exit → syscall exit(1).
        Function::Exit | Function::ExitNow => {
            let m = st.threads[0].sigmask;
            st.report.push(format!("main_thread_mask_at_exit={m:#x}"));
            exit_process(st, uc, (a[0] & 0xff) as i32);
            return None;
        }
        Function::Abort | Function::StackChkFail => {
            let msg = format!("{name} called from {:#x}", cpu.return_address(uc));
            kill(st, uc, SIGABRT, msg);
            return None;
        }
        Function::AssertRtn => {
            libc::assert_rtn(st, uc, a);
            return None;
        }
        Function::PthreadCreate => pthread::create(st, uc, a),
        Function::PthreadAttrInit => pthread::attr_init(st, uc, a),
        Function::PthreadAttrSetstacksize => pthread::attr_setstacksize(st, uc, a),
        Function::PthreadAttrSetdetachstate => pthread::attr_setdetachstate(uc, a),
        Function::PthreadAttrDestroy => pthread::attr_destroy(uc, a),
        // LP src/pthread.c pthread_sigmask: __pthread_sigmask, returning errno rather than -1.
        Function::PthreadSigmask => match xnu::k_sigmask(st, uc, false, a[0], a[1], a[2]) {
            Ok(()) => 0,
            Err(e) => e,
        },
        Function::PthreadThreadidNp => pthread::threadid_np(st, uc, a),
        Function::PthreadSelf => st.cur().pthread,
        // LP src/pthread.c _pthread_exit: ends the calling thread.
        Function::PthreadExit => {
            thread_exit::exit(st, uc, a[0]);
            return None;
        }
        Function::PthreadJoin => pthread::join(st, uc, a)?,
        Function::PthreadDetach => pthread::detach(st, a),
        Function::PthreadGetStackaddrNp => pthread::stack_info(st, a, false),
        Function::PthreadGetStacksizeNp => pthread::stack_info(st, a, true),
        Function::PthreadSetnameNp => pthread::setname(st, uc, a),
        Function::TlvAtexit => thread_exit::tlv_atexit(st, a),
        Function::PthreadMutexattrInit => sync::mutexattr_init(st, uc, a),
        Function::PthreadMutexattrSettype => sync::mutexattr_settype(uc, a),
        Function::PthreadMutexattrDestroy => sync::mutexattr_destroy(uc, a),
        Function::PthreadMutexInit => sync::mutex_init(st, uc, a),
        Function::PthreadMutexLock => sync::mutex_lock(st, uc, a)?,
        Function::PthreadMutexTrylock => sync::mutex_trylock(st, uc, a),
        Function::PthreadMutexUnlock => sync::mutex_unlock(st, uc, a),
        Function::PthreadMutexDestroy => sync::mutex_destroy(st, uc, a),
        Function::PthreadCondInit => sync::cond_init(st, uc, a),
        Function::PthreadCondWait => sync::cond_wait(st, uc, a, None)?,
        Function::PthreadCondTimedwaitRelativeNp => sync::cond_wait(st, uc, a, Some(a[2]))?,
        Function::PthreadCondSignal => sync::cond_signal(st, uc, a, false),
        Function::PthreadCondBroadcast => sync::cond_signal(st, uc, a, true),
        Function::PthreadCondDestroy => sync::cond_destroy(st, uc, a),
        // Libc sigprocmask → syscall 48: process-wide (kern_sig.c sigprocmask).
        Function::Sigprocmask => {
            *st.syscalls.entry(xnu::SYS_SIGPROCMASK).or_insert(0) += 1;
            let r = xnu::k_sigmask(st, uc, true, a[0], a[1], a[2]).map(|_| 0);
            c_result(st, uc, r)
        }
        // libsyscall wrappers of syscalls 515/516 (-1 + errno, or -errno with ULF_NO_ERRNO).
        Function::UlockWait => {
            let how = Ret::C { no_errno: false };
            let r = xnu::k_ulock_wait(st, uc, a[0], a[1], a[2] as u32, a[3] as u32, how)?;
            c_result(st, uc, r)
        }
        Function::UlockWake => {
            let r = xnu::k_ulock_wake(st, a[0], a[1]);
            c_result(st, uc, r)
        }
        Function::Mmap => {
            let r = xnu::k_mmap(st, uc, [a[0], a[1], a[2], a[3], a[4], a[5]]);
            c_result(st, uc, r)
        }
        Function::Munmap => {
            let r = xnu::k_munmap(uc, st.page, a[0], a[1]).map(|_| 0);
            c_result(st, uc, r)
        }
        Function::Mprotect => {
            let r = xnu::k_mprotect(uc, st.page, a[0], a[1], a[2]).map(|_| 0);
            c_result(st, uc, r)
        }
        Function::Errno => st.cur().errno_slot,
        Function::SchedYield => {
            cpu.c_return(uc, 0);
            st.switch(uc);
            return None;
        }
        Function::Memcpy | Function::Memmove => libc::memmove(st, uc, a)?,
        Function::Memset => libc::fill(st, uc, a[0], a[1] as u8, a[2])?,
        Function::Bzero => libc::fill(st, uc, a[0], 0, a[1])?,
        Function::Memcmp => libc::memcmp(uc, a),
        Function::Memchr => libc::memchr(uc, a),
        Function::Strlen => libc::strlen(uc, a),
        Function::Strcmp => libc::strncmp(uc, a[0], a[1], 1 << 20),
        Function::Strncmp => libc::strncmp(uc, a[0], a[1], a[2] as usize),
        Function::ClockGettime => libc::clock_gettime(st, uc, a),
        Function::Malloc => malloc::malloc(st, uc, a),
        Function::Calloc => malloc::calloc(st, uc, a),
        Function::Realloc => malloc::realloc(st, uc, a)?,
        Function::PosixMemalign => malloc::posix_memalign(st, uc, a)?,
        // The block stays: see `malloc`.
        Function::Free => 0,
        Function::Udivti3 | Function::Umodti3 | Function::Divti3 | Function::Modti3 => {
            // The result is a register pair: int128_division returns it itself.
            libc::int128_division(st, uc, f, a);
            return None;
        }
        Function::Getenv => libc::getenv(st, uc, a),
        Function::DispatchSemaphoreCreate => dispatch::create(st, uc, a),
        Function::DispatchSemaphoreSignal => dispatch::signal(st, uc, a)?,
        Function::DispatchSemaphoreWait => dispatch::wait(st, uc, a)?,
        Function::DispatchTime => dispatch::time(st, a),
        // Objects are never freed (see `malloc`): dropping the reference is all there is.
        Function::DispatchRelease => 0,
        Function::Dladdr => libdyld::dladdr(st, uc, a),
        Function::Dlopen => libdyld::dlopen(st, uc, a),
        Function::Getpid => process::PID,
        Function::NsGetArgc | Function::NsGetArgv | Function::NsGetEnviron => {
            libc::crt_extern(st, uc, f)
        }
        // DYLD ThreadLocalVariables.c: `_tlv_bootstrap` only aborts; dyld rewrites each
        // descriptor's thunk to tlv_get_addr before any code runs (dyld::bind_thread_locals).
        Function::TlvBootstrap => {
            let msg = "__tlv_bootstrap called: a thread-local descriptor was not set up at load";
            st.fatal(uc, STATUS_EMULATOR_STOP, msg.into());
            return None;
        }
        Function::Printf => stdio::printf(st, uc, a)?,
        Function::Fprintf => stdio::fprintf(st, uc, a)?,
        Function::Snprintf => stdio::snprintf(st, uc, a)?,
        Function::Puts => stdio::puts(st, uc, a)?,
        Function::Fputs => stdio::fputs(st, uc, a)?,
        Function::Putchar => stdio::putchar(a),
        Function::Fflush => stdio::fflush(st, uc, a),
        Function::DyldStubBinder => {
            let msg = "dyld_stub_binder entered: lazy binding is done at load in this model";
            st.fatal(uc, STATUS_EMULATOR_STOP, msg.into());
            return None;
        }
    })
}

/// A libsyscall wrapper's return: the value, or -1 with errno stored in the thread's errno
/// slot (what `__error()` returns) — libsyscall custom/__syscall.s / cerror.c cerror_nocancel.
fn c_result(st: &mut State, uc: &mut Unicorn<'_, ()>, r: Result<u64, u64>) -> u64 {
    match r {
        Ok(v) => v,
        Err(e) => set_errno(st, uc, e, u64::MAX),
    }
}

/// Stores `errno` in the calling thread's errno slot (what `__error()` returns) and gives
/// `ret`, the failure value of the function (-1, NULL, ...).
fn set_errno(st: &mut State, uc: &mut Unicorn<'_, ()>, errno: u64, ret: u64) -> u64 {
    let slot = st.cur().errno_slot;
    let _ = uc.mem_write(slot, &(errno as u32).to_le_bytes());
    ret
}

/// libSystem found a misuse it aborts on (libmalloc's "pointer being freed was not allocated"
/// and the like): the message on stderr, then SIGABRT.
fn abort_with(st: &mut State, uc: &mut Unicorn<'_, ()>, msg: String) {
    eprintln!("{msg}");
    kill(st, uc, SIGABRT, msg);
}

/// A libSystem function touched memory it may not: the thread gets SIGSEGV.
fn fault(st: &mut State, uc: &mut Unicorn<'_, ()>, addr: u64) {
    let msg = format!("libSystem touched bad address {addr:#x}");
    kill(st, uc, SIGSEGV, msg);
}
