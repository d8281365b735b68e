//! One loaded ELF object as the pin's walk knows it: where its loadable segments are and where
//! its dynamic section is (its symbols: `symbols.rs`). Nothing is believed before it is
//! checked: an object is made only from program headers read through the probe, every address
//! taken from its dynamic section must lie inside one of its readable segments, and every read
//! (tables, names) is both inside a segment and made through the probe.

use super::probe::{Plain, Probe};
use crate::abi::constants as k;

/// More program headers than any linker writes: a header claiming more is not believed.
const MAX_HEADERS: usize = 64;
/// Loadable segments kept per object (linkers write two to five).
const MAX_SEGMENTS: usize = 16;
/// Dynamic-section entries read at most (they end at DT_NULL long before).
const MAX_DYNAMIC: usize = 1024;

/// `Elf64_Ehdr`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct ElfHeader {
    ident: [u8; 16],
    kind: u16,
    machine: u16,
    version: u32,
    entry: u64,
    phoff: u64,
    shoff: u64,
    flags: u32,
    ehsize: u16,
    phentsize: u16,
    phnum: u16,
    shentsize: u16,
    shnum: u16,
    shstrndx: u16,
}

/// `Elf64_Phdr`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct ProgramHeader {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    paddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

/// `Elf64_Dyn`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct Dynamic {
    pub(super) tag: u64,
    pub(super) value: u64,
}

// SAFETY: repr(C) records of integers (and arrays of them): every bit pattern is a value.
unsafe impl Plain for ElfHeader {
    const ZERO: Self = ElfHeader {
        ident: [0; 16],
        kind: 0,
        machine: 0,
        version: 0,
        entry: 0,
        phoff: 0,
        shoff: 0,
        flags: 0,
        ehsize: 0,
        phentsize: 0,
        phnum: 0,
        shentsize: 0,
        shnum: 0,
        shstrndx: 0,
    };
}
// SAFETY: as above.
unsafe impl Plain for ProgramHeader {
    const ZERO: Self = ProgramHeader {
        kind: 0,
        flags: 0,
        offset: 0,
        vaddr: 0,
        paddr: 0,
        filesz: 0,
        memsz: 0,
        align: 0,
    };
}
// SAFETY: as above.
unsafe impl Plain for Dynamic {
    const ZERO: Self = Dynamic { tag: 0, value: 0 };
}
/// The size of a program-header entry, as `e_phentsize` must say.
const HEADER_SIZE: usize = core::mem::size_of::<ProgramHeader>();

/// An object's program headers, read through the probe.
pub(super) struct Headers {
    entries: [ProgramHeader; MAX_HEADERS],
    count: usize,
}

impl Headers {
    /// Reads `count` program headers at `address`.
    pub(super) fn read(
        probe: &Probe,
        address: usize,
        count: usize,
    ) -> Result<Headers, &'static str> {
        if count == 0 || count > MAX_HEADERS {
            return Err("its program-header count is implausible");
        }
        let mut headers = Headers {
            entries: [ProgramHeader::ZERO; MAX_HEADERS],
            count,
        };
        // SAFETY: the first `count` entries of a Plain array, viewed as their bytes, which
        // any pattern may overwrite.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                headers.entries.as_mut_ptr().cast::<u8>(),
                count * HEADER_SIZE,
            )
        };
        if !probe.copy(address, bytes) {
            return Err("its program headers cannot be read");
        }
        Ok(headers)
    }

    fn iter(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.entries.iter().take(self.count)
    }

    /// The link-time address of the segment that maps the start of the file (its ELF header).
    fn file_start(&self) -> Option<usize> {
        // glibc skips an empty segment at offset 0 too (elf/dl-reloc-static-pie.c).
        self.iter()
            .find(|h| h.kind as usize == k::PT_LOAD && h.offset == 0 && h.filesz != 0)
            .map(|h| h.vaddr as usize)
    }

    /// The link-time address `PT_PHDR` gives the headers themselves.
    pub(super) fn phdr_vaddr(&self) -> Option<usize> {
        self.iter()
            .find(|h| h.kind as usize == k::PT_PHDR)
            .map(|h| h.vaddr as usize)
    }
}

