/* Calls libSystem functions the emulated libSystem does not provide: the build must fail naming
 * each of them. */
#include "rt0_demo.h"
int getpid(void);
int getppid(void);

int main(void) {
    return getpid() + getppid() + rt0_demo_ready();
}
