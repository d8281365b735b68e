//! Pinning without the `libc` feature (Linux): rt0 links no C library then, but the process
//! that loaded the image has one, with its `dlopen`. rt0 finds it the way a debugger does and
//! pins the image with it, as the `libc` build does (`dlopen(self, RTLD_NOLOAD |
//! RTLD_NODELETE)`):
//!
//! 1. **Which image is this.** A data word of the stubs holds this image's own `_DYNAMIC`
//!    (0 in a program without a dynamic section, which can never be unloaded). Every loader
//!    records an object's dynamic section (`l_ld`), so that is how rt0 recognises itself.
//! 2. **The program.** The auxiliary vector (`/proc/self/auxv`) gives the program headers the
//!    kernel mapped (`AT_PHDR`, `AT_PHNUM`). Their load bias comes from `PT_PHDR`, or, where
//!    there is none (a static-pie; the loader itself, when the program was started as
//!    `ld.so ./prog`), from the ELF header just before them. If the program's dynamic section
//!    is this image's, the image is linked into the program: nothing to pin.
//! 3. **The loader's records.** `r_debug` is where the program's `DT_DEBUG` points, or, where
//!    it has none (a read-only dynamic section, `ld.so ./prog`), the loader's own export:
//!    glibc's `_r_debug`, musl's `_dl_debug_addr`. The loader is the object at `AT_BASE`, or
//!    the program itself when `AT_BASE` is 0. Which one exports which also says how it keeps
//!    dynamic sections: glibc adds the load bias to a writable one's addresses in place
//!    (not on riscv), musl never does (`glibc_relocates_dynamic` in the description).
//! 4. **The lists.** Each namespace's list (glibc chains them from `r_debug`, see
//!    `link_map.rs`) is searched for the object whose `l_ld` is this image's `_DYNAMIC`. The
//!    first object of the first list is the program.
//! 5. **`dlopen`**, found by name through the hash table of an object of the same namespace,
//!    else of the first (glibc's `dlopen` picks the namespace of its caller, which is this
//!    image, either way): libc.so.6, or musl's loader. An object's ELF header is looked for at
//!    its `l_addr` and believed only if it places that object's dynamic section at its `l_ld`
//!    (an object linked elsewhere than 0 has no header at its bias: it is skipped).
//!
//! Nothing is read before it is shown readable: every read of memory rt0 does not own goes
//! through a pipe (`probe.rs`), where an unmapped address is an error, not a fault, and every
//! address taken from an object's tables must lie inside that object's loadable segments
//! (`elf.rs`). Where a step finds nothing (no `/proc`, no descriptors left, a loader rt0 does
//! not know), the trace says which step and why, and the image is not pinned; init still runs,
//! as in the `libc` build when its `dlopen` fails (docs/reliability.md says what that risks).
//!
//! Also here, for the raw creator's refusal: whether the image binds its calls lazily, read from
//! its own dynamic section ([`binds_lazily`]).

mod elf;
mod link_map;
mod probe;
mod symbols;

use super::LoaderState;
use crate::abi::constants as k;
use crate::args::Args;
use crate::sys::Errno;
use crate::trace::Tracer;
use core::ffi::{c_char, c_void};
use elf::{Addresses, Dynamic, Headers, Object};
use probe::Probe;

// The records read here are the 64-bit ELF and link_map layouts.
const _: () = assert!(core::mem::size_of::<usize>() == 8);

type Dlopen = unsafe extern "C" fn(*const c_char, i32) -> *mut c_void;

/// The trace line of an image rt0 pinned.
const PINNED: &str =
    "pin: image pinned for the life of the process (RTLD_NODELETE, through the loader's dlopen)";
/// The trace line of an image that is part of the program.
const IN_PROGRAM: &str = "pin: linked into the program, never unloaded";
/// The trace line of an image in a program without a dynamic section.
const STATIC: &str = "pin: a static program, which never unloads anything";

/// Why the walk stopped: a trace line saying which step and why (ending in "not pinned"), and
/// the error number where a system call failed.
struct Failure {
    why: &'static str,
    errno: Option<Errno>,
}

