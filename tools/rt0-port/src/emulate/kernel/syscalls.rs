//! The BSD syscalls of the XNU model: the ones rt0 and libSystem's wrappers make, each with the
//! kernel's checks and errors. Numbers: XNU bsd/kern/syscalls.master.

use unicorn_engine::Unicorn;

use super::{conformance, Kernel, Pending, Returns, Run, Wait};
use super::{EBADF, EFAULT, EINVAL, ENOENT, ENOMEM, ETIMEDOUT, PID, SIGKILL, SIGSTOP};
use crate::emulate::error::Error;
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::{mapped_pieces, prot_of, read_u32, read_u64, round_up};

pub const SYS_EXIT: u64 = 1;
pub const SYS_WRITE: u64 = 4;
pub const SYS_GETPID: u64 = 20;
pub const SYS_SIGPROCMASK: u64 = 48;
pub const SYS_MUNMAP: u64 = 73;
pub const SYS_MPROTECT: u64 = 74;
pub const SYS_MMAP: u64 = 197;
pub const SYS_PTHREAD_SIGMASK: u64 = 329;
pub const SYS_BSDTHREAD_CREATE: u64 = 360;
pub const SYS_BSDTHREAD_TERMINATE: u64 = 361;
pub const SYS_BSDTHREAD_REGISTER: u64 = 366;
pub const SYS_THREAD_SELFID: u64 = 372;
pub const SYS_ULOCK_WAIT: u64 = 515;
pub const SYS_ULOCK_WAKE: u64 = 516;

// <sys/mman.h>
const MAP_FIXED: u64 = 0x10;
const MAP_ANON: u64 = 0x1000;
// LP kern/workqueue_internal.h / pthread/private.h
pub const PTHREAD_START_CUSTOM: u64 = 0x0100_0000;
pub const PTHREAD_START_SUSPENDED: u64 = 0x2000_0000;
/// PTHREAD_FEATURE_SUPPORTED (LP kern/kern_internal.h): DISPATCHFUNC|FINEPRIO|BSDTHREADCTL|
/// SETSELF|QOS_MAINTENANCE|QOS_DEFAULT|KEVENT|WORKLOOP.
pub const PTHREAD_FEATURE_SUPPORTED: u64 = 0x4000_00df;
// <sys/ulock.h>
const UL_OPCODE_MASK: u64 = 0xff;
const UL_COMPARE_AND_WAIT: u64 = 1;
const UL_UNFAIR_LOCK: u64 = 2;
pub const ULF_NO_ERRNO: u64 = 0x0100_0000;
const ULF_WAKE_ALL: u64 = 0x100;
const ULF_WAKE_THREAD: u64 = 0x200;
const ULF_WAKE_MASK: u64 = 0x0100_0000 | 0x100 | 0x200 | 0x400;
const ULF_WAIT_MASK: u64 = 0x0100_0000 | 0x10000 | 0x20000 | 0x40000;
/// sigcantmask = SIGKILL | SIGSTOP (XNU bsd/sys/signalvar.h).
pub const SIGCANTMASK: u32 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// Dispatch one BSD syscall. `args` are the six argument registers the kernel reads.
pub fn syscall(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, num: u64, a: &[u64], pc: u64) {
    let cpu = k.cpu;
    k.trace(format!(
        "syscall {num}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) from {pc:#x}",
        a[0], a[1], a[2], a[3], a[4], a[5]
    ));
    if let Some(d) = k.opts.desc.clone() {
        if let Err(e) = conformance::check_args(&d, cpu, uc, num, pc) {
            k.fatal(uc, e);
            return;
        }
    }
    let r: Result<(u64, u64), u64> = match num {
        // XNU bsd/kern/kern_exit.c exit → exit1: the whole process, status & 0xff.
        SYS_EXIT => {
            k.exit_process(uc, (a[0] & 0xff) as i32);
            return;
        }
        SYS_WRITE => k_write(uc, a[0], a[1], a[2]).map(|n| (n, 0)),
        // XNU bsd/kern/kern_prot.c getpid: the process's pid.
        SYS_GETPID => Ok((PID, 0)),
        SYS_MMAP => k_mmap(k, uc, [a[0], a[1], a[2], a[3], a[4], a[5]]).map(|v| (v, 0)),
        SYS_MUNMAP => k_munmap(uc, k.page, a[0], a[1]).map(|_| (0, 0)),
        SYS_MPROTECT => k_mprotect(uc, k.page, a[0], a[1], a[2]).map(|_| (0, 0)),
        // XNU bsd/kern/kern_sig.c sigprocmask: changes the mask of EVERY thread of the process
        // (set_procsigmask walks p_uthlist).
        SYS_SIGPROCMASK => k_sigmask(k, uc, true, a[0], a[1], a[2]).map(|_| (0, 0)),
        // XNU bsd/kern/kern_sig.c __pthread_sigmask: the calling thread's uu_sigmask only.
        SYS_PTHREAD_SIGMASK => k_sigmask(k, uc, false, a[0], a[1], a[2]).map(|_| (0, 0)),
        // LP kern/kern_support.c _thread_selfid: `*retval = thread_tid(current_thread())`.
        SYS_THREAD_SELFID => Ok((k.cur().tid, 0)),
        SYS_BSDTHREAD_REGISTER => k_bsdthread_register(k, a),
        SYS_BSDTHREAD_CREATE => match k_bsdthread_create(k, uc, a, pc) {
            Some(r) => r,
            None => return,
        },
        SYS_BSDTHREAD_TERMINATE => {
            k_bsdthread_terminate(k, uc, [a[0], a[1], a[2], a[3]], pc);
            return;
        }
        SYS_ULOCK_WAIT => {
            match k_ulock_wait(
                k,
                uc,
                a[0],
                a[1],
                a[2] as u32,
                a[3] as u32,
                Returns::Syscall,
            ) {
                Some(r) => r.map(|v| (v, 0)),
                None => return,
            }
        }
        SYS_ULOCK_WAKE => k_ulock_wake(k, a[0], a[1]).map(|v| (v, 0)),
        _ => {
            let msg = format!(
                "unmodeled syscall {num} called from {pc:#x} by thread {} (args {:#x}, {:#x}, {:#x})",
                k.cur + 1,
                a[0],
                a[1],
                a[2]
            );
            k.fatal(uc, Error::Unmodeled(msg));
            return;
        }
    };
    // Errors: XNU unix_syscall_return — carry set, positive errno in rax/x0.
    // ULF_NO_ERRNO successes with a negative value are plain returns (sys_ulock.c munge_retval).
    k.trace(format!("  -> {r:x?}"));
    cpu.syscall_return(uc, r);
}

