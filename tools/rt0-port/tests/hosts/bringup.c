/* Bring-up of a darwin port without rt0: the kernel model's thread calls, driven directly.
 * Registers a start routine, maps a stack topped by a {base, len} header, creates a thread with
 * PTHREAD_START_CUSTOM, waits for it on a ulock, and checks a second registration is EINVAL.
 * The start routine takes the stack from the stack register (r8 / x4), never from sp. */
#include <unistd.h>

#if defined(__x86_64__)
static long sys(long n, long a, long b, long c, long d, long e) {
    long r;
    unsigned char cf;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall; setc %1" : "=a"(r), "=r"(cf) : "a"(0x2000000L | n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory", "cc");
    return cf ? -r : r;
}
__attribute__((naked)) static void start(void) {
    __asm__(
        "mov %r8, %rsp\n\t"          /* stack from r8 */
        "mov 0(%r8), %r12\n\t"       /* header: map base */
        "mov 8(%r8), %r13\n\t"       /* header: map len */
        "mov %rcx, %rdi\n\t"         /* arg */
        "call *%rdx\n\t"             /* func(arg): rsp = stack is 16-aligned at the call */
        "mov %r12, %rdi\n\t"
        "mov %r13, %rsi\n\t"
        "xor %edx, %edx\n\t"
        "xor %r10d, %r10d\n\t"
        "mov $0x2000169, %eax\n\t"   /* bsdthread_terminate */
        "syscall\n\t"
        "ud2\n");
}
#elif defined(__aarch64__)
static long sys(long n, long a, long b, long c, long d, long e) {
    register long x16 __asm__("x16") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    __asm__ volatile("svc #0x80\n\tb.cc 1f\n\tneg x0, x0\n1:"
                     : "+r"(x0), "+r"(x1) : "r"(x16), "r"(x2), "r"(x3), "r"(x4) : "memory", "cc");
    return x0;
}
__attribute__((naked)) static void start(void) {
    __asm__(
        "mov sp, x4\n\t"             /* stack from x4 */
        "ldp x19, x20, [x4]\n\t"     /* header {base, len} */
        "mov x0, x3\n\t"             /* arg */
        "blr x2\n\t"                 /* func(arg) */
        "mov x0, x19\n\t"
        "mov x1, x20\n\t"
        "mov x2, #0\n\t"
        "mov x3, #0\n\t"
        "mov x16, #361\n\t"          /* bsdthread_terminate */
        "svc #0x80\n\t"
        "brk #1\n");
}
#endif

static volatile unsigned done;
static unsigned long seen_arg;

static void put(const char *s) { const char *e = s; while (*e) e++; (void)!write(1, s, (size_t)(e - s)); }
static void put_d(long v) {
    char b[24]; int i = sizeof b; int neg = v < 0; unsigned long u = neg ? -v : v;
    do { b[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) b[--i] = '-';
    (void)!write(1, b + i, sizeof b - (size_t)i);
}
static void line(const char *k, long v) { put(k); put("="); put_d(v); put("\n"); }

static void child(void *arg) {
    seen_arg = (unsigned long)arg;
    done = 1;
    sys(516, 1 | 0x100, (long)&done, 0, 0, 0);        /* ulock_wake all */
}

int main(int argc, char **argv) {
    (void)argv;
    line("register", sys(366, (long)start, 0, 0, 0, 0) > 0);
    line("register_again", sys(366, (long)start, 0, 0, 0, 0));
    long len = 256 * 1024;
    long base = sys(197, 0, len, 3, 0x1002, -1);        /* mmap rw anon private */
    line("mmap_ok", base > 0);
    unsigned long *hdr = (unsigned long *)(base + len - 16);
    hdr[0] = (unsigned long)base;
    hdr[1] = (unsigned long)len;
    long r = sys(360, (long)child, 0x5eed, (long)hdr, 0, 0x01000000);
    line("create", r);
    while (!done) sys(515, 1, (long)&done, 0, 0, 0);    /* ulock_wait while 0 */
    line("child_arg", (long)seen_arg);
    line("no_custom", sys(360, (long)child, 0, (long)hdr, 0, 0));
    /* ulock edge cases: a timeout (1 ms of virtual time) is ETIMEDOUT, with the carry flag or,
     * under ULF_NO_ERRNO, as a plain -60; a changed value returns at once; waking nobody is ENOENT. */
    line("timeout", sys(515, 1, (long)&done, 1, 1000, 0));
    line("timeout_no_errno", sys(515, 1 | 0x01000000, (long)&done, 1, 1000, 0));
    line("value_changed", sys(515, 1, (long)&done, 0, 0, 0));
    line("wake_nobody", sys(516, 1, (long)&done, 0, 0, 0));
    if (argc > 1) sys(515, 1, (long)&done, 1, 0, 0);    /* "deadlock": wait forever */
    return 0;
}
