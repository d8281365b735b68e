/* arm64: x18 belongs to the platform and may change at any trap. The host keeps a value in x18
 * across a write(2) and reports whether it survived; the emulator must change it (so rt0's stubs,
 * which run in every scenario, are proven not to depend on it). */
#include <unistd.h>
#include "rt0_demo.h"

int main(void) {
#if defined(__aarch64__)
    unsigned long before = 0x1234, after;
    __asm__ volatile("mov x18, %1\n\t"
                     "mov x0, #1\n\tmov x1, %2\n\tmov x2, #7\n\tmov x16, #4\n\tsvc #0x80\n\t"
                     "mov %0, x18"
                     : "=r"(after) : "r"(before), "r"("before\n") : "x0", "x1", "x2", "x16", "x18", "memory", "cc");
    (void)!write(1, after == before ? "x18_changed=0\n" : "x18_changed=1\n", 14);
#endif
    return rt0_demo_ready() ? 0 : 1;
}
