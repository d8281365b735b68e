//! Linked images (a shared library, a dylib): what the loader patches when it maps them. A
//! patch to a code page is a text relocation: the code is not position-independent, pages that
//! should be shared are copied, and hardened platforms refuse to load it.
//!
//! ELF records one with `DT_TEXTREL` or `DF_TEXTREL`. Mach-O lists every pointer dyld slides:
//! the rebase opcodes of `LC_DYLD_INFO(_ONLY)` (read here from the opcodes, loader.h's
//! `REBASE_OPCODE_*`) or, with chained fix-ups, the segments whose pages start a chain.

use goblin::elf::{dynamic, Elf};
use goblin::mach::load_command::CommandVariant;
use goblin::mach::MachO;

use crate::{Error, Format, Object};

/// A place the loader patches at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixup {
    /// The segment patched (Mach-O), or the dynamic entry that asks for patches (ELF).
    pub segment: String,
    /// Where in the segment (0 when the format does not say).
    pub offset: u64,
}

impl std::fmt::Display for Fixup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{:#x}", self.segment, self.offset)
    }
}

/// The load-time patches of code: ELF's text-relocation flags; Mach-O's rebases or chained
/// fix-ups in `__TEXT`. Empty for a position-independent image.
pub fn text_relocations(image: &Object) -> Result<Vec<Fixup>, Error> {
    match image.format {
        Format::Elf => {
            let elf = Elf::parse(&image.bytes).map_err(|e| Error::new("ELF", e))?;
            let mut out = Vec::new();
            if let Some(d) = &elf.dynamic {
                if d.info.textrel {
                    out.push(named("DT_TEXTREL"));
                }
                if d.info.flags & dynamic::DF_TEXTREL != 0 {
                    out.push(named("DF_TEXTREL"));
                }
            }
            Ok(out)
        }
        Format::MachO => Ok(rebases(image)?
            .into_iter()
            .filter(|f| f.segment == "__TEXT")
            .collect()),
    }
}

fn named(entry: &str) -> Fixup {
    Fixup {
        segment: entry.to_string(),
        offset: 0,
    }
}

