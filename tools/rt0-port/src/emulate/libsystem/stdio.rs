//! libSystem's stdio, as far as C hosts print: `printf`, `fprintf`, `snprintf`, `puts`,
//! `fputs`, `putchar`, `fflush`, and the FILE objects `__stdoutp` and `__stderrp` point at.
//! Nothing is buffered: each call is one write of its whole text to the real fd 1 or 2 (as
//! `write(2)` to those fds is), so output interleaves with `write` in program order. The
//! formatting itself is `printf`'s; this module finds the variadic arguments ([`VarArgs`]).

use unicorn_engine::Unicorn;

use super::failure::{c_result, fault};
use super::printf::{self, Source, Stop, MAX_OUTPUT};
use crate::emulate::error::Error;
use crate::emulate::kernel::{syscalls, Kernel, EBADF};
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::{read_cstr_or_unmapped, read_u64, LIBSYSTEM_DATA};

/// stdout's FILE object, in libSystem's data page (`__stdoutp` holds its address).
pub const STDOUT_FILE: u64 = LIBSYSTEM_DATA + 0x400;
/// stderr's FILE object (`__stderrp` holds its address).
pub const STDERR_FILE: u64 = LIBSYSTEM_DATA + 0x500;

/// The two FILE objects as Libc's findfp.c initializes them (`std(flags, fd)`): in Apple's
/// `struct __sFILE` (stdio.h), `short _flags` is at offset 16 and `short _file` at 18. Both
/// are __SWR|__SNBF (0x8|0x2), write-only and unbuffered, which is what the model does. The
/// model goes by the address, not by these fields; they are there for code that reads them.
pub fn install(uc: &mut Unicorn<'_, ()>) -> Result<(), Error> {
    for (file, fd) in [(STDOUT_FILE, 1u16), (STDERR_FILE, 2)] {
        let fields = [0x000au16.to_le_bytes(), fd.to_le_bytes()].concat();
        uc.mem_write(file + 16, &fields)?;
    }
    Ok(())
}

/// The variadic arguments of a libSystem function just entered through its stub, in order, by
/// the CPU's calling convention. The stub is reached by `call` (x86_64) or `bl` (arm64) and
/// the trap changes no register, so the registers and stack pointer are the function's own at
/// entry.
#[derive(Debug)]
pub struct VarArgs {
    /// Argument registers not taken by named arguments, in order.
    regs: Vec<u64>,
    /// The next stack slot.
    slot: u64,
}

impl VarArgs {
    /// `regs`: the C argument registers (rdi rsi rdx rcx r8 r9 on x86_64); `named`: how many
    /// named arguments the function takes; `sp`: the stack pointer at the trap.
    ///
    /// - x86_64 (System V psABI 3.5.7, va_arg): integer and pointer arguments, named or not, take
    ///   rdi rsi rdx rcx r8 r9 in order; the rest are 8-byte slots of the overflow area, from
    ///   rsp+8 at entry (rsp points at the return address `call` pushed).
    /// - arm64 ("Writing ARM64 code for Apple platforms", variadic functions): named arguments
    ///   are in x0..x7 as usual but every variadic argument is on the stack, each in its own
    ///   8-byte slot from sp at the call (`bl` leaves sp alone).
    pub fn new(cpu: Cpu, regs: &[u64], named: usize, sp: u64) -> VarArgs {
        match cpu {
            Cpu::X86_64 => VarArgs {
                regs: regs.get(named..).unwrap_or(&[]).to_vec(),
                slot: sp.wrapping_add(8),
            },
            Cpu::Aarch64 => VarArgs {
                regs: Vec::new(),
                slot: sp,
            },
        }
    }

    /// The next argument's 64-bit word; `read` loads a stack slot. `Err(address)` when the slot
    /// cannot be read.
    pub fn next(&mut self, read: impl FnOnce(u64) -> Option<u64>) -> Result<u64, u64> {
        if !self.regs.is_empty() {
            return Ok(self.regs.remove(0));
        }
        let at = self.slot;
        self.slot = at.wrapping_add(8);
        read(at).ok_or(at)
    }
}

/// The guest's memory and arguments, as the formatter reads them.
struct Guest<'a, 'b> {
    uc: &'a Unicorn<'b, ()>,
    va: VarArgs,
}

impl Source for Guest<'_, '_> {
    fn arg(&mut self) -> Result<u64, Stop> {
        let uc = self.uc;
        self.va.next(|a| read_u64(uc, a)).map_err(Stop::Fault)
    }

