/* mmap/mprotect carry real protections: a touch of a PROT_NONE page dies of SIGBUS (XNU
 * ux_exception: a protection failure, not an invalid address). Raw syscalls, x86_64 and arm64;
 * 16 KiB steps so the offsets are whole pages on both (4 KiB and 16 KiB vm_page_size). */
#include <unistd.h>
#include "rt0_demo.h"

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(0x2000000L | n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
#elif defined(__aarch64__)
    register long x16 __asm__("x16") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0x80" : "+r"(x0), "+r"(x1) : "r"(x16), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
    return x0;
#endif
}

#define STEP 16384

int main(void) {
    char *p = (char *)sys6(197, 0, 2 * STEP, 3, 0x1002, -1, 0); /* mmap rw, MAP_ANON|MAP_PRIVATE */
    p[0] = 1;
    sys6(74, (long)p, STEP, 0, 0, 0, 0);                        /* mprotect first page(s) PROT_NONE */
    p[STEP] = 2;                                                 /* the rest still writable */
    (void)!write(1, "before\n", 7);
    p[0] = 3;                                                    /* guard touch: SIGBUS */
    (void)!write(1, "after\n", 6);
    return 0;
}
