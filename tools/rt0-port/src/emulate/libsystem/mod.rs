//! The emulator's minimal libSystem, user space's layer on top of the kernel: each exported
//! function is a trap stub (see `machine::stubs`); when one traps, [`call`] runs the function
//! in Rust and returns through the C return register. What exists is the table in `exports`,
//! which also writes the `.tbd` hosts link against, so the link and the emulator agree. Its
//! state (heap, semaphores, what each thread waits for in it) is its own; the kernel sees it
//! only as [`Userspace`].

mod dispatch;
pub mod exports;
mod failure;
mod libc;
mod libdyld;
mod malloc;
mod printf;
mod pthread;
mod stdio;
mod sync;
mod thread_exit;
pub mod threads;
mod waits;

use std::collections::BTreeMap;

use unicorn_engine::{Prot, Unicorn};

use crate::emulate::dyld::{self, Dyld};
use crate::emulate::error::Error;
use crate::emulate::kernel::{syscalls, Kernel, Returns, Userspace, ETIMEDOUT, PID};
use crate::emulate::kernel::{SIGABRT, SIGSEGV};
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::UNICORN_GRANULE;
use crate::emulate::machine::memory::{read_u64, round_up, LIBSYSTEM_BASE, LIBSYSTEM_DATA};
use crate::emulate::machine::stubs::{StubMap, StubTarget};
use exports::{Export, Function, Variable, EXPORTS};
use failure::{c_result, fault};
use waits::Waiting;

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

/// libSystem's state (dyld's included: libdyld answers from it).
pub struct LibSystem {
    pub stubs: StubMap,
    pub dyld: Dyld,
    /// Calls of each function, all threads.
    pub libcalls: BTreeMap<String, u64>,
    /// What it keeps about each thread.
    pub threads: threads::Threads,
    heap: malloc::Heap,
    semaphores: dispatch::Semaphores,
    waits: waits::Waits,
}

impl LibSystem {
    /// Maps the stubs and the data page, with every exported variable's initial value. Returns
    /// the stubs and where dyld's ProgramVars block goes (in libSystem's data page).
    pub fn install(uc: &mut Unicorn<'_, ()>, cpu: Cpu) -> Result<(StubMap, u64), Error> {
        let mut names: Vec<String> = INTERNAL.iter().map(|n| format!("<{n}>")).collect();
        names.extend(exports::functions().map(|(n, _)| n.to_string()));
        let mut stubs = StubMap::map(uc, cpu, LIBSYSTEM_BASE, names)?;
        let data = LIBSYSTEM_DATA;
        uc.mem_map(data, 4 * UNICORN_GRANULE, Prot::READ | Prot::WRITE)?;
        for (name, export) in EXPORTS {
            let Export::Variable(v) = export else {
                continue;
            };
            let (addr, bytes) = match v {
                // A fixed canary.
                Variable::StackChkGuard => (data, 0x00e1_7a5c_0ffe_e000u64.to_le_bytes().to_vec()),
                // The task's port name (osfmk: ipc_task_init's first send right; any non-zero
                // name will do, no Mach trap is modeled).
                Variable::MachTaskSelf => (data + 8, 0x103u32.to_le_bytes().to_vec()),
                // Libc stdio/FreeBSD/findfp.c: `FILE *__stdoutp = &__sF[1]`, `__stderrp = &__sF[2]`.
                Variable::Stdoutp => (data + 0x10, stdio::STDOUT_FILE.to_le_bytes().to_vec()),
                Variable::Stderrp => (data + 0x18, stdio::STDERR_FILE.to_le_bytes().to_vec()),
            };
            uc.mem_write(addr, &bytes)?;
            stubs.define(name, addr);
        }
        stdio::install(uc)?;
        Ok((stubs, data + 0x100))
    }

    /// libSystem over `stubs`, with dyld about to run the image; the main thread is
    /// `k.threads[0]`. Unless `raw`, libSystem's initializer registers libpthread's thread
    /// start (see `pthread::initialize`).
    pub fn new(k: &mut Kernel, stubs: StubMap, dyld: Dyld, raw: bool) -> LibSystem {
        let mut ls = LibSystem {
            stubs,
            dyld,
            libcalls: BTreeMap::new(),
            threads: threads::Threads::default(),
            heap: malloc::Heap::default(),
            semaphores: dispatch::Semaphores::default(),
            waits: waits::Waits::default(),
        };
        pthread::initialize(k, &mut ls.threads, &ls.stubs, raw);
        ls
    }
}

impl Userspace for LibSystem {
    fn owns(&self, pc: u64) -> bool {
        self.stubs.contains(pc)
    }

