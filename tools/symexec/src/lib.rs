//! A register-move tracer for short instruction sequences, in the spelling of rt0-inspect's
//! disassembler (capstone: AT&T syntax on x86_64, hexadecimal immediates).
//!
//! rt0's stubs move the C arguments of a function into the registers a syscall expects (for
//! example `rt0_raw_thread_create(func, arg, stack)` into `bsdthread_create`'s or `clone`'s
//! registers). Reading that from the disassembly by eye is error-prone, so this crate steps
//! through the instructions symbolically: each register holds either a named incoming value
//! ([`Value::Arg`]), a known constant ([`Value::Imm`]) or [`Value::Unknown`], and stack slots are
//! followed through pushes/pops (x86_64) and `sp`-relative loads and stores (aarch64, riscv64). The
//! trace stops at the first trap instruction and returns the register file there.
//!
//! It models only what such stubs do on their straight-line path (moves, immediates, `or` of
//! flag bits, stack spills); branches are not followed. Memory a named value points at can be
//! described ([`Tracer::points_to`]): a stub that takes a new stack from that value then reads
//! those words from it.
//!
//! ```
//! use symexec::{Isa, Tracer, Value};
//! let body = ["pushq %rdx", "popq %rsi", "movq $0x168, %rax", "syscall"];
//! let regs = Tracer::new(Isa::X86_64)
//!     .arg("rdx", "stack")
//!     .run_to(&body, "syscall")
//!     .unwrap();
//! assert_eq!(regs.get("rsi"), Value::arg("stack"));
//! assert_eq!(regs.get("rax"), Value::Imm(360));
//! ```

mod aarch64;
mod riscv64;
mod syntax;
mod x86_64;

use std::collections::HashMap;
use std::fmt;

pub use syntax::{immediate, split_instruction};

/// The instruction sets the tracer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// x86_64 in AT&T syntax (`movq %rdi, %rax`).
    X86_64,
    /// AArch64 (`mov x0, x1`).
    Aarch64,
    /// RISC-V 64 with ABI register names (`mv a0, a1`).
    Riscv64,
}

/// What a register or stack slot holds, symbolically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// The value that arrived under this name (a C argument, or a register the kernel set).
    Arg(String),
    /// A known constant.
    Imm(u64),
    /// Anything else.
    Unknown,
}

impl Value {
    /// `Value::Arg(name)`.
    pub fn arg(name: &str) -> Value {
        Value::Arg(name.to_string())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Arg(a) => write!(f, "{a}"),
            Value::Imm(i) => write!(f, "{i:#x}"),
            Value::Unknown => write!(f, "?"),
        }
    }
}

/// Why a trace stopped without reaching the trap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceError {
    /// The listing has no such trap instruction.
    NoTrap {
        /// The trap that was looked for.
        trap: String,
    },
    /// In strict mode: an instruction the tracer does not model.
    Unmodeled {
        /// The instruction, as given.
        instruction: String,
    },
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NoTrap { trap } => write!(f, "no `{trap}` instruction in the function"),
            TraceError::Unmodeled { instruction } => {
                write!(f, "the tracer does not model `{instruction}`")
            }
        }
    }
}

impl std::error::Error for TraceError {}

/// The registers at the trap.
#[derive(Debug, Clone, Default)]
pub struct Registers {
    isa: Option<Isa>,
    values: HashMap<String, Value>,
}

impl Registers {
    /// What `register` holds; any spelling the listing uses works (`%edi`, `w4`, `xzr`).
    pub fn get(&self, register: &str) -> Value {
        let name = match self.isa {
            Some(Isa::X86_64) => x86_64::full_register(register),
            Some(Isa::Aarch64) => aarch64::full_register(register),
            Some(Isa::Riscv64) => riscv64::full_register(register),
            None => register.to_string(),
        };
        if name == aarch64::ZERO {
            return Value::Imm(0);
        }
        self.values.get(&name).cloned().unwrap_or(Value::Unknown)
    }

    /// Every register with a known or named value, sorted by name.
    pub fn known(&self) -> Vec<(&str, &Value)> {
        let mut v: Vec<(&str, &Value)> = self
            .values
            .iter()
            .filter(|(_, v)| **v != Value::Unknown)
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    fn set(&mut self, register: String, value: Value) {
        self.values.insert(register, value);
    }
}

/// Steps through a listing from named starting registers up to a trap.
#[derive(Debug, Clone)]
pub struct Tracer {
    isa: Isa,
    start: Vec<(String, String)>,
    memory: HashMap<String, Vec<String>>,
    strict: bool,
}

impl Tracer {
    /// A tracer for `isa` with no named registers, lenient (see [`Tracer::strict`]).
    pub fn new(isa: Isa) -> Tracer {
        Tracer {
            isa,
            start: Vec::new(),
            memory: HashMap::new(),
            strict: false,
        }
    }

