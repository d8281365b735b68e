//! dyld's part: map the executable's segments, bind its imports to the emulated libSystem, lay
//! out the exec-time stack (argc, argv, envp, apple) and ProgramVars, then call each
//! initializer and finally main, one after the other (DYLD dyld/dyldMain.cpp start).

use unicorn_engine::{Prot, Unicorn};

use crate::emulate::error::Error;
use crate::emulate::kernel::loader::Image;
use crate::emulate::kernel::Kernel;
use crate::emulate::machine::memory::{
    prot_of, round_up, MAIN_STACK_SIZE, MAIN_STACK_TOP, UNICORN_GRANULE,
};
use crate::emulate::machine::stubs::StubMap;

/// dyld's progress through initializers and main (DYLD dyld/dyldMain.cpp start →
/// prepare → runAllInitializersForMain → main), and what it knows of the one image.
pub struct Dyld {
    pub initializers: Vec<u64>,
    pub next: usize,
    pub main: u64,
    pub args: [u64; 5],
    pub stack_top: u64,
    /// The executable as dladdr/dlopen report it: its Mach header, the end of its last segment,
    /// and the address of its path (argv[0]'s string).
    pub image_header: u64,
    pub image_end: u64,
    pub image_path: u64,
    /// dlopen references to the executable taken through `dlopen` (dyld's per-image count).
    pub dlopen_refs: u64,
    /// Some dlopen of the executable passed RTLD_NODELETE: dyld marks the image never-unload.
    pub nodelete: bool,
    /// What a thread's thread-local block starts as (kernel::loader::ThreadLocals).
    pub tlv_template: Vec<u8>,
}

/// Maps every segment writable, with its bytes (DYLD dyld/Loader.cpp mapSegments: each segment
/// at vmaddr + slide; this model uses slide 0, so no rebasing is needed). [`protect`] applies
/// the segments' own protections once the imports are bound.
pub fn map_segments(uc: &mut Unicorn<'_, ()>, image: &Image) -> Result<(), Error> {
    for s in &image.segments {
        let size = round_up(s.vmsize, UNICORN_GRANULE);
        uc.mem_map(s.vmaddr, size, Prot::ALL)
            .map_err(|e| Error::Setup(format!("mapping {}: {e}", s.name)))?;
        uc.mem_write(s.vmaddr, &s.data)?;
    }
    Ok(())
}

/// Binds every import, lazy ones too (DYLD Loader.cpp bind: the model binds lazy pointers at
/// load, as DYLD_BIND_AT_LAUNCH does, so dyld_stub_binder is never entered). With `lazy`,
/// imports libSystem lacks get stubs that stop the run only when called.
pub fn bind_imports(
    uc: &mut Unicorn<'_, ()>,
    image: &Image,
    stubs: &mut StubMap,
    lazy: bool,
) -> Result<(), Error> {
    if lazy {
        let unknown: Vec<String> = image
            .imports
            .iter()
            .filter(|i| stubs.addr_of(&i.name).is_none())
            .map(|i| i.name.clone())
            .collect();
        stubs.note_unresolved(&unknown);
    }
    let mut missing = Vec::new();
    for imp in &image.imports {
        let addr = match stubs.addr_of(&imp.name) {
            Some(a) => a,
            None if imp.weak => 0,
            None if lazy => stubs.unresolved_stub(&imp.name),
            None => {
                missing.push(imp.name.clone());
                continue;
            }
        };
        let v = if addr == 0 {
            0
        } else {
            (addr as i64 + imp.addend) as u64
        };
        uc.mem_write(imp.slot, &v.to_le_bytes())?;
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(Error::Unresolved(missing));
    }
    Ok(())
}

/// dyld's setup of thread-local variables (DYLD dyld/ThreadLocalVariables.c, Loader
/// setUpTLVs): every descriptor's thunk becomes tlv_get_addr and its key a pthread key of the
/// image (one key: this model loads one image). Runs after binding, which wrote
/// `__tlv_bootstrap` into the thunks.
pub fn bind_thread_locals(
    uc: &mut Unicorn<'_, ()>,
    image: &Image,
    stubs: &StubMap,
) -> Result<(), Error> {
    const IMAGE_TLV_KEY: u64 = 1;
    let thunk = stubs.internal("tlv_get_addr");
    for d in &image.thread_locals.descriptors {
        uc.mem_write(*d, &thunk.to_le_bytes())?;
        uc.mem_write(*d + 8, &IMAGE_TLV_KEY.to_le_bytes())?;
    }
    Ok(())
}

/// Gives every segment its own protection.
pub fn protect(uc: &mut Unicorn<'_, ()>, image: &Image) -> Result<(), Error> {
    for s in &image.segments {
        uc.mem_protect(
            s.vmaddr,
            round_up(s.vmsize, UNICORN_GRANULE),
            prot_of(s.prot),
        )?;
    }
    Ok(())
}

