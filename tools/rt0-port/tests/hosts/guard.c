/* mmap/mprotect carry real protections: a touch of a PROT_NONE page dies of SIGBUS (XNU
 * ux_exception: a protection failure, not an invalid address). Raw syscalls, x86_64. */
#include <unistd.h>
#include "rt0_demo.h"

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(0x2000000L | n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

int main(void) {
    char *p = (char *)sys6(197, 0, 8192, 3, 0x1002, -1, 0);   /* mmap rw, MAP_ANON|MAP_PRIVATE */
    p[0] = 1;
    sys6(74, (long)p, 4096, 0, 0, 0, 0);                        /* mprotect first page PROT_NONE */
    p[4096] = 2;                                                 /* second page still writable */
    (void)!write(1, "before\n", 7);
    p[0] = 3;                                                    /* guard touch: SIGBUS */
    (void)!write(1, "after\n", 6);
    return 0;
}
