//! One ELF or Mach-O file (a relocatable object or a linked image), read whole with goblin into
//! plain owned values: its format and architecture, sections with their contents, symbols and
//! relocations.

use std::path::Path;

use goblin::elf::{header as elf_header, section_header, sym as elf_sym, Elf};
use goblin::mach::{constants::cputype, symbols as mach_sym, MachO};

use crate::Error;

/// The object file formats rt0's ports build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ELF (Linux).
    Elf,
    /// Mach-O (darwin).
    MachO,
}

impl Format {
    /// The name rt0's port descriptions use (`object_format`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::MachO => "macho",
        }
    }
}

/// The instruction sets rt0 has stubs for; anything else by its number in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// AArch64 (arm64).
    Aarch64,
    /// RISC-V, 64 bits.
    Riscv64,
    /// Another machine: ELF `e_machine` or Mach-O `cputype`.
    Other(u32),
}

impl Arch {
    /// The name rt0's port descriptions use (`arch`).
    pub fn as_str(self) -> String {
        match self {
            Arch::X86_64 => "x86_64".into(),
            Arch::Aarch64 => "aarch64".into(),
            Arch::Riscv64 => "riscv64".into(),
            Arch::Other(n) => format!("machine {n:#x}"),
        }
    }
}

/// A section (ELF) or a section of a segment (Mach-O).
#[derive(Debug, Clone)]
pub struct Section {
    /// Mach-O: the segment (`__TEXT`); ELF: empty.
    pub segment: String,
    /// The section's own name (`.text`, `__mod_init_func`).
    pub name: String,
    /// Its address (0 for the sections of an ELF relocatable object).
    pub address: u64,
    /// Its size in memory.
    pub size: u64,
    /// Its contents in the file (empty for zero-filled sections).
    pub data: Vec<u8>,
}

impl Section {
    /// Whether this is the section `want`: `__DATA,__mod_init_func` (segment and name) or
    /// `__mod_init_func` (any segment), or an ELF name with its numbered or suffixed variants
    /// (`.init_array` is also `.init_array.00100`, `.text` also `.text.rt0_entry`).
    pub fn is(&self, want: &str) -> bool {
        let (segment, name) = match want.split_once(',') {
            Some((s, n)) => (Some(s), n.split(',').next().unwrap_or(n)),
            None => (None, want),
        };
        segment.is_none_or(|s| s == self.segment)
            && (self.name == name || self.name.starts_with(&format!("{name}.")))
    }

    /// `segment,name` for Mach-O, the name for ELF.
    pub fn full_name(&self) -> String {
        if self.segment.is_empty() {
            self.name.clone()
        } else {
            format!("{},{}", self.segment, self.name)
        }
    }

    /// Whether it holds code.
    pub fn is_code(&self) -> bool {
        self.name == "__text" || self.is(".text")
    }

    /// The section's contents read as little-endian 64-bit words (pointer tables such as
    /// `__mod_init_func`).
    pub fn words(&self) -> Vec<u64> {
        self.data
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    }
}

/// A symbol of the symbol table (Mach-O debugging entries left out).
#[derive(Debug, Clone)]
pub struct Symbol {
    /// Its name, as the file spells it (Mach-O names carry their leading `_`).
    pub name: String,
    /// Its address (ELF relocatable objects: its offset in its section).
    pub address: u64,
    /// The index in [`Object::sections`] of the section that defines it; `None` when undefined
    /// (or absolute).
    pub section: Option<usize>,
    /// Visible to other objects (ELF `GLOBAL`/`WEAK`, Mach-O `N_EXT`).
    pub global: bool,
    /// Kept inside the linked image (ELF `STV_HIDDEN`, Mach-O private extern `N_PEXT`).
    pub hidden: bool,
    /// ELF: the size the assembler recorded (0 when none); Mach-O: 0.
    pub size: u64,
}

impl Symbol {
    /// Whether the file defines it.
    pub fn defined(&self) -> bool {
        self.section.is_some()
    }
}

