//! Trap stubs: code the emulator maps where a library would be. Each stub is 16 bytes of
//! `trap; ret` (see `Cpu::stub_bytes`), and its address says which function the emulator runs
//! in Rust when the trap fires, so no register is disturbed on the way. Imports the emulator
//! lacks can get stubs too (with `--lazy-imports`): calling one stops the run naming it.

use std::collections::BTreeMap;

use unicorn_engine::{Prot, Unicorn};

use super::cpu::Cpu;
use super::memory::{round_up, UNICORN_GRANULE};
use crate::emulate::error::Error;

/// Bytes per stub.
const STUB_SIZE: u64 = 16;
/// Stubs for unresolved imports start this many stubs into the mapping.
const UNRESOLVED_FIRST: u64 = 1024;
/// At most this many unresolved imports get stubs.
const UNRESOLVED_MAX: usize = 4096;

/// What a stub address stands for.
pub enum StubTarget<'a> {
    /// A function the emulator implements, by name (internal ones are written `<name>`).
    Named(&'a str),
    /// An import the emulator lacks.
    Unresolved(&'a str),
}

/// The mapped stubs and the symbols they stand for.
pub struct StubMap {
    base: u64,
    size: u64,
    names: Vec<String>,
    by_name: BTreeMap<String, u64>,
    unresolved: Vec<String>,
}

impl StubMap {
    /// Maps one stub per name at `base` (read + execute), with room for unresolved imports.
    pub fn map(
        uc: &mut Unicorn<'_, ()>,
        cpu: Cpu,
        base: u64,
        names: Vec<String>,
    ) -> Result<StubMap, Error> {
        let slots = UNRESOLVED_FIRST + UNRESOLVED_MAX as u64;
        let size = round_up(STUB_SIZE * slots, UNICORN_GRANULE);
        uc.mem_map(base, size, Prot::ALL)?;
        let code: Vec<u8> = (0..slots).flat_map(|_| cpu.stub_bytes()).collect();
        uc.mem_write(base, &code)?;
        uc.mem_protect(base, size, Prot::READ | Prot::EXEC)?;
        let by_name = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), base + STUB_SIZE * i as u64))
            .collect();
        Ok(StubMap {
            base,
            size,
            names,
            by_name,
            unresolved: Vec::new(),
        })
    }

    /// Whether `pc` lies in the stubs.
    pub fn contains(&self, pc: u64) -> bool {
        pc >= self.base && pc < self.base + self.size
    }

    /// The address a symbol binds to (a stub, or data recorded with [`StubMap::define`]).
    pub fn addr_of(&self, name: &str) -> Option<u64> {
        self.by_name.get(name).copied()
    }

    /// Records a data symbol's address.
    pub fn define(&mut self, name: &str, addr: u64) {
        self.by_name.insert(name.to_string(), addr);
    }

    /// The stub of an internal entry point (`dyld_start` for `<dyld_start>`).
    pub fn internal(&self, name: &str) -> u64 {
        self.by_name[&format!("<{name}>")]
    }

    /// Gives stubs to imports the emulator lacks (`--lazy-imports`).
    pub fn note_unresolved(&mut self, names: &[String]) {
        for n in names {
            if !self.unresolved.contains(n) && self.unresolved.len() < UNRESOLVED_MAX {
                self.unresolved.push(n.clone());
            }
        }
    }

    /// The stub of an unresolved import (0 when it has none).
    pub fn unresolved_stub(&self, name: &str) -> u64 {
        match self.unresolved.iter().position(|n| n == name) {
            Some(i) => self.base + STUB_SIZE * (UNRESOLVED_FIRST + i as u64),
            None => 0,
        }
    }

    /// What the stub at `pc` stands for.
    pub fn target(&self, pc: u64) -> StubTarget<'_> {
        let slot = ((pc - self.base) / STUB_SIZE) as usize;
        match slot.checked_sub(UNRESOLVED_FIRST as usize) {
            Some(i) => StubTarget::Unresolved(self.unresolved.get(i).map_or("", String::as_str)),
            None => StubTarget::Named(self.names.get(slot).map_or("", String::as_str)),
        }
    }
}
