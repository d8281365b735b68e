/* Makes a syscall the emulated XNU does not model (getppid, 39): the run must stop naming the
 * number and the caller's address, never return a silent 0. x86_64 and arm64. */
#include <unistd.h>
#include "rt0_demo.h"

int main(void) {
    long r;
#if defined(__x86_64__)
    __asm__ volatile("syscall" : "=a"(r) : "a"(0x2000000L | 39) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x16 __asm__("x16") = 39;
    register long x0 __asm__("x0") = 0;
    __asm__ volatile("svc #0x80" : "+r"(x0) : "r"(x16) : "x1", "memory", "cc");
    r = x0;
#endif
    (void)!write(1, "returned\n", 9);
    return (int)r;
}
