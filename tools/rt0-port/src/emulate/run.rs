//! One emulated run, the layers put together: the kernel boots a CPU and execs the image's
//! main thread in dyld; dyld maps and binds the image against libSystem's stubs; libSystem's
//! initializer runs; then the kernel's scheduler runs the threads until the process ends, and
//! the report is written.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use unicorn_engine::Prot;

use crate::emulate::dyld;
use crate::emulate::error::Error;
use crate::emulate::kernel::loader::Image;
use crate::emulate::kernel::{self, conformance, scheduler, traps, Kernel, Process};
use crate::emulate::libsystem::LibSystem;
use crate::emulate::machine::memory::{TSD_BASE, TSD_SLOTS, UNICORN_GRANULE};
use crate::emulate::report;

/// One run's options.
pub struct Options {
    /// The kernel's.
    pub kernel: kernel::Options,
    /// No libSystem bsdthread_register before the initializers (rt0's raw path registers).
    pub raw: bool,
    /// Bind unknown imports to a stub that stops the run only when called.
    pub lazy_imports: bool,
    /// argv (argv[0] first).
    pub argv: Vec<String>,
    /// envp.
    pub envp: Vec<String>,
    /// Where to write the run report (threads, masks, syscall counts).
    pub report: Option<PathBuf>,
}

/// Runs the image; returns the process's exit status. `Err` when the run cannot start.
pub fn run(image: &Image, opts: Options) -> Result<i32, Error> {
    let cpu = opts.kernel.cpu;
    let mut uc = traps::new_cpu(cpu)?;
    let mut blank = uc.context_alloc()?;
    uc.context_save(&mut blank)?;

    if let Some(d) = &opts.kernel.desc {
        let errs = conformance::check_static(d, cpu);
        if !errs.is_empty() {
            return Err(Error::Conformance(errs.join("\n  ")));
        }
    }
    dyld::map_segments(&mut uc, image)?;
    let (mut stubs, program_vars) = LibSystem::install(&mut uc, cpu)?;
    dyld::bind_imports(&mut uc, image, &mut stubs, opts.lazy_imports)?;
    dyld::bind_thread_locals(&mut uc, image, &stubs)?;
    dyld::protect(&mut uc, image)?;
    let dyld = dyld::exec(&mut uc, image, &opts.argv, &opts.envp, program_vars)?;

    // exec: the main thread starts in dyld, on the exec-time stack.
    let mut kernel = Kernel::new(opts.kernel);
    let regs = vec![
        (cpu.sp_name().to_string(), dyld.stack_top),
        (cpu.pc_name().to_string(), stubs.internal("dyld_start")),
    ];
    kernel.new_thread("exec", image.entry, 0, regs);
    let user = LibSystem::new(&mut kernel, stubs, dyld, opts.raw);
    // One TSD granule per thread (Kernel::new_thread).
    uc.mem_map(
        TSD_BASE,
        TSD_SLOTS * UNICORN_GRANULE,
        Prot::READ | Prot::WRITE,
    )?;

    let state = Rc::new(RefCell::new(Process { kernel, user }));
    traps::install_hooks(&mut uc, &state)?;
    let status = scheduler::schedule(&mut uc, &state, &blank);
    if let Some(path) = &opts.report {
        report::write(&state.borrow(), path, status);
    }
    Ok(status)
}
