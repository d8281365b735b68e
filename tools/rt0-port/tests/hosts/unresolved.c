/* Calls libSystem functions the emulated libSystem does not provide: the build must fail naming
 * each of them. */
#include "rt0_demo.h"
int getppid(void);
int getuid(void);

int main(void) {
    return getppid() + getuid() + rt0_demo_ready();
}
