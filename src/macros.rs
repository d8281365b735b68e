//! The macros a library uses: [`lib_entry!`](crate::lib_entry) declares its entry; the others
//! reach the [`Library`](crate::Library) it declared.

/// Declares a library's entry: `init` runs on a fresh OS thread when the library is loaded.
///
/// ```text
/// rt0::lib_entry!(init);                        // init returns Result<(), E>
/// rt0::lib_entry!(init -> State);               // init returns Result<State, E>
/// rt0::lib_entry!(init -> State, creator = raw);
/// rt0::lib_entry!(init -> State, stack_size = my_stack_size);
/// rt0::lib_entry!(init, creator = pthread, stack_size = my_stack_size);
/// rt0::lib_entry!(init -> State, export_timeout_ms = 5000);
/// rt0::lib_entry!(init -> State, on_fork = fail);
/// rt0::lib_entry!(init -> State, start = first_call);
/// ```
///
/// - `init: fn(&rt0::Args) -> Result<State, E>`, where `E` is [`InitError`](crate::InitError)
///   or another [`IntoInitError`](crate::IntoInitError) type (with `alloc`: any error, boxed).
/// - `creator`: `pthread` (the default; needs rt0's `libc` feature; init may use `std`) or
///   `raw` (rt0's own thread creation, no C library: init may use [`crate::sys`] only). A `raw`
///   library must be `#![no_std]`: the macro defines its panic handler, so a crate that links
///   `std` fails to compile (`duplicate lang item ... panic_impl`). On Windows `pthread` means
///   the system's thread API, `CreateThread`, and `raw` does not exist (a compile-time error).
/// - `stack_size: fn(&rt0::Args) -> usize`: the init thread's stack (default 8 MiB).
/// - `export_timeout_ms`: how long each `#[rt0::export]` waits for init, in milliseconds, before
///   it returns its `on_error` value (a `u32` constant; without it: no limit; `0`: exports never
///   wait, they answer at once unless init is done). An export's own
///   `#[rt0::export(timeout_ms = N)]` always overrides it. `library!().wait()` and the other
///   hand-written waits are not limited by it.
/// - `start`: when init runs ([`StartMode`](crate::StartMode)):
///   - `at_load` (the default): at load, on a fresh init thread; the initializer returns at once
///     and exports wait for init;
///   - `inline`: at load, on the loader's own thread, before the initializer returns; exports
///     never wait. Where the loading thread holds the dynamic loader's lock (inside `dlopen` on
///     glibc, every DllMain or TLS callback on Windows), init runs on its own thread instead,
///     as with `at_load`: an init waiting there for a thread of its own (joining it, or waiting
///     on a channel it sends on) would wait for good, because that thread needs the same lock
///     (glibc takes it to register a `thread_local!` destructor, the first time a thread uses
///     one). On musl and darwin, where rt0 cannot see that lock, an inline init run by `dlopen`
///     must not wait for such a thread. A panic is caught as for any init: init fails with
///     `Panicked`, the exports answer `on_error`, the initializer returns and the host goes on;
///   - `first_call`: nothing runs at load but the copy of the arguments; the library's first
///     export (or wait) starts the init thread and waits for it (racing first calls start it
///     once). A host that loads the library and never calls it pays almost nothing;
///   - `explicit`: nothing runs at load but the copy of the arguments; the library starts
///     init from an export of its own with [`Library::start`](crate::Library::start)
///     (`#[no_mangle] pub extern "C" fn mylib_start() { rt0::library!().start() }`), which
///     returns at once; exports before that answer `on_error` at once
///     ([`InitErrorKind::NotStarted`](crate::InitErrorKind::NotStarted)), never a hang, and a
///     second start does nothing.
///
///   Every mode keeps the same typed state, timeouts, fork policy and trace lines; in a fork
///   child with `on_fork = reinit` the library starts again as its mode says (with `explicit`,
///   the child calls its start function too).
/// - `on_fork`: what the library does in a child of the host's `fork` (a prefork server's
///   workers, Python's `multiprocessing` with the `fork` start method), where the init thread and
///   every thread init started do not exist ([`ForkPolicy`](crate::ForkPolicy)):
///   - `reinit` (the default): the child's first export (or wait) starts init anew there, on a
///     new init thread, with the arguments and environment of the load and the child's own pid,
///     and waits for it as at load; every depth of fork alike (a child of a child), whether the
///     fork came during init or after it. The parent's state in the child is never handed out
///     and never dropped. The default because it is the one that never leaves a child waiting
///     on, or using, a state whose threads are not there: a child always gets a working
///     library, at the price of a second init.
///   - `fail`: every export in a child answers `on_error` at once
///     ([`InitErrorKind::Forked`](crate::InitErrorKind::Forked)).
///   - `inherit`: a child forked after init uses the parent's state (for a state that is plain
///     data, with no thread behind it); one forked during init answers `Forked`.
///
///   `vfork` and `posix_spawn` children only `exec`, and are not affected. An init that itself
///   forks gets, in its child, an ordinary fork child: the forking code goes on there, and the
///   child's exports follow the policy. Windows has no fork: the option compiles and does
///   nothing there.
///
/// **Panics.** One policy covers `init`, the `stack_size` function and export bodies, with
/// `panic = "unwind"`: a panic is caught, never unwinds into the host, and is the library's to
/// report: init's becomes [`InitErrorKind::Panicked`](crate::InitErrorKind::Panicked) with the
/// message (so does the `stack_size` function's, which runs on the loader's thread: init is
/// then not started, the host goes on), an export's becomes its `on_error` value. Nothing is
/// written on the host's stderr; `RT0_TRACE=1` shows one line with the location and message. A
/// panic that cannot be caught (one that reaches an `extern "C"` function, or one in a `Drop`
/// during unwinding) ends the process, and its message and location always reach fd 2 first.
/// Threads that init starts are not rt0's: their panics go to the process's panic hook as
/// usual. With `panic = "abort"` every panic ends the process with std's report; a `raw`
/// library's panic handler writes `rt0: a raw-creator library panicked` and ends it.
///
/// **The init thread** carries the library's name as its OS thread name (Linux: the first 15
/// bytes) and runs with every asynchronous signal blocked; threads it starts inherit that mask
/// unless started through [`thread::with_signal_mask`](crate::thread::with_signal_mask) with
/// [`Library::host_signal_mask`](crate::Library::host_signal_mask).
///
/// The options follow `init` (or `init -> State`) in any order, each at most once.
///
/// Invoke it once, at the crate root of the `staticlib`/`cdylib` crate. It declares the
/// library's [`Library`](crate::Library) static (in a hidden module `__rt0_lib_entry`) and the
/// initializer record that makes the loader call the entry; [`library!`](crate::library),
/// [`state!`](crate::state), [`wait_init_done!`](crate::wait_init_done) and `#[rt0::export]`
/// find it there. Forgetting `lib_entry!` makes those fail to compile with ``could not find
/// `rt0_lib_entry_must_be_declared_once_at_the_crate_root` in the crate root``; invoking it
/// twice fails with ``the name `rt0_lib_entry_must_be_declared_once_at_the_crate_root` is
/// defined multiple times``.
///
/// ```
/// rt0::lib_entry!(init -> Config);
///
/// struct Config {
///     verbose: bool,
/// }
///
/// fn init(args: &rt0::Args) -> Result<Config, rt0::InitError> {
///     Ok(Config { verbose: args.env("VERBOSE").is_some() })
/// }
///
/// #[no_mangle]
/// pub extern "C" fn mylib_verbose() -> i32 {
///     match rt0::state!() {
///         Ok(config) => config.verbose as i32,
///         Err(_) => -1,
///     }
/// }
/// # fn main() { assert!(mylib_verbose() >= 0); }
/// ```
#[macro_export]
macro_rules! lib_entry {
    // The options, in any order, are collected one at a time into
    // [creator] [stack_size] [export_timeout_ms] [on_fork] [start]; an option given twice
    // matches no rule.
    ($($init:ident)::+ -> $state:ty $(, $($option:tt)*)?) => {
        $crate::lib_entry!(@options [$($init)::+] [$state] [] [] [] [] [] $($($option)*)?);
    };
    ($($init:ident)::+ $(, $($option:tt)*)?) => {
        $crate::lib_entry!(@options [$($init)::+] [()] [] [] [] [] [] $($($option)*)?);
    };
    (@options $init:tt $state:tt [] $stack:tt $timeout:tt $fork:tt $start:tt
        creator = $creator:ident $(, $($rest:tt)*)?) => {
        $crate::lib_entry!(@options $init $state [$creator] $stack $timeout $fork $start
            $($($rest)*)?);
    };
    (@options $init:tt $state:tt $creator:tt [] $timeout:tt $fork:tt $start:tt
        stack_size = $stack:path $(, $($rest:tt)*)?) => {
        $crate::lib_entry!(@options $init $state $creator [$stack] $timeout $fork $start
            $($($rest)*)?);
    };
    (@options $init:tt $state:tt $creator:tt $stack:tt [] $fork:tt $start:tt
        export_timeout_ms = $ms:expr $(, $($rest:tt)*)?) => {
        $crate::lib_entry!(@options $init $state $creator $stack [$ms] $fork $start
            $($($rest)*)?);
    };
    (@options $init:tt $state:tt $creator:tt $stack:tt $timeout:tt [] $start:tt
        on_fork = $fork:ident $(, $($rest:tt)*)?) => {
        $crate::lib_entry!(@options $init $state $creator $stack $timeout [$fork] $start
            $($($rest)*)?);
    };
    (@options $init:tt $state:tt $creator:tt $stack:tt $timeout:tt $fork:tt []
        start = $start:ident $(, $($rest:tt)*)?) => {
        $crate::lib_entry!(@options $init $state $creator $stack $timeout $fork [$start]
            $($($rest)*)?);
    };
    (@options [$($init:tt)*] [$state:ty] [$($creator:ident)?] [$($stack:path)?] [$($ms:expr)?]
        [$($fork:ident)?] [$($start:ident)?]) => {
        $crate::lib_entry!(@expand [$($init)*] [$state] [$($creator)?] [$($stack)?] [$($ms)?]
            [$($fork)?] [$($start)?]);
    };
    (@options $init:tt $state:tt $creator:tt $stack:tt $timeout:tt $fork:tt $start:tt
        $($other:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "rt0::lib_entry!: unknown or repeated option at `", ::core::stringify!($($other)+),
            "`: the options are `creator = pthread|raw`, `stack_size = path::to::fn`, ",
            "`export_timeout_ms = N`, `on_fork = reinit|fail|inherit` and ",
            "`start = at_load|inline|first_call|explicit`, each at most once"
        ));
    };
    (@expand [$($init:tt)*] [$state:ty] [$($creator:ident)?] [$($stack:path)?] [$($ms:expr)?]
        [$($fork:ident)?] [$($start:ident)?]) => {
        /// The hidden module's name as the macros that need it write it: when `lib_entry!` is
        /// missing, the compiler's ``could not find `..` in the crate root`` error shows this name,
        /// and when it is repeated, the ``defined multiple times`` error does.
        #[doc(hidden)]
        pub(crate) use self::__rt0_lib_entry as rt0_lib_entry_must_be_declared_once_at_the_crate_root;
        /// The same name in the value namespace: the compiler reports repeated items before
        /// repeated imports, so a second `lib_entry!`'s first error is about this name.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const rt0_lib_entry_must_be_declared_once_at_the_crate_root: () = ();

        #[doc(hidden)]
        type __Rt0State = $state;

        #[doc(hidden)]
        fn __rt0_init(
            args: &$crate::Args,
        ) -> ::core::result::Result<__Rt0State, $crate::InitError> {
            $crate::__private::into_init_result($($init)*(args))
        }

        #[doc(hidden)]
        fn __rt0_stack_size(args: &$crate::Args) -> usize {
            $crate::lib_entry!(@stack [$($stack)?] args)
        }

        /// The library's entry and init state (declared by `rt0::lib_entry!`).
        #[doc(hidden)]
        pub(crate) mod __rt0_lib_entry {
            /// This library's entry, init state and init value.
            pub(crate) static LIBRARY: $crate::Library<super::__Rt0State> =
                $crate::lib_entry!(@timeout [$($ms)?] $crate::__private::with_start_mode(
                    $crate::__private::with_fork_policy(
                        $crate::__private::library(
                            ::core::env!("CARGO_PKG_NAME"),
                            $crate::lib_entry!(@creator [$($creator)?]),
                            super::__rt0_init,
                            super::__rt0_stack_size,
                        ),
                        $crate::lib_entry!(@fork [$($fork)?]),
                    ),
                    $crate::lib_entry!(@start [$($start)?]),
                ));

            /// What `#[rt0::export]` expands to, reached from here whatever name this library's
            /// Cargo.toml gives rt0 (a procedural macro has no `$crate`; and `use $crate as ..`
            /// is refused by Rust 1.85).
            // Unused in a library without `#[rt0::export]`.
            #[allow(unused_imports)]
            pub(crate) use $crate::__private as rt0_private;

            /// The initializer the loader calls: the loader's arguments and this library's
            /// record go to the entry stub. Kept in this module with `LIBRARY`, so that linking
            /// anything that reads `LIBRARY` from a static archive links the record too.
            #[cfg(not(windows))]
            unsafe extern "C" fn entry(i0: usize, i1: usize, i2: usize, i3: usize, i4: usize) {
                // SAFETY: the stub's contract: the initializer's arguments and a record.
                unsafe {
                    $crate::__private::lib_entry(
                        i0, i1, i2, i3, i4, $crate::__private::entry_record(&LIBRARY),
                    )
                }
            }

            // The section is the description's `[initializer] section` (src/macros.rs checks
            // at build time that these names are the description's).
            #[cfg(not(windows))]
            #[cfg_attr(target_vendor = "apple", link_section = "__DATA,__mod_init_func,mod_init_funcs")]
            #[cfg_attr(not(target_vendor = "apple"), link_section = ".init_array")]
            #[used]
            static INITIALIZER: unsafe extern "C" fn(usize, usize, usize, usize, usize) = entry;

            /// Windows: the library's TLS callback, which the loader calls as (module, reason,
            /// reserved) before DllMain or the program's entry; on DLL_PROCESS_ATTACH it runs
            /// the entry stub with this library's record.
            #[cfg(windows)]
            unsafe extern "system" fn entry(
                module: *mut ::core::ffi::c_void,
                reason: u32,
                reserved: *mut ::core::ffi::c_void,
            ) {
                // SAFETY: the loader's arguments and this library's record.
                unsafe {
                    $crate::__private::tls_callback(
                        module, reason, reserved, $crate::__private::entry_record(&LIBRARY),
                    )
                }
            }

            // The linker sorts `.CRT$XL*` between the C runtime's `.CRT$XLA` and `.CRT$XLZ`
            // markers, the bounds of the callback array the TLS directory names.
            #[cfg(windows)]
            #[link_section = ".CRT$XLB"]
            #[used]
            static INITIALIZER: unsafe extern "system" fn(
                *mut ::core::ffi::c_void,
                u32,
                *mut ::core::ffi::c_void,
            ) = entry;

            // The image's TLS directory must exist for the loader to call the callback.
            // (Taking an extern static's address needs `unsafe` before Rust 1.82 only.)
            #[cfg(windows)]
            #[allow(unused_unsafe)]
            #[used]
            static TLS_DIRECTORY: $crate::__private::TlsDirectory =
                // SAFETY: only the address of the C runtime's `_tls_used` is taken.
                $crate::__private::TlsDirectory(unsafe {
                    ::core::ptr::addr_of!($crate::__private::_tls_used)
                });
        }

        $crate::lib_entry!(@guard [$($creator)?]);
    };
    // Without `export_timeout_ms` the library sets no limit (0 would mean "never wait").
    (@timeout [] $library:expr) => { $library };
    (@timeout [$ms:expr] $library:expr) => {
        $crate::__private::with_export_timeout_ms($library, $ms)
    };
    (@stack [] $args:ident) => { $crate::__private::default_stack_size($args) };
    (@stack [$stack:path] $args:ident) => { $stack($args) };
    (@start []) => { $crate::StartMode::AtLoad };
    (@start [at_load]) => { $crate::StartMode::AtLoad };
    (@start [inline]) => { $crate::StartMode::Inline };
    (@start [first_call]) => { $crate::StartMode::FirstCall };
    (@start [explicit]) => { $crate::StartMode::Explicit };
    (@start [$other:ident]) => {
        ::core::compile_error!(::core::concat!(
            "rt0::lib_entry!: `start = ", ::core::stringify!($other),
            "`: expected `at_load`, `inline`, `first_call` or `explicit`"
        ))
    };
    (@fork []) => { $crate::ForkPolicy::Reinit };
    (@fork [reinit]) => { $crate::ForkPolicy::Reinit };
    (@fork [fail]) => { $crate::ForkPolicy::Fail };
    (@fork [inherit]) => { $crate::ForkPolicy::Inherit };
    (@fork [$other:ident]) => {
        ::core::compile_error!(::core::concat!(
            "rt0::lib_entry!: `on_fork = ", ::core::stringify!($other),
            "`: expected `reinit`, `fail` or `inherit`"
        ))
    };
    (@creator []) => { $crate::Creator::Pthread };
    (@creator [pthread]) => { $crate::Creator::Pthread };
    (@creator [raw]) => { $crate::Creator::Raw };
    (@creator [$other:ident]) => {
        ::core::compile_error!(::core::concat!(
            "rt0::lib_entry!: `creator = ", ::core::stringify!($other),
            "`: expected `pthread` or `raw`"
        ))
    };
    (@guard [raw]) => {
        /// A raw-creator library runs init with no thread pointer, where `std` crashes: the
        /// library must be `#![no_std]`, and this panic handler makes a crate that links `std`
        /// fail to compile (duplicate `panic_impl`).
        #[panic_handler]
        fn rt0_raw_creator_library_must_be_no_std(_: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::__private::raw_panic()
        }
    };
    (@guard [$($other:ident)?]) => {};
}

