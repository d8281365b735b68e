/* dlopen()s tests/crates/modes ($MODES_SO) from main, so the library's entry runs inside glibc's
 * dlopen, holding the loader's lock, then calls its exports through pointers typed from the
 * header cbindgen made (-Wall -Werror), then dlclose()s it and says whether it stayed loaded.
 * With MODES_NO_CALLS set it calls nothing before the dlclose. Prints key=value lines. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "modes.h"

static void *handle;

static void *sym(const char *name) {
    void *p = dlsym(handle, name);
    if (!p) { fprintf(stderr, "dlsym %s: %s\n", name, dlerror()); exit(2); }
    return p;
}

#define BIND(name) __typeof__(name) *p_##name; *(void **)&p_##name = sym(#name)

int main(void) {
    const char *so = getenv("MODES_SO");
    if (!so) { fprintf(stderr, "MODES_SO is not set\n"); return 2; }
    handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    printf("loaded=1\n");
    if (getenv("MODES_NO_CALLS")) {
        /* A library loaded and never called: does dlclose unload it? */
        dlclose(handle);
        printf("loaded_after_dlclose=%d\n", dlopen(so, RTLD_NOW | RTLD_NOLOAD) != NULL);
        return 0;
    }
    BIND(modes_add);
    BIND(modes_ready);
    BIND(modes_helper_tid);
    BIND(modes_status);
    BIND(modes_init_runs);
    BIND(modes_init_tid);
    BIND(modes_entry_tid);
    printf("pid=%d\n", (int)getpid());
    printf("add=%d\nready=%d\n", p_modes_add(2), p_modes_ready());
    printf("helper_tid=%llu\n", (unsigned long long)p_modes_helper_tid());
    printf("status=%d\nruns=%u\n", p_modes_status(NULL), p_modes_init_runs());
    printf("init_tid=%llu\nentry_tid=%llu\n", (unsigned long long)p_modes_init_tid(),
           (unsigned long long)p_modes_entry_tid());
    dlclose(handle);
    printf("loaded_after_dlclose=%d\n", dlopen(so, RTLD_NOW | RTLD_NOLOAD) != NULL);
    return 0;
}
