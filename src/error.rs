//! Why a library's init did not succeed, as its exports see it.

use crate::sys::Errno;
#[cfg(feature = "alloc")]
use alloc::{boxed::Box, string::String, sync::Arc};

/// Why waiting for init did not give the library's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InitErrorKind {
    /// Init has not started: the library's entry has not run and could not be started from
    /// here (see [`Library::wait`](crate::Library::wait)), or the library starts init
    /// explicitly (`start = explicit`) and has not called
    /// [`Library::start`](crate::Library::start) yet.
    NotStarted,
    /// Called on the init thread itself while init runs (init calling one of its own exports):
    /// waiting would never end, so the call returns at once.
    CalledFromInit,
    /// The calling thread holds one of the dynamic loader's locks (it runs inside a library
    /// constructor or destructor during `dlopen`/`dlclose`) while init is still running. Init may
    /// need that lock (a `thread_local!` with a destructor, `dlopen`, a lazily bound call), so
    /// waiting could deadlock the process: the call returns at once instead. Init goes on; a
    /// later call from outside the loader waits normally.
    WouldDeadlock,
    /// [`Library::wait_timeout`](crate::Library::wait_timeout) gave up: init was still running.
    TimedOut,
    /// The library's `init` returned an error.
    InitFailed,
    /// The library's `init` panicked (caught when the library is built with `panic = "unwind"`).
    Panicked,
    /// The init thread's stack could not be allocated.
    StackAllocation,
    /// The init thread could not be created.
    ThreadCreate,
    /// This process is a fork child in which the library's state cannot be used: it was forked
    /// while init was running and the library's [`ForkPolicy`](crate::ForkPolicy) is `inherit`
    /// (init never finishes here), or the policy is `fail`. (With `reinit`, the default, init
    /// runs anew in the child instead.)
    Forked,
    /// The library's creator refused to start init in this process, where its thread could not
    /// be made safe (the raw creator in a process that can change its user or group ids, or in
    /// a lazily bound image on a target where that reaches the C library's resolver). The
    /// message says why; the pthread creator has no such limits.
    Refused,
}

/// The text of an error: a string rt0 or the library wrote in the program, or (feature `alloc`)
/// one made at run time.
#[derive(Clone)]
enum Message {
    Static(&'static str),
    #[cfg(feature = "alloc")]
    Owned(Arc<str>),
}

/// An init failure: its kind, an error number where one applies, a message, and (feature
/// `alloc`) the error that caused it.
///
/// Init may return any error that converts into it (see [`IntoInitError`]), so `?` works in
/// init on `InitError` itself and, with `alloc`, on anything boxed as
/// `Box<dyn Error + Send + Sync>`:
///
/// ```
/// # #[cfg(feature = "alloc")]
/// fn init(args: &rt0::Args) -> Result<u32, Box<dyn core::error::Error + Send + Sync>> {
///     let port: u32 = "8080".parse()?; // ParseIntError becomes the InitError's source
///     Ok(port + args.argc() as u32)
/// }
/// # #[cfg(feature = "alloc")]
/// # let _ = init;
/// ```
#[derive(Clone)]
pub struct InitError {
    kind: InitErrorKind,
    errno: i32,
    message: Message,
    #[cfg(feature = "alloc")]
    source: Option<Arc<dyn core::error::Error + Send + Sync>>,
}

impl InitError {
    /// An init failure with a message written in the program.
    pub const fn new(message: &'static str) -> InitError {
        InitError::with(InitErrorKind::InitFailed, 0, message)
    }

    /// An init failure with a message made at run time.
    #[cfg(feature = "alloc")]
    pub fn msg(message: impl Into<String>) -> InitError {
        let mut e = InitError::new("");
        e.message = Message::Owned(Arc::from(message.into().into_boxed_str()));
        e
    }

    /// An init failure caused by `error`: its text is the message and it is kept as the source.
    #[cfg(feature = "alloc")]
    pub fn from_error(error: impl core::error::Error + Send + Sync + 'static) -> InitError {
        InitError::from_boxed(Box::new(error))
    }

    #[cfg(feature = "alloc")]
    fn from_boxed(error: Box<dyn core::error::Error + Send + Sync>) -> InitError {
        // An InitError boxed on its way through `?` comes back as itself.
        let error = match error.downcast::<InitError>() {
            Ok(e) => return *e,
            Err(other) => other,
        };
        let mut e = InitError::msg(alloc::format!("{error}"));
        e.source = Some(Arc::from(error));
        e
    }

    pub(crate) const fn with(kind: InitErrorKind, errno: i32, message: &'static str) -> InitError {
        InitError {
            kind,
            errno,
            message: Message::Static(message),
            #[cfg(feature = "alloc")]
            source: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> InitErrorKind {
        self.kind
    }

    /// The error number, for thread-creation failures.
    pub fn errno(&self) -> Option<Errno> {
        (self.errno != 0).then_some(Errno(self.errno))
    }

    /// The message (init's own, or rt0's).
    pub fn message(&self) -> &str {
        match &self.message {
            Message::Static(s) => s,
            #[cfg(feature = "alloc")]
            Message::Owned(s) => s,
        }
    }
}

impl core::fmt::Debug for InitError {
    // `#[inline]`: emitted only where used, so rt0's own object does not reference core::fmt.
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InitError")
            .field("kind", &self.kind)
            .field("errno", &self.errno)
            .field("message", &self.message())
            .finish()
    }
}

impl core::fmt::Display for InitError {
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())?;
        if let Some(e) = self.errno() {
            match e.name() {
                Some(name) => write!(f, " ({name}, errno {})", e.0)?,
                None => write!(f, " (errno {})", e.0)?,
            }
        }
        Ok(())
    }
}

impl core::error::Error for InitError {
    #[inline]
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        #[cfg(feature = "alloc")]
        if let Some(s) = &self.source {
            return Some(&**s as &(dyn core::error::Error + 'static));
        }
        None
    }
}

/// What a library's `init` may return as its error: [`InitError`] itself, and with the `alloc`
/// feature a `Box<dyn Error + Send + Sync>` (so `?` works on any error), a `String` or a
/// `&'static str`.
pub trait IntoInitError {
    /// The error as rt0 keeps it.
    fn into_init_error(self) -> InitError;
}

impl IntoInitError for InitError {
    fn into_init_error(self) -> InitError {
        self
    }
}

impl IntoInitError for &'static str {
    fn into_init_error(self) -> InitError {
        InitError::new(self)
    }
}

#[cfg(feature = "alloc")]
impl IntoInitError for Box<dyn core::error::Error + Send + Sync> {
    fn into_init_error(self) -> InitError {
        InitError::from_boxed(self)
    }
}

#[cfg(feature = "alloc")]
impl IntoInitError for String {
    fn into_init_error(self) -> InitError {
        InitError::msg(self)
    }
}
