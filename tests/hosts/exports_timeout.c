/* Calls tests/crates/exports' export with `timeout_ms = 100` and prints what it returned and
 * how long the call took (monotonic clock), as key=value lines. */
#include <stdio.h>
#include <time.h>

int ex_add_within_100ms(int x);

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void) {
    long long start = now_ms();
    int got = ex_add_within_100ms(2);
    printf("add_within_100ms=%d\n", got);
    printf("elapsed_ms=%lld\n", now_ms() - start);
    return 0;
}
