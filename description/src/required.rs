//! What each OS's description must give: the system-call numbers and constants rt0 uses, and the
//! argument names of the kernel's thread calls. `rt0-port new` asks a new port for every name
//! here.

/// Syscall numbers every description with system calls (Linux, darwin) must give, and the ones
/// each OS adds. A Windows description has none (`[syscall] kind = "none"`).
pub const NUMBERS_COMMON: &[&str] = &[
    "exit",
    "write",
    "mmap",
    "munmap",
    "mprotect",
    "thread_sigmask",
    "thread_id",
    "thread_create",
    "getpid",
];
/// Linux additions.
/// (`openat`, `read`, `close`: musl's argument recovery reads `/proc/self`, src/procself.rs;
/// `getdents64`: the raw creator's credential check reads every thread's status there; `tgkill`,
/// `madvise`: fork detection; `prctl`: the init thread's name; `pipe2`: the no-libc pin's
/// memory probe.)
pub const NUMBERS_LINUX: &[&str] = &[
    "exit_group",
    "futex",
    "nanosleep",
    "openat",
    "read",
    "close",
    "clock_gettime",
    "getresuid",
    "getresgid",
    "capget",
    "getdents64",
    "tgkill",
    "madvise",
    "prctl",
    "pipe2",
];
/// darwin additions.
pub const NUMBERS_DARWIN: &[&str] = &[
    "process_sigmask",
    "thread_terminate",
    "thread_register",
    "wait_on_address",
    "wake_address",
];
/// Constants every Linux and darwin description must give (Windows: [`CONSTANTS_WINDOWS`]).
pub const CONSTANTS_COMMON: &[&str] = &[
    "prot_none",
    "prot_read",
    "prot_write",
    "map_private",
    "map_anonymous",
    "sig_block",
    "sig_setmask",
    "sigset_bytes",
    "einval",
    "enomem",
    "eagain",
    "etimedout",
    "eintr",
    "eperm",
];
/// Linux additions.
pub const CONSTANTS_LINUX: &[&str] = &[
    "futex_wait_private",
    "futex_wake_private",
    "o_rdonly",
    "o_cloexec",
    "clock_monotonic",
    "capability_version",
    "cap_setgid",
    "cap_setuid",
    "lazy_binding_hazard",
    "esrch",
    "efault",
    "o_nonblock",
    "pr_set_name",
    "madv_wipeonfork",
    // The no-libc pin (src/loader/nolibc/): the auxiliary vector, ELF and <dlfcn.h> values.
    "at_phdr",
    "at_phnum",
    "at_pagesz",
    "at_base",
    "elf_class64",
    "elf_data_lsb",
    "elf_machine",
    "pt_load",
    "pt_dynamic",
    "pt_interp",
    "pt_phdr",
    "pf_x",
    "pf_w",
    "pf_r",
    "dt_null",
    "dt_hash",
    "dt_strtab",
    "dt_symtab",
    "dt_strsz",
    "dt_debug",
    "dt_jmprel",
    "dt_bind_now",
    "dt_flags",
    "dt_gnu_hash",
    "dt_flags_1",
    "df_bind_now",
    "df_1_now",
    "stt_object",
    "stt_func",
    "st_type_mask",
    "shn_undef",
    "rtld_lazy",
    "rtld_noload",
    "rtld_nodelete",
    "glibc_relocates_dynamic",
];
/// darwin additions.
pub const CONSTANTS_DARWIN: &[&str] =
    &["ulock_compare_and_wait", "ulock_wake_all", "ulock_no_errno"];
/// Constants a Windows description gives: the C runtime's errno values rt0's `Errno` names
/// (ucrt/msvcrt `errno.h`), the TLS callback's reasons (winnt.h), `GetModuleHandleExW`'s flags
/// (libloaderapi.h), and the x64 offsets of the loader lock's owner (TEB, PEB, critical section).
pub const CONSTANTS_WINDOWS: &[&str] = &[
    "einval",
    "enomem",
    "eagain",
    "etimedout",
    "eintr",
    "eperm",
    "dll_process_detach",
    "dll_process_attach",
    "get_module_handle_ex_flag_from_address",
    "get_module_handle_ex_flag_unchanged_refcount",
    "get_module_handle_ex_flag_pin",
    "teb_self_offset",
    "teb_peb_offset",
    "peb_loader_lock_offset",
    "critical_section_owning_thread_offset",
];
/// Thread-create argument names per OS.
pub const THREAD_CREATE_ARGS_DARWIN: &[&str] = &["func", "arg", "stack", "pthread", "flags"];
/// Linux's clone arguments (the order is the architecture's, the names are fixed).
pub const THREAD_CREATE_ARGS_LINUX: &[&str] = &["flags", "stack", "ptid", "ctid", "tls"];
/// darwin's thread-start register names.
pub const THREAD_START_ARGS_DARWIN: &[&str] =
    &["pthread", "kport", "func", "arg", "stack", "flags"];