    fn string(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Stop> {
        read_cstr_or_unmapped(self.uc, addr, max).map_err(Stop::Fault)
    }
}

/// The text of the format at `fmt` with the call's variadic arguments (the function takes
/// `named` arguments before them); `None` when the thread faulted or the run stopped.
fn formatted(
    k: &mut Kernel,
    uc: &mut Unicorn<'_, ()>,
    func: &str,
    a: [u64; 6],
    named: usize,
) -> Option<Vec<u8>> {
    let cpu = k.cpu;
    let sp = cpu.read(uc, cpu.sp_name());
    let fmt = a[named - 1];
    let mut guest = Guest {
        uc: &*uc,
        va: VarArgs::new(cpu, &a, named, sp),
    };
    let r = read_cstr_or_unmapped(uc, fmt, MAX_OUTPUT)
        .map_err(Stop::Fault)
        .and_then(|f| printf::format(&f, &mut guest));
    match r {
        Ok(text) => Some(text),
        Err(Stop::Fault(addr)) => {
            fault(k, uc, addr);
            None
        }
        Err(Stop::Unmodeled(what)) => {
            let from = cpu.return_address(uc);
            let msg = format!("{func}: {what} (called from {from:#x})");
            k.fatal(uc, Error::Unmodeled(msg));
            None
        }
    }
}

/// The fd a FILE pointer writes to: stdout's and stderr's objects only.
fn fd_of(file: u64) -> Option<u64> {
    match file {
        STDOUT_FILE => Some(1),
        STDERR_FILE => Some(2),
        _ => None,
    }
}

/// One unbuffered write of `text` to the real fd; returns its length.
fn emit(fd: u64, text: &[u8]) -> u64 {
    syscalls::write_real_fd(fd, text);
    text.len() as u64
}

/// A stream the model has no FILE for: EOF (-1) with errno EBADF, as Libc's stdio reports a
/// stream it cannot write (prepwrite/cantwrite).
fn bad_stream(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, file: u64) -> u64 {
    k.trace(format!(
        "  FILE {file:#x} is neither stdout nor stderr: EBADF"
    ));
    c_result(k, uc, Err(EBADF))
}

/// The C string argument of puts/fputs; NULL is "(null)" as Libc's puts.c `__puts_null__` is.
fn string_arg(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, s: u64) -> Option<Vec<u8>> {
    if s == 0 {
        return Some(b"(null)".to_vec());
    }
    match read_cstr_or_unmapped(uc, s, MAX_OUTPUT) {
        Ok(v) => Some(v),
        Err(addr) => {
            fault(k, uc, addr);
            None
        }
    }
}

/// printf(fmt, ...): the number of bytes written.
pub fn printf(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    let text = formatted(k, uc, "printf", a, 1)?;
    Some(emit(1, &text))
}

/// fprintf(stream, fmt, ...).
pub fn fprintf(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    let Some(fd) = fd_of(a[0]) else {
        return Some(bad_stream(k, uc, a[0]));
    };
    let text = formatted(k, uc, "fprintf", a, 2)?;
    Some(emit(fd, &text))
}

/// snprintf(buf, size, fmt, ...): at most size-1 bytes and a NUL (nothing for size 0); returns
/// the whole text's length (Libc vsnprintf.c; sizes over INT_MAX are INT_MAX there, and the
/// model's texts are shorter than that).
pub fn snprintf(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    let (buf, size) = (a[0], a[1]);
    let text = formatted(k, uc, "snprintf", a, 3)?;
    if size > 0 {
        let n = text.len().min((size - 1).min(i32::MAX as u64) as usize);
        let mut bytes = text[..n].to_vec();
        bytes.push(0);
        if uc.mem_write(buf, &bytes).is_err() {
            fault(k, uc, buf);
            return None;
        }
    }
    Some(text.len() as u64)
}

/// puts(s): s and a newline on stdout; returns '\n' (Libc puts.c).
pub fn puts(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    let mut text = string_arg(k, uc, a[0])?;
    text.push(b'\n');
    emit(1, &text);
    Some(b'\n' as u64)
}

/// fputs(s, stream): returns the length written (Libc fputs.c, __DARWIN_UNIX03).
pub fn fputs(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> Option<u64> {
    let Some(fd) = fd_of(a[1]) else {
        return Some(bad_stream(k, uc, a[1]));
    };
    let text = string_arg(k, uc, a[0])?;
    Some(emit(fd, &text))
}

/// putchar(c): the byte `(unsigned char)c` on stdout; returns it.
pub fn putchar(a: [u64; 6]) -> u64 {
    let c = a[0] as u8;
    emit(1, &[c]);
    c as u64
}

/// fflush(stream): nothing is buffered, so 0 for NULL (every stream), stdout and stderr.
pub fn fflush(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if a[0] == 0 || fd_of(a[0]).is_some() {
        0
    } else {
        bad_stream(k, uc, a[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stack of 8-byte slots from 0x1000 holding 100, 101, ...
    fn stack(a: u64) -> Option<u64> {
        (0x1000..0x1040)
            .contains(&a)
            .then(|| 100 + (a - 0x1000) / 8)
    }

    fn take(va: &mut VarArgs, n: usize) -> Vec<Result<u64, u64>> {
        (0..n).map(|_| va.next(stack)).collect()
    }

    #[test]
    fn x86_64_variadic_arguments_follow_the_named_ones_then_spill_past_the_return_address() {
        let regs = [0xf0, 1, 2, 3, 4, 5];
        // printf(fmt, ...): fmt in rdi; rsi..r9, then [rsp+8], [rsp+16], ...
        let mut va = VarArgs::new(Cpu::X86_64, &regs, 1, 0x1000);
        assert_eq!(
            take(&mut va, 7),
            [Ok(1), Ok(2), Ok(3), Ok(4), Ok(5), Ok(101), Ok(102)]
        );
        // snprintf(buf, size, fmt, ...): three registers taken.
        let mut va = VarArgs::new(Cpu::X86_64, &regs, 3, 0x1000);
        assert_eq!(take(&mut va, 4), [Ok(3), Ok(4), Ok(5), Ok(101)]);
        // A slot past the mapped stack is a fault at its address.
        let mut va = VarArgs::new(Cpu::X86_64, &regs, 6, 0x1030);
        assert_eq!(take(&mut va, 2), [Ok(107), Err(0x1040)]);
    }

    #[test]
    fn arm64_variadic_arguments_are_all_on_the_stack_from_sp() {
        let regs = [0xf0, 1, 2, 3, 4, 5];
        for named in [1, 2, 3] {
            let mut va = VarArgs::new(Cpu::Aarch64, &regs, named, 0x1000);
            assert_eq!(
                take(&mut va, 3),
                [Ok(100), Ok(101), Ok(102)],
                "{named} named"
            );
        }
    }
}
