//! libpthread's part of libSystem: thread attributes, pthread_create (at the function level,
//! on top of the kernel's thread model), and thread ids.

use unicorn_engine::{Prot, Unicorn};

use super::failure::fault;
use super::threads::Threads;
use super::waits::{Waiting, Waits};
use crate::emulate::kernel::{syscalls, Kernel, Run, EINVAL, ESRCH};
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::{read_u64, round_up};
use crate::emulate::machine::memory::{MAIN_PTHREAD, MAIN_STACK_SIZE, MAIN_STACK_TOP};
use crate::emulate::machine::stubs::StubMap;

/// pthread_attr_t layout of this model: {sig u64, stacksize u64, detached u64}
/// (LP src/pthread.c: _PTHREAD_ATTR_SIG 0x54484541 'THRA', default stack 512 KiB, joinable).
const ATTR_SIG: u64 = 0x5448_4541;
const DEFAULT_STACK: u64 = 512 * 1024;
/// EAGAIN (XNU bsd/sys/errno.h).
const EAGAIN: u64 = 35;
/// PTHREAD_STACK_MIN of the SDK's <limits.h> (XNU bsd/i386/limits.h 8192, bsd/arm/limits.h
/// 16384 — values as the SDK headers ship them; not checked against a stored copy here).
fn pthread_stack_min(cpu: Cpu) -> u64 {
    match cpu {
        Cpu::X86_64 => 8192,
        Cpu::Aarch64 => 16384,
    }
}

/// libSystem's initializer (LP src/pthread.c __pthread_init): the main thread's pthread_t is
/// libpthread's static `_main_thread`, its stack the exec-time one (XNU kern_exec.c); unless
/// `raw`, libpthread's thread start is registered before any image initializer runs (DYLD
/// libSystem_initializer → __pthread_init → __bsdthread_register).
pub fn initialize(k: &mut Kernel, t: &mut Threads, stubs: &StubMap, raw: bool) {
    k.threads[0].pthread = MAIN_PTHREAD;
    t.get(0).stack = (MAIN_STACK_TOP, MAIN_STACK_SIZE);
    if raw {
        k.report.push("libsystem_registered=0".into());
        return;
    }
    let start = stubs.internal("libpthread_thread_start");
    let hint = syscalls::register_thread_start(k, start);
    k.report
        .push(format!("libsystem_registered=1 stack_addr_hint={hint:#x}"));
}

/// pthread_attr_init: a joinable attr with the default stack size.
pub fn attr_init(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let w = [ATTR_SIG, DEFAULT_STACK, 1u64];
    let b: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
    if uc.mem_write(a[0], &b).is_err() {
        fault(k, uc, a[0]);
    }
    0
}

/// LP src/pthread.c pthread_attr_setstacksize: EINVAL unless a valid attr, a multiple of
/// vm_page_size and at least PTHREAD_STACK_MIN.
pub fn attr_setstacksize(k: &Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if read_u64(uc, a[0]) != Some(ATTR_SIG)
        || !a[1].is_multiple_of(k.page)
        || a[1] < pthread_stack_min(k.cpu)
    {
        return EINVAL;
    }
    let _ = uc.mem_write(a[0] + 8, &a[1].to_le_bytes());
    0
}

/// LP pthread_attr_setdetachstate: PTHREAD_CREATE_JOINABLE 1 / DETACHED 2, else EINVAL.
pub fn attr_setdetachstate(uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if read_u64(uc, a[0]) != Some(ATTR_SIG) || !(a[1] == 1 || a[1] == 2) {
        return EINVAL;
    }
    let _ = uc.mem_write(a[0] + 16, &a[1].to_le_bytes());
    0
}

/// pthread_attr_destroy: EINVAL unless a valid attr, which it then invalidates.
pub fn attr_destroy(uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if read_u64(uc, a[0]) != Some(ATTR_SIG) {
        return EINVAL;
    }
    let _ = uc.mem_write(a[0], &0u64.to_le_bytes());
    0
}

/// LP src/pthread.c pthread_threadid_np: thread 0 = self; null id EINVAL; unknown ESRCH.
pub fn threadid_np(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if a[1] == 0 {
        return EINVAL;
    }
    let tid = if a[0] == 0 {
        Some(k.cur().tid)
    } else {
        k.threads.iter().find(|t| t.pthread == a[0]).map(|t| t.tid)
    };
    match tid {
        Some(t) => {
            let _ = uc.mem_write(a[1], &t.to_le_bytes());
            0
        }
        None => ESRCH,
    }
}