/// write(2) to fd 1/2 only (XNU bsd/kern/sys_generic.c write → dofilewrite); other fds: EBADF.
pub fn k_write(uc: &mut Unicorn<'_, ()>, fd: u64, buf: u64, len: u64) -> Result<u64, u64> {
    if fd != 1 && fd != 2 {
        return Err(EBADF);
    }
    let len = len.min(1 << 24);
    let mut data = vec![0u8; len as usize];
    if len > 0 {
        uc.mem_read(buf, &mut data).map_err(|_| EFAULT)?;
    }
    write_real_fd(fd, &data);
    Ok(len)
}

/// The emulated fd 1 or 2's bytes, on the real one (anything else goes to fd 2), flushed: the
/// one place emulated output leaves the emulator (write(2) and libSystem's stdio).
pub fn write_real_fd(fd: u64, data: &[u8]) {
    use std::io::Write;
    if fd == 1 {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(data);
        let _ = o.flush();
    } else {
        let mut o = std::io::stderr().lock();
        let _ = o.write_all(data);
        let _ = o.flush();
    }
}

/// mmap(2), anonymous only (XNU bsd/kern/kern_mman.c mmap): size rounded up to pages,
/// MAP_FIXED replaces what is there, otherwise the kernel picks the address (VM_FLAGS_ANYWHERE).
/// Model choices, not read from XNU line by line: a zero size is EINVAL, a file mapping is
/// ENODEV (no files exist here), more than 1 TiB is ENOMEM.
/// `args` are mmap's (addr, len, prot, flags, fd, offset).
pub fn k_mmap(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, args: [u64; 6]) -> Result<u64, u64> {
    let [addr, len, prot, flags, fd, _offset] = args;
    if flags & MAP_ANON == 0 {
        k.trace(format!("mmap of fd {fd}: file mappings are not modeled"));
        return Err(ENODEV);
    }
    if len == 0 {
        return Err(EINVAL);
    }
    if let Some(limit) = k.opts.fail_mmap_over {
        if len > limit {
            k.trace(format!(
                "mmap of {len} bytes fails (--fail-mmap-over {limit})"
            ));
            return Err(ENOMEM);
        }
    }
    if len > (1 << 40) {
        return Err(ENOMEM);
    }
    let page = k.page;
    let size = round_up(len, page);
    let at = if flags & MAP_FIXED != 0 {
        if !addr.is_multiple_of(page) {
            return Err(EINVAL);
        }
        let _ = k_munmap(uc, page, addr, size);
        addr
    } else {
        k.alloc_va(size)
    };
    uc.mem_map(at, size, prot_of(prot as u32))
        .map_err(|_| ENOMEM)?;
    Ok(at)
}
/// ENODEV (XNU bsd/sys/errno.h).
const ENODEV: u64 = 19;

