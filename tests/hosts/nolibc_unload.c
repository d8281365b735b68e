/* dlopen()s the no-libc raw library, dlcloses it while its init sleeps, then outlives init.
 * Prints whether the image is still loaded (RTLD_NOLOAD finds it) after the dlclose, and
 * "host done" after init's own line. Exit 0 unless something failed. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen_error=%s\n", dlerror()); return 1; }
    printf("close_result=%d\n", dlclose(h));
    fflush(stdout);
    void *again = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
    printf("loaded_after_close=%d\n", again != NULL);
    if (again) {
        int (*value)(void) = (int (*)(void))dlsym(again, "nolibc_value");
        printf("value=%d\n", value ? value() : -2);
    }
    fflush(stdout);
    usleep(600 * 1000); /* past init's 300 ms, pinned or not */
    fprintf(stderr, "host done\n");
    printf("host_alive=1\n");
    return 0;
}