/// An ELF header at `address`, if one is there and it describes an object of this machine whose
/// program headers are `e_phnum` entries of the size this walk reads.
pub(super) fn elf_header(probe: &Probe, address: usize) -> Option<ElfHeader> {
    let header: ElfHeader = probe.read(address)?;
    let ok = header.ident.get(..4) == Some(b"\x7fELF".as_slice())
        && header.ident[4] as usize == k::ELF_CLASS64
        && header.ident[5] as usize == k::ELF_DATA_LSB
        && header.machine as usize == k::ELF_MACHINE
        && header.phentsize as usize == HEADER_SIZE
        && header.phnum != 0
        && header.phnum as usize <= MAX_HEADERS;
    ok.then_some(header)
}

/// How an object's dynamic section holds addresses (the loader decides, see `Loader`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Addresses {
    /// As linked: the load bias must be added.
    AsLinked,
    /// Relocated in place by the loader: already run-time addresses.
    Relocated,
    /// Not known: the one reading that falls inside the object, if only one does.
    Either,
}

/// A loadable segment at run time.
#[derive(Clone, Copy)]
struct Segment {
    start: usize,
    end: usize,
    flags: u32,
}

/// A loaded object: its load bias, its segments, and its dynamic section.
pub(super) struct Object {
    /// Run-time address minus link-time address.
    pub(super) bias: usize,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
    /// The run-time address of its dynamic section (0: none).
    pub(super) dynamic: usize,
    /// Whether `PT_DYNAMIC` is writable (glibc relocates only such a section in place).
    pub(super) dynamic_writable: bool,
    /// Whether it names a program interpreter (`PT_INTERP`): a dynamically linked program.
    pub(super) has_interpreter: bool,
}

