//! Windows: argc/argv/envp for init, built from the process's command line and environment.
//!
//! The Windows loader passes an image's TLS callback no arguments, and the process has no
//! argument vector of its own (each C runtime parses the command line itself). So the entry
//! builds one: `GetCommandLineW` split by the C runtime's documented rules (Microsoft Learn,
//! "Parsing C command-line arguments", the rules of every CRT since 2008), and the
//! `GetEnvironmentStringsW` block, both converted from UTF-16 to UTF-8 (a lone surrogate becomes
//! U+FFFD), into one block from the process heap (`HeapAlloc`: no Rust allocator, no C
//! runtime, usable in a TLS callback). The vectors are NULL-terminated like the loader's on Unix;
//! environment entries that begin with `=` (the per-drive current directories, `=C:=C:\dir`)
//! are left out, as the C runtime's `environ` leaves them out. The block is rt0's own and lives
//! as long as the process (the library is pinned: see `loader/windows.rs`).
//!
//! Parsing rules (argv[0] first, then the arguments):
//! - argv[0]: up to the first space or tab, or, when it begins with `"`, up to the next `"`
//!   (no escapes: a file name cannot contain `"`);
//! - arguments are separated by spaces and tabs outside double quotes;
//! - `2n` backslashes then `"`: `n` backslashes, and the `"` opens or closes a quoted part;
//! - `2n + 1` backslashes then `"`: `n` backslashes and a literal `"`;
//! - inside a quoted part, `""` is one literal `"`;
//! - backslashes not followed by `"` are literal.

use crate::sys::windows::kernel32 as k32;
use core::ffi::c_char;

/// Where the parser's output goes: UTF-16 code units of the current string, and string ends.
trait Units {
    fn unit(&mut self, u: u16);
    fn end(&mut self);
}

const SPACE: u16 = b' ' as u16;
const TAB: u16 = b'\t' as u16;
const QUOTE: u16 = b'"' as u16;
const BACKSLASH: u16 = b'\\' as u16;

/// Splits the NUL-terminated `line` into arguments (the rules above).
fn split(line: &[u16], out: &mut impl Units) {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut i = 0;
    // argv[0]
    if at(0) == QUOTE {
        i = 1;
        while at(i) != 0 && at(i) != QUOTE {
            out.unit(at(i));
            i += 1;
        }
        if at(i) == QUOTE {
            i += 1;
        }
    } else {
        while at(i) != 0 && at(i) != SPACE && at(i) != TAB {
            out.unit(at(i));
            i += 1;
        }
    }
    out.end();
    loop {
        while at(i) == SPACE || at(i) == TAB {
            i += 1;
        }
        if at(i) == 0 {
            return;
        }
        let mut quoted = false;
        loop {
            let mut backslashes = 0;
            while at(i) == BACKSLASH {
                backslashes += 1;
                i += 1;
            }
            let c = at(i);
            if c == QUOTE {
                for _ in 0..backslashes / 2 {
                    out.unit(BACKSLASH);
                }
                if backslashes % 2 == 1 {
                    out.unit(QUOTE);
                    i += 1;
                } else if quoted && at(i + 1) == QUOTE {
                    out.unit(QUOTE);
                    i += 2;
                } else {
                    quoted = !quoted;
                    i += 1;
                }
                continue;
            }
            for _ in 0..backslashes {
                out.unit(BACKSLASH);
            }
            if c == 0 || (!quoted && (c == SPACE || c == TAB)) {
                break;
            }
            out.unit(c);
            i += 1;
        }
        out.end();
    }
}

/// Turns UTF-16 code units into UTF-8 bytes for a [`Bytes`] sink.
struct Utf8<B: Bytes> {
    high: Option<u16>,
    out: B,
}

/// Where UTF-8 output goes: bytes, and string ends (which write the terminating NUL).
trait Bytes {
    fn byte(&mut self, b: u8);
    fn end(&mut self);
}

impl<B: Bytes> Utf8<B> {
    fn scalar(&mut self, c: u32) {
        let mut buf = [0u8; 4];
        let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.out.byte(b);
        }
    }

    fn flush_high(&mut self) {
        if self.high.take().is_some() {
            self.scalar(0xfffd);
        }
    }
}

