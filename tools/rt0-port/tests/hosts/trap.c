/* A trap instruction in the host: __builtin_trap is `ud2` on x86_64 (EXC_BAD_INSTRUCTION →
 * SIGILL) and `brk #1` on arm64 (EXC_BREAKPOINT → SIGTRAP); argv[1] = "udf" executes an
 * undefined instruction on arm64 instead (SIGILL). XNU bsd/uxkern/ux_exception.c. */
#include <unistd.h>
#include <string.h>
#include "rt0_demo.h"

int main(int argc, char **argv) {
    (void)!write(1, "before\n", 7);
#if defined(__aarch64__)
    if (argc > 1 && strcmp(argv[1], "udf") == 0) __asm__ volatile(".inst 0x00000000"); /* udf #0 */
#else
    (void)argc; (void)argv;
#endif
    __builtin_trap();
    (void)!write(1, "after\n", 6);
    return 0;
}