/// munmap(2) (XNU kern_mman.c munmap: page-aligned address else EINVAL; unmapped parts are fine).
pub fn k_munmap(uc: &mut Unicorn<'_, ()>, page: u64, addr: u64, len: u64) -> Result<(), u64> {
    if !addr.is_multiple_of(page) || len == 0 {
        return Err(EINVAL);
    }
    let len = round_up(len, page);
    for (a, l) in mapped_pieces(uc, addr, len) {
        uc.mem_unmap(a, l).map_err(|_| EINVAL)?;
    }
    Ok(())
}

/// mprotect(2) (XNU kern_mman.c mprotect: page-aligned address else EINVAL; a hole in the range
/// is ENOMEM, from mach_vm_protect's KERN_INVALID_ADDRESS).
pub fn k_mprotect(
    uc: &mut Unicorn<'_, ()>,
    page: u64,
    addr: u64,
    len: u64,
    prot: u64,
) -> Result<(), u64> {
    if !addr.is_multiple_of(page) {
        return Err(EINVAL);
    }
    let len = round_up(len, page);
    let pieces = mapped_pieces(uc, addr, len);
    if pieces.iter().map(|p| p.1).sum::<u64>() != len {
        return Err(ENOMEM);
    }
    for (a, l) in pieces {
        uc.mem_protect(a, l, prot_of(prot as u32))
            .map_err(|_| EINVAL)?;
    }
    Ok(())
}

/// __pthread_sigmask / sigprocmask (XNU bsd/kern/kern_sig.c): with a null set only the old mask
/// is returned; SIG_BLOCK ors in set & ~sigcantmask, SIG_UNBLOCK clears, SIG_SETMASK assigns
/// set & ~sigcantmask; another `how` is EINVAL; oset gets the old mask.
pub fn k_sigmask(
    k: &mut Kernel,
    uc: &mut Unicorn<'_, ()>,
    process: bool,
    how: u64,
    set: u64,
    oset: u64,
) -> Result<(), u64> {
    let old = k.cur().sigmask;
    if set != 0 {
        let nset = read_u32(uc, set).ok_or(EFAULT)?;
        let apply = |m: u32| -> Result<u32, u64> {
            match how {
                1 => Ok(m | (nset & !SIGCANTMASK)),
                2 => Ok(m & !nset),
                3 => Ok(nset & !SIGCANTMASK),
                _ => Err(EINVAL),
            }
        };
        if process {
            // set_procsigmask: every thread of the process.
            for t in k.threads.iter_mut() {
                t.sigmask = apply(t.sigmask)?;
            }
        } else {
            let m = apply(old)?;
            k.cur().sigmask = m;
        }
    }
    if oset != 0 {
        uc.mem_write(oset, &old.to_le_bytes()).map_err(|_| EFAULT)?;
    }
    Ok(())
}

