/* Calls the demo's newosproc0 exports under the emulated XNU.
 *   fail: rt0_demo_newosproc0 with a 4 MiB stack the emulator refuses (--fail-mmap-over below it):
 *         rt0 prints its message on fd 2 and exits 1, so "returned" must never appear.
 *   try:  the fallible form returns the errno; the caller's mask is unchanged.
 *   ok:   a thread is created. */
#include <unistd.h>
#include <string.h>
#include <signal.h>
#include "rt0_demo.h"

#define STACK (4ULL << 20)

static void put(const char *s) { (void)!write(1, s, strlen(s)); }
static void put_u(unsigned long long v) {
    char b[24]; int i = sizeof b;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    (void)!write(1, b + i, sizeof b - (size_t)i);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "ok";
    sigset_t before, after;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);
    pthread_sigmask(SIG_SETMASK, &before, 0);
    if (!strcmp(mode, "fail")) {
        rt0_demo_newosproc0(STACK);
        put("returned\n");
        return 0;
    }
    if (!strcmp(mode, "try")) {
        int e = rt0_demo_try_newosproc0(STACK);
        pthread_sigmask(SIG_BLOCK, 0, &after);
        put("errno="); put_u((unsigned)e); put("\n");
        put("mask_unchanged="); put_u(before == after); put("\n");
        return 0;
    }
    int r = rt0_demo_newosproc0(STACK);
    pthread_sigmask(SIG_BLOCK, 0, &after);
    put("created="); put_u(r == 0); put("\n");
    put("mask_unchanged="); put_u(before == after); put("\n");
    return 0;
}
