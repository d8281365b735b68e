//! rt0's build script: picks the `arch/` port for TARGET, validates its register-convention
//! description, turns it into Rust constants (`OUT_DIR/abi.rs`) and an assembler include
//! (`OUT_DIR/rt0_abi.h`), and assembles the port's entry stub and syscall trampoline.
//!
//! Nothing about a target is written here: every number and register comes from
//! `arch/<folder>/abi.toml`, and which folder serves a triple from `arch/targets.toml`.

#[path = "build/description.rs"]
mod description;

use description::{Arch, Constant, Description, ErrorConvention, Os, SyscallKind};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::str::FromStr;

fn fail(msg: &str) -> ! {
    eprintln!("error: rt0 build: {msg}");
    std::process::exit(1);
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let host = env::var("HOST").unwrap_or_default();
    println!("cargo:rerun-if-changed=arch");
    println!("cargo:rerun-if-changed=build/description.rs");
    println!("cargo:rerun-if-env-changed=RT0_ARCH_DIR");
    // `rt0_libc`: the C library is linked (feature `libc`): the pthread creator, pinning and
    // the loader-lock check exist. Code a raw-creator init thread runs never calls into it.
    println!("cargo::rustc-check-cfg=cfg(rt0_libc)");
    // Not on Windows, where rt0 calls kernel32 and the `libc` feature changes nothing.
    if env::var_os("CARGO_FEATURE_LIBC").is_some()
        && env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows")
    {
        println!("cargo:rustc-cfg=rt0_libc");
    }

    // RT0_ARCH_DIR lets rt0-port check a port (or a deliberately broken copy) without editing arch/.
    let arch_root = env::var_os("RT0_ARCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("arch"));
    // Watch the descriptions and stubs actually used (a scratch copy under RT0_ARCH_DIR too).
    println!("cargo:rerun-if-changed={}", arch_root.display());
    let triple = target_lexicon::Triple::from_str(&target).unwrap_or_else(|e| {
        fail(&format!(
            "TARGET `{target}` is not a target triple target-lexicon understands: {e}"
        ))
    });

    let registry_file = arch_root.join("targets.toml");
    let registry_text = fs::read_to_string(&registry_file).unwrap_or_else(|e| {
        fail(&format!(
            "{}: cannot read the target registry: {e}",
            registry_file.display()
        ))
    });
    let registry = description::parse_registry(&registry_file, &registry_text)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let Some(registration) = registry.iter().find(|r| r.triple == target) else {
        let supported: Vec<&str> = registry.iter().map(|r| r.triple.as_str()).collect();
        fail(&format!(
            "target `{target}` has no port under arch/.\n  supported targets: {}\n  \
             to add one, follow docs/porting.md (`rt0-port new {target}` starts the folder)",
            supported.join(", ")
        ));
    };

    let folder = arch_root.join(&registration.folder);
    let read = |file: &std::path::Path| {
        fs::read_to_string(file).unwrap_or_else(|e| {
            fail(&format!(
                "{}: cannot read the description: {e}",
                file.display()
            ))
        })
    };
    let desc_file = folder.join("abi.toml");
    let text = read(&desc_file);
    // A registry entry may lay an overlay over the folder's description (musl shares the glibc
    // stubs; only its [initializer] differs).
    let (desc, desc_name) = match &registration.description {
        None => (
            description::parse(&desc_file, &text),
            "abi.toml".to_string(),
        ),
        Some(name) => {
            let overlay_file = folder.join(name);
            let overlay = read(&overlay_file);
            (
                description::parse_with_overlay(&desc_file, &text, &overlay_file, &overlay),
                format!("{name} over abi.toml"),
            )
        }
    };
    let desc = desc.unwrap_or_else(|e| fail(&e.to_string()));
    check_against_triple(&desc, &triple);
    if desc.triple != target {
        fail(&format!(
            "{}: field `target.triple`: expected \"{target}\" (the registry serves {target} from it), found \"{}\"",
            desc.file.display(),
            desc.triple
        ));
    }

    let rust = rust_constants(
        &desc,
        &target,
        &format!("{}/{desc_name}", registration.folder),
    );
    let pointer_bytes = match triple.pointer_width() {
        Ok(w) => w.bytes() as usize,
        Err(()) => fail(&format!(
            "target `{target}`: target-lexicon knows no pointer width for it"
        )),
    };
    // The stubs a port provides: every port has the entry; only an OS rt0 makes system calls
    // on has the trampoline (`[syscall] kind = "none"`: Windows, where rt0 calls kernel32).
    let stub_files: &[&str] = match desc.syscall_kind {
        SyscallKind::Trap => &["entry.S", "syscall.S"],
        SyscallKind::None => &["entry.S"],
    };
    let tag = stub_tag(&folder, &desc_name, &text, stub_files);
    let stubs = StubNames::new(&tag, desc.object_format == "macho", stub_files.len() > 1);
    let mut rust = rust;
    rust.push_str(&shared_layouts(pointer_bytes));
    fs::write(out.join("abi.rs"), &rust)
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/abi.rs: {e}")));
    fs::write(out.join("stubs.rs"), stubs.rust_externs())
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/stubs.rs: {e}")));
    let mut header = asm_include(&desc);
    header.push_str(&stubs.asm_defines());
    header.push_str(&layout_defines(pointer_bytes));
    fs::write(out.join("rt0_abi.h"), header)
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/rt0_abi.h: {e}")));
    // Tools (rt0-port) find the generated files through the `links = "rt0"` metadata.
    println!("cargo:abi_dir={}", out.display());
    println!("cargo:arch_folder={}", folder.display());

    let mut build = cc::Build::new();
    build.include(&out).warnings(true);
    for stub in stub_files {
        let path = folder.join(stub);
        if !path.exists() {
            fail(&format!(
                "{}: missing; every port provides entry.S, and syscall.S unless its description says `[syscall] kind = \"none\"` (docs/porting.md)",
                path.display()
            ));
        }
        build.file(path);
    }
    if desc.syscall_kind == SyscallKind::None && folder.join("syscall.S").exists() {
        fail(&format!(
            "{}: a port whose description says `[syscall] kind = \"none\"` has no syscall trampoline; remove the file",
            folder.join("syscall.S").display()
        ));
    }
    let apple_target = triple.vendor == target_lexicon::Vendor::Apple;
    if apple_target
        && !host.contains("apple")
        && env::var_os(format!("CC_{}", target.replace('-', "_"))).is_none()
    {
        // gcc cannot assemble Mach-O; clang can for any target.
        build.compiler("clang");
    }
    build.compile("rt0_stubs");
    if apple_target {
        // Every darwin image links libSystem (dyld stops a program that does not), and compiler-
        // emitted memcpy/memset come from it even on the raw path, where rt0 calls nothing in it.
        println!("cargo:rustc-link-lib=dylib=System");
    }
}

/// The description must be for the architecture and OS the triple names.
fn check_against_triple(desc: &Description, triple: &target_lexicon::Triple) {
    use target_lexicon::{Architecture, OperatingSystem};
    let arch_ok = match desc.arch {
        Arch::X86_64 => triple.architecture == Architecture::X86_64,
        Arch::Aarch64 => matches!(triple.architecture, Architecture::Aarch64(_)),
        Arch::Riscv64 => matches!(triple.architecture, Architecture::Riscv64(_)),
    };
    let os_ok = match desc.os {
        Os::Darwin => matches!(
            triple.operating_system,
            OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_)
        ),
        Os::Linux => triple.operating_system == OperatingSystem::Linux,
        Os::Windows => triple.operating_system == OperatingSystem::Windows,
    };
    if !arch_ok {
        fail(&format!(
            "{}: field `target.arch`: expected the architecture of {} ({}), found \"{}\"",
            desc.file.display(),
            triple,
            triple.architecture,
            desc.arch.as_str()
        ));
    }
    if !os_ok {
        fail(&format!(
            "{}: field `target.os`: expected the OS of {} ({}), found \"{}\"",
            desc.file.display(),
            triple,
            triple.operating_system,
            desc.os.as_str()
        ));
    }
}

