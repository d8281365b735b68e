/* Under the emulated XNU: 64 host threads call exports during a slow init
 * (RT0_DEMO_INIT_SLEEP_MS); all must wait and then see the whole of init's result (done, init's
 * thread id, argc, path), never a partial state. pthread_join is not modeled: main waits for init
 * itself (an export), then for a counter the callers bump, yielding. */
#include <unistd.h>
#include <string.h>
#include "rt0_demo.h"

typedef struct opaque_pthread *pthread_t;
int pthread_create(pthread_t *, const void *, void *(*)(void *), void *);
int sched_yield(void);

#define THREADS 64
static int results[THREADS];
static int saw_running[THREADS];
static int expected_argc;
static long long init_tid;
static int finished;

static void put(const char *s) { (void)!write(1, s, strlen(s)); }
static void line(const char *k, long long v) {
    char b[24]; int i = sizeof b;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(k); put("=");
    (void)!write(1, b + i, sizeof b - (size_t)i);
    put("\n");
}

static void *call(void *arg) {
    int i = (int)(long)arg;
    saw_running[i] = rt0_demo_state() == 1;
    int ok = rt0_demo_ready() == 1;               /* waits */
    ok &= rt0_demo_state() == 2;                  /* after the wait: done */
    ok &= rt0_demo_init_tid() > 0;
    ok &= rt0_demo_init_tid() != rt0_demo_thread_id();
    ok &= rt0_demo_argc() == expected_argc;
    ok &= rt0_demo_path() != 0 && strcmp(rt0_demo_path(), "none") != 0;
    if (ok && init_tid == 0) init_tid = rt0_demo_init_tid();
    ok &= rt0_demo_init_tid() == init_tid;
    results[i] = ok;
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int main(int argc, char **argv) {
    (void)argv;
    expected_argc = argc;
    int created = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        created += pthread_create(&t, 0, call, (void *)(long)i) == 0;
    }
    int state_after_create = rt0_demo_state();
    int ready = rt0_demo_ready();
    while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < created) sched_yield();
    int ok = 0, running = 0;
    for (int i = 0; i < THREADS; i++) {
        ok += results[i];
        running += saw_running[i];
    }
    line("created", created);
    line("state_after_create", state_after_create);
    line("ready", ready);
    line("ok", ok);
    line("saw_running", running);
    return ok == THREADS ? 0 : 1;
}
