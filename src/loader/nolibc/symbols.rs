//! Finding a symbol an object defines, by name, through its dynamic symbol table and its GNU
//! or SysV hash table, as the loader itself would. Every table address comes from the
//! object's dynamic section and must lie inside the object (`Object::table`); every entry and
//! every byte of a name is read through the probe.

use super::elf::{Addresses, Object};
use super::probe::{Plain, Probe};
use crate::abi::constants as k;

/// Hash-chain steps at most, against a corrupt table.
const MAX_CHAIN: usize = 1 << 20;

/// The run-time address of the symbol `name` of type `kind` (`STT_FUNC`, `STT_OBJECT`) that
/// `object` defines. A function must be in an executable segment, an object in a readable one.
pub(super) fn lookup(
    object: &Object,
    probe: &Probe,
    addresses: Addresses,
    name: &[u8],
    kind: usize,
) -> Option<usize> {
    let (mut strtab, mut symtab, mut strsz, mut gnu, mut sysv) = (None, None, None, None, None);
    object.each_dynamic(probe, |d| {
        let v = d.value as usize;
        match d.tag as usize {
            k::DT_STRTAB => strtab = Some(v),
            k::DT_SYMTAB => symtab = Some(v),
            k::DT_STRSZ => strsz = Some(v),
            k::DT_GNU_HASH => gnu = Some(v),
            k::DT_HASH => sysv = Some(v),
            _ => {}
        }
        true
    });
    let table = Tables {
        object,
        probe,
        strtab: object.table(strtab?, addresses)?,
        strsz: strsz?,
        symtab: object.table(symtab?, addresses)?,
        name,
        kind,
    };
    if let Some(gnu) = gnu.and_then(|v| object.table(v, addresses)) {
        return table.gnu_lookup(gnu);
    }
    table.sysv_lookup(object.table(sysv?, addresses)?)
}

/// `Elf64_Sym`.
#[derive(Clone, Copy)]
#[repr(C)]
struct Symbol {
    name: u32,
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
    size: u64,
}

// SAFETY: a repr(C) record of integers: every bit pattern is a value.
unsafe impl Plain for Symbol {
    const ZERO: Self = Symbol {
        name: 0,
        info: 0,
        other: 0,
        shndx: 0,
        value: 0,
        size: 0,
    };
}

/// What one symbol lookup reads.
struct Tables<'a> {
    object: &'a Object,
    probe: &'a Probe,
    strtab: usize,
    strsz: usize,
    symtab: usize,
    name: &'a [u8],
    kind: usize,
}

impl Tables<'_> {
    fn u32_at(&self, table: usize, index: usize) -> Option<u32> {
        let at = table.checked_add(index.checked_mul(4)?)?;
        self.object.read(self.probe, at)
    }

    /// The symbol's address if entry `index` is the definition looked for.
    fn matches(&self, index: usize) -> Option<usize> {
        let at = self
            .symtab
            .checked_add(index.checked_mul(core::mem::size_of::<Symbol>())?)?;
        let sym: Symbol = self.object.read(self.probe, at)?;
        let defined = sym.shndx as usize != k::SHN_UNDEF
            && sym.value != 0
            && sym.info as usize & k::ST_TYPE_MASK == self.kind;
        let name_at = sym.name as usize;
        if !defined || name_at.checked_add(self.name.len())? >= self.strsz {
            return None;
        }
        // The name and its NUL, compared in pieces read through the probe.
        let mut chunk = [0u8; 32];
        let mut offset = 0;
        for want in self
            .name
            .chunks(chunk.len())
            .chain(core::iter::once(&[0u8][..]))
        {
            let got = chunk.get_mut(..want.len())?;
            let from = self.strtab + name_at + offset;
            if !self.object.holds(from, want.len()) || !self.probe.copy(from, got) || got != want {
                return None;
            }
            offset += want.len();
        }
        let address = self.object.bias.wrapping_add(sym.value as usize);
        let placed = if self.kind == k::STT_FUNC {
            self.object.executes(address)
        } else {
            self.object.holds(address, 1)
        };
        placed.then_some(address)
    }

    /// `DT_GNU_HASH`: nbuckets, symoffset, bloom_size, bloom_shift, the bloom words (one
    /// address each), the buckets, then one chain word per symbol from symoffset (the layout
    /// binutils and lld write).
    fn gnu_lookup(&self, table: usize) -> Option<usize> {
        let hash = self.name.iter().fold(5381u32, |h, &b| {
            h.wrapping_mul(33).wrapping_add(u32::from(b))
        });
        let nbuckets = self.u32_at(table, 0)? as usize;
        let symoffset = self.u32_at(table, 1)? as usize;
        let bloom_words = self.u32_at(table, 2)? as usize;
        if nbuckets == 0 {
            return None;
        }
        let buckets =
            4usize.checked_add(bloom_words.checked_mul(core::mem::size_of::<usize>() / 4)?)?;
        let chains = buckets.checked_add(nbuckets)?;
        let first = self.u32_at(table, buckets + hash as usize % nbuckets)? as usize;
        if first < symoffset {
            return None;
        }
        for index in (first..).take(MAX_CHAIN) {
            let chain = self.u32_at(table, chains.checked_add(index - symoffset)?)?;
            if chain | 1 == hash | 1 {
                if let Some(address) = self.matches(index) {
                    return Some(address);
                }
            }
            if chain & 1 != 0 {
                return None;
            }
        }
        None
    }

    /// `DT_HASH`: nbucket, nchain, the buckets, the chains (the System V ELF hash).
    fn sysv_lookup(&self, table: usize) -> Option<usize> {
        let hash = self.name.iter().fold(0u32, |h, &b| {
            let h = (h << 4).wrapping_add(u32::from(b));
            let high = h & 0xf000_0000;
            (h ^ (high >> 24)) & !high
        });
        let nbucket = self.u32_at(table, 0)? as usize;
        let nchain = self.u32_at(table, 1)? as usize;
        if nbucket == 0 {
            return None;
        }
        let mut index = self.u32_at(table, 2 + hash as usize % nbucket)? as usize;
        for _ in 0..nchain.min(MAX_CHAIN) {
            if index == 0 || index >= nchain {
                return None;
            }
            if let Some(address) = self.matches(index) {
                return Some(address);
            }
            index = self.u32_at(table, 2 + nbucket + index)? as usize;
        }
        None
    }
}