fn upper(name: &str) -> String {
    name.to_ascii_uppercase()
}

fn str_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", quoted.join(", "))
}

/// `OUT_DIR/abi.rs`: the description as Rust constants (documented: the crate denies missing docs).
fn rust_constants(d: &Description, target: &str, source: &str) -> String {
    let mut s = String::new();
    let src = format!("arch/{source}");
    let _ = writeln!(
        s,
        "// @generated by rt0's build.rs from {src}; edit the description, not this file.\n"
    );
    let _ = writeln!(
        s,
        "/// The Rust target triple this build is for.\npub const TARGET: &str = {target:?};"
    );
    let _ = writeln!(
        s,
        "/// The description these constants come from.\npub const DESCRIPTION: &str = {src:?};"
    );
    let _ = writeln!(s, "/// How this port is verified (`native`, `qemu-user`, `emulated-xnu`).\npub const VERIFIED_BY: &str = {:?};", d.verified_by);

    let _ = writeln!(
        s,
        "\n/// `[syscall]`: how a system call is made.\npub mod syscall {{"
    );
    let _ = writeln!(
        s,
        "    /// `trap`, or `none` where rt0 makes no system calls (Windows: it calls kernel32).\n    pub const KIND: &str = {:?};",
        d.syscall_kind.as_str()
    );
    if d.syscall_kind == SyscallKind::None {
        let _ = writeln!(s, "}}");
    } else {
        let _ = writeln!(
            s,
            "    /// The trapping instruction.\n    pub const INSTRUCTION: &str = {:?};",
            d.syscall.instruction
        );
        let _ = writeln!(s, "    /// The register holding the call number.\n    pub const NUMBER_REGISTER: &str = {:?};", d.syscall.number_register);
        let _ = writeln!(s, "    /// Added to every call number (0 where none).\n    pub const NUMBER_PREFIX: usize = {:#x};", d.syscall.number_prefix);
        let _ = writeln!(s, "    /// Argument registers, first argument first.\n    pub const ARG_REGISTERS: &[&str] = {};", str_list(&d.syscall.arg_registers));
        let _ = writeln!(
        s,
        "    /// True when failure is the carry flag with a positive errno; false when it is a return in -4095..=-1.\n    pub const ERROR_CARRY: bool = {};",
        d.syscall.error == ErrorConvention::Carry
    );
        let _ = writeln!(s, "}}");
    }

    let _ = writeln!(
        s,
        "\n/// `[numbers]`: system call numbers, class prefix applied.\npub mod nr {{"
    );
    for (name, n) in &d.numbers {
        let _ = writeln!(
            s,
            "    /// `{name}` ({n}).\n    pub const {}: usize = {:#x};",
            upper(name),
            n + d.syscall.number_prefix
        );
    }
    let _ = writeln!(s, "}}");

    if d.syscall_kind == SyscallKind::Trap {
        let _ = writeln!(
            s,
            "\n/// `[thread_create]`: the raw thread-create call.\npub mod thread_create {{"
        );
        let _ = writeln!(
            s,
            "    /// Argument names in the kernel's order.\n    pub const ARGS: &[&str] = {};",
            str_list(&d.thread_create.map.args)
        );
        let _ = writeln!(
            s,
            "    /// The register carrying each argument.\n    pub const REGISTERS: &[&str] = {};",
            str_list(&d.thread_create.map.registers)
        );
        let _ = writeln!(
            s,
            "    /// The flags word rt0 passes.\n    pub const FLAGS: usize = {:#x};",
            d.thread_create.flags
        );
        let _ = writeln!(s, "}}");
    }

    if let Some(ts) = &d.thread_start {
        let _ = writeln!(s, "\n/// `[thread_start]`: the registers a new thread starts with.\npub mod thread_start {{");
        let _ = writeln!(
            s,
            "    /// Argument names.\n    pub const ARGS: &[&str] = {};",
            str_list(&ts.map.args)
        );
        let _ = writeln!(
            s,
            "    /// The register carrying each.\n    pub const REGISTERS: &[&str] = {};",
            str_list(&ts.map.registers)
        );
        let _ = writeln!(s, "    /// Where older kernels left the stack pointer, relative to the stack argument.\n    pub const LEGACY_STACK_OFFSET: isize = {};", ts.legacy_stack_offset);
        let _ = writeln!(s, "}}");
    }

    let _ = writeln!(
        s,
        "\n/// `[initializer]`: how the loader calls rt0's entry.\npub mod initializer {{"
    );
    let _ = writeln!(
        s,
        "    /// The section the entry is registered in.\n    pub const SECTION: &str = {:?};",
        d.initializer.section
    );
    let _ = writeln!(
        s,
        "    /// The arguments the loader passes.\n    pub const ARGS: &[&str] = {};",
        str_list(&d.initializer.map.args)
    );
    let _ = writeln!(
        s,
        "    /// True when the loader passes no argv and the entry recovers it from `/proc/self`.\n    pub const ARGS_FROM_PROC_SELF: bool = {};",
        d.initializer.args_fallback.as_deref() == Some("proc-self")
    );
    let _ = writeln!(
        s,
        "    /// True when the entry builds argv from the process's command line (Windows: `GetCommandLineW`).\n    pub const ARGS_FROM_COMMAND_LINE: bool = {};",
        d.initializer.args_fallback.as_deref() == Some("command-line")
    );
    let _ = writeln!(s, "}}");

    let _ = writeln!(
        s,
        "\n/// `[c_abi]`: the C calling convention.\npub mod c_abi {{"
    );
    let _ = writeln!(s, "    /// Bytes the caller reserves above the return address for the register arguments (Windows x64: 32).\n    pub const SHADOW_SPACE: usize = {};", d.c_abi.shadow_space);
    let _ = writeln!(
        s,
        "    /// Vector registers a callee preserves.\n    pub const CALLEE_SAVED_VECTOR: &[&str] = {};",
        str_list(&d.c_abi.callee_saved_vector)
    );
    let _ = writeln!(s, "}}");

    let _ = writeln!(s, "\n/// `[stack]`: stack facts.\npub mod stack {{");
    let _ = writeln!(
        s,
        "    /// Alignment required at a call.\n    pub const ALIGNMENT: usize = {};",
        d.stack.alignment
    );
    let _ = writeln!(s, "    /// Bytes below the stack pointer a leaf may use.\n    pub const RED_ZONE: usize = {};", d.stack.red_zone);
    let _ = writeln!(
        s,
        "    /// Page size stacks are rounded to.\n    pub const PAGE_SIZE: usize = {};",
        d.stack.page_size
    );
    let _ = writeln!(s, "    /// The inaccessible guard under every raw stack.\n    pub const GUARD_SIZE: usize = {};", d.stack.guard_size);
    let _ = writeln!(s, "}}");

    let _ = writeln!(s, "\n/// `[constants]`: the operating system's flag values and error numbers.\npub mod constants {{");
    for (name, v) in &d.constants {
        match v {
            Constant::Int(i) => {
                let _ = writeln!(
                    s,
                    "    /// `{name}`.\n    pub const {}: usize = {:#x};",
                    upper(name),
                    i
                );
            }
            Constant::List(l) => {
                let items: Vec<String> = l.iter().map(|x| x.to_string()).collect();
                let _ = writeln!(
                    s,
                    "    /// `{name}`.\n    pub const {}: &[u32] = &[{}];",
                    upper(name),
                    items.join(", ")
                );
                let mask = l.iter().fold(0u64, |m, sig| m | (1u64 << (sig - 1)));
                let _ = writeln!(s, "    /// `{name}` as a signal mask (bit N-1 = signal N).\n    pub const {}_MASK: u64 = {:#x};", upper(name), mask);
            }
        }
    }
    let _ = writeln!(s, "}}");
    s
}