impl From<&'static str> for Failure {
    fn from(why: &'static str) -> Failure {
        Failure { why, errno: None }
    }
}

/// This image's dynamic section, from the stubs' data word (0: a program without one).
fn own_dynamic() -> usize {
    // SAFETY: a word of the stubs' read-only data, written by relocation before any code ran.
    unsafe { crate::stubs::OWN_DYNAMIC }
}

/// Pins this image, and traces what was done, or which step failed and why.
pub(crate) fn pin(_: &LoaderState, tracer: &Tracer) {
    let own = own_dynamic();
    let mut line = Text::new();
    line.put("pin: this image's dynamic section (_DYNAMIC) is at ");
    line.hex(own);
    crate::trace::loader(tracer, line.as_str(), None);
    match walk(tracer, own) {
        Ok(done) => crate::trace::loader(tracer, done, None),
        Err(failure) => crate::trace::loader(tracer, failure.why, failure.errno),
    }
}

/// Steps 2 to 5 of the module docs; the trace line of the outcome.
fn walk(tracer: &Tracer, own: usize) -> Result<&'static str, Failure> {
    if own == 0 {
        return Ok(STATIC);
    }
    let aux = Auxv::read()?;
    let probe = Probe::new().map_err(|e| Failure {
        why: "pin: the pipe the walk reads memory through cannot be made; not pinned",
        errno: Some(e),
    })?;
    let program = aux.program(&probe)?;
    if program.dynamic == own {
        return Ok(IN_PROGRAM);
    }
    let (r_debug, source, loader) = locate_r_debug(&probe, &aux, &program)?;
    let (found, record) = link_map::find(&probe, r_debug, own)
        .ok_or("pin: this image is in none of the loader's lists of loaded objects; not pinned")?;
    let mut line = Text::new();
    line.put("pin: found in namespace ");
    line.decimal(found.namespace);
    line.put(" of the loader's lists (r_debug from ");
    line.put(source);
    line.put(")");
    crate::trace::loader(tracer, line.as_str(), None);
    if found.is_program {
        return Ok(IN_PROGRAM);
    }
    // The name is the loader's string, which its dlopen reads: it must be readable, and not "".
    if probe.read::<u8>(found.name).unwrap_or(0) == 0 {
        return Err("pin: the loader lists this image without a name; not pinned".into());
    }
    let dlopen = find_dlopen(&probe, loader, record, own)
        .or_else(|| (record != r_debug).then(|| find_dlopen(&probe, loader, r_debug, own))?)
        .ok_or("pin: no object in this image's namespace, nor in the first, exports dlopen; not pinned")?;
    // SAFETY: the address of the loader's (or C library's) `dlopen`, found by name in the
    // symbol table of a loaded object and checked to lie in its executable code.
    let dlopen: Dlopen = unsafe { core::mem::transmute::<usize, Dlopen>(dlopen) };
    let flags = (k::RTLD_LAZY | k::RTLD_NOLOAD | k::RTLD_NODELETE) as i32;
    // SAFETY: `found.name` is the loader's own name for this loaded image (a NUL-terminated
    // string it keeps for the object's life, its first byte read above); RTLD_NOLOAD never
    // loads anything.
    let handle = unsafe { dlopen(found.name as *const c_char, flags) };
    if handle.is_null() {
        return Err("pin: dlopen(RTLD_NOLOAD) of this image failed; not pinned".into());
    }
    Ok(PINNED)
}