    fn call(&mut self, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, pc: u64) {
        call(self, k, uc, pc);
    }

    /// The wait's deadline passed: its call returns what a timeout gives (see
    /// [`waits::Waiting`]).
    fn timed_out(&mut self, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, t: usize) {
        let w = &mut self.waits;
        match w.end(t) {
            // The mutex first: the thread runs once it has it back.
            Some(Waiting::Cond { mutex, count, .. }) => {
                sync::acquire(k, w, uc, t, mutex, count, ETIMEDOUT)
            }
            Some(Waiting::Semaphore { sem }) => {
                self.semaphores.undo_wait(sem);
                w.wake(k, t, dispatch::KERN_OPERATION_TIMED_OUT);
            }
            // Joins and mutex waits have no deadline: a plain errno, should one ever get here.
            _ => w.wake(k, t, ETIMEDOUT),
        }
    }
}

/// The six C argument registers' values.
fn args(cpu: Cpu, uc: &Unicorn<'_, ()>) -> [u64; 6] {
    let r = cpu.c_arg_regs();
    std::array::from_fn(|i| cpu.read(uc, r[i]))
}

/// Runs the libSystem function whose stub trapped at `pc`.
fn call(ls: &mut LibSystem, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, pc: u64) {
    let cpu = k.cpu;
    let name = match ls.stubs.target(pc) {
        StubTarget::Unresolved(name) => {
            let msg = format!(
                "call to {name}, which the emulated libSystem does not provide (called from {:#x})",
                cpu.return_address(uc)
            );
            k.fatal(uc, Error::Unmodeled(msg));
            return;
        }
        StubTarget::Named(name) => name.to_string(),
    };
    if let Some(internal) = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
        return call_internal(ls, k, uc, internal);
    }
    let a = args(cpu, uc);
    *ls.libcalls.entry(name.clone()).or_insert(0) += 1;
    *ls.threads
        .get(k.cur)
        .libcalls
        .entry(name.clone())
        .or_insert(0) += 1;
    k.trace(format!(
        "{name}({:#x}, {:#x}, {:#x}, {:#x}) from {:#x}",
        a[0],
        a[1],
        a[2],
        a[3],
        cpu.return_address(uc)
    ));
    match exports::function(&name) {
        Some(f) => {
            if let Some(ret) = run_function(ls, k, uc, f, &name, a) {
                cpu.c_return(uc, ret);
            }
        }
        None => {
            let msg = format!("libSystem function {name} is not modeled");
            k.fatal(uc, Error::Unmodeled(msg));
        }
    }
}

/// The model's own entry points (see [`INTERNAL`]).
fn call_internal(ls: &mut LibSystem, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, name: &str) {
    let cpu = k.cpu;
    match name {
        "dyld_start" | "dyld_init_return" => dyld::next(k, &mut ls.dyld, &ls.stubs, uc),
        "dyld_main_return" => {
            // DYLD dyld/dyldMain.cpp start: `int result = main(argc, argv, envp, apple);
            // exit(result);` — libSystem's exit, whole process.
            let code = cpu.read(uc, cpu.c_ret_reg()) as i32;
            k.report.push(format!("main_returned={code}"));
            let m = k.cur().sigmask;
            k.report.push(format!("main_thread_mask_at_exit={m:#x}"));
            k.exit_process(uc, code & 0xff);
        }
        // LP src/pthread.c _pthread_start → _pthread_exit(self, fun(arg)).
        "pthread_return" => {
            let value = cpu.read(uc, cpu.c_ret_reg());
            thread_exit::exit(k, &mut ls.threads, &mut ls.waits, &ls.stubs, uc, value);
        }
        // A thread-local destructor returned: the exiting thread's next step.
        "tlv_dtor_return" => {
            thread_exit::next_step(k, &mut ls.threads, &mut ls.waits, &ls.stubs, uc)
        }
        "libpthread_thread_start" => {
            // LP src/pthread.c _pthread_start validates the pthread_t it is given
            // (_pthread_validate_signature) and runs self->fun(self->arg), ignoring func/arg in
            // the registers: a thread made with someone else's bsdthread_create crashes here.
            let p = cpu.read(uc, cpu.thread_start_regs()[0]);
            let msg = format!(
                "libpthread's thread_start got pthread_t {p:#x} that pthread_create did not make"
            );
            k.kill(uc, SIGSEGV, msg);
        }
        "tlv_get_addr" => {
            if let Some(addr) = tlv_get_addr(k, ls, uc) {
                cpu.c_return(uc, addr);
            }
        }
        other => {
            let msg = format!("internal entry {other} is not modeled");
            k.fatal(uc, Error::Unmodeled(msg));
        }
    }
}