/// `OUT_DIR/rt0_abi.h`: the same facts for the C preprocessor that runs over the `.S` stubs.
fn asm_include(d: &Description) -> String {
    let mut s = String::new();
    let reg = |r: &str| d.arch.asm_register(r);
    let _ = writeln!(
        s,
        "/* @generated by rt0's build.rs from {}; edit the description, not this file. */",
        d.file.display()
    );
    let _ = writeln!(s, "#ifndef RT0_ABI_H\n#define RT0_ABI_H");
    if d.syscall_kind == SyscallKind::None {
        let _ = writeln!(s, "#define RT0_NO_SYSCALLS 1");
    } else {
        let _ = writeln!(
            s,
            "#define RT0_SYSCALL_INSTRUCTION {}",
            d.syscall.instruction
        );
        let _ = writeln!(
            s,
            "#define RT0_SYSCALL_NR {}",
            reg(&d.syscall.number_register)
        );
        for (i, r) in d.syscall.arg_registers.iter().enumerate() {
            let _ = writeln!(s, "#define RT0_SYSCALL_ARG{i} {}", reg(r));
        }
    }
    for (name, n) in &d.numbers {
        let _ = writeln!(
            s,
            "#define RT0_SYS_{name} {:#x}",
            n + d.syscall.number_prefix
        );
    }
    for (a, r) in d
        .thread_create
        .map
        .args
        .iter()
        .zip(&d.thread_create.map.registers)
    {
        let _ = writeln!(s, "#define RT0_THREAD_CREATE_{a} {}", reg(r));
    }
    let _ = writeln!(
        s,
        "#define RT0_THREAD_CREATE_FLAGS {:#x}",
        d.thread_create.flags
    );
    if let Some(ts) = &d.thread_start {
        for (a, r) in ts.map.args.iter().zip(&ts.map.registers) {
            let _ = writeln!(s, "#define RT0_THREAD_START_{a} {}", reg(r));
        }
    }
    for (a, r) in d
        .initializer
        .map
        .args
        .iter()
        .zip(&d.initializer.map.registers)
    {
        let _ = writeln!(s, "#define RT0_INIT_{a} {}", reg(r));
    }
    for (i, r) in d.c_abi.arg_registers.iter().enumerate() {
        let _ = writeln!(s, "#define RT0_C_ARG{i} {}", reg(r));
        if let Some(r32) = d.arch.asm_register32(r) {
            let _ = writeln!(s, "#define RT0_C_ARG{i}_32 {r32}");
        }
    }
    // Arguments past the registers, as offsets from the stack pointer at a function's first
    // instruction (x86_64: the return address, then the shadow space, then one slot each).
    if d.arch == Arch::X86_64 {
        let nregs = d.c_abi.arg_registers.len();
        for i in nregs..6 {
            let _ = writeln!(
                s,
                "#define RT0_C_ARG{i}_AT_ENTRY {}",
                8 + d.c_abi.shadow_space as usize + 8 * (i - nregs)
            );
        }
    }
    let _ = writeln!(s, "#define RT0_C_SHADOW_SPACE {}", d.c_abi.shadow_space);
    let _ = writeln!(s, "#define RT0_C_RET {}", reg(&d.c_abi.return_register));
    if let Some(r32) = d.arch.asm_register32(&d.c_abi.return_register) {
        let _ = writeln!(s, "#define RT0_C_RET_32 {r32}");
    }
    if let Some(ret) = d.syscall.return_registers.first() {
        let _ = writeln!(s, "#define RT0_SYSCALL_RET {}", reg(ret));
    }
    let _ = writeln!(s, "#define RT0_STACK_ALIGNMENT {}", d.stack.alignment);
    for (name, v) in &d.constants {
        if let Constant::Int(i) = v {
            let _ = writeln!(s, "#define RT0_{} {:#x}", upper(name), i);
        }
    }
    s
}

