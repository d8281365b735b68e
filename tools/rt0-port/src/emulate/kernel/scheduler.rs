//! The deterministic scheduler: run the current thread for one time slice (a number of
//! instructions), then pick the next runnable thread in round-robin order; when every thread is
//! blocked, advance virtual time to the earliest deadline. Process-directed signals are sent
//! between slices; a CPU fault ends the process with the signal XNU would send.

use std::io::Write;

use unicorn_engine::{uc_error, Context, MemType, Unicorn};

use super::{syscalls, Kernel, Pending, Process, Run, Shared, Stop, Userspace, Wait};
use super::{SIGBUS, SIGILL, SIGSEGV};
use crate::emulate::error::Error;
use crate::emulate::machine::cpu::Cpu;

/// What the scheduler does next.
enum Next {
    /// Run this thread.
    Thread(usize),
    /// Time advanced (a deadline passed or a signal is due): pick again.
    Again,
    /// The process is over, with this status.
    End(i32),
}

/// Runs the process until it ends; returns its exit status.
pub fn schedule<U: Userspace>(uc: &mut Unicorn<'_, ()>, state: &Shared<U>, blank: &Context) -> i32 {
    let mut last_ran: Option<usize> = None;
    loop {
        let pick = {
            let mut p = state.borrow_mut();
            if let Some(status) = deliver_signals(&mut p.kernel) {
                return finish(&mut p.kernel, status);
            }
            match pick(uc, &mut p, last_ran) {
                Next::Thread(i) => i,
                Next::Again => continue,
                Next::End(status) => return finish(&mut p.kernel, status),
            }
        };
        switch_in(uc, &mut state.borrow_mut().kernel, pick, blank);
        let pc = uc.reg_read(state.borrow().kernel.cpu.pc_reg()).unwrap_or(0);
        let quantum = next_slice(&mut state.borrow_mut().kernel);
        let res = uc.emu_start(pc, 0, 0, quantum as usize);
        last_ran = Some(pick);
        let st = &mut state.borrow_mut().kernel;
        st.clock += quantum;
        let mut ctx = match st.threads[pick].ctx.take() {
            Some(c) => c,
            None => uc.context_alloc().expect("context"),
        };
        let _ = uc.context_save(&mut ctx);
        st.threads[pick].ctx = Some(ctx);
        if let Some(status) = after_slice(uc, st, pick, res) {
            return finish(st, status);
        }
    }
}

/// The next thread to run: the one that only stopped to change its pc, else the first runnable
/// one after the last to run; when none can run, time advances or the run ends.
fn pick<U: Userspace>(
    uc: &mut Unicorn<'_, ()>,
    p: &mut Process<U>,
    last_ran: Option<usize>,
) -> Next {
    let st = &mut p.kernel;
    let n = st.threads.len();
    let start = last_ran.map_or(0, |l| (l + 1) % n);
    if std::mem::take(&mut st.resume_same) {
        if let Some(l) = last_ran.filter(|l| st.threads[*l].run == Run::Runnable) {
            return Next::Thread(l);
        }
    }
    if let Some(i) = (0..n)
        .map(|k| (start + k) % n)
        .find(|i| st.threads[*i].run == Run::Runnable)
    {
        return Next::Thread(i);
    }
    if st.threads.iter().all(|t| t.run == Run::Exited) {
        // XNU: the process exits when its last thread terminates (exit status 0).
        return Next::End(0);
    }
    advance_to_deadline(uc, p)
}