/// The calling library's [`Library`](crate::Library) (declared by
/// [`lib_entry!`](crate::lib_entry) at the crate root).
///
/// ```
/// rt0::lib_entry!(init);
/// fn init(_: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
/// fn main() {
///     let library = rt0::library!();
///     library.wait().unwrap();
///     println!("{} ran init on thread {}", library.name(), library.init_thread_id());
/// }
/// ```
#[macro_export]
// `crate` (not `$crate`) on purpose: the Library is the calling library's, not rt0's.
#[allow(clippy::crate_in_macro_def)]
macro_rules! library {
    () => {
        (&crate::rt0_lib_entry_must_be_declared_once_at_the_crate_root::LIBRARY)
    };
}

/// Defines the C function `NAME(const char **message) -> int` that says where the calling
/// library's init stands without waiting or starting anything: 0 pending, 1 running, 2 done, 3
/// failed (then `*message`, when `message` is not NULL, is the failure's NUL-terminated
/// message, else NULL), 4 not started, 5 a fork child that cannot use the parent's state (see
/// [`Library::c_status`](crate::Library::c_status)).
///
/// ```
/// rt0::lib_entry!(init);
/// fn init(_: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
///
/// rt0::export_status!(mylib_status);
/// # fn main() {
/// # rt0::library!().wait().unwrap();
/// # assert_eq!(unsafe { mylib_status(std::ptr::null_mut()) }, 2);
/// # }
/// ```
///
/// cbindgen reads source, not macro expansions: a library that makes its header with cbindgen
/// writes the function out (the example in [`Library::c_status`](crate::Library::c_status)).
#[macro_export]
macro_rules! export_status {
    ($name:ident) => {
        /// Where this library's init stands, without waiting: 0 pending, 1 running, 2 done,
        /// 3 failed (`*message` says why), 4 not started, 5 a fork child that cannot use the
        /// parent's state.
        ///
        /// # Safety
        /// `message` is NULL or points to writable storage for one pointer.
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            message: *mut *const ::core::ffi::c_char,
        ) -> ::core::ffi::c_int {
            // SAFETY: the caller's contract.
            unsafe { $crate::library!().c_status(message) }
        }
    };
}

