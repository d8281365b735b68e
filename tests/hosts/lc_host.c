/* Host of lc_ctor_lib.so (tests/lifecycle.rs). With -DLC_DLOPEN it dlopen()s $LC_CTOR_LIB (whose
 * constructor calls a std-init export while init waits at its gate), then opens the gate itself
 * and calls again from main. Without, it is linked against lc_ctor_lib.so (DT_NEEDED), whose
 * constructor ran before main. Prints key=value lines. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef LC_DLOPEN
#include <dlfcn.h>
static void *lib;
static void *sym(const char *name) {
    void *p = dlsym(lib, name);
    if (!p) { fprintf(stderr, "dlsym %s: %s\n", name, dlerror()); exit(2); }
    return p;
}
#define LC_FN(ret, name) ((ret(*)(void))sym(#name))
#else
int lc_ctor_state_before(void);
int lc_ctor_state_after(void);
const char *lc_ctor_kind(void);
const char *lc_kind_now(void);
long long lc_tokio_sum(void);
#define LC_FN(ret, name) name
#endif

int main(void) {
#ifdef LC_DLOPEN
    lib = dlopen(getenv("LC_CTOR_LIB"), RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    printf("dlopen_returned=1\n");
    /* The constructor has run and dlopen returned: let init go on. */
    int fd = open(getenv("STD_INIT_GATE"), O_WRONLY);
    if (fd < 0 || write(fd, "g", 1) != 1) { perror("gate"); return 2; }
    close(fd);
#endif
    printf("ctor_state_before=%d\nctor_kind=%s\nctor_state_after=%d\n", LC_FN(int, lc_ctor_state_before)(),
           LC_FN(const char *, lc_ctor_kind)(), LC_FN(int, lc_ctor_state_after)());
    printf("main_kind=%s\ntokio_sum=%lld\n", LC_FN(const char *, lc_kind_now)(), LC_FN(long long, lc_tokio_sum)());
    return 0;
}