/// Step 3 of the module docs: the first namespace's `r_debug`, how it was found (for the
/// trace), and which loader keeps it (where its exports tell).
fn locate_r_debug(
    probe: &Probe,
    aux: &Auxv,
    program: &Object,
) -> Result<(usize, &'static str, Option<Loader>), Failure> {
    // With no interpreter, the program is the loader (`ld.so ./prog`) or there is none.
    let loader = match aux.base {
        0 => identify(probe, program),
        base => Object::at_header(probe, base)
            .ok()
            .and_then(|object| identify(probe, &object)),
    };
    let from_program = match program.dynamic {
        0 => None,
        _ => program
            .dynamic_value(probe, k::DT_DEBUG)
            .filter(|&r| r != 0),
    };
    let kind = loader.map(|(l, _)| l);
    match (from_program, loader) {
        (Some(r), _) => Ok((r, "the program's DT_DEBUG", kind)),
        (None, Some((Loader::Glibc, r))) => Ok((r, "glibc's _r_debug", kind)),
        (None, Some((Loader::Musl, r))) => Ok((r, "musl's _dl_debug_addr", kind)),
        (None, None) => Err("pin: the program has no DT_DEBUG and its loader exports neither _r_debug (glibc) nor _dl_debug_addr (musl): no list of loaded objects to search; not pinned".into()),
    }
}

/// Which loader keeps the lists, as its exports tell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loader {
    Glibc,
    Musl,
}

/// The loader `object` is, and its first namespace's `r_debug`: glibc's ld.so exports the
/// record as `_r_debug`; musl's exports `_dl_debug_addr`, a pointer to it.
fn identify(probe: &Probe, object: &Object) -> Option<(Loader, usize)> {
    if let Some(r) = symbols::lookup(object, probe, Addresses::Either, b"_r_debug", k::STT_OBJECT) {
        return Some((Loader::Glibc, r));
    }
    let pointer = symbols::lookup(
        object,
        probe,
        Addresses::Either,
        b"_dl_debug_addr",
        k::STT_OBJECT,
    )?;
    let r = object.read::<usize>(probe, pointer).filter(|&r| r != 0)?;
    Some((Loader::Musl, r))
}

/// How `loader` keeps `object`'s dynamic-section addresses (see the module docs, step 3).
fn addresses(loader: Option<Loader>, object: &Object) -> Addresses {
    match loader {
        _ if object.bias == 0 => Addresses::AsLinked,
        Some(Loader::Glibc) if k::GLIBC_RELOCATES_DYNAMIC != 0 && object.dynamic_writable => {
            Addresses::Relocated
        }
        Some(Loader::Glibc) | Some(Loader::Musl) => Addresses::AsLinked,
        None => Addresses::Either,
    }
}

/// `dlopen` as an object of the namespace whose record is `r_debug` defines it (skipping this
/// image, and any object whose ELF header is not at its `l_addr`).
fn find_dlopen(probe: &Probe, loader: Option<Loader>, r_debug: usize, own: usize) -> Option<usize> {
    link_map::each_object(probe, r_debug, |_, listed| {
        if listed.l_ld == own || listed.l_ld == 0 {
            return None;
        }
        let object = Object::at_header(probe, listed.l_addr).ok()?;
        if object.bias != listed.l_addr || object.dynamic != listed.l_ld {
            return None;
        }
        symbols::lookup(
            &object,
            probe,
            addresses(loader, &object),
            b"dlopen",
            k::STT_FUNC,
        )
    })
}

/// Whether this image binds its calls lazily: it has a PLT (`DT_JMPREL`) but
/// neither `DT_BIND_NOW`, `DF_BIND_NOW` nor `DF_1_NOW`, `LD_BIND_NOW` is not set to a
/// non-empty value (glibc's rule, elf/rtld.c), and a loader runs it: a static program
/// (no dynamic section, or a static-pie: the program is this image and names no interpreter)
/// binds everything before its first instruction.
pub(crate) fn binds_lazily(_: &LoaderState, env: &Args) -> bool {
    let own = own_dynamic();
    if own == 0 {
        return false;
    }
    let (mut plt, mut now) = (false, false);
    let mut entry = own as *const Dynamic;
    for _ in 0..1024 {
        // SAFETY: this image's own dynamic section, mapped with its code for as long as it
        // runs, a DT_NULL-terminated array (bounded here all the same).
        let d = unsafe { entry.read() };
        match d.tag as usize {
            k::DT_NULL => break,
            k::DT_JMPREL => plt = true,
            k::DT_BIND_NOW => now = true,
            k::DT_FLAGS => now |= d.value as usize & k::DF_BIND_NOW != 0,
            k::DT_FLAGS_1 => now |= d.value as usize & k::DF_1_NOW != 0,
            _ => {}
        }
        // SAFETY: not past DT_NULL yet.
        entry = unsafe { entry.add(1) };
    }
    let bind_now = env.env("LD_BIND_NOW");
    plt && !now && !bind_now.is_some_and(|v| !v.to_bytes().is_empty()) && !without_loader(own)
}