/// DYLD threadLocalHelpers.s tlv_get_addr(descriptor): the calling thread's address of the
/// variable, `block + descriptor->offset`, the block made (from the image's template) at the
/// thread's first access as tlv_allocate_and_initialize_for_key does. Like the real one it
/// changes no register but the return one: the stub traps and returns.
fn tlv_get_addr(k: &mut Kernel, ls: &mut LibSystem, uc: &mut Unicorn<'_, ()>) -> Option<u64> {
    let cpu = k.cpu;
    let desc = cpu.read(uc, cpu.c_arg_regs()[0]);
    let Some(offset) = read_u64(uc, desc + 16) else {
        fault(k, uc, desc + 16);
        return None;
    };
    let template_len = ls.dyld.tlv_template.len() as u64;
    let block = match ls.threads.get(k.cur).tlv_block {
        Some(b) => b,
        None => {
            let len = round_up(template_len.max(1), UNICORN_GRANULE);
            let b = k.alloc_va(len);
            if uc.mem_map(b, len, Prot::READ | Prot::WRITE).is_err()
                || uc.mem_write(b, &ls.dyld.tlv_template).is_err()
            {
                let e = Error::Setup("cannot map a thread-local block".into());
                k.fatal(uc, e);
                return None;
            }
            ls.threads.get(k.cur).tlv_block = Some(b);
            b
        }
    };
    if offset >= template_len {
        let msg = format!(
            "thread-local descriptor {desc:#x} has offset {offset:#x} past the {template_len}-byte block"
        );
        k.fatal(uc, Error::Unmodeled(msg));
        return None;
    }
    Some(block + offset)
}

