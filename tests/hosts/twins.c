/* Two rt0 libraries in one host (tests/multi_library.rs). -DFIRST=alpha -DSECOND=beta name the
 * libraries (their exports are <name>_name, _creator, _arg, _init_runs, _argc, _init_tid); with
 * -DFIRST_LINKED / -DSECOND_LINKED a library is linked (static archive or shared library, as the
 * test's link line says), otherwise it is dlopen()ed from $FIRST_SO / $SECOND_SO with
 * $DLOPEN_FLAGS ("local" or "global"). Prints what each library's exports say. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

struct lib {
    const char *(*name)(void), *(*creator)(void), *(*arg)(void);
    int (*runs)(void), (*argc)(void);
    long long (*init_tid)(void);
};

#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define DECLARE(p) \
    const char *CAT(p, name)(void); const char *CAT(p, creator)(void); \
    const char *CAT(p, arg)(void); int CAT(p, init_runs)(void); int CAT(p, argc)(void); \
    long long CAT(p, init_tid)(void);
#define LINKED(p) { CAT(p, name), CAT(p, creator), CAT(p, arg), CAT(p, init_runs), CAT(p, argc), CAT(p, init_tid) }

#ifdef FIRST_LINKED
DECLARE(FIRST)
#endif
#ifdef SECOND_LINKED
DECLARE(SECOND)
#endif

__attribute__((unused)) static void *sym(void *h, const char *prefix, const char *what) {
    char n[64];
    snprintf(n, sizeof n, "%s_%s", prefix, what);
    void *p = dlsym(h, n);
    if (!p) { fprintf(stderr, "dlsym %s: %s\n", n, dlerror()); exit(3); }
    return p;
}

__attribute__((unused)) static struct lib load(const char *prefix, const char *env) {
    const char *path = getenv(env);
    const char *flags = getenv("DLOPEN_FLAGS");
    int mode = RTLD_NOW | (flags && strcmp(flags, "global") == 0 ? RTLD_GLOBAL : RTLD_LOCAL);
    void *h = dlopen(path, mode);
    if (!h) { fprintf(stderr, "dlopen %s: %s\n", path ? path : "(unset)", dlerror()); exit(3); }
    struct lib l = { sym(h, prefix, "name"), sym(h, prefix, "creator"), sym(h, prefix, "arg"),
                     sym(h, prefix, "init_runs"), sym(h, prefix, "argc"), sym(h, prefix, "init_tid") };
    return l;
}

static const char *text(const char *s) { return s ? s : "(null)"; }

static void report(const char *slot, struct lib l) {
    printf("%s_name=%s\n", slot, text(l.name()));
    printf("%s_creator=%s\n", slot, text(l.creator()));
    printf("%s_init_runs=%d\n", slot, l.runs());
    printf("%s_argc=%d\n", slot, l.argc());
    printf("%s_arg=%s\n", slot, text(l.arg()));
    printf("%s_init_tid=%lld\n", slot, l.init_tid());
}

int main(void) {
    printf("main_tid=%ld\n", (long)syscall(SYS_gettid));
#ifdef FIRST_LINKED
    struct lib a = LINKED(FIRST);
#else
    struct lib a = load(STR(FIRST), "FIRST_SO");
#endif
#ifdef SECOND_LINKED
    struct lib b = LINKED(SECOND);
#else
    struct lib b = load(STR(SECOND), "SECOND_SO");
#endif
    report("first", a);
    report("second", b);
    /* Asking again changes nothing: each init ran once. */
    printf("first_init_runs_again=%d\n", a.runs());
    printf("second_init_runs_again=%d\n", b.runs());
    return 0;
}