/// Every thread is blocked: advance the clock to the earliest deadline or signal, waking the
/// waits that timed out; with neither, the process is deadlocked.
fn advance_to_deadline<U: Userspace>(uc: &mut Unicorn<'_, ()>, p: &mut Process<U>) -> Next {
    let Process { kernel: st, user } = p;
    let next_signal = st.pending_signals.iter().map(|p| p.1).min();
    let deadline = st
        .threads
        .iter()
        .filter_map(|t| match t.run {
            Run::Blocked {
                deadline: Some(d), ..
            } => Some(d),
            _ => None,
        })
        .chain(next_signal)
        .min();
    let Some(d) = deadline else {
        let waits: Vec<String> = st
            .threads
            .iter()
            .filter_map(|t| match t.run {
                Run::Blocked { on, .. } => {
                    Some(format!("thread {} waits on {:#x}", t.idx + 1, on.addr()))
                }
                _ => None,
            })
            .collect();
        return Next::End(stopped(Error::Deadlock(waits)));
    };
    st.clock = st.clock.max(d);
    let now = st.clock;
    let due: Vec<(usize, Wait)> = st
        .threads
        .iter()
        .filter_map(|t| match t.run {
            Run::Blocked {
                on,
                deadline: Some(d),
            } if d <= now => Some((t.idx, on)),
            _ => None,
        })
        .collect();
    for (i, on) in due {
        match on {
            Wait::Ulock { returns, .. } => syscalls::ulock_timed_out(st, i, returns),
            Wait::Userspace { .. } => user.timed_out(st, uc, i),
        }
    }
    Next::Again
}

/// Loads thread `pick` into the CPU: its saved context (or its first registers), a pc set from
/// inside a trap, and the value a call that blocked it returns.
fn switch_in(uc: &mut Unicorn<'_, ()>, st: &mut Kernel, pick: usize, blank: &Context) {
    let cpu = st.cpu;
    st.cur = pick;
    let t = &mut st.threads[pick];
    if let Some(ctx) = &t.ctx {
        let _ = uc.context_restore(ctx);
    } else {
        let _ = uc.context_restore(blank);
        for (r, v) in t.init_regs.clone() {
            cpu.write(uc, &r, v);
        }
        if cpu == Cpu::X86_64 {
            // TSD base in gs (XNU osfmk/i386/pcb.c thread_set_tsd_base → gs base).
            let _ = uc.reg_write(unicorn_engine::RegisterX86::GS_BASE, t.errno_slot);
        } else {
            let _ = uc.reg_write(unicorn_engine::RegisterARM64::TPIDRRO_EL0, t.errno_slot);
        }
    }
    if let Some(pc) = t.redirect.take() {
        let _ = uc.reg_write(cpu.pc_reg(), pc);
    }
    if let Some(p) = t.pending.take() {
        match p {
            Pending::Sys(r) => cpu.syscall_return(uc, r),
            Pending::C(v) => cpu.c_return(uc, v),
            Pending::CErr(e) => {
                let _ = uc.mem_write(t.errno_slot, &(e as u32).to_le_bytes());
                cpu.c_return(uc, u64::MAX)
            }
        }
    }
    st.stop = None;
    st.fault = None;
}