impl Object {
    /// The object `headers` describe, loaded `bias` bytes from where it was linked.
    pub(super) fn new(headers: &Headers, bias: usize) -> Result<Object, &'static str> {
        let mut object = Object {
            bias,
            segments: [Segment {
                start: 0,
                end: 0,
                flags: 0,
            }; MAX_SEGMENTS],
            count: 0,
            dynamic: 0,
            dynamic_writable: false,
            has_interpreter: false,
        };
        for h in headers.iter() {
            match h.kind as usize {
                k::PT_LOAD => {
                    let start = bias.wrapping_add(h.vaddr as usize);
                    let end = start
                        .checked_add(h.memsz as usize)
                        .ok_or("a loadable segment wraps around")?;
                    let slot = object
                        .segments
                        .get_mut(object.count)
                        .ok_or("it has too many loadable segments")?;
                    *slot = Segment {
                        start,
                        end,
                        flags: h.flags,
                    };
                    object.count += 1;
                }
                k::PT_DYNAMIC => {
                    object.dynamic = bias.wrapping_add(h.vaddr as usize);
                    object.dynamic_writable = h.flags as usize & k::PF_W != 0;
                }
                k::PT_INTERP => object.has_interpreter = true,
                _ => {}
            }
        }
        if object.dynamic != 0 && !object.holds(object.dynamic, core::mem::size_of::<Dynamic>()) {
            return Err("its dynamic section is outside its loadable segments");
        }
        Ok(object)
    }

    /// The object whose ELF header is at `address` (the loader, or a listed object), checked:
    /// its program headers lie in its own segments, as does the header.
    pub(super) fn at_header(probe: &Probe, address: usize) -> Result<Object, &'static str> {
        let header = elf_header(probe, address).ok_or("no ELF header of this machine there")?;
        let phdr = address
            .checked_add(header.phoff as usize)
            .ok_or("its program headers are out of reach")?;
        let headers = Headers::read(probe, phdr, header.phnum as usize)?;
        let start = headers
            .file_start()
            .ok_or("no loadable segment maps its ELF header")?;
        let object = Object::new(&headers, address.wrapping_sub(start))?;
        if !object.holds(address, core::mem::size_of::<ElfHeader>())
            || !object.holds(phdr, headers.count * HEADER_SIZE)
        {
            return Err("its headers are outside its loadable segments");
        }
        Ok(object)
    }

    /// The bias of a program whose headers (at `phdr`) have no `PT_PHDR`: found from its ELF
    /// header, tried just before the headers (where linkers put them) and at the start of their
    /// page, and believed only if it is a header of this machine that places exactly these
    /// headers there.
    pub(super) fn bias_from_header(
        probe: &Probe,
        headers: &Headers,
        phdr: usize,
        page_size: usize,
    ) -> Option<usize> {
        let start = headers.file_start()?;
        let candidates = [
            phdr.wrapping_sub(core::mem::size_of::<ElfHeader>()),
            phdr & !(page_size.max(1) - 1),
        ];
        candidates.into_iter().find_map(|at| {
            let h = elf_header(probe, at)?;
            (at.wrapping_add(h.phoff as usize) == phdr && h.phnum as usize == headers.count)
                .then(|| at.wrapping_sub(start))
        })
    }

    /// Whether `[address, address + len)` lies inside one readable loadable segment.
    pub(super) fn holds(&self, address: usize, len: usize) -> bool {
        let Some(end) = address.checked_add(len) else {
            return false;
        };
        self.segments
            .iter()
            .take(self.count)
            .any(|s| s.flags as usize & k::PF_R != 0 && s.start <= address && end <= s.end)
    }

    /// Whether `address` is in an executable segment.
    pub(super) fn executes(&self, address: usize) -> bool {
        self.segments
            .iter()
            .take(self.count)
            .any(|s| s.flags as usize & k::PF_X != 0 && s.start <= address && address < s.end)
    }

    /// A `T` at `address`, read through the probe if it lies inside this object.
    pub(super) fn read<T: Plain>(&self, probe: &Probe, address: usize) -> Option<T> {
        if self.holds(address, core::mem::size_of::<T>()) {
            probe.read(address)
        } else {
            None
        }
    }

    /// Calls `visit` with each dynamic-section entry up to `DT_NULL`; stops early when it
    /// returns false. False if the section cannot be read to its end.
    pub(super) fn each_dynamic(
        &self,
        probe: &Probe,
        mut visit: impl FnMut(Dynamic) -> bool,
    ) -> bool {
        if self.dynamic == 0 {
            return false;
        }
        for i in 0..MAX_DYNAMIC {
            let at = self.dynamic + i * core::mem::size_of::<Dynamic>();
            let Some(entry) = self.read::<Dynamic>(probe, at) else {
                return false;
            };
            if entry.tag as usize == k::DT_NULL || !visit(entry) {
                return true;
            }
        }
        false
    }

    /// The value of the first `tag` entry of the dynamic section.
    pub(super) fn dynamic_value(&self, probe: &Probe, tag: usize) -> Option<usize> {
        let mut found = None;
        self.each_dynamic(probe, |d| {
            if d.tag as usize == tag {
                found = Some(d.value as usize);
            }
            found.is_none()
        });
        found
    }

    /// The run-time address a dynamic-section address entry `value` means, checked to lie
    /// inside this object.
    pub(super) fn table(&self, value: usize, addresses: Addresses) -> Option<usize> {
        let linked = self.bias.wrapping_add(value);
        let at = match addresses {
            Addresses::Relocated => value,
            Addresses::AsLinked => linked,
            Addresses::Either => match (self.holds(value, 1), self.holds(linked, 1)) {
                _ if value == linked => value,
                (true, false) => value,
                (false, true) => linked,
                _ => return None, // neither, or both: not a guess to act on
            },
        };
        self.holds(at, 1).then_some(at)
    }
}