/// A relocation: a place in a section the linker patches.
#[derive(Debug, Clone)]
pub struct Relocation {
    /// The index in [`Object::sections`] of the section patched.
    pub section: usize,
    /// Where in that section.
    pub offset: u64,
    /// The relocation type as the psABI or Mach-O's headers name it (`R_X86_64_PLT32`,
    /// `R_AARCH64_ABS64`, `ARM64_RELOC_BRANCH26`).
    pub kind: String,
    /// The symbol it refers to, or the section's name when it refers to a section.
    pub target: String,
    /// ELF: the `RELA` addend; Mach-O: for a pointer to a section, the target's offset in it
    /// (read from the patched bytes); otherwise 0.
    pub addend: i64,
}

/// An ELF or Mach-O file, read.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its format.
    pub format: Format,
    /// Its machine.
    pub arch: Arch,
    /// Its sections (ELF: by section header index, the null section first; Mach-O: in the
    /// order of the load commands, so `n_sect - 1`).
    pub sections: Vec<Section>,
    /// Its symbols.
    pub symbols: Vec<Symbol>,
    /// Its relocations (relocatable objects).
    pub relocations: Vec<Relocation>,
    /// The file itself, for what is read from it on demand ([`crate::image`]).
    pub(crate) bytes: Vec<u8>,
}

impl Object {
    /// Reads the object at `path`.
    pub fn read(path: &Path) -> Result<Object, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::at(path, e))?;
        Object::parse(&bytes).map_err(|e| Error::at(path, e))
    }

    /// Parses an ELF or a (thin) Mach-O file.
    pub fn parse(bytes: &[u8]) -> Result<Object, Error> {
        match bytes.get(..4) {
            Some(b"\x7fELF") => {
                let elf = Elf::parse(bytes).map_err(|e| Error::new("ELF", e))?;
                Ok(from_elf(&elf, bytes))
            }
            Some([0xcf, 0xfa, 0xed, 0xfe]) => {
                let m = MachO::parse(bytes, 0).map_err(|e| Error::new("Mach-O", e))?;
                from_macho(&m, bytes)
            }
            _ => Err(Error::new(
                "object",
                "neither ELF nor 64-bit little-endian Mach-O",
            )),
        }
    }

    /// The symbols the file defines.
    pub fn defined_symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(|s| s.defined())
    }

    /// The defined symbol `name`.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.defined_symbols().find(|s| s.name == name)
    }

    /// The first section that [`Section::is`] `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.is(name))
    }

    /// The section a symbol is defined in.
    pub fn section_of(&self, symbol: &Symbol) -> Option<&Section> {
        self.sections.get(symbol.section?)
    }

    /// Where the function `symbol` lies: its section's index and its start and end offsets in
    /// that section (up to its ELF size, else up to the next symbol of its section that is not
    /// assembler-local, else to the section's end).
    pub fn function_range(&self, symbol: &Symbol) -> Option<(usize, u64, u64)> {
        let index = symbol.section?;
        let section = self.sections.get(index)?;
        let start = symbol.address.checked_sub(section.address)?;
        let end = if symbol.size > 0 {
            start + symbol.size
        } else {
            self.symbols
                .iter()
                .filter(|s| s.section == symbol.section && s.address > symbol.address)
                .filter(|s| !is_local_label(&s.name))
                .map(|s| s.address - section.address)
                .min()
                .unwrap_or(section.size)
        };
        Some((index, start, end))
    }

    /// The bytes of the function `symbol` ([`Object::function_range`]) and its address.
    pub fn function_bytes(&self, symbol: &Symbol) -> Option<(u64, &[u8])> {
        let (index, start, end) = self.function_range(symbol)?;
        let code = self.sections[index]
            .data
            .get(start as usize..end as usize)?;
        Some((symbol.address, code))
    }

    /// The relocations inside the function `symbol`.
    pub fn relocations_of(&self, symbol: &Symbol) -> Vec<&Relocation> {
        match self.function_range(symbol) {
            Some((index, from, to)) => self.relocations_in(index, from, to).collect(),
            None => Vec::new(),
        }
    }

    /// The defined symbol a relocation's target names: the symbol itself, or for a reference
    /// to a section (ELF section symbols, Mach-O section ordinals) the symbol at
    /// `section + addend`.
    pub fn resolve(&self, r: &Relocation) -> Option<&Symbol> {
        self.symbol(&r.target).or_else(|| {
            let index = self
                .sections
                .iter()
                .position(|s| s.full_name() == r.target)?;
            let at = self.sections[index].address.wrapping_add(r.addend as u64);
            self.defined_symbols()
                .filter(|s| !is_local_label(&s.name))
                .find(|s| s.section == Some(index) && s.address == at)
        })
    }

    /// The relocations that patch the range `[from, to)` of section `section`.
    pub fn relocations_in(
        &self,
        section: usize,
        from: u64,
        to: u64,
    ) -> impl Iterator<Item = &Relocation> {
        self.relocations
            .iter()
            .filter(move |r| r.section == section && r.offset >= from && r.offset < to)
    }
}

