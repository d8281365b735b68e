/* Dlopen/dlclose of the demo many times (argv[1]); every 4th time it is closed at once,
 * while init is still running (init sleeps 2 ms then). dlclose never waits for init: rt0 pins the
 * image for the life of the process (RTLD_NODELETE, both creators), so it stays. Every
 * 100 cycles, once the thread count is back at the baseline (taken after warm-up cycles, which
 * let libc set up its dlopen bookkeeping and cache thread stacks), the mappings are counted:
 * all of them, and those of the demo itself. Were the image to go away, each cycle would wait
 * until it had, so every load would be fresh. Then fork must still work. Built with -DRT0_DLOPEN
 * only. */
#include "rel_api.h"
#include <sys/wait.h>
#include <unistd.h>

static const char *so;
static long long last_init_tid = -1;
static int inits, unloads, unload_timeouts;
/* Set after the warm-up when the image goes away after dlclose (pthread path): each cycle then
 * waits until it is unmapped, so that every load is a fresh one that runs the entry. */
static int image_unloads;

/* Polls (up to 10 s) until no mapping names the demo. */
static void wait_unmapped(void) {
    for (int i = 0; i < 20000; i++) {
        if (rel_count_maps(so) == 0) { unloads++; return; }
        struct timespec d = {0, 500 * 1000};
        nanosleep(&d, NULL);
    }
    unload_timeouts++;
}

/* One load, call, unload; `during_init`: unloaded at once, while init (2 ms) still runs. */
static int cycle(int during_init) {
    if (during_init) setenv("RT0_DEMO_INIT_SLEEP_MS", "2", 1);   /* glibc passes environ to dlopen's initializers */
    else unsetenv("RT0_DEMO_INIT_SLEEP_MS");
    rel_load();
    int running = rt0_demo_state() == 1;
    if (!during_init) {
        if (rt0_demo_ready() != 1) { printf("not_ready=1\n"); exit(1); }
        long long tid = rt0_demo_init_tid();
        inits += tid != last_init_tid;
        last_init_tid = tid;
    }
    rel_unload();
    if (image_unloads) wait_unmapped();
    return during_init && running;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    so = getenv("RT0_DEMO_SO");
    int threads_start = rel_count_threads();
    /* Warm-up: the same pattern as the loop, so libc's caches (dlopen bookkeeping, thread stacks)
     * reach the state the loop keeps them in. */
    for (int i = 0; i < 8; i++) cycle(i % 4 == 0);
    int threads_base = rel_settled_threads(threads_start), maps_base = rel_count_maps(NULL);
    int lib_maps_base = rel_count_maps(so);
    image_unloads = lib_maps_base == 0;
    if (image_unloads) {
        for (int i = 0; i < 8; i++) cycle(i % 4 == 0);   /* now with each unload awaited */
        threads_base = rel_settled_threads(threads_start);
        maps_base = rel_count_maps(NULL);
    }
    inits = unloads = 0;
    int closed_while_running = 0, max_threads = 0, max_maps = 0, min_maps = 1 << 30;
    int max_lib_maps = 0, min_lib_maps = 1 << 30;
    /* The most mapping lines at the checkpoints of the first and of the second half: a leak grows
     * with the cycles, a cache (glibc keeps a few thread stacks) does not. */
    int early_max_maps = 0, late_max_maps = 0;
    for (int i = 0; i < n; i++) {
        closed_while_running += cycle(i % 4 == 0);
        if (i % 100 == 99) {
            int t = rel_settled_threads(threads_base), m = rel_count_maps(NULL), l = rel_count_maps(so);
            if (t > max_threads) max_threads = t;
            if (m > max_maps) max_maps = m;
            if (m < min_maps) min_maps = m;
            if (i < n / 2 && m > early_max_maps) early_max_maps = m;
            if (i >= n / 2 && m > late_max_maps) late_max_maps = m;
            if (l > max_lib_maps) max_lib_maps = l;
            if (l < min_lib_maps) min_lib_maps = l;
        }
    }
    int threads_end = rel_settled_threads(threads_base), maps_end = rel_count_maps(NULL);
    int lib_maps_end = rel_count_maps(so);
    void *still = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
    if (still) dlclose(still);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = -1;
    waitpid(pid, &status, 0);
    printf("cycles=%d\nclosed_while_running=%d\ninits=%d\nunloads=%d\nunload_timeouts=%d\n", n,
           closed_while_running, inits, unloads, unload_timeouts);
    printf("threads_start=%d\nthreads_base=%d\nthreads_end=%d\nthreads_max=%d\n", threads_start, threads_base,
           threads_end, max_threads);
    printf("maps_base=%d\nmaps_end=%d\nmaps_max=%d\nmaps_min=%d\n", maps_base, maps_end, max_maps, min_maps);
    printf("maps_early_max=%d\nmaps_late_max=%d\n", early_max_maps, late_max_maps);
    printf("lib_maps_base=%d\nlib_maps_end=%d\nlib_maps_max=%d\nlib_maps_min=%d\nloaded_end=%d\n", lib_maps_base,
           lib_maps_end, max_lib_maps, min_lib_maps, still != NULL);
    printf("fork_after=%d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}
