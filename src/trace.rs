//! `RT0_TRACE=1`: one line on fd 2 for each step of a library's entry, its init thread and its
//! waits, so a host that seems stuck can be diagnosed. Also the creation-failure report, which
//! is always written.
//!
//! Lines look like `rt0 mylib [pid 41 tid 43]: init done`. They are built in a stack buffer and
//! written with one raw `write`: no allocation, no libc, no thread-local storage, so the raw
//! path's init thread may trace too.

use crate::sys::{self, Errno};
use core::sync::atomic::{AtomicU32, Ordering};

/// Whom trace lines are about, and whether tracing is on for it: one per library (in its
/// `Head`). The name goes into every line; the switch is set by the entry (`RT0_TRACE=1`).
pub(crate) struct Tracer {
    name: &'static str,
    on: AtomicU32,
}

impl Tracer {
    pub(crate) const fn new(name: &'static str) -> Tracer {
        Tracer {
            name,
            on: AtomicU32::new(0),
        }
    }

    /// The library's name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Turns tracing on or off.
    pub(crate) fn set_enabled(&self, on: bool) {
        self.on.store(on as u32, Ordering::Relaxed);
    }
}

/// A line being built; what does not fit is cut.
struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Line {
    fn new(tracer: &Tracer) -> Line {
        let mut line = Line {
            buf: [0; 512],
            len: 0,
        };
        line.put(b"rt0 ");
        line.put(tracer.name.as_bytes());
        line.put(b" [pid ");
        line.number(sys::process_id() as u64);
        line.put(b" tid ");
        line.number(sys::thread_id());
        line.put(b"]: ");
        line
    }

    // Written without indexing or slicing that could panic: a panic path would make rt0's
    // object reference libcore, which a C host linked without --gc-sections pulls in whole.
    // A full buffer is written out and reused, so a long line is never cut.
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.len == self.buf.len() {
                self.flush();
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn number(&mut self, v: u64) {
        let mut digits = [0u8; 20];
        let digits = sys::decimal(v, &mut digits);
        self.put(digits);
    }

    fn errno(&mut self, e: Errno) {
        if let Some(name) = e.name() {
            self.put(name.as_bytes());
            self.put(b", ");
        }
        self.put(b"errno ");
        self.number(e.0.unsigned_abs() as u64);
    }

    fn flush(&mut self) {
        sys::write_all(2, self.buf.get(..self.len).unwrap_or(&[]));
        self.len = 0;
    }

    fn send(mut self) {
        self.put(b"\n");
        self.flush();
    }
}

fn enabled(tracer: &Tracer) -> bool {
    tracer.on.load(Ordering::Relaxed) != 0
}

/// `what` followed by `detail`, when tracing is on.
pub(crate) fn event(tracer: &Tracer, what: &[u8], detail: &str) {
    if enabled(tracer) {
        let mut line = Line::new(tracer);
        line.put(what);
        line.put(detail.as_bytes());
        line.send();
    }
}

/// `what` followed by `detail`, whether tracing is on or not: a report the host must see (a
/// panic that ends the process).
#[cfg(panic = "unwind")]
pub(crate) fn report(tracer: &Tracer, what: &[u8], detail: &str) {
    let mut line = Line::new(tracer);
    line.put(what);
    line.put(detail.as_bytes());
    line.send();
}

/// The entry's first line: who runs it and what it will start.
pub(crate) fn entry(tracer: &Tracer, creator: &str, stack: usize, argc: usize) {
    if enabled(tracer) {
        let mut line = Line::new(tracer);
        line.put(b"entry: starting init with the ");
        line.put(creator.as_bytes());
        line.put(b" creator, ");
        line.number(stack as u64);
        line.put(b"-byte stack, argc ");
        line.number(argc as u64);
        line.send();
    }
}

/// A loader step (`pin`), with an optional error number.
pub(crate) fn loader(tracer: &Tracer, what: &str, errno: Option<Errno>) {
    if enabled(tracer) {
        let mut line = Line::new(tracer);
        line.put(what.as_bytes());
        if let Some(e) = errno {
            line.put(b" (");
            line.errno(e);
            line.put(b")");
        }
        line.send();
    }
}

/// The creation-failure report, written whether tracing is on or not:
/// `<what>: <ERRNO>, errno N, for a N-byte stack; exports will report failure`.
pub(crate) fn creation_failed(tracer: &Tracer, what: &str, errno: Errno, stack: usize) {
    let mut line = Line::new(tracer);
    line.put(what.strip_prefix("rt0: ").unwrap_or(what).as_bytes());
    line.put(b": ");
    line.errno(errno);
    line.put(b", for a ");
    line.number(stack as u64);
    line.put(b"-byte stack; exports will report failure");
    line.send();
}

/// A creator's refusal, written whether tracing is on or not: `<why>; exports will report
/// failure`.
pub(crate) fn refused(tracer: &Tracer, why: &str) {
    let mut line = Line::new(tracer);
    line.put(why.strip_prefix("rt0: ").unwrap_or(why).as_bytes());
    line.put(b"; exports will report failure");
    line.send();
}
