/* Drives rt0::newosproc0 through the demo's exports.
 *   fail-stack: a stack that cannot be mapped: rt0 prints its message on fd 2 and exits 1.
 *   try-stack:  the fallible form returns the errno, and the caller's mask is unchanged.
 *   ok:         a thread is created and the call returns. */
#include <signal.h>
#include <string.h>
#include "demo_api.h"

/* Compares masks signal by signal: the kernel fills only the first 8 bytes of a sigset_t, so
 * the rest may differ (it does under qemu-user) without the mask being different. */
static int same_mask(const sigset_t *a, const sigset_t *b) {
    for (int s = 1; s < 65; s++)
        if (sigismember(a, s) != sigismember(b, s)) return 0;
    return 1;
}

int main(int argc, char **argv) {
    demo_load();
    const char *mode = argc > 1 ? argv[1] : "ok";
    sigset_t before, after;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    if (!strcmp(mode, "fail-stack")) {
        rt0_demo_newosproc0(1ULL << 62);
        printf("returned=1\n");                   /* must not be reached */
        return 0;
    }
    if (!strcmp(mode, "try-stack")) {
        int err = rt0_demo_try_newosproc0(1ULL << 62);
        sigemptyset(&after);
        pthread_sigmask(SIG_BLOCK, NULL, &after);
        printf("errno=%d\nmask_unchanged=%d\n", err, same_mask(&before, &after));
        return 0;
    }
    int r = rt0_demo_newosproc0(64 * 1024);
    sigemptyset(&after);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    printf("created=%d\nmask_unchanged=%d\nusr2_still_blocked=%d\n", r == 0, same_mask(&before, &after),
           sigismember(&after, SIGUSR2) == 1);
    return 0;
}