/// Every pointer dyld slides in a Mach-O image: one per rebase, or one per segment page that
/// starts a fix-up chain.
pub fn rebases(image: &Object) -> Result<Vec<Fixup>, Error> {
    let m = MachO::parse(&image.bytes, 0).map_err(|e| Error::new("Mach-O", e))?;
    let segments: Vec<String> = m
        .segments
        .iter()
        .map(|s| s.name().unwrap_or("").to_string())
        .collect();
    let mut out = Vec::new();
    for lc in &m.load_commands {
        match &lc.command {
            CommandVariant::DyldInfo(c) | CommandVariant::DyldInfoOnly(c) => {
                let start = c.rebase_off as usize;
                let ops = image
                    .bytes
                    .get(start..start + c.rebase_size as usize)
                    .ok_or_else(|| Error::new("Mach-O", "rebase opcodes past the end"))?;
                out.extend(run_rebase_opcodes(ops, &segments)?);
            }
            CommandVariant::DyldChainedFixups(c) => {
                let start = c.dataoff as usize;
                let data = image
                    .bytes
                    .get(start..start + c.datasize as usize)
                    .ok_or_else(|| Error::new("Mach-O", "chained fix-ups past the end"))?;
                out.extend(chained_fixup_pages(data, &segments)?);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A ULEB128 at `ops[*at]`.
fn uleb(ops: &[u8], at: &mut usize) -> Result<u64, Error> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *ops
            .get(*at)
            .ok_or_else(|| Error::new("Mach-O rebase opcodes", "truncated ULEB128"))?;
        *at += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
}

/// Runs dyld's rebase state machine (loader.h `REBASE_OPCODE_*`): each rebase is a pointer at
/// (segment, offset).
fn run_rebase_opcodes(ops: &[u8], segments: &[String]) -> Result<Vec<Fixup>, Error> {
    const PTR: u64 = 8;
    let mut out = Vec::new();
    let (mut segment, mut offset) = (0usize, 0u64);
    let mut at = 0;
    let rebase = |segment: usize, offset: u64| Fixup {
        segment: segments.get(segment).cloned().unwrap_or_default(),
        offset,
    };
    while at < ops.len() {
        let (op, imm) = (ops[at] & 0xf0, u64::from(ops[at] & 0x0f));
        at += 1;
        match op {
            0x00 => break, // DONE
            0x10 => {}     // SET_TYPE_IMM
            0x20 => {
                // SET_SEGMENT_AND_OFFSET_ULEB
                segment = imm as usize;
                offset = uleb(ops, &mut at)?;
            }
            0x30 => offset = offset.wrapping_add(uleb(ops, &mut at)?), // ADD_ADDR_ULEB
            0x40 => offset = offset.wrapping_add(imm * PTR),           // ADD_ADDR_IMM_SCALED
            0x50 => {
                // DO_REBASE_IMM_TIMES
                for _ in 0..imm {
                    out.push(rebase(segment, offset));
                    offset += PTR;
                }
            }
            0x60 => {
                // DO_REBASE_ULEB_TIMES
                for _ in 0..uleb(ops, &mut at)? {
                    out.push(rebase(segment, offset));
                    offset += PTR;
                }
            }
            0x70 => {
                // DO_REBASE_ADD_ADDR_ULEB
                out.push(rebase(segment, offset));
                offset = offset.wrapping_add(uleb(ops, &mut at)? + PTR);
            }
            0x80 => {
                // DO_REBASE_ULEB_TIMES_SKIPPING_ULEB
                let (count, skip) = (uleb(ops, &mut at)?, uleb(ops, &mut at)?);
                for _ in 0..count {
                    out.push(rebase(segment, offset));
                    offset = offset.wrapping_add(skip + PTR);
                }
            }
            _ => {
                return Err(Error::new(
                    "Mach-O rebase opcodes",
                    format!("unknown opcode {op:#x}"),
                ))
            }
        }
    }
    Ok(out)
}

/// With chained fix-ups (`LC_DYLD_CHAINED_FIXUPS`, dyld's fixup-chains.h): one [`Fixup`] per
/// page of a segment where a chain starts, at the page's offset.
fn chained_fixup_pages(data: &[u8], segments: &[String]) -> Result<Vec<Fixup>, Error> {
    let bad = || Error::new("Mach-O chained fix-ups", "truncated");
    let u32_at = |at: usize| -> Result<u32, Error> {
        Ok(u32::from_le_bytes(
            data.get(at..at + 4).ok_or_else(bad)?.try_into().unwrap(),
        ))
    };
    let u16_at = |at: usize| -> Result<u16, Error> {
        Ok(u16::from_le_bytes(
            data.get(at..at + 2).ok_or_else(bad)?.try_into().unwrap(),
        ))
    };
    // dyld_chained_fixups_header: fixups_version, starts_offset, ...
    let starts = u32_at(4)? as usize;
    // dyld_chained_starts_in_image: seg_count, seg_info_offset[seg_count]
    let seg_count = u32_at(starts)? as usize;
    let mut out = Vec::new();
    for seg in 0..seg_count {
        let info = u32_at(starts + 4 + 4 * seg)? as usize;
        if info == 0 {
            continue;
        }
        // dyld_chained_starts_in_segment: size u32, page_size u16, pointer_format u16,
        // segment_offset u64, max_valid_pointer u32, page_count u16, page_start[page_count].
        let at = starts + info;
        let page_size = u64::from(u16_at(at + 4)?);
        let page_count = usize::from(u16_at(at + 20)?);
        for page in 0..page_count {
            const NONE: u16 = 0xffff;
            let first = u16_at(at + 22 + 2 * page)?;
            if first != NONE {
                out.push(Fixup {
                    segment: segments.get(seg).cloned().unwrap_or_default(),
                    offset: page as u64 * page_size + u64::from(first),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebase_opcodes_name_each_pointer_by_segment() {
        let segs = ["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA"].map(String::from);
        // SET_TYPE_IMM(POINTER); SET_SEGMENT_AND_OFFSET_ULEB(2, 0x10); DO_REBASE_IMM_TIMES(2);
        // SET_SEGMENT_AND_OFFSET_ULEB(1, 0x80); DO_REBASE_ADD_ADDR_ULEB(8);
        // DO_REBASE_ULEB_TIMES_SKIPPING_ULEB(2, 16); DONE
        let ops = [
            0x11, 0x22, 0x10, 0x52, 0x21, 0x80, 0x01, 0x70, 0x08, 0x80, 0x02, 0x10, 0x00,
        ];
        let got: Vec<String> = run_rebase_opcodes(&ops, &segs)
            .unwrap()
            .iter()
            .map(Fixup::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "__DATA_CONST+0x10",
                "__DATA_CONST+0x18",
                "__TEXT+0x80",
                "__TEXT+0x90",
                "__TEXT+0xa8"
            ]
        );
    }

    #[test]
    fn a_truncated_opcode_stream_is_an_error() {
        assert!(run_rebase_opcodes(&[0x21, 0x80], &[]).is_err());
        assert!(run_rebase_opcodes(&[0xf0], &[]).is_err());
    }
}