/// The asm symbols every port defines, and the C signatures Rust calls them with.
const STUB_FUNCTIONS: &[(&str, &str)] = &[
    (
        "lib_entry",
        "pub(crate) fn lib_entry(i0: usize, i1: usize, i2: usize, i3: usize, i4: usize, record: *const crate::library::EntryRecord)",
    ),
    (
        "syscall6",
        "pub(crate) fn syscall6(nr: crate::sys::Nr, a0: crate::sys::Arg<0>, a1: crate::sys::Arg<1>, a2: crate::sys::Arg<2>, a3: crate::sys::Arg<3>, a4: crate::sys::Arg<4>, a5: crate::sys::Arg<5>) -> isize",
    ),
    (
        "raw_thread_create",
        "pub(crate) fn raw_thread_create(func: crate::thread::StartFn, arg: *mut core::ffi::c_void, stack: *mut crate::thread::StackHeader) -> isize",
    ),
];

/// A short hash of everything that decides what the stubs do: rt0's version, the description
/// and the stub sources. It is part of every stub's symbol name, so two copies of rt0 in one
/// program (two rt0-based static libraries) share a stub only when it is the very same code, and
/// never call a stub of another version by mistake.
fn stub_tag(folder: &std::path::Path, desc_name: &str, desc_text: &str, stubs: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x100_0000_01b3);
        }
    };
    eat(env::var("CARGO_PKG_VERSION").unwrap_or_default().as_bytes());
    eat(desc_name.as_bytes());
    eat(desc_text.as_bytes());
    for stub in stubs {
        eat(&fs::read(folder.join(stub)).unwrap_or_default());
    }
    format!("{:08x}", hash as u32)
}