    /// `register` holds the value called `name` when the listing starts.
    pub fn arg(mut self, register: &str, name: &str) -> Tracer {
        self.start.push((register.to_string(), name.to_string()));
        self
    }

    /// Every `(register, name)` pair, as [`Tracer::arg`] takes them.
    pub fn args<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tracer {
        for (r, n) in pairs {
            self = self.arg(r, n);
        }
        self
    }

    /// The value called `name` is the address of memory holding the values `words` (8 bytes
    /// each, the first at offset 0): a stack pointer set to it finds them there.
    pub fn points_to(mut self, name: &str, words: &[&str]) -> Tracer {
        let words = words.iter().map(|w| w.to_string()).collect();
        self.memory.insert(name.to_string(), words);
        self
    }

    /// Fail on an instruction the tracer does not model, instead of treating its destination as
    /// unknown: for tests that must notice when a stub grows an instruction nobody checked.
    pub fn strict(mut self) -> Tracer {
        self.strict = true;
        self
    }

    /// Executes `body` (one instruction per item, in listing order) up to the first instruction
    /// equal to `trap` (compared without whitespace: `svc #0x80` matches `svc\t#0x80`) and
    /// returns the registers there.
    pub fn run_to<S: AsRef<str>>(&self, body: &[S], trap: &str) -> Result<Registers, TraceError> {
        let mut m = Machine::new(self.isa, self.memory.clone());
        for (reg, name) in &self.start {
            let r = m.full(reg);
            m.regs.set(r, Value::Arg(name.clone()));
        }
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        let want = squash(trap);
        for ins in body {
            let ins = ins.as_ref();
            if squash(ins) == want {
                return Ok(m.regs);
            }
            let modeled = match self.isa {
                Isa::X86_64 => x86_64::step(&mut m, ins),
                Isa::Aarch64 => aarch64::step(&mut m, ins),
                Isa::Riscv64 => riscv64::step(&mut m, ins),
            };
            if !modeled && self.strict {
                return Err(TraceError::Unmodeled {
                    instruction: ins.to_string(),
                });
            }
        }
        Err(TraceError::NoTrap {
            trap: trap.to_string(),
        })
    }
}

/// The symbolic machine state the instruction sets step.
struct Machine {
    isa: Isa,
    regs: Registers,
    /// Where the stack pointer is, relative to where the current stack started.
    sp: i64,
    /// Stack slots by offset from where the current stack started.
    slots: HashMap<i64, Value>,
    /// The words that named values point at ([`Tracer::points_to`]).
    memory: HashMap<String, Vec<String>>,
}

impl Machine {
    fn new(isa: Isa, memory: HashMap<String, Vec<String>>) -> Machine {
        Machine {
            isa,
            regs: Registers {
                isa: Some(isa),
                values: HashMap::new(),
            },
            sp: 0,
            slots: HashMap::new(),
            memory,
        }
    }

    fn full(&self, reg: &str) -> String {
        match self.isa {
            Isa::X86_64 => x86_64::full_register(reg),
            Isa::Aarch64 => aarch64::full_register(reg),
            Isa::Riscv64 => riscv64::full_register(reg),
        }
    }

    fn get(&self, reg: &str) -> Value {
        self.regs.get(reg)
    }

    fn set(&mut self, reg: &str, v: Value) {
        let r = self.full(reg);
        self.regs.set(r, v);
    }

    /// The stack pointer now holds `base`: what was stored on the old stack is out of reach,
    /// and the new one holds what `base` is known to point at.
    fn new_stack(&mut self, base: Value) {
        self.sp = 0;
        self.slots.clear();
        if let Value::Arg(name) = base {
            if let Some(words) = self.memory.get(&name) {
                for (i, w) in words.iter().enumerate() {
                    self.slots.insert(8 * i as i64, Value::Arg(w.clone()));
                }
            }
        }
    }

    /// The stack pointer moved by an amount not known here (an alignment): every slot is out
    /// of reach.
    fn lose_stack(&mut self) {
        self.new_stack(Value::Unknown);
    }

    /// The slot `offset` bytes above the stack pointer.
    fn load(&self, offset: i64) -> Value {
        self.slots
            .get(&(self.sp + offset))
            .cloned()
            .unwrap_or(Value::Unknown)
    }

    fn store(&mut self, offset: i64, v: Value) {
        self.slots.insert(self.sp + offset, v);
    }
}

/// `a | b` when both are constants.
fn or(a: Value, b: Option<u64>) -> Value {
    match (a, b) {
        (Value::Imm(a), Some(b)) => Value::Imm(a | b),
        _ => Value::Unknown,
    }
}
