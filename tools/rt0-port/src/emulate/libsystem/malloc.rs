//! libmalloc's part of libSystem, as far as C hosts and Rust's `System` allocator use it:
//! `malloc`, `calloc`, `realloc`, `posix_memalign`, `free`.
//!
//! One arena, mapped a step at a time as it fills, handed out in 16-byte-aligned blocks
//! (libmalloc's quantum: every pointer malloc returns is 16-byte aligned on both CPUs). `free` keeps the
//! block: memory is never reused, so a use after free reads stale data instead of another
//! block's. Each block's size is recorded so `realloc` copies exactly what the block held.

use std::collections::BTreeMap;

use unicorn_engine::{Prot, Unicorn};

use super::failure::{abort_with, fault, set_errno};
use crate::emulate::kernel::{Kernel, EINVAL, ENOMEM};
use crate::emulate::machine::memory::round_up;

/// Where the arena is, and its size (1 GiB of address space, mapped as it fills).
const HEAP_BASE: u64 = 0x0002_0000_0000;
const HEAP_SIZE: u64 = 1 << 30;
/// How much more of the arena is mapped when it runs out.
const HEAP_STEP: u64 = 8 << 20;
/// libmalloc's quantum: the alignment of every block.
const QUANTUM: u64 = 16;

/// The arena's state.
pub struct Heap {
    /// The next free address.
    next: u64,
    /// The end of what is mapped so far.
    mapped_end: u64,
    /// Every block handed out: address → size asked for.
    blocks: BTreeMap<u64, u64>,
}

impl Default for Heap {
    /// An empty arena: nothing handed out, nothing mapped yet.
    fn default() -> Heap {
        Heap {
            next: HEAP_BASE,
            mapped_end: HEAP_BASE,
            blocks: BTreeMap::new(),
        }
    }
}

impl Heap {
    /// The size asked for when the block at `p` was allocated, if `p` is one.
    pub fn size_of(&self, p: u64) -> Option<u64> {
        self.blocks.get(&p).copied()
    }
}

/// A block of `size` bytes aligned to `align` (a power of two), zero-filled (fresh memory is
/// never reused); `None` when the arena is full.
fn allocate(heap: &mut Heap, uc: &mut Unicorn<'_, ()>, size: u64, align: u64) -> Option<u64> {
    let start = round_up(heap.next, align.max(QUANTUM));
    let end = start.checked_add(round_up(size.max(1), QUANTUM))?;
    if end > HEAP_BASE + HEAP_SIZE {
        return None;
    }
    if end > heap.mapped_end {
        let grow = round_up(end - heap.mapped_end, HEAP_STEP);
        uc.mem_map(heap.mapped_end, grow, Prot::READ | Prot::WRITE)
            .ok()?;
        heap.mapped_end += grow;
    }
    heap.next = end;
    heap.blocks.insert(start, size);
    Some(start)
}

/// malloc(size): a block, or NULL with errno ENOMEM.
pub fn malloc(k: &mut Kernel, heap: &mut Heap, uc: &mut Unicorn<'_, ()>, size: u64) -> u64 {
    match allocate(heap, uc, size, QUANTUM) {
        Some(p) => p,
        None => set_errno(k, uc, ENOMEM, 0),
    }
}

/// calloc(count, size): a zeroed block (arena memory is never reused, so it is zero), or NULL
/// with errno ENOMEM when `count * size` overflows or does not fit.
pub fn calloc(k: &mut Kernel, heap: &mut Heap, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    match a[0]
        .checked_mul(a[1])
        .and_then(|n| allocate(heap, uc, n, QUANTUM))
    {
        Some(p) => p,
        None => set_errno(k, uc, ENOMEM, 0),
    }
}

/// realloc(p, size): NULL `p` is malloc; otherwise a new block holding the old one's bytes (up
/// to the smaller size), the old one freed. NULL with errno ENOMEM, the old block untouched,
/// when the new one does not fit. A `p` malloc never returned stops the run: libmalloc would
/// abort ("pointer being realloc'd was not allocated").
pub fn realloc(
    k: &mut Kernel,
    heap: &mut Heap,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
) -> Option<u64> {
    let (old, size) = (a[0], a[1]);
    if old == 0 {
        return Some(malloc(k, heap, uc, size));
    }
    let Some(old_size) = heap.size_of(old) else {
        let msg = format!("realloc({old:#x}): pointer being realloc'd was not allocated");
        abort_with(k, uc, msg);
        return None;
    };
    let Some(new) = allocate(heap, uc, size, QUANTUM) else {
        return Some(set_errno(k, uc, ENOMEM, 0));
    };
    let n = old_size.min(size) as usize;
    if n > 0 {
        let bytes = uc.mem_read_as_vec(old, n).ok()?;
        uc.mem_write(new, &bytes).ok()?;
    }
    Some(new)
}

/// posix_memalign(&p, alignment, size): 0 and `*p` = a block aligned to `alignment`; EINVAL
/// unless `alignment` is a power of two and a multiple of sizeof(void *); ENOMEM when it does
/// not fit (returned, not stored in errno, as POSIX says).
pub fn posix_memalign(
    k: &mut Kernel,
    heap: &mut Heap,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
) -> Option<u64> {
    let (out, align, size) = (a[0], a[1], a[2]);
    if !align.is_power_of_two() || align % 8 != 0 {
        return Some(EINVAL);
    }
    let Some(p) = allocate(heap, uc, size, align) else {
        return Some(ENOMEM);
    };
    if uc.mem_write(out, &p.to_le_bytes()).is_err() {
        fault(k, uc, out);
        return None;
    }
    Some(0)
}
