/* The emulated libSystem's stdio, called as a C program calls it. Variadic arguments travel
 * differently per CPU: on x86_64 the first ones share rdi..r9 with the named arguments and the
 * rest spill to the stack past the return address; on arm64 (Apple's ABI) every variadic
 * argument is in its own 8-byte stack slot. So each formatted call below passes more than
 * eight of mixed kinds and widths (int, unsigned, long long, short, char, pointers, strings).
 * Return values are printed too, so the test checks them. */
#include <stdio.h>
#include <string.h>

/* Not in the emulator's headers (it has no errno.h): errno's address, as <errno.h> gets it. */
int *__error(void);

int main(void) {
    int p = printf("mixed %d %u %x %lld %s %c %p %hd %05d %-4s| %llX %%\n", -42, 3000000000u,
                   0xbeefu, -1234567890123LL, "str", 'Z', (void *)0x1000, (short)-7, 42, "ab",
                   0xfedcba9876543210ULL);
    printf("star [%*d] [%-*.*s] [%hhd] [%+.3d] [%#o]\n", 6, 42, 5, 2, "xyz", (signed char)-1,
           7, 8);
    const char *volatile nothing = 0;
    printf("null=[%s]\n", nothing);

    fprintf(stderr, "err %s=%d %ld %lu %c %x %o %#x %+d\n", "code", 7, -8L, 9UL, 'q', 255, 8,
            255, 5);

    /* Truncation: at most size-1 bytes and a NUL, nothing past them; the whole length back. */
    char big[16];
    memset(big, 'X', sizeof big);
    int t = snprintf(big, 8, "%s-%d", "truncated", 12345);
    printf("snprintf=%d [%s] after=%c\n", t, big, big[8]);
    char ten[32];
    int u = snprintf(ten, sizeof ten, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", 1, 2, 3, 4, 5, 6, 7, 8, 9,
                     10);
    int z = snprintf(0, 0, "%d", 123456);
    printf("snprintf=%d [%s] size0=%d\n", u, ten, z);

    int q = puts("puts line");
    int c = putchar('!');
    putchar('\n');
    int f = fputs("fputs to stdout\n", stdout);
    fputs("fputs to stderr\n", stderr);
    int l = fflush(stdout);
    /* A FILE the model has none for: EOF with errno EBADF (9), nothing written. */
    FILE *bogus = (FILE *)big;
    int bad = fprintf(bogus, "%d\n", 1);
    int bad_errno = *__error();
    printf("bad stream fprintf=%d fputs=%d fflush=%d errno=%d\n", bad, fputs("x", bogus),
           fflush(bogus), bad_errno);
    printf("returns printf=%d puts=%d putchar=%d fputs=%d fflush=%d\n", p, q, c, f, l);
    return 0;
}
