/* Access to the demo's exports for the reliability hosts (tests/reliability.rs): linked directly
 * (static archive or shared library), or, with -DRT0_DLOPEN, through dlopen of $RT0_DEMO_SO,
 * which rel_load()/rel_unload() can repeat. Portable C (Linux glibc/musl, any architecture). */
#ifndef REL_API_H
#define REL_API_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <time.h>
#include "rt0_demo.h"

/* Milliseconds on the monotonic clock. */
static inline double rel_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Sleeps `ms` milliseconds. */
static inline void rel_sleep_ms(long ms) {
    struct timespec d = {ms / 1000, (ms % 1000) * 1000 * 1000};
    while (nanosleep(&d, &d) != 0) {}
}

/* The process's threads (/proc/self/task; under qemu-user it also lists qemu's own threads). */
__attribute__((unused)) static int rel_count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Lines of /proc/self/maps, all of them (needle NULL) or those containing `needle`. */
__attribute__((unused)) static int rel_count_maps(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += !needle || strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Thread exit is reported a moment before the kernel drops the task: polls (up to 10 s) until the
 * thread count is `want`; returns the last count. */
__attribute__((unused)) static int rel_settled_threads(int want) {
    int n = rel_count_threads();
    for (int i = 0; i < 2000 && n != want; i++) {
        rel_sleep_ms(5);
        n = rel_count_threads();
    }
    return n;
}

/* Whether dlclose unmaps the demo (see the definition: it never does). */
__attribute__((unused)) static int rel_image_unloads(void);

/* After rel_unload(): polls (up to 10 s) until no mapping names $RT0_DEMO_SO; 1 if it went away. */
__attribute__((unused)) static int rel_wait_unmapped(void) {
    const char *so = getenv("RT0_DEMO_SO");
    for (int i = 0; i < 20000; i++) {
        if (rel_count_maps(so) == 0) return 1;
        struct timespec d = {0, 500 * 1000};
        nanosleep(&d, NULL);
    }
    return 0;
}

#ifdef RT0_DLOPEN
#include <dlfcn.h>
#define REL_EXPORTS(X)                                                        \
    X(int, rt0_demo_ready, (void))                                            \
    X(long long, rt0_demo_init_tid, (void))                                   \
    X(long long, rt0_demo_entry_tid, (void))                                  \
    X(int, rt0_demo_argc, (void))                                             \
    X(const char *, rt0_demo_argv, (int))                                     \
    X(const char *, rt0_demo_path, (void))                                    \
    X(int, rt0_demo_state, (void))                                            \
    X(const char *, rt0_demo_error, (void))                                   \
    X(int, rt0_demo_init_export_result, (void))                               \
    X(unsigned long long, rt0_demo_init_stack_addr, (void))                   \
    X(const char *const *, rt0_demo_envp, (void))                             \
    X(int, rt0_demo_newosproc0, (unsigned long long))                         \
    X(int, rt0_demo_try_newosproc0, (unsigned long long))
#define REL_PTR(ret, name, args) static ret(*p_##name) args;
REL_EXPORTS(REL_PTR)
static void *rel_handle;

/* dlopen()s the demo (rt0's entry runs here) and resolves every export; exits 2 on failure. */
__attribute__((unused)) static void rel_load(void) {
    const char *so = getenv("RT0_DEMO_SO");
    if (!so) { fprintf(stderr, "RT0_DEMO_SO is not set\n"); exit(2); }
    rel_handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!rel_handle) { fprintf(stderr, "dlopen: %s\n", dlerror()); exit(2); }
#define REL_SYM(ret, name, args)                                              \
    *(void **)&p_##name = dlsym(rel_handle, #name);                           \
    if (!p_##name) { fprintf(stderr, "dlsym %s: %s\n", #name, dlerror()); exit(2); }
    REL_EXPORTS(REL_SYM)
}

/* dlclose()s the demo. Returns at once, also while init runs: rt0 holds its own reference to the
 * image until the init thread has ended (pthread path), or for the life of the process (raw path,
 * RTLD_NODELETE), so the code is unmapped only when no rt0 code can run any more. */
__attribute__((unused)) static void rel_unload(void) {
    if (dlclose(rel_handle) != 0) { fprintf(stderr, "dlclose: %s\n", dlerror()); exit(2); }
    rel_handle = NULL;
}
#define rt0_demo_ready (*p_rt0_demo_ready)
#define rt0_demo_init_tid (*p_rt0_demo_init_tid)
#define rt0_demo_entry_tid (*p_rt0_demo_entry_tid)
#define rt0_demo_argc (*p_rt0_demo_argc)
#define rt0_demo_argv (*p_rt0_demo_argv)
#define rt0_demo_path (*p_rt0_demo_path)
#define rt0_demo_state (*p_rt0_demo_state)
#define rt0_demo_error (*p_rt0_demo_error)
#define rt0_demo_init_export_result (*p_rt0_demo_init_export_result)
#define rt0_demo_init_stack_addr (*p_rt0_demo_init_stack_addr)
#define rt0_demo_envp (*p_rt0_demo_envp)
#define rt0_demo_newosproc0 (*p_rt0_demo_newosproc0)
#define rt0_demo_try_newosproc0 (*p_rt0_demo_try_newosproc0)
#define REL_CAN_UNLOAD 1
/* Whether an unload unmaps the image: never, rt0 pins every image it loads for the life of the
 * process (both creators). Kept as a function so the hosts say where a fresh load would matter. */
__attribute__((unused)) static int rel_image_unloads(void) { return 0; }
#else
__attribute__((unused)) static void rel_load(void) {}
__attribute__((unused)) static void rel_unload(void) {}
#define REL_CAN_UNLOAD 0
__attribute__((unused)) static int rel_image_unloads(void) { return 0; }
#endif

#endif
