/* (a) bare host: the floor every other host is compared with. It does nothing a C program
 * would not do anyway; exec-to-exit here is the cost of the kernel, ld.so and libc start-up. */
#include <unistd.h>
/* With an argument: _exit at once (exec-to-ready: no destructors, no stdio flush). */
int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) _exit(0);
    return 0;
}
