/* rt0 demo host: a C program that links librt0_demo and shows what rt0 did at load time.
 *
 * Uses only write(2), exit and the demo's exports (plus clock_gettime on Linux for the timing
 * line), so it also runs under rt0-port's emulated XNU. Exit status: 0 when init succeeded.
 */
#include <unistd.h>
#include <stdlib.h>
#include "rt0_demo.h"
#if defined(__linux__)
#include <time.h>
#endif

static void put(const char *s) {
    const char *e = s;
    while (*e) e++;
    (void)!write(1, s, (size_t)(e - s));
}

static void put_u(unsigned long long v, int base) {
    char buf[32];
    int i = sizeof buf;
    do {
        buf[--i] = "0123456789abcdef"[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    (void)!write(1, buf + i, sizeof buf - (size_t)i);
}

static void line(const char *key, long long v) {
    put(key);
    put("=");
    if (v < 0) { put("-"); v = -v; }
    put_u((unsigned long long)v, 10);
    put("\n");
}

#if defined(__linux__)
static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
#endif

int main(int argc, char **argv) {
    (void)argc; (void)argv;
#if defined(__linux__)
    long long t0 = now_us();
#endif
    int state = rt0_demo_state();           /* no wait: where init stands as main starts */
    line("state_at_main", state);
    int ready = rt0_demo_ready();           /* waits for init */
#if defined(__linux__)
    line("main_waited_us", now_us() - t0);
#endif
    line("ready", ready);
    put("path=");
    put(rt0_demo_path());
    put("\n");
    line("main_tid", rt0_demo_thread_id());
    line("entry_tid", rt0_demo_entry_tid());
    line("init_tid", rt0_demo_init_tid());
    int n = rt0_demo_argc();
    line("argc", n);
    for (int i = 0; i < n; i++) {
        put("argv[");
        put_u((unsigned)i, 10);
        put("]=");
        put(rt0_demo_argv(i));
        put("\n");
    }
    put("init_sigmask=0x");
    put_u(rt0_demo_init_sigmask(), 16);
    put("\n");
    if (!ready) {
        put("error=");
        put(rt0_demo_error());
        put("\n");
    }
    return ready ? 0 : 1;
}
