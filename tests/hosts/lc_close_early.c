/* dlopen of the std-init cdylib ($STD_INIT_SO) and dlclose at once, while init still runs
 * (tests/lifecycle_unload.rs; run with STD_INIT_SLEEP_MS and STD_INIT_STD_SYNC=1), then a sleep
 * past init's end (argv[1] ms) so that the init thread exits, and its thread-exit destructors run,
 * while the host lives on. Prints `host done` and exits 0: nothing of rt0 shows, and a library
 * unmapped before those destructors ran kills the host with SIGSEGV instead. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 300;
    void *h = dlopen(getenv("STD_INIT_SO"), RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    if (dlclose(h) != 0) { fprintf(stderr, "dlclose: %s\n", dlerror()); return 3; }
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
    printf("host done\n");
    return 0;
}
