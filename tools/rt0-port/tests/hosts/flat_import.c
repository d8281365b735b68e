/* A host that calls a libSystem function the emulator does not provide (getppid), linked the
 * way tools/darwin-sdk/bin/darwin-cc links (-undefined dynamic_lookup): the import is a
 * flat-namespace one the linker did not check, so it is the emulated dyld that must refuse it. */
#include <unistd.h>

/* Not in the emulator's unistd.h, because the emulated libSystem lacks it. */
int getppid(void);

int main(void) {
    return getppid() > 0 ? 0 : 1;
}