/// bsdthread_register (LP kern/kern_support.c _bsdthread_register): a bad pthsize is EINVAL
/// before anything else; then the process's stack address hint is computed anew (see
/// [`set_stack_addr_hint`]) *before* the "prevent multiple registrations" check, so a refused
/// second call changes it too; a second registration is EINVAL and changes nothing else
/// (threadstart, wqthread, pthsize, TSD and dispatch offsets stay the first caller's); success
/// records threadstart and returns PTHREAD_FEATURE_SUPPORTED. pthread_init_data (a[3]) is not
/// read: rt0 passes none, and libSystem's own registration is modeled in `run`.
fn k_bsdthread_register(k: &mut Kernel, a: &[u64]) -> Result<(u64, u64), u64> {
    let pthsize = a[2] as i64 as i32;
    // "syscall randomizer test can pass bogus values": pthsize < 0 or > MAX_PTHREAD_SIZE.
    if !(0..=64 * 1024).contains(&pthsize) {
        return Err(EINVAL);
    }
    // "We have to do this before proc_get_register so that it resets after fork".
    let hint = set_stack_addr_hint(k);
    if k.registered {
        k.report.push(format!(
            "bsdthread_register=EINVAL threadstart={:#x} stack_addr_hint={hint:#x}",
            a[0]
        ));
        return Err(EINVAL);
    }
    k.registered = true;
    k.threadstart = a[0];
    k.report.push(format!(
        "bsdthread_register=ok threadstart={:#x} stack_addr_hint={hint:#x}",
        a[0]
    ));
    Ok((PTHREAD_FEATURE_SUPPORTED, 0))
}

/// User space registered `start` as the thread start routine on its own (libSystem's
/// initializer: LP src/pthread.c __pthread_init → __bsdthread_register): the effect of a
/// successful bsdthread_register. Returns the stack address hint it set.
pub fn register_thread_start(k: &mut Kernel, start: u64) -> u64 {
    k.threadstart = start;
    k.registered = true;
    set_stack_addr_hint(k)
}

/// LP kern/kern_support.c stack_addr_hint + proc_set_stack_addr_hint, as every
/// bsdthread_register past its argument checks does: x86_64 (64-bit process) `0x700000000000 +
/// trunc_page(random() % (1 << 28))`, a new random value each call; arm64 (64-bit process, the
/// main thread's stack top known through proc_get_user_stack) `trunc_page(main thread's stack
/// top)`, the same value each call. The kernel reads the hint only to place workqueue thread
/// stacks (workq_create_threadstack), which this model does not have: the report records it.
/// Returns the new hint.
pub fn set_stack_addr_hint(k: &mut Kernel) -> u64 {
    let page = k.page;
    let hint = match k.cpu {
        Cpu::X86_64 => {
            let x = &mut k.kernel_random;
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            let aslr = (*x & 0x7fff_ffff) % (1 << 28);
            0x7000_0000_0000 + (aslr & !(page - 1))
        }
        Cpu::Aarch64 => crate::emulate::machine::memory::MAIN_STACK_TOP & !(page - 1),
    };
    k.stack_addr_hint = hint;
    k.stack_addr_hint_sets += 1;
    hint
}