/// Waits for the calling library's init: `Ok(&'static State)` when it succeeded (see
/// [`Library::wait`](crate::Library::wait)).
#[macro_export]
macro_rules! state {
    () => {
        $crate::library!().wait()
    };
}

/// Waits for the calling library's init: `Ok(())` when it succeeded (see
/// [`Library::wait`](crate::Library::wait)).
///
/// ```
/// rt0::lib_entry!(init);
/// fn init(_: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
///
/// #[no_mangle]
/// pub extern "C" fn mylib_ready() -> i32 {
///     rt0::wait_init_done!().is_ok() as i32
/// }
/// # fn main() { assert_eq!(mylib_ready(), 1); }
/// ```
#[macro_export]
macro_rules! wait_init_done {
    () => {
        $crate::library!().wait().map(|_| ())
    };
}

// The initializer section lib_entry! puts each library's record in, for this target, must be the
// one the target's description names: checked here, at build time.
const _: () = {
    const RECORD_SECTION: &str = if cfg!(target_vendor = "apple") {
        "__DATA,__mod_init_func"
    } else if cfg!(windows) {
        ".CRT$XLB"
    } else {
        ".init_array"
    };
    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    assert!(
        same(RECORD_SECTION, crate::abi::initializer::SECTION),
        "lib_entry! places the initializer record in another section than the description's [initializer] section: update the link_section attributes in src/macros.rs"
    );
};
