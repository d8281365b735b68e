//! The dyld model's loading half: parse the Mach-O executable, map its segments with their
//! protections, find the initializers and the entry point, and list the imports to bind.

use std::path::Path;

use goblin::mach::{Mach, MachO};

use crate::emulate::error::Error;

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

/// The image's thread-local variables: where their descriptors are and what a thread's copy
/// starts as.
#[derive(Debug, Clone, Default)]
pub struct ThreadLocals {
    /// Address of every {thunk, key, offset} descriptor (24 bytes each, in __thread_vars).
    pub descriptors: Vec<u64>,
    /// A new thread's block: __thread_data's bytes, then __thread_bss's zeros. A descriptor's
    /// offset is from the block's start, the lowest of those sections' addresses.
    pub template: Vec<u8>,
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
    /// Thread-local variables (empty when the image has none).
    pub thread_locals: ThreadLocals,
}

// <mach-o/loader.h> section types.
const S_MOD_INIT_FUNC_POINTERS: u32 = 0x9;
const S_INIT_FUNC_OFFSETS: u32 = 0x16;
const S_THREAD_LOCAL_VARIABLES: u32 = 0x13;
/// Initial contents of thread-local variables (mach-o/loader.h S_THREAD_LOCAL_REGULAR).
const S_THREAD_LOCAL_REGULAR: u32 = 0x11;
/// Zero-initialised thread-local variables (S_THREAD_LOCAL_ZEROFILL).
const S_THREAD_LOCAL_ZEROFILL: u32 = 0x12;
/// Functions run for each thread's first use of its variables (S_THREAD_LOCAL_INIT_FUNCTION_POINTERS).
const S_THREAD_LOCAL_INIT_FUNCTION_POINTERS: u32 = 0x15;
const SECTION_TYPE: u32 = 0xff;
const LC_DYLD_CHAINED_FIXUPS: u32 = 0x8000_0034;

/// Parse `bytes`, the contents of `file`, as a Mach-O executable for `cputype`.
pub fn load(bytes: &[u8], cputype: u32, file: &Path) -> Result<Image, Error> {
    parse(bytes, cputype).map_err(|why| Error::Load {
        file: file.display().to_string(),
        why,
    })
}

/// [`load`]; `Err` says why the file is not one the model loads.
fn parse(bytes: &[u8], cputype: u32) -> Result<Image, String> {
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
    let mut thread_locals = ThreadLocals::default();
    // (address, size, contents: None for zerofill) of the thread-local data sections.
    let mut tl_sections: Vec<(u64, u64, Option<Vec<u8>>)> = Vec::new();
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
                // Each descriptor is {thunk, key, offset} (DYLD dyld/ThreadLocalVariables.c):
                // dyld points the thunk at tlv_get_addr at load (`dyld::bind_thread_locals`).
                for k in 0..sect.size / 24 {
                    thread_locals.descriptors.push(sect.addr + 24 * k);
                }
            } else if kind == S_THREAD_LOCAL_REGULAR || kind == S_THREAD_LOCAL_ZEROFILL {
                tl_sections.push((
                    sect.addr,
                    sect.size,
                    (kind == S_THREAD_LOCAL_REGULAR).then(|| sdata.to_vec()),
                ));
            } else if kind == S_THREAD_LOCAL_INIT_FUNCTION_POINTERS {
                return Err(format!(
                    "thread-local initializer functions ({},{}) are not modeled",
                    seg.name().unwrap_or("?"),
                    sect.name().unwrap_or("?")
                ));
            }
        }
    }
    if let Some(start) = tl_sections.iter().map(|s| s.0).min() {
        let end = tl_sections.iter().map(|s| s.0 + s.1).max().unwrap_or(start);
        thread_locals.template = vec![0; (end - start) as usize];
        for (addr, size, data) in &tl_sections {
            if let Some(d) = data {
                let at = (addr - start) as usize;
                let n = d.len().min(*size as usize);
                thread_locals.template[at..at + n].copy_from_slice(&d[..n]);
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
        thread_locals,
    })
}
