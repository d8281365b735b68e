/* dlclose of the std-init cdylib ($STD_INIT_SO) while its init runs (tests/lifecycle.rs; run
 * with STD_INIT_SLEEP_MS and RT0_TRACE=1). Right after dlclose returned the host writes
 * `host: dlclose returned` to fd 2, where rt0's trace lines go too, so the order of that line and
 * the init thread's `init done` shows whether dlclose waited for init. Then it waits (up to 10 s)
 * until the init thread is gone, and reports the library's mappings (rt0 pins it: they stay). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int threads(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static int maps(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) n += strstr(line, needle) != NULL;
    if (f) fclose(f);
    return n;
}

int main(void) {
    const char *so = getenv("STD_INIT_SO");
    int threads_start = threads();
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    int (*state)(void) = (int (*)(void))dlsym(h, "std_init_state");
    int state_before_close = state ? state() : -1;
    int close_result = dlclose(h);
    const char *line = "host: dlclose returned\n";
    if (write(2, line, strlen(line)) < 0) return 3;
    int lib_maps_after_close = maps(so);
    int settled = 0;
    for (int i = 0; i < 20000 && !settled; i++) {
        settled = threads() == threads_start;
        if (!settled) {
            struct timespec d = {0, 500 * 1000};
            nanosleep(&d, NULL);
        }
    }
    void *still = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
    printf("state_before_close=%d\nclose_result=%d\nlib_maps_after_close=%d\n", state_before_close, close_result,
           lib_maps_after_close);
    printf("settled=%d\nthreads_start=%d\nthreads_end=%d\nlib_maps_end=%d\nloaded_end=%d\n", settled, threads_start,
           threads(), maps(so), still != NULL);
    if (still) dlclose(still);
    return 0;
}