/// Whether this image (dynamic section `own`) is a program no loader runs: a static-pie.
/// False where that cannot be told (no `/proc`).
fn without_loader(own: usize) -> bool {
    let Ok(aux) = Auxv::read() else {
        return false;
    };
    if aux.base != 0 {
        return false;
    }
    let Ok(probe) = Probe::new() else {
        return false;
    };
    aux.program(&probe)
        .is_ok_and(|p| p.dynamic == own && !p.has_interpreter)
}

/// What the auxiliary vector says about the program and its loader.
struct Auxv {
    phdr: usize,
    phnum: usize,
    /// The loader's ELF header (0: the kernel started no interpreter).
    base: usize,
    page_size: usize,
}

impl Auxv {
    fn read() -> Result<Auxv, Failure> {
        const NO_AUXV: &str =
            "pin: built without libc, and /proc/self/auxv cannot be read; not pinned";
        let value = crate::procself::auxv_value;
        Ok(Auxv {
            phdr: value(k::AT_PHDR).ok_or(NO_AUXV)?,
            phnum: value(k::AT_PHNUM).ok_or(NO_AUXV)?,
            base: value(k::AT_BASE).unwrap_or(0),
            page_size: value(k::AT_PAGESZ).unwrap_or(4096),
        })
    }

    /// The program the kernel mapped (the loader itself when started as `ld.so ./prog`).
    fn program(&self, probe: &Probe) -> Result<Object, Failure> {
        let headers = Headers::read(probe, self.phdr, self.phnum)
            .map_err(|_| "pin: the program headers AT_PHDR names cannot be read; not pinned")?;
        let bias = match headers.phdr_vaddr() {
            Some(vaddr) => self.phdr.wrapping_sub(vaddr),
            None => Object::bias_from_header(probe, &headers, self.phdr, self.page_size).ok_or(
                "pin: the program has no PT_PHDR and no ELF header of this machine before its program headers: its load address is unknown; not pinned",
            )?,
        };
        let program = Object::new(&headers, bias).map_err(|_| {
            "pin: the program's headers do not describe a loaded program; not pinned"
        })?;
        if !program.holds(
            self.phdr,
            self.phnum * core::mem::size_of::<elf::ProgramHeader>(),
        ) {
            return Err(
                "pin: the program's headers lie outside its loadable segments; not pinned".into(),
            );
        }
        Ok(program)
    }
}

/// A short trace line built on the stack.
struct Text {
    buf: [u8; 160],
    len: usize,
}

impl Text {
    fn new() -> Text {
        Text {
            buf: [0; 160],
            len: 0,
        }
    }

    fn put(&mut self, s: &str) {
        for (slot, &b) in self.buf.iter_mut().skip(self.len).zip(s.as_bytes()) {
            *slot = b;
            self.len += 1;
        }
    }

    fn hex(&mut self, v: usize) {
        self.put("0x");
        let digits = (usize::BITS as usize / 4 - v.leading_zeros() as usize / 4).max(1);
        for i in (0..digits).rev() {
            let d = (v >> (i * 4)) & 0xf;
            let c = b"0123456789abcdef".get(d).copied().unwrap_or(b'?');
            self.put(core::str::from_utf8(&[c]).unwrap_or("?"));
        }
    }

    fn decimal(&mut self, v: usize) {
        let mut digits = [0u8; 20];
        let digits = crate::sys::decimal(v as u64, &mut digits);
        self.put(core::str::from_utf8(digits).unwrap_or("?"));
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(self.buf.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
}