/// Labels an assembler keeps in the symbol table that are not functions: ELF's `.L` locals
/// (riscv's relaxation labels), Mach-O's `ltmpN` section starts and `l`/`L` privates.
fn is_local_label(name: &str) -> bool {
    name.starts_with(".L") || name.starts_with("ltmp") || name.is_empty()
}

fn from_elf(elf: &Elf, bytes: &[u8]) -> Object {
    let arch = match elf.header.e_machine {
        elf_header::EM_X86_64 => Arch::X86_64,
        elf_header::EM_AARCH64 => Arch::Aarch64,
        elf_header::EM_RISCV if elf.is_64 => Arch::Riscv64,
        m => Arch::Other(m.into()),
    };
    let sections: Vec<Section> = elf
        .section_headers
        .iter()
        .map(|sh| {
            let data = if sh.sh_type == section_header::SHT_NOBITS {
                Vec::new()
            } else {
                let start = sh.sh_offset as usize;
                bytes
                    .get(start..start + sh.sh_size as usize)
                    .unwrap_or_default()
                    .to_vec()
            };
            Section {
                segment: String::new(),
                name: elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string(),
                address: sh.sh_addr,
                size: sh.sh_size,
                data,
            }
        })
        .collect();
    let symbol_name = |s: &elf_sym::Sym| -> String {
        if s.st_type() == elf_sym::STT_SECTION {
            sections
                .get(s.st_shndx)
                .map_or(String::new(), |x| x.name.clone())
        } else {
            elf.strtab.get_at(s.st_name).unwrap_or("").to_string()
        }
    };
    let symbols = elf
        .syms
        .iter()
        .skip(1)
        .map(|s| {
            let defined = s.st_shndx != section_header::SHN_UNDEF as usize
                && s.st_shndx < section_header::SHN_LORESERVE as usize;
            Symbol {
                name: symbol_name(&s),
                address: s.st_value,
                section: defined.then_some(s.st_shndx),
                global: matches!(s.st_bind(), elf_sym::STB_GLOBAL | elf_sym::STB_WEAK),
                hidden: s.st_visibility() == elf_sym::STV_HIDDEN,
                size: s.st_size,
            }
        })
        .collect();
    let mut relocations = Vec::new();
    for (index, relocs) in &elf.shdr_relocs {
        let Some(patched) = elf.section_headers.get(*index).map(|h| h.sh_info as usize) else {
            continue;
        };
        for r in relocs.iter() {
            let target = elf
                .syms
                .get(r.r_sym)
                .map(|s| symbol_name(&s))
                .unwrap_or_default();
            relocations.push(Relocation {
                section: patched,
                offset: r.r_offset,
                kind: elf_relocation_name(r.r_type, elf.header.e_machine),
                target,
                addend: r.r_addend.unwrap_or(0),
            });
        }
    }
    Object {
        format: Format::Elf,
        arch,
        sections,
        symbols,
        relocations,
        bytes: bytes.to_vec(),
    }
}

