/* Item 4: dlopen/dlclose of the demo many times (argv[1]); every 4th time it is closed at once,
 * while init is still running (init sleeps 2 ms then), so rt0's destructor must wait for init
 * and for its thread to be gone before the code is unmapped. The thread count and the number of
 * mappings must come back to the baseline taken after one warm-up cycle (which lets libc set up
 * its dlopen bookkeeping and cache one thread stack). Then fork must still work: rt0's atfork
 * handler must have left with the library. Built with -DRT0_DLOPEN only. */
#include "rel_api.h"
#include <dirent.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int count_maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* Thread exit is reported a moment before the kernel drops the task: allow it to settle. */
static int settled_threads(int want) {
    int n = count_threads();
    for (int i = 0; i < 200 && n != want; i++) {
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL);
        n = count_threads();
    }
    return n;
}

static void cycle(int i) {
    if (i % 4 == 0) setenv("RT0_DEMO_INIT_SLEEP_MS", "2", 1);   /* glibc passes environ to dlopen's initializers */
    else unsetenv("RT0_DEMO_INIT_SLEEP_MS");
    rel_load();
    if (i % 4 != 0 && rt0_demo_ready() != 1) { printf("not_ready_at=%d\n", i); exit(1); }
    rel_unload();                                 /* i % 4 == 0: init still sleeping */
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    rel_load();
    int has_destructor = rt0_demo_ready() == 1 && rt0_demo_has_destructor();
    printf("has_destructor=%d\n", has_destructor);
    if (!has_destructor) return 0;                /* a port without it: unloading is not safe */
    rel_unload();
    cycle(1);
    int threads_base = settled_threads(1), maps_base = count_maps();
    int closed_while_running = 0, max_threads = 0, max_maps = 0;
    for (int i = 0; i < n; i++) {
        if (i % 4 == 0) {
            setenv("RT0_DEMO_INIT_SLEEP_MS", "2", 1);
            rel_load();
            closed_while_running += rt0_demo_state() == 1;
            rel_unload();
        } else {
            cycle(i);
        }
        if (i % 100 == 99) {
            int t = settled_threads(threads_base), m = count_maps();
            if (t > max_threads) max_threads = t;
            if (m > max_maps) max_maps = m;
        }
    }
    int threads_end = settled_threads(threads_base), maps_end = count_maps();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = -1;
    waitpid(pid, &status, 0);
    printf("cycles=%d\nclosed_while_running=%d\n", n, closed_while_running);
    printf("threads_base=%d\nthreads_end=%d\nthreads_max=%d\n", threads_base, threads_end, max_threads);
    printf("maps_base=%d\nmaps_end=%d\nmaps_max=%d\n", maps_base, maps_end, max_maps);
    printf("fork_after=%d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}
