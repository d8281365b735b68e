/* A stand-in bcryptprimitives.dll for Wine releases older than 8.13 (Debian 12 ships Wine 8.0).
 *
 * Why: Rust's std (1.78 and later) gets its random bytes (HashMap keys, among others) from
 * ProcessPrng in bcryptprimitives.dll, imported by name when the program or DLL loads
 * (rust-lang/rust#121337). Wine added that DLL in 8.13; an older Wine refuses to load any
 * std-using Rust program or DLL ("Library bcryptprimitives.dll ... not found", LoadLibrary
 * error 126, a process exit code of 53). Real Windows has ProcessPrng since Windows 8 and Rust's
 * std needs Windows 10 anyway: on Windows, and on Wine 8.13 or newer, do not use this file.
 *
 * What: the one function std imports, with ProcessPrng's documented contract (fills the buffer,
 * always returns TRUE), implemented with RtlGenRandom (advapi32's SystemFunction036), which
 * every Wine has. This is what Wine's own bcryptprimitives does.
 *
 * Build and use (only under an old Wine): put the DLL next to the host .exe, where the loader
 * looks first:
 *   x86_64-w64-mingw32-gcc -O2 -shared -o bcryptprimitives.dll bcryptprimitives-shim.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom's real name; ntsecapi.h declares it only under a macro that renames it. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  /* RtlGenRandom takes a 32-bit length: fill larger requests in pieces. */
  while (size > 0) {
    ULONG piece = size > 0x80000000u ? 0x80000000u : (ULONG)size;
    if (!SystemFunction036(data, piece)) {
      /* ProcessPrng cannot fail by contract, and a caller trusts the bytes: never return
       * without them. */
      RaiseFailFastException(NULL, NULL, 0);
    }
    data += piece;
    size -= piece;
  }
  return TRUE;
}