/// bsdthread_create (LP kern/kern_support.c _bsdthread_create): EINVAL unless registered and
/// PTHREAD_START_CUSTOM; the new thread starts at the registered threadstart with
/// pthread/kport/func/arg/stack/flags in the six start registers and the stack pointer = stack
/// (x86_thread_state64_t .rsp = user_stack). Returns the pthread argument.
fn k_bsdthread_create(
    k: &mut Kernel,
    uc: &mut Unicorn<'_, ()>,
    a: &[u64],
    pc: u64,
) -> Option<Result<(u64, u64), u64>> {
    let cpu = k.cpu;
    if let Some(d) = k.opts.desc.clone() {
        if let Err(e) = conformance::check_thread_create(&d, cpu, uc, pc) {
            k.fatal(uc, e);
            return None;
        }
    }
    let (func, arg, stack, pthread, flags) = (a[0], a[1], a[2], a[3], a[4] as u32 as u64);
    if !k.registered {
        return Some(Err(EINVAL));
    }
    if flags & PTHREAD_START_CUSTOM == 0 {
        return Some(Err(EINVAL));
    }
    // Strip PTHREAD_START_SUSPENDED; no tsd_offset was registered by rt0, so no TSD_BASE_SET.
    let flags = flags & !PTHREAD_START_SUSPENDED;
    let start = k.threadstart;
    let legacy = k.opts.legacy_stack;
    // Older libpthread kern/kern_support.c _bsdthread_create (x86_64, through libpthread-330):
    // with PTHREAD_START_CUSTOM `user_stacksize = user_stack`, `ts64->r8 = user_stacksize`, and
    // `ts64->rsp = th_stack - C_64_REDZONE_LEN` (128). Those sources have no arm64 branch; on
    // arm64 --legacy-stack applies the same offset as a stress test of the start routine only.
    let sp = if legacy {
        stack.wrapping_sub(128)
    } else {
        stack
    };
    let regs = cpu.thread_start_regs();
    // th_thport: the name of a send right to the new thread's port, copied out to the task
    // (ipc_port_copyout_send); any valid name, unique per thread. It stays in the task's port
    // space until given back (bsdthread_terminate's kthport: mach_port_deallocate).
    let kport = 0x1003 + 0x100 * k.threads.len() as u64;
    let vals = [pthread, kport, func, arg, stack, flags];
    let mut init: Vec<(String, u64)> = regs
        .iter()
        .zip(vals.iter())
        .map(|(r, v)| (r.to_string(), *v))
        .collect();
    init.push((cpu.sp_name().to_string(), sp));
    init.push((
        if cpu == Cpu::X86_64 { "rip" } else { "pc" }.to_string(),
        start,
    ));
    // uthread_init (XNU bsd/kern/kern_fork.c): the new thread inherits the creator's mask.
    let mask = k.cur().sigmask;
    let idx = k.new_thread("bsdthread_create", func, mask, init);
    let header = (
        read_u64(uc, stack).unwrap_or(0),
        read_u64(uc, stack + 8).unwrap_or(0),
    );
    k.threads[idx].raw_stack = Some((stack, header.0, header.1));
    k.threads[idx].pthread = pthread;
    k.threads[idx].kport = kport;
    k.trace(format!("bsdthread_create: thread {} at {start:#x} func={func:#x} arg={arg:#x} stack={stack:#x} sp={sp:#x}", idx + 1));
    if !k.opts.parent_first {
        k.switch(uc);
    }
    Some(Ok((pthread, 0)))
}

/// bsdthread_terminate (LP kern_support.c _bsdthread_terminate): deallocate [stackaddr,
/// stackaddr+size) when both are non-zero, terminate the calling thread only, signal `sem` when
/// non-zero (no semaphores exist in this model: a failed signal is only traced there), and
/// `mach_port_deallocate` the name `kthport` when non-zero. The thread's own port is released
/// only when it is given back here; what became of it is in the report (thread::kport_state).
fn k_bsdthread_terminate(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 4], pc: u64) {
    let [addr, size, port, sem] = a;
    let port = port as u32 as u64; // uint32_t kthport
    k.cur().terminated_with = Some((addr, size, port));
    if sem as u32 != 0 {
        k.trace(format!(
            "bsdthread_terminate: semaphore {sem:#x} does not exist here (semaphores are not modeled)"
        ));
    }
    if let Some((stack, base, len)) = k.cur().raw_stack {
        if k.opts.desc.is_some() && (addr != base || size != len) {
            let msg = format!(
                "bsdthread_terminate at {pc:#x} frees ({addr:#x}, {size:#x}) but the header at the thread's \
                 stack {stack:#x} said ({base:#x}, {len:#x}): the start routine did not find its stack in the register \
                 [thread_start] names"
            );
            k.fatal(uc, Error::Conformance(msg));
            return;
        }
    }
    if size != 0 && addr != 0 {
        let page = k.page;
        let _ = k_munmap(uc, page, addr & !(page - 1), size);
    }
    k.exit_thread(uc);
}

