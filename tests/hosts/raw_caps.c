/* Run as root. Capabilities are per thread on Linux: the main thread drops every capability of
 * its own (capset acts on the calling thread only) and then dlopens the raw-creator demo
 * ($RT0_DEMO_SO). With argument "with-helper" a helper thread, started first, keeps the
 * process's capabilities (CAP_SETUID among them) and sleeps: the process can still change its
 * ids through it, so the raw creator must refuse; "alone" has no such thread, and init runs.
 * Output: key=value lines on stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *keep_capabilities(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv) {
    int with_helper = argc > 1 && !strcmp(argv[1], "with-helper");
    pthread_t helper;
    if (with_helper && pthread_create(&helper, NULL, keep_capabilities, NULL) != 0) return 3;
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct none[2];
    memset(none, 0, sizeof none);
    printf("capset=%ld\n", syscall(SYS_capset, &header, none));
    printf("uid=%d\n", (int)getuid());
    fflush(stdout);
    void *lib = dlopen(getenv("RT0_DEMO_SO"), RTLD_NOW);
    if (!lib) { printf("dlopen_error=%s\n", dlerror()); return 1; }
    int (*ready)(void) = (int (*)(void))dlsym(lib, "rt0_demo_ready");
    const char *(*error)(void) = (const char *(*)(void))dlsym(lib, "rt0_demo_error");
    printf("ready=%d\n", ready());
    const char *e = error();
    printf("error=%s\n", e ? e : "(none)");
    return 0;
}