/// Instructions in the next slice: the quantum, or with `--seed` a pseudo-random 1..=quantum
/// (xorshift64*), so seeds interleave threads differently, reproducibly.
fn next_slice(st: &mut Kernel) -> u64 {
    let q = st.opts.quantum;
    match st.rng.as_mut() {
        Some(x) => {
            *x ^= *x >> 12;
            *x ^= *x << 25;
            *x ^= *x >> 27;
            1 + (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % q
        }
        None => q,
    }
}

/// Why the slice ended: `Some(status)` when the process is over.
fn after_slice(
    uc: &Unicorn<'_, ()>,
    st: &mut Kernel,
    pick: usize,
    res: Result<(), uc_error>,
) -> Option<i32> {
    match st.stop.take() {
        Some(Stop::Exit(code)) => return Some(code),
        Some(Stop::Fatal(e)) => return Some(stopped(e)),
        Some(Stop::Signal(sig, msg)) => {
            eprintln!(
                "rt0-port: thread {} killed by {}: {msg}",
                pick + 1,
                signame(sig)
            );
            return Some(128 + sig);
        }
        Some(Stop::Switch) | None => {}
    }
    let e = res.err()?;
    let pc = uc.reg_read(st.cpu.pc_reg()).unwrap_or(0);
    let (sig, what) = fault_signal(e, st.fault);
    eprintln!(
        "rt0-port: thread {} killed by {} at pc {pc:#x}: {what}",
        pick + 1,
        signame(sig)
    );
    Some(128 + sig)
}

/// Send the process-directed signals that are due (XNU bsd/kern/kern_sig.c psignal_internal →
/// get_signalthread: the first thread, in creation order (p_uthlist), whose uu_sigmask does not
/// block the signal; if every thread blocks it, it stays pending). No handler exists in this
/// model, so the default action applies (bsd/sys/signalvar.h sigprop): SA_KILL signals end the
/// process with 128+signal, SA_IGNORE ones are dropped; stop signals are not modeled (dropped,
/// reported). Returns the exit status when the process dies.
fn deliver_signals(st: &mut Kernel) -> Option<i32> {
    let now = st.clock;
    let due: Vec<(u32, u64)> = st
        .pending_signals
        .iter()
        .copied()
        .filter(|p| p.1 <= now)
        .collect();
    st.pending_signals.retain(|p| p.1 > now);
    for (sig, _) in due {
        let bit = 1u32 << (sig - 1);
        let target = st
            .threads
            .iter()
            .find(|t| t.run != Run::Exited && t.sigmask & bit == 0)
            .map(|t| t.idx);
        match target {
            None => {
                st.report.push(format!(
                    "signal {sig} at_ns={now} pending=all_threads_block_it"
                ));
                st.blocked_signals.push(sig);
            }
            Some(i) => {
                st.report.push(format!(
                    "signal {sig} at_ns={now} delivered_to=thread{}",
                    i + 1
                ));
                // sigprop: SIGURG 16, SIGCONT 19, SIGCHLD 20, SIGIO 23, SIGWINCH 28, SIGINFO 29
                // are SA_IGNORE; SIGSTOP 17, SIGTSTP 18, SIGTTIN 21, SIGTTOU 22 are SA_STOP.
                match sig {
                    16 | 19 | 20 | 23 | 28 | 29 => {}
                    17 | 18 | 21 | 22 => st.report.push(format!("signal {sig} stop_not_modeled")),
                    _ => {
                        eprintln!(
                            "rt0-port: process killed by signal {sig}, delivered to thread {}",
                            i + 1
                        );
                        return Some(128 + sig as i32);
                    }
                }
            }
        }
    }
    None
}

/// A fault → signal (XNU bsd/uxkern/ux_exception.c ux_exception: EXC_BAD_ACCESS with
/// KERN_INVALID_ADDRESS → SIGSEGV, otherwise (a protection failure) → SIGBUS;
/// EXC_BAD_INSTRUCTION → SIGILL).
fn fault_signal(e: uc_error, fault: Option<(MemType, u64)>) -> (i32, String) {
    let addr = fault.map(|f| format!(" {:#x}", f.1)).unwrap_or_default();
    match e {
        uc_error::READ_UNMAPPED => (SIGSEGV, format!("read of unmapped{addr}")),
        uc_error::WRITE_UNMAPPED => (SIGSEGV, format!("write to unmapped{addr}")),
        uc_error::FETCH_UNMAPPED => (SIGSEGV, format!("jump to unmapped{addr}")),
        uc_error::READ_PROT => (SIGBUS, format!("read of protected{addr}")),
        uc_error::WRITE_PROT => (SIGBUS, format!("write to protected{addr}")),
        uc_error::FETCH_PROT => (SIGBUS, format!("execution of non-executable{addr}")),
        uc_error::INSN_INVALID => (SIGILL, "invalid instruction".into()),
        other => (SIGSEGV, format!("CPU error: {other}")),
    }
}

/// Ends the run with `status`, flushing what the program wrote.
fn finish(st: &mut Kernel, status: i32) -> i32 {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    st.report.push(format!("exit_status={status}"));
    status
}

/// The emulator stopped the run: its message, and the status it ends with.
fn stopped(e: Error) -> i32 {
    eprintln!("rt0-port: {e}");
    e.status()
}

/// A signal's name, for messages.
fn signame(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        10 => "SIGBUS",
        11 => "SIGSEGV",
        12 => "SIGSYS",
        _ => "a signal",
    }
}
