/* Loads the no-libc raw library into a new link-map namespace with dlmopen(LM_ID_NEWLM) and
 * dlcloses it while its init sleeps. The library links no C library, so the namespace gets
 * one first (libc.so.6, whose memcpy and dlopen the library's image then finds there).
 * Prints dynamic= (the library's dynamic section, from its link_map), whether the image is
 * still loaded in that namespace after the dlclose, and "host done" after init's own line. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *libc = dlmopen(LM_ID_NEWLM, "libc.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!libc) { printf("libc_error=%s\n", dlerror()); return 1; }
    Lmid_t ns = 0;
    if (dlinfo(libc, RTLD_DI_LMID, &ns) != 0) { printf("lmid_error=%s\n", dlerror()); return 1; }
    printf("namespace=%ld\n", (long)ns);
    void *h = dlmopen(ns, argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen_error=%s\n", dlerror()); return 1; }
    struct link_map *map = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map) printf("dynamic=%p\n", (void *)map->l_ld);
    fflush(stdout);
    printf("close_result=%d\n", dlclose(h));
    fflush(stdout);
    void *again = dlmopen(ns, argv[1], RTLD_NOW | RTLD_NOLOAD);
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