/// __ulock_wait (XNU bsd/kern/sys_ulock.c ulock_wait): EINVAL for an unknown opcode or flag, a
/// null or misaligned address; returns at once (the waiter count) when *addr != value; else
/// blocks until woken or `timeout` µs pass (ETIMEDOUT). None = blocked.
pub fn k_ulock_wait(
    k: &mut Kernel,
    uc: &mut Unicorn<'_, ()>,
    op: u64,
    addr: u64,
    value: u32,
    timeout: u32,
    returns: Returns,
) -> Option<Result<u64, u64>> {
    let opcode = op & UL_OPCODE_MASK;
    let flags = op & !UL_OPCODE_MASK;
    let no_errno = flags & ULF_NO_ERRNO != 0;
    let returns = match returns {
        Returns::Libsyscall { .. } => Returns::Libsyscall { no_errno },
        other => other,
    };
    let fail = |e: u64| -> Option<Result<u64, u64>> {
        if no_errno {
            Some(Ok((-(e as i64)) as u64))
        } else {
            Some(Err(e))
        }
    };
    if flags & ULF_WAIT_MASK != flags {
        return fail(EINVAL);
    }
    if opcode != UL_COMPARE_AND_WAIT && opcode != UL_UNFAIR_LOCK {
        return fail(EINVAL);
    }
    if addr == 0 || !addr.is_multiple_of(4) {
        return fail(EINVAL);
    }
    let cur = match read_u32(uc, addr) {
        Some(v) => v,
        None => return fail(EFAULT),
    };
    if cur != value {
        return Some(Ok(0));
    }
    let deadline = (timeout != 0).then(|| k.clock + timeout as u64 * 1000);
    k.block(uc, Wait::Ulock { addr, returns }, deadline);
    None
}

/// __ulock_wake (XNU sys_ulock.c ulock_wake): ENOENT when nobody waits; ULF_WAKE_ALL wakes all.
pub fn k_ulock_wake(k: &mut Kernel, op: u64, addr: u64) -> Result<u64, u64> {
    let opcode = op & UL_OPCODE_MASK;
    let flags = op & !UL_OPCODE_MASK;
    let no_errno = flags & ULF_NO_ERRNO != 0;
    let fail = |e: u64| {
        if no_errno {
            Ok((-(e as i64)) as u64)
        } else {
            Err(e)
        }
    };
    if flags & ULF_WAKE_MASK != flags || (flags & ULF_WAKE_THREAD != 0 && flags & ULF_WAKE_ALL != 0)
    {
        return fail(EINVAL);
    }
    if opcode != UL_COMPARE_AND_WAIT && opcode != UL_UNFAIR_LOCK {
        return fail(EINVAL);
    }
    if addr == 0 {
        return fail(EINVAL);
    }
    if wake(k, addr, flags & ULF_WAKE_ALL != 0) == 0 {
        return fail(ENOENT);
    }
    Ok(0)
}

/// Threads in __ulock_wait on `addr`, in thread order, with how each returns.
fn ulock_waiters(k: &Kernel, addr: u64) -> Vec<(usize, Returns)> {
    let on = |t: &super::Thread| match t.run {
        Run::Blocked {
            on: Wait::Ulock { addr: a, returns },
            ..
        } if a == addr => Some((t.idx, returns)),
        _ => None,
    };
    k.threads.iter().filter_map(on).collect()
}

/// Wake threads waiting on `addr` (XNU sys_ulock.c ulock_wake: one waiter, or all with
/// ULF_WAKE_ALL). Returns how many were woken.
fn wake(k: &mut Kernel, addr: u64, all: bool) -> usize {
    let waiters = ulock_waiters(k, addr);
    let n = if all {
        waiters.len()
    } else {
        waiters.len().min(1)
    };
    for (woken, (i, returns)) in waiters.iter().take(n).enumerate() {
        // ulock_wait_cleanup: the waiter returns the number of waiters still left.
        let v = (waiters.len() - woken - 1) as u64;
        k.resume(
            *i,
            match returns {
                Returns::Syscall => Pending::Sys(Ok((v, 0))),
                Returns::Libsyscall { .. } => Pending::C(v),
            },
        );
    }
    n
}

/// Thread `i`'s __ulock_wait passed its deadline: ETIMEDOUT, the way its call returns errors.
/// (LP/libsyscall wrappers: -1 with errno, or -errno under ULF_NO_ERRNO, XNU sys_ulock.c
/// ulock_wait: `if ((flags & ULF_NO_ERRNO) && (ret != 0)) *retval = -ret`.)
pub fn ulock_timed_out(k: &mut Kernel, i: usize, returns: Returns) {
    k.resume(
        i,
        match returns {
            Returns::Syscall => Pending::Sys(Err(ETIMEDOUT)),
            Returns::Libsyscall { no_errno: true } => Pending::C((-(ETIMEDOUT as i64)) as u64),
            Returns::Libsyscall { no_errno: false } => Pending::CErr(ETIMEDOUT),
        },
    );
}
