/* A static host (tests/lifecycle_unload.rs): a priority-101 constructor, which runs before
 * rt0's entry in the program's .init_array, starts 8 threads that each call an export of
 * std-init (libstd_init.a) at once, racing one another and the entry: the first starts the entry
 * itself, the loader's later call of it finds it started. No fork anywhere: every thread must get
 * `ok`. main joins them and prints how many got each answer. */
#include "lc_std_init.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define N 8
static pthread_t threads[N];
static const char *kinds[N];

static void *call(void *arg) {
    kinds[(long)arg] = std_init_kind();
    return NULL;
}

__attribute__((constructor(101))) static void early(void) {
    for (long i = 0; i < N; i++) pthread_create(&threads[i], NULL, call, (void *)i);
}

int main(void) {
    int ok = 0, forked = 0, other = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        if (strcmp(kinds[i], "ok") == 0) ok++;
        else if (strcmp(kinds[i], "forked") == 0) forked++;
        else { other++; fprintf(stderr, "thread %d: %s\n", i, kinds[i]); }
    }
    printf("ok=%d\nforked=%d\nother=%d\n", ok, forked, other);
    return 0;
}
