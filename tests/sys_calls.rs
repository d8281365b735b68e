//! rt0's system calls as a user of `rt0::sys` sees them: `sleep_ms` sleeps its whole time even
//! when signal handlers interrupt it (EINTR), and `wait_on_address_timeout` gives up, or does
//! not wait at all when the word already changed.

#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

static HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn count(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn sleep_ms_sleeps_its_whole_time_through_interrupting_signals() {
    // SAFETY: installing a handler that only bumps an atomic; no SA_RESTART, so a blocked
    // nanosleep returns EINTR each time the signal arrives.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = count as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let tid = std::sync::Arc::new(AtomicU32::new(0));
    let sleeper = {
        let (done, tid) = (done.clone(), tid.clone());
        std::thread::spawn(move || {
            tid.store(rt0::sys::thread_id() as u32, Ordering::Release);
            let start = Instant::now();
            rt0::sys::sleep_ms(400);
            done.store(true, Ordering::Release);
            start.elapsed()
        })
    };
    while tid.load(Ordering::Acquire) == 0 {
        std::thread::yield_now();
    }
    // Interrupt the sleep every 20 ms until it ends.
    while !done.load(Ordering::Acquire) {
        // SAFETY: a signal to a thread of this process, which has a handler for it.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid(),
                tid.load(Ordering::Acquire) as libc::c_long,
                libc::SIGUSR1,
            )
        };
        std::thread::sleep(Duration::from_millis(20));
    }
    let slept = sleeper.join().unwrap();
    assert!(
        HANDLED.load(Ordering::Relaxed) >= 5,
        "the sleep was interrupted"
    );
    assert!(
        slept >= Duration::from_millis(400),
        "sleep_ms(400) returned after {slept:?}"
    );
}

#[test]
fn wait_on_address_timeout_gives_up_when_nobody_wakes() {
    let word = AtomicU32::new(7);
    let start = Instant::now();
    rt0::sys::wait_on_address_timeout(&word, 7, Duration::from_millis(50));
    assert!(
        start.elapsed() >= Duration::from_millis(45),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn wait_on_address_returns_at_once_when_the_word_already_changed() {
    // The word holds 7, the caller expects 8: the wait must not block, even with a limit of
    // ten seconds. It runs on its own thread so that a regression fails here, after a bounded
    // wait, instead of hanging the test.
    let (done, returned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let word = AtomicU32::new(7);
        rt0::sys::wait_on_address_timeout(&word, 8, Duration::from_secs(10));
        let _ = done.send(());
    });
    returned.recv_timeout(Duration::from_secs(5)).expect(
        "wait_on_address_timeout blocked on a word that no longer holds the expected value",
    );
}

#[test]
fn a_zero_timeout_never_blocks() {
    // Duration::ZERO means "do not wait", never "no limit": the word still holds what the
    // caller expects, and nobody wakes it.
    let (done, returned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let word = AtomicU32::new(7);
        rt0::sys::wait_on_address_timeout(&word, 7, Duration::ZERO);
        let _ = done.send(());
    });
    returned
        .recv_timeout(Duration::from_secs(5))
        .expect("wait_on_address_timeout(ZERO) blocked");
}
