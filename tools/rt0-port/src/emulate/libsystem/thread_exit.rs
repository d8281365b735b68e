//! How a pthread ends (LP src/pthread.c _pthread_exit): its thread-specific data destructors
//! run first, among them dyld's for thread-local variables, then the thread terminates and a
//! thread blocked in pthread_join on it is woken with its value.
//!
//! Thread-local destructors follow DYLD ThreadLocalVariables.c: `_tlv_atexit(func, obj)` appends
//! to the calling thread's list; at exit `tlv_finalize_list` runs the list newest first, and a
//! list that a running destructor registered (a destructor touching another thread-local) is
//! finalized completely right after that destructor returns, before the older entries. Each
//! destructor is a real call into the program, returning to the model's `tlv_dtor_return`
//! entry, which takes the next step. Not modeled: the main thread's list when the process
//! exits (Libc's exit runs it through _tlv_exit; here exit ends the process at once).

use unicorn_engine::Unicorn;

use super::threads::Threads;
use super::waits::{Waiting, Waits};
use crate::emulate::kernel::Kernel;
use crate::emulate::machine::stubs::StubMap;

/// `_tlv_atexit(func, obj)`: `func(obj)` runs when the calling thread exits.
pub fn tlv_atexit(k: &Kernel, t: &mut Threads, a: [u64; 6]) -> u64 {
    t.get(k.cur).tlv_dtors.push((a[0], a[1]));
    0
}

/// The calling thread exits with `value`: run its destructors (each step returns through
/// `tlv_dtor_return` → [`next_step`]), then end it.
pub fn exit(
    k: &mut Kernel,
    threads: &mut Threads,
    w: &mut Waits,
    stubs: &StubMap,
    uc: &mut Unicorn<'_, ()>,
    value: u64,
) {
    let t = threads.get(k.cur);
    if t.exit_value.is_none() {
        t.exit_value = Some(value);
        let list = std::mem::take(&mut t.tlv_dtors);
        t.tlv_finalizing.push(list);
    }
    next_step(k, threads, w, stubs, uc);
}

/// Call the next destructor of the exiting thread, or end the thread when none is left.
pub fn next_step(
    k: &mut Kernel,
    threads: &mut Threads,
    w: &mut Waits,
    stubs: &StubMap,
    uc: &mut Unicorn<'_, ()>,
) {
    let cpu = k.cpu;
    let t = threads.get(k.cur);
    // Registered by the destructor that just returned: finalized before the older entries.
    if !t.tlv_dtors.is_empty() {
        let list = std::mem::take(&mut t.tlv_dtors);
        t.tlv_finalizing.push(list);
    }
    let next = loop {
        match t.tlv_finalizing.last_mut() {
            None => break None,
            Some(list) => match list.pop() {
                Some(entry) => break Some(entry),
                None => {
                    t.tlv_finalizing.pop();
                }
            },
        }
    };
    match next {
        // tlv_finalize_list skips a NULL function.
        Some((0, _)) => next_step(k, threads, w, stubs, uc),
        Some((func, obj)) => {
            k.trace(format!("tlv destructor {func:#x}({obj:#x})"));
            let ret = stubs.internal("tlv_dtor_return");
            // Below whatever the thread's stack holds now, 16-aligned.
            let sp = cpu.read(uc, cpu.sp_name()).saturating_sub(256) & !15;
            cpu.setup_call_from_hook(uc, func, &[obj], ret, sp);
            k.cur().redirect = Some(func);
            k.resume_same = true;
            k.switch(uc);
        }
        None => end(k, threads, w, uc),
    }
}

/// The thread is gone: wake whoever joins it, with its value.
fn end(k: &mut Kernel, threads: &mut Threads, w: &mut Waits, uc: &mut Unicorn<'_, ()>) {
    let value = threads.get(k.cur).exit_value.unwrap_or(0);
    let pthread = k.cur().pthread;
    let joins = |w| matches!(w, Waiting::Join { pthread: p, .. } if p == pthread && p != 0);
    for (i, wait) in w.find(joins) {
        if let Waiting::Join { out, .. } = wait {
            if out != 0 {
                let _ = uc.mem_write(out, &value.to_le_bytes());
            }
        }
        w.wake(k, i, 0);
    }
    k.exit_thread(uc);
}
