/* dlopen()s the no-libc raw library, dlcloses it while its init sleeps, then outlives init.
 * Prints where the loader put it (base=, dynamic=: its ELF header and its dynamic section, as
 * the loader's own dladdr/link_map say), whether the image is still loaded (RTLD_NOLOAD finds
 * it) after the dlclose, and "host done" after init's own line. Exit 0 unless something
 * failed. With NOLIBC_FIRST set, that library is dlopened first (a library linked at the same
 * fixed address, so the loader must move the one under test). Builds with glibc and musl. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *first = getenv("NOLIBC_FIRST");
    if (first && !dlopen(first, RTLD_NOW | RTLD_LOCAL)) {
        printf("first_error=%s\n", dlerror());
        return 1;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen_error=%s\n", dlerror()); return 1; }
    Dl_info info;
    void *value_fn = dlsym(h, "nolibc_value");
    if (value_fn && dladdr(value_fn, &info)) printf("base=%p\n", info.dli_fbase);
    struct link_map *map = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map) printf("dynamic=%p\n", (void *)map->l_ld);
    fflush(stdout);
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
