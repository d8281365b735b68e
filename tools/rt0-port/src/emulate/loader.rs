//! The dyld model's loading half: parse the Mach-O executable, map its segments with their
//! protections, find the initializers and the entry point, and list the imports to bind.

use goblin::mach::{Mach, MachO};

/// One segment to map.
pub struct Segment {
    /// Name (`__TEXT`).
    pub name: String,
    /// Address.
    pub vmaddr: u64,
    /// Mapped size.
    pub vmsize: u64,
    /// Bytes from the file (the rest is zero).
    pub data: Vec<u8>,
    /// VM_PROT bits (1 read, 2 write, 4 execute).
    pub prot: u32,
}

/// One pointer slot dyld fills.
pub struct Import {
    /// Symbol (`_write`).
    pub name: String,
    /// Address of the pointer slot.
    pub slot: u64,
    /// Added to the resolved address.
    pub addend: i64,
    /// Whether the import is weak (may stay 0).
    pub weak: bool,
}

/// What the loader learned.
pub struct Image {
    /// The Mach header's address (the `mh` of ProgramVars).
    pub header: u64,
    /// Segments to map (no __PAGEZERO).
    pub segments: Vec<Segment>,
    /// Initializers, in order.
    pub initializers: Vec<u64>,
    /// `main`.
    pub entry: u64,
    /// Pointer slots to bind.
    pub imports: Vec<Import>,
}

// <mach-o/loader.h> section types.
const S_MOD_INIT_FUNC_POINTERS: u32 = 0x9;
const S_INIT_FUNC_OFFSETS: u32 = 0x16;
const S_THREAD_LOCAL_VARIABLES: u32 = 0x13;
const SECTION_TYPE: u32 = 0xff;
const LC_DYLD_CHAINED_FIXUPS: u32 = 0x8000_0034;

/// Parse `bytes` as a Mach-O executable for `cputype`.
pub fn load(bytes: &[u8], cputype: u32) -> Result<Image, String> {
    let macho: MachO = match Mach::parse(bytes).map_err(|e| format!("not a Mach-O file: {e}"))? {
        Mach::Binary(m) => m,
        Mach::Fat(_) => {
            return Err("fat Mach-O files are not supported; link one architecture".into())
        }
    };
    if macho.header.cputype != cputype {
        return Err(format!(
            "the executable's cputype is {:#x}, the emulated CPU's is {cputype:#x}",
            macho.header.cputype
        ));
    }
    if macho.header.filetype != goblin::mach::header::MH_EXECUTE {
        return Err("not an MH_EXECUTE file".into());
    }
    for lc in &macho.load_commands {
        if lc.command.cmd() == LC_DYLD_CHAINED_FIXUPS {
            return Err(
                "LC_DYLD_CHAINED_FIXUPS is not modeled: link with ld64.lld-14 or -no_fixup_chains"
                    .into(),
            );
        }
    }
    if macho.old_style_entry || macho.entry == 0 {
        return Err("no LC_MAIN entry point".into());
    }
    let mut header = None;
    let mut segments = Vec::new();
    let mut initializers = Vec::new();
    for seg in macho.segments.iter() {
        let name = seg.name().unwrap_or("?").to_string();
        if seg.vmsize == 0 || (seg.initprot == 0 && name == "__PAGEZERO") {
            continue;
        }
        if seg.fileoff == 0 && seg.filesize > 0 {
            header = Some(seg.vmaddr);
        }
        let end = (seg.fileoff + seg.filesize) as usize;
        let data = bytes
            .get(seg.fileoff as usize..end)
            .ok_or_else(|| format!("segment {name} lies outside the file"))?
            .to_vec();
        segments.push(Segment {
            name: name.clone(),
            vmaddr: seg.vmaddr,
            vmsize: seg.vmsize,
            data,
            prot: seg.initprot,
        });
    }
    let header = header.ok_or("no segment maps the Mach header")?;
    for seg in macho.segments.iter() {
        for (sect, sdata) in seg.sections().map_err(|e| e.to_string())? {
            let kind = sect.flags & SECTION_TYPE;
            // DYLD dyld/Loader.cpp Loader::findAndRunAllInitializers: S_MOD_INIT_FUNC_POINTERS
            // holds absolute pointers (already slid: this model loads at the linked address),
            // S_INIT_FUNC_OFFSETS holds 32-bit offsets from the Mach header.
            if kind == S_MOD_INIT_FUNC_POINTERS {
                for c in sdata.chunks_exact(8) {
                    initializers.push(u64::from_le_bytes(c.try_into().unwrap()));
                }
            } else if kind == S_INIT_FUNC_OFFSETS {
                for c in sdata.chunks_exact(4) {
                    initializers.push(header + u32::from_le_bytes(c.try_into().unwrap()) as u64);
                }
            } else if kind == S_THREAD_LOCAL_VARIABLES {
                // Each descriptor is {thunk, key, offset} (DYLD dyld/ThreadLocalVariables.c);
                // running its code needs dyld's __tlv_bootstrap and per-thread copies of
                // __thread_data/__thread_bss, which this model does not have.
                return Err(format!(
                    "{} thread-local variable descriptors ({},{}) are not modeled: the emulated \
                     dyld has no __tlv_bootstrap nor per-thread storage (a std Rust library \
                     always has them: thread_local! and std's own thread data)",
                    sdata.len() / 24,
                    seg.name().unwrap_or("?"),
                    sect.name().unwrap_or("?")
                ));
            }
        }
    }
    let mut imports = Vec::new();
    for imp in macho.imports().map_err(|e| format!("bad bind info: {e}"))? {
        imports.push(Import {
            name: imp.name.to_string(),
            slot: imp.address,
            addend: imp.addend,
            weak: imp.is_weak,
        });
    }
    Ok(Image {
        header,
        segments,
        initializers,
        entry: macho.entry,
        imports,
    })
}