/// Maps the main thread's stack with what exec leaves there (`argv`, `envp`), writes
/// ProgramVars at `pv`, and returns dyld's starting point.
pub fn exec(
    uc: &mut Unicorn<'_, ()>,
    image: &Image,
    argv: &[String],
    envp: &[String],
    pv: u64,
) -> Result<Dyld, Error> {
    // The main thread's stack and the kernel's exec-time layout (XNU bsd/kern/kern_exec.c
    // exec_copyout_strings: argc, argv[], 0, envp[], 0, apple[], 0, then the strings).
    let stack_base = MAIN_STACK_TOP - MAIN_STACK_SIZE;
    uc.mem_map(stack_base, MAIN_STACK_SIZE, Prot::READ | Prot::WRITE)?;
    let mut strings: Vec<u8> = Vec::new();
    let mut put = |s: &str| {
        let off = strings.len() as u64;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        off
    };
    let argv_off: Vec<u64> = argv.iter().map(|s| put(s)).collect();
    let envp_off: Vec<u64> = envp.iter().map(|s| put(s)).collect();
    let apple_off = [put(&format!(
        "executable_path={}",
        argv.first().cloned().unwrap_or_default()
    ))];
    let str_base = (MAIN_STACK_TOP - 0x1000 - strings.len() as u64) & !15;
    uc.mem_write(str_base, &strings)?;
    let mut vec_words: Vec<u64> = vec![argv.len() as u64];
    let argv_at = 1;
    vec_words.extend(argv_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let envp_at = vec_words.len();
    vec_words.extend(envp_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let apple_at = vec_words.len();
    vec_words.extend(apple_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let vec_base = (str_base - 8 * vec_words.len() as u64 - 64) & !15;
    let bytes: Vec<u8> = vec_words.iter().flat_map(|w| w.to_le_bytes()).collect();
    uc.mem_write(vec_base, &bytes)?;
    let argc = argv.len() as u64;
    let argv = vec_base + 8 * argv_at as u64;
    let envp = vec_base + 8 * envp_at as u64;
    let apple = vec_base + 8 * apple_at as u64;
    // ProgramVars {mh, NXArgcPtr, NXArgvPtr, environPtr, __prognamePtr} (DYLD
    // DyldProcessConfig.h struct ProgramVars), with its pointees in the emulator's data page.
    let words = [
        image.header,
        pv + 40,
        pv + 48,
        pv + 56,
        pv + 64,
        argc,
        argv,
        envp,
        str_base + argv_off.first().copied().unwrap_or(0),
    ];
    let pvb: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    uc.mem_write(pv, &pvb)?;

    Ok(Dyld {
        initializers: image.initializers.clone(),
        next: 0,
        main: image.entry,
        args: [argc, argv, envp, apple, pv],
        stack_top: vec_base - 256,
        image_header: image.header,
        image_end: image
            .segments
            .iter()
            .map(|s| s.vmaddr + s.vmsize)
            .max()
            .unwrap_or(image.header),
        image_path: str_base + argv_off.first().copied().unwrap_or(0),
        dlopen_refs: 0,
        nodelete: false,
        tlv_template: image.thread_locals.template.clone(),
    })
}

/// dyld: run the next initializer, then main (DYLD dyld/Loader.cpp
/// Loader::findAndRunAllInitializers calls each `__mod_init_func` / `__init_offsets` entry as
/// func(argc, argv, envp, apple, &ProgramVars); dyld/dyldMain.cpp then calls main(argc, argv,
/// envp, apple)).
pub fn next(k: &mut Kernel, d: &mut Dyld, stubs: &StubMap, uc: &mut Unicorn<'_, ()>) {
    let cpu = k.cpu;
    let top = d.stack_top;
    let args = d.args;
    if d.next < d.initializers.len() {
        let f = d.initializers[d.next];
        d.next += 1;
        let m = k.cur().sigmask;
        k.report
            .push(format!("initializer {f:#x} main_mask_before={m:#x}"));
        let ret = stubs.internal("dyld_init_return");
        k.trace(format!("dyld: initializer {f:#x}"));
        cpu.setup_call_from_hook(uc, f, &args, ret, top);
        k.cur().redirect = Some(f);
    } else {
        let m = k.cur().sigmask;
        k.report.push(format!("main_thread_mask_at_main={m:#x}"));
        let ret = stubs.internal("dyld_main_return");
        let main = d.main;
        k.trace(format!("dyld: main {main:#x}"));
        cpu.setup_call_from_hook(uc, main, &args[..4], ret, top);
        k.cur().redirect = Some(main);
    }
    // The pc changed inside the trap: stop so the scheduler resumes this thread at the new pc
    // (not a scheduling point: dyld runs initializers and main back to back).
    k.resume_same = true;
    k.switch(uc);
}