/// Runs one exported function; `Some(value)` to return, `None` when the call does not return
/// to its caller (the thread blocked, exited, or the run stopped).
fn run_function(
    ls: &mut LibSystem,
    k: &mut Kernel,
    uc: &mut Unicorn<'_, ()>,
    f: Function,
    name: &str,
    a: [u64; 6],
) -> Option<u64> {
    let cpu = k.cpu;
    Some(match f {
        Function::Write => {
            let r = syscalls::k_write(uc, a[0], a[1], a[2]);
            c_result(k, uc, r)
        }
        Function::StackChkFail => {
            let msg = format!("{name} called from {:#x}", cpu.return_address(uc));
            k.kill(uc, SIGABRT, msg);
            return None;
        }
        Function::PthreadCreate => pthread::create(k, &mut ls.threads, &ls.stubs, uc, a),
        Function::PthreadAttrInit => pthread::attr_init(k, uc, a),
        Function::PthreadAttrSetstacksize => pthread::attr_setstacksize(k, uc, a),
        Function::PthreadAttrSetdetachstate => pthread::attr_setdetachstate(uc, a),
        Function::PthreadAttrDestroy => pthread::attr_destroy(uc, a),
        // LP src/pthread.c pthread_sigmask: __pthread_sigmask, returning errno rather than -1.
        Function::PthreadSigmask => match syscalls::k_sigmask(k, uc, false, a[0], a[1], a[2]) {
            Ok(()) => 0,
            Err(e) => e,
        },
        Function::PthreadThreadidNp => pthread::threadid_np(k, uc, a),
        Function::PthreadSelf => k.cur().pthread,
        Function::PthreadJoin => pthread::join(k, &mut ls.threads, &mut ls.waits, uc, a)?,
        Function::PthreadGetStackaddrNp => pthread::stack_info(k, &mut ls.threads, a, false),
        Function::PthreadGetStacksizeNp => pthread::stack_info(k, &mut ls.threads, a, true),
        Function::PthreadSetnameNp => pthread::setname(k, uc, a),
        // LP pthread_atfork: the model has no fork, so the handlers are accepted and never run.
        Function::PthreadAtfork => 0,
        Function::TlvAtexit => thread_exit::tlv_atexit(k, &mut ls.threads, a),
        Function::PthreadMutexattrInit => sync::mutexattr_init(k, uc, a),
        Function::PthreadMutexattrSettype => sync::mutexattr_settype(uc, a),
        Function::PthreadMutexattrDestroy => sync::mutexattr_destroy(uc, a),
        Function::PthreadMutexInit => sync::mutex_init(k, uc, a),
        Function::PthreadMutexLock => sync::mutex_lock(k, &mut ls.waits, uc, a)?,
        Function::PthreadMutexTrylock => sync::mutex_trylock(k, uc, a),
        Function::PthreadMutexUnlock => sync::mutex_unlock(k, &mut ls.waits, uc, a),
        Function::PthreadMutexDestroy => sync::mutex_destroy(k, uc, a),
        Function::PthreadCondWait => sync::cond_wait(k, &mut ls.waits, uc, a, None)?,
        Function::PthreadCondTimedwaitRelativeNp => {
            sync::cond_wait(k, &mut ls.waits, uc, a, Some(a[2]))?
        }
        Function::PthreadCondSignal => sync::cond_signal(k, &mut ls.waits, uc, a),
        // The libsyscall wrapper of syscall 515 (-1 + errno, or -errno with ULF_NO_ERRNO).
        Function::UlockWait => {
            let how = Returns::Libsyscall { no_errno: false };
            let r = syscalls::k_ulock_wait(k, uc, a[0], a[1], a[2] as u32, a[3] as u32, how)?;
            c_result(k, uc, r)
        }
        // The libsyscall wrappers of syscalls 197 and 74 (-1 + errno).
        Function::Mmap | Function::Mprotect => {
            let r = match f {
                Function::Mmap => syscalls::k_mmap(k, uc, a),
                _ => syscalls::k_mprotect(uc, k.page, a[0], a[1], a[2]).map(|_| 0),
            };
            c_result(k, uc, r)
        }
        Function::Errno => k.cur().errno_slot,
        Function::SchedYield => {
            cpu.c_return(uc, 0);
            k.switch(uc);
            return None;
        }
        Function::Memcpy | Function::Memmove => libc::memmove(k, uc, a)?,
        Function::Memset => libc::fill(k, uc, a[0], a[1] as u8, a[2])?,
        Function::Bzero => libc::fill(k, uc, a[0], 0, a[1])?,
        Function::Memcmp => libc::memcmp(uc, a),
        Function::Strlen => libc::strlen(uc, a),
        Function::Strcmp => libc::strcmp(uc, a),
        Function::ClockGettime => libc::clock_gettime(k, uc, a),
        Function::Malloc => malloc::malloc(k, &mut ls.heap, uc, a[0]),
        Function::Calloc => malloc::calloc(k, &mut ls.heap, uc, a),
        Function::Realloc => malloc::realloc(k, &mut ls.heap, uc, a)?,
        Function::PosixMemalign => malloc::posix_memalign(k, &mut ls.heap, uc, a)?,
        // The block stays: see `malloc`.
        Function::Free => 0,
        Function::Getenv => libc::getenv(&ls.dyld, uc, a),
        Function::DispatchSemaphoreCreate => ls.semaphores.create(k, &mut ls.heap, uc, a),
        Function::DispatchSemaphoreSignal => ls.semaphores.signal(k, &mut ls.waits, uc, a)?,
        Function::DispatchSemaphoreWait => ls.semaphores.wait(k, &mut ls.waits, uc, a)?,
        Function::DispatchTime => dispatch::time(k, a),
        // Objects are never freed (see `malloc`): dropping the reference is all there is.
        Function::DispatchRelease => 0,
        Function::Dladdr => libdyld::dladdr(k, &ls.dyld, uc, a),
        Function::Dlopen => libdyld::dlopen(k, &mut ls.dyld, uc, a),
        Function::Getpid => PID,
        Function::NsGetArgc | Function::NsGetArgv | Function::NsGetEnviron => {
            libc::crt_extern(&ls.dyld, uc, f)
        }
        // DYLD ThreadLocalVariables.c: `_tlv_bootstrap` only aborts; dyld rewrites each
        // descriptor's thunk to tlv_get_addr before any code runs (dyld::bind_thread_locals).
        Function::TlvBootstrap => {
            let msg = "__tlv_bootstrap called: a thread-local descriptor was not set up at load";
            k.fatal(uc, Error::Unmodeled(msg.into()));
            return None;
        }
        Function::Printf => stdio::printf(k, uc, a)?,
        Function::Fprintf => stdio::fprintf(k, uc, a)?,
        Function::Snprintf => stdio::snprintf(k, uc, a)?,
        Function::Puts => stdio::puts(k, uc, a)?,
        Function::Fputs => stdio::fputs(k, uc, a)?,
        Function::Putchar => stdio::putchar(a),
        Function::Fflush => stdio::fflush(k, uc, a),
        Function::DyldStubBinder => {
            let msg = "dyld_stub_binder entered: lazy binding is done at load in this model";
            k.fatal(uc, Error::Unmodeled(msg.into()));
            return None;
        }
    })
}