impl<B: Bytes> Units for Utf8<B> {
    fn unit(&mut self, u: u16) {
        match u {
            0xd800..=0xdbff => {
                self.flush_high();
                self.high = Some(u);
            }
            0xdc00..=0xdfff => match self.high.take() {
                Some(h) => {
                    self.scalar(0x10000 + (((h as u32) - 0xd800) << 10) + ((u as u32) - 0xdc00))
                }
                None => self.scalar(0xfffd),
            },
            _ => {
                self.flush_high();
                self.scalar(u as u32);
            }
        }
    }

    fn end(&mut self) {
        self.flush_high();
        self.out.end();
    }
}

/// The first pass: how many strings and bytes (with their NULs).
#[derive(Default)]
struct Count {
    strings: usize,
    bytes: usize,
}

impl Bytes for Count {
    fn byte(&mut self, _: u8) {
        self.bytes += 1;
    }
    fn end(&mut self) {
        self.bytes += 1;
        self.strings += 1;
    }
}

/// The second pass: strings into the block, their addresses into a vector.
struct Fill {
    /// The next vector slot and the end of the vector (its NULL slot excluded).
    slot: *mut *const c_char,
    slots_end: *mut *const c_char,
    /// The current string's start, the next byte, and the end of the byte area.
    start: *mut u8,
    next: *mut u8,
    bytes_end: *mut u8,
}

impl Bytes for Fill {
    fn byte(&mut self, b: u8) {
        // Never past the area the first pass measured (the inputs do not change between the
        // passes; this only keeps a changed input from writing out of bounds).
        if self.next < self.bytes_end {
            // SAFETY: inside the byte area, checked above.
            unsafe { self.next.write(b) };
            // SAFETY: at most one past the last byte of the area.
            self.next = unsafe { self.next.add(1) };
        }
    }

    fn end(&mut self) {
        if self.next < self.bytes_end && self.slot < self.slots_end {
            // SAFETY: inside the byte area and the vector, checked above.
            unsafe {
                self.next.write(0);
                self.slot.write(self.start as *const c_char);
                self.next = self.next.add(1);
                self.slot = self.slot.add(1);
            }
        }
        self.start = self.next;
    }
}

/// The environment block's entries (NUL-terminated UTF-16 strings up to an empty one), each
/// handed to `f`; entries beginning with `=` are skipped.
fn each_env_entry(block: *const u16, mut f: impl FnMut(&[u16])) {
    if block.is_null() {
        return;
    }
    let mut p = block;
    loop {
        let mut len = 0;
        // SAFETY: the block is a sequence of NUL-terminated strings ending with an empty one.
        while unsafe { *p.add(len) } != 0 {
            len += 1;
        }
        if len == 0 {
            return;
        }
        // SAFETY: `len` units followed by a NUL, inside the block.
        let entry = unsafe { core::slice::from_raw_parts(p, len + 1) };
        if entry.first() != Some(&(b'=' as u16)) {
            f(entry);
        }
        // SAFETY: the next entry starts after this one's NUL.
        p = unsafe { p.add(len + 1) };
    }
}

/// Every environment entry (without its NUL) as one string of `sink`.
fn emit_env<B: Bytes>(env: *const u16, sink: &mut Utf8<B>) {
    each_env_entry(env, |entry| {
        for &u in entry.iter().take(entry.len().saturating_sub(1)) {
            sink.unit(u);
        }
        Units::end(sink);
    })
}

/// A NUL-terminated UTF-16 string's units, NUL included.
fn wide(p: *const u16) -> &'static [u16] {
    if p.is_null() {
        return &[0];
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated.
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units and the NUL; GetCommandLineW's string lives as long as the process.
    unsafe { core::slice::from_raw_parts(p, len + 1) }
}

