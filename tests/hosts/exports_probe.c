/* Calls tests/crates/exports' exports with their different waits while init runs (started
 * with EXPORTS_INIT_SLEEP_MS=1500) and prints what each returned and how long it took
 * (monotonic clock), as key=value lines:
 *   ex_add_now          timeout_ms = 0: never waits
 *   ex_add              the library's export_timeout_ms = 300
 *   ex_add_within_2s    timeout_ms = 2000: longer than the library's limit
 *   ex_add_now again    after init finished: the value */
#include <stdio.h>
#include <time.h>

int ex_add(int x);
int ex_add_now(int x);
int ex_add_within_2s(int x);

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void call(const char *name, int (*f)(int)) {
    long long start = now_ms();
    int got = f(2);
    printf("%s=%d\n%s_ms=%lld\n", name, got, name, now_ms() - start);
    fflush(stdout);
}

int main(void) {
    call("now", ex_add_now);
    call("library_limit", ex_add);
    call("within_2s", ex_add_within_2s);
    call("now_after", ex_add_now);
    return 0;
}
