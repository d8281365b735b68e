/* A host with a C thread-local variable: clang emits a __thread_vars descriptor for it (and
 * binds __tlv_bootstrap), the Mach-O form every std Rust library has too. The emulator does not
 * model thread-local variables, so a run of this host must be refused, not reported as a pass. */
#include <unistd.h>

static _Thread_local int calls;

int main(void) {
    calls++;
    return calls == 1 ? 0 : 1;
}