/// pthread_create (LP src/pthread.c pthread_create → _pthread_allocate (stack + guard page) →
/// __bsdthread_create(thread_start, ...) → _pthread_start → fun(arg) → _pthread_exit). Modeled at
/// the function level: the kernel's mask inheritance (XNU kern_fork.c uthread_init) applies.
pub fn create(
    k: &mut Kernel,
    t: &mut Threads,
    stubs: &StubMap,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
) -> u64 {
    let cpu = k.cpu;
    let (out, attr, func, arg) = (a[0], a[1], a[2], a[3]);
    let mut size = DEFAULT_STACK;
    if attr != 0 {
        if read_u64(uc, attr) != Some(ATTR_SIG) {
            return EINVAL;
        }
        size = read_u64(uc, attr + 8).unwrap_or(DEFAULT_STACK);
    }
    // guard page (PROT_NONE) + stack + one page for the pthread_t. LP src/pthread.c
    // _pthread_allocate: when mach_vm_map and mach_vm_allocate both fail, pthread_create returns
    // EAGAIN (not ENOMEM). Sizes no address space can hold are refused before taking any range.
    let page = k.page;
    if size > (1 << 40) {
        return EAGAIN;
    }
    let total = page + round_up(size, page) + page;
    let base = k.alloc_va(total);
    if uc.mem_map(base, total, Prot::READ | Prot::WRITE).is_err() {
        return EAGAIN;
    }
    let _ = uc.mem_protect(base, page, Prot::NONE);
    let pthread = base + page + round_up(size, page);
    let top = pthread; // 16-aligned
    let mask = k.cur().sigmask;
    let ret = stubs.internal("pthread_return");
    let mut regs: Vec<(String, u64)> = Vec::new();
    match cpu {
        Cpu::X86_64 => {
            let sp = top - 8;
            let _ = uc.mem_write(sp, &ret.to_le_bytes());
            regs.push(("rsp".into(), sp));
            regs.push(("rdi".into(), arg));
            regs.push(("rip".into(), func));
        }
        Cpu::Aarch64 => {
            regs.push(("sp".into(), top));
            regs.push(("x0".into(), arg));
            regs.push(("lr".into(), ret));
            regs.push(("pc".into(), func));
        }
    }
    let detached = attr != 0 && read_u64(uc, attr + 16) == Some(2);
    let idx = k.new_thread("pthread_create", func, mask, regs);
    k.threads[idx].pthread = pthread;
    let new = t.get(idx);
    new.stack = (top, round_up(size, page));
    new.detached = detached;
    if out != 0 {
        let _ = uc.mem_write(out, &pthread.to_le_bytes());
    }
    k.trace(format!(
        "pthread_create: thread {} func={func:#x} arg={arg:#x} mask={mask:#x}",
        idx + 1
    ));
    // Let the scheduler pick again: the new thread runs first unless --parent-first.
    if !k.opts.parent_first {
        k.switch(uc);
    }
    0
}

/// EDEADLK (XNU bsd/sys/errno.h).
const EDEADLK: u64 = 11;

/// The thread whose pthread_t is `p`, if the model made it.
fn thread_of(k: &Kernel, p: u64) -> Option<usize> {
    if p == 0 {
        return None;
    }
    k.threads.iter().position(|t| t.pthread == p)
}

/// LP src/pthread.c pthread_join(thread, &value): ESRCH for an unknown thread, EDEADLK for
/// oneself, EINVAL for a detached (or already joined) one; otherwise the caller waits until the
/// thread has exited and gets the value it exited with. `None` while blocked.
pub fn join(
    k: &mut Kernel,
    t: &mut Threads,
    w: &mut Waits,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
) -> Option<u64> {
    let (thread, out) = (a[0], a[1]);
    let Some(i) = thread_of(k, thread) else {
        return Some(ESRCH);
    };
    if i == k.cur {
        return Some(EDEADLK);
    }
    if t.get(i).detached {
        return Some(EINVAL);
    }
    // Joined or about to be: the thread is reaped, a second join is EINVAL.
    t.get(i).detached = true;
    if k.threads[i].run == Run::Exited {
        let value = t.get(i).exit_value.unwrap_or(0);
        if out != 0 && uc.mem_write(out, &value.to_le_bytes()).is_err() {
            fault(k, uc, out);
            return None;
        }
        return Some(0);
    }
    let wait = Waiting::Join {
        pthread: thread,
        out,
    };
    w.block(k, uc, wait, None);
    None
}

/// LP pthread_get_stackaddr_np / pthread_get_stacksize_np(thread): the top of the thread's
/// stack (its highest address, where it starts growing down) or its size. A thread the model
/// did not make with pthread_create or exec gives 0.
pub fn stack_info(k: &Kernel, t: &mut Threads, a: [u64; 6], size: bool) -> u64 {
    let (top, len) = thread_of(k, a[0]).map_or((0, 0), |i| t.get(i).stack);
    if size {
        len
    } else {
        top
    }
}

/// LP pthread_setname_np(name): names the calling thread; at most 63 bytes (MAXTHREADNAMESIZE
/// less the NUL), else ENAMETOOLONG. Nothing reads a name back: `--trace` shows it.
pub fn setname(k: &Kernel, uc: &Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    const ENAMETOOLONG: u64 = 63;
    let Some(name) = crate::emulate::machine::memory::read_cstr(uc, a[0], 64) else {
        return EINVAL;
    };
    if name.len() > 63 {
        return ENAMETOOLONG;
    }
    k.trace(format!("thread named {:?}", String::from_utf8_lossy(&name)));
    0
}