/// Builds `(argc, argv, envp)` from the command line and the environment; `None` when the heap
/// refuses the block.
pub(crate) fn recover() -> Option<(usize, *const *const c_char, *const *const c_char)> {
    // SAFETY: the process's command line, valid for its life.
    let line = wide(unsafe { k32::GetCommandLineW() });
    // SAFETY: a fresh copy of the environment, freed below.
    let env = unsafe { k32::GetEnvironmentStringsW() };
    let mut args = Utf8 {
        high: None,
        out: Count::default(),
    };
    split(line, &mut args);
    let mut vars = Utf8 {
        high: None,
        out: Count::default(),
    };
    emit_env(env, &mut vars);
    let (argc, envc) = (args.out.strings, vars.out.strings);
    let vector_bytes = (argc + 1 + envc + 1) * core::mem::size_of::<*const c_char>();
    let total = vector_bytes + args.out.bytes + vars.out.bytes;
    // SAFETY: the process heap; HEAP_ZERO_MEMORY (8) so both vectors end in NULL.
    let block = unsafe { k32::HeapAlloc(k32::GetProcessHeap(), 8, total) } as *mut u8;
    if block.is_null() {
        // SAFETY: the copy GetEnvironmentStringsW made.
        unsafe { k32::FreeEnvironmentStringsW(env) };
        return None;
    }
    let argv = block as *mut *const c_char;
    // SAFETY: every pointer below stays inside the `total`-byte block (the layout is
    // argv[argc + 1], envp[envc + 1], argument bytes, environment bytes).
    let (envp, arg_bytes, env_bytes, end) = unsafe {
        let envp = argv.add(argc + 1);
        let arg_bytes = block.add(vector_bytes);
        let env_bytes = arg_bytes.add(args.out.bytes);
        (envp, arg_bytes, env_bytes, block.add(total))
    };
    let fill = |slot: *mut *const c_char, n: usize, start: *mut u8, bytes_end: *mut u8| Fill {
        slot,
        // SAFETY: `n` slots follow `slot` in the block (their NULL slot after them).
        slots_end: unsafe { slot.add(n) },
        start,
        next: start,
        bytes_end,
    };
    split(
        line,
        &mut Utf8 {
            high: None,
            out: fill(argv, argc, arg_bytes, env_bytes),
        },
    );
    emit_env(
        env,
        &mut Utf8 {
            high: None,
            out: fill(envp, envc, env_bytes, end),
        },
    );
    // SAFETY: the copy GetEnvironmentStringsW made; nothing points into it any more.
    unsafe { k32::FreeEnvironmentStringsW(env) };
    Some((
        argc,
        argv as *const *const c_char,
        envp as *const *const c_char,
    ))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    struct Collect(Vec<String>, Vec<u8>);
    impl Bytes for &mut Collect {
        fn byte(&mut self, b: u8) {
            self.1.push(b);
        }
        fn end(&mut self) {
            let s = String::from_utf8(core::mem::take(&mut self.1)).unwrap();
            self.0.push(s);
        }
    }

    fn args(line: &str) -> Vec<String> {
        let mut units: Vec<u16> = line.encode_utf16().collect();
        units.push(0);
        let mut c = Collect(Vec::new(), Vec::new());
        split(
            &units,
            &mut Utf8 {
                high: None,
                out: &mut c,
            },
        );
        c.0
    }

    #[test]
    fn the_crt_rules() {
        // Microsoft Learn, "Parsing C command-line arguments": the table of examples.
        assert_eq!(args(r#"p "a b c" d e"#), ["p", "a b c", "d", "e"]);
        assert_eq!(args(r#"p "ab\"c" "\\" d"#), ["p", r#"ab"c"#, r"\", "d"]);
        assert_eq!(args(r#"p a\\\b d"e f"g h"#), ["p", r"a\\\b", "de fg", "h"]);
        assert_eq!(args(r#"p a\\\"b c d"#), ["p", r#"a\"b"#, "c", "d"]);
        assert_eq!(args(r#"p a\\\\"b c" d e"#), ["p", r"a\\b c", "d", "e"]);
        assert_eq!(args(r#"p a"b"" c d"#), ["p", r#"ab" c d"#]);
        assert_eq!(
            args(r#""C:\Program Files\x.exe" héllo"#),
            [r"C:\Program Files\x.exe", "héllo"]
        );
        assert_eq!(args("p  \t "), ["p"]);
        assert_eq!(args(r#"p """#), ["p", ""]);
    }
}