fn from_macho(m: &MachO, bytes: &[u8]) -> Result<Object, Error> {
    let arch = match m.header.cputype {
        cputype::CPU_TYPE_X86_64 => Arch::X86_64,
        cputype::CPU_TYPE_ARM64 => Arch::Aarch64,
        c => Arch::Other(c),
    };
    let mut sections = Vec::new();
    let mut raw_sections = Vec::new();
    for segment in m.segments.iter() {
        for s in segment
            .sections()
            .map_err(|e| Error::new("Mach-O sections", e))?
        {
            let (sec, data) = s;
            sections.push(Section {
                segment: sec.segname().unwrap_or("").to_string(),
                name: sec.name().unwrap_or("").to_string(),
                address: sec.addr,
                size: sec.size,
                data: data.to_vec(),
            });
            raw_sections.push(sec);
        }
    }
    let mut symbols = Vec::new();
    let mut names = Vec::new();
    for s in m.symbols() {
        let (name, nlist) = s.map_err(|e| Error::new("Mach-O symbols", e))?;
        names.push(name.to_string());
        if nlist.is_stab() {
            continue;
        }
        let defined = nlist.get_type() == mach_sym::N_SECT && nlist.n_sect > 0;
        symbols.push(Symbol {
            name: name.to_string(),
            address: nlist.n_value,
            section: defined.then(|| nlist.n_sect - 1),
            global: nlist.n_type & mach_sym::N_EXT != 0,
            hidden: nlist.n_type & mach_sym::N_PEXT != 0,
            size: 0,
        });
    }
    let ctx = goblin::container::Ctx::new(
        goblin::container::Container::Big,
        goblin::container::Endian::Little,
    );
    let mut relocations = Vec::new();
    for (index, sec) in raw_sections.iter().enumerate() {
        for r in sec.iter_relocations(bytes, ctx) {
            let r = r.map_err(|e| Error::new("Mach-O relocations", e))?;
            let n = r.r_symbolnum();
            let target = if kind_is_addend(r.r_type(), m.header.cputype) {
                // ARM64_RELOC_ADDEND carries the next relocation's addend, not a symbol.
                format!("addend {n:#x}")
            } else if r.is_extern() {
                names.get(n).cloned().unwrap_or_default()
            } else {
                // Not extern: a section ordinal.
                sections
                    .get(n.wrapping_sub(1))
                    .map_or(String::new(), Section::full_name)
            };
            // A pointer to a section (not extern) holds its target's address in the patched
            // bytes: as an addend to the section it names.
            let addend = if !r.is_extern() && r.r_length() == 3 {
                let at = r.r_address as usize;
                let word = sections[index]
                    .data
                    .get(at..at + 8)
                    .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
                let base = sections.get(n.wrapping_sub(1)).map_or(0, |s| s.address);
                word.wrapping_sub(base) as i64
            } else {
                0
            };
            relocations.push(Relocation {
                section: index,
                offset: r.r_address as u64,
                kind: goblin::mach::relocation::reloc_to_str(r.r_type(), m.header.cputype)
                    .to_string(),
                target,
                addend,
            });
        }
    }
    Ok(Object {
        format: Format::MachO,
        arch,
        sections,
        symbols,
        relocations,
        bytes: bytes.to_vec(),
    })
}

/// An ELF relocation type by its name in the psABIs (`R_X86_64_64`; goblin leaves off `R_`).
fn elf_relocation_name(kind: u32, machine: u16) -> String {
    let name = goblin::elf::reloc::r_to_str(kind, machine);
    if name.starts_with("R_") {
        name.to_string()
    } else {
        format!("R_{name}")
    }
}

/// Whether a Mach-O relocation type is arm64's addend record.
fn kind_is_addend(kind: u8, cpu: u32) -> bool {
    cpu == cputype::CPU_TYPE_ARM64 && kind == goblin::mach::relocation::ARM64_RELOC_ADDEND
}