/// The versioned names of the asm stubs (see [`stub_tag`]).
struct StubNames {
    tag: String,
    macho: bool,
    /// Whether the port has syscall.S (the trampoline and raw thread create).
    syscalls: bool,
}

impl StubNames {
    fn new(tag: &str, macho: bool, syscalls: bool) -> StubNames {
        StubNames {
            tag: tag.to_string(),
            macho,
            syscalls,
        }
    }

    /// The C-level name, as Rust's `link_name` takes it.
    fn c_name(&self, base: &str) -> String {
        format!("rt0_{base}_{}", self.tag)
    }

    /// `#define RT0_SYM_<base> <object-level name>` for the `.S` files (Mach-O adds `_`).
    fn asm_defines(&self) -> String {
        let mut s = String::from("/* The stubs' symbol names, versioned (build.rs stub_tag). */\n");
        let underscore = if self.macho { "_" } else { "" };
        for base in [
            "lib_entry",
            "syscall6",
            "raw_thread_create",
            "raw_thread_start",
            "own_dynamic",
        ] {
            let _ = writeln!(
                s,
                "#define RT0_SYM_{base} {underscore}{}",
                self.c_name(base)
            );
        }
        s
    }

    /// `OUT_DIR/stubs.rs`: the extern declarations Rust calls the stubs through.
    fn rust_externs(&self) -> String {
        let mut s = String::from(
            "// @generated by rt0's build.rs: the asm stubs, under their versioned names.\nextern \"C\" {\n",
        );
        for (base, signature) in STUB_FUNCTIONS
            .iter()
            .filter(|(base, _)| self.syscalls || *base == "lib_entry")
        {
            let _ = writeln!(
                s,
                "    #[link_name = \"{}\"]\n    {signature};",
                self.c_name(base)
            );
        }
        if self.macho {
            let _ = writeln!(
                s,
                "    #[link_name = \"{}\"]\n    pub(crate) fn raw_thread_start();",
                self.c_name("raw_thread_start")
            );
        }
        // ELF syscall.S (Linux) also holds a data word: the image's own `_DYNAMIC`, 0 where the
        // program has no dynamic section.
        if self.syscalls && !self.macho {
            let _ = writeln!(
                s,
                "    /// This image's dynamic section (`_DYNAMIC`), 0 where it has none (read without `libc`).\n    #[allow(dead_code)]\n    #[link_name = \"{}\"]\n    pub(crate) static OWN_DYNAMIC: usize;",
                self.c_name("own_dynamic")
            );
        }
        s.push_str("}\n");
        s
    }
}

/// The entry record, the one structure asm and Rust share: the entry stub reads four function
/// pointers from it (src/library/record.rs asserts these offsets with `offset_of!`).
const RECORD_FIELDS: &[&str] = &["prepare", "create", "thread_main", "finish"];

/// The header at the top of every raw thread's stack (src/thread.rs `StackHeader`): the new
/// thread's trampoline reads the mapping to free, and a word of its own.
const STACK_HEADER_FIELDS: &[&str] = &["map_base", "map_len", "stub_word"];

/// The layouts asm and Rust share, one word per field, in the order given.
const SHARED_LAYOUTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "record",
        "RT0_RECORD_",
        "the entry record (src/library/record.rs)",
        RECORD_FIELDS,
    ),
    (
        "stack_header",
        "RT0_STACK_HEADER_",
        "a raw thread's stack header (src/thread.rs)",
        STACK_HEADER_FIELDS,
    ),
];

/// The shared layouts' field offsets for Rust (`abi::record`, `abi::stack_header`), which the Rust
/// side checks against its structs with `offset_of!`.
fn shared_layouts(pointer_bytes: usize) -> String {
    let mut s = String::new();
    for (module, prefix, what, fields) in SHARED_LAYOUTS {
        let _ = writeln!(
            s,
            "\n/// The layout of {what}, shared with the stubs (`{prefix}*` in rt0_abi.h).\n#[doc(hidden)]\npub mod {module} {{"
        );
        for (i, field) in fields.iter().enumerate() {
            let _ = writeln!(
                s,
                "    /// Offset of `{field}`.\n    pub const {}: usize = {};",
                upper(field),
                i * pointer_bytes
            );
        }
        s.push_str("}\n");
    }
    s
}

/// The same offsets for the `.S` files.
fn layout_defines(pointer_bytes: usize) -> String {
    let mut s = String::new();
    for (_, prefix, what, fields) in SHARED_LAYOUTS {
        let _ = writeln!(s, "/* The layout of {what}. */");
        for (i, field) in fields.iter().enumerate() {
            let _ = writeln!(s, "#define {prefix}{field} {}", i * pointer_bytes);
        }
    }
    s.push_str("#endif\n");
    s
}
