/* 16 host threads call an export while init is still running: all must wait and get 1. */
#include <pthread.h>
#include <stdatomic.h>
#include "demo_api.h"

#define THREADS 16
static int results[THREADS];
static int state_seen[THREADS];

static void *call(void *arg) {
    int i = (int)(long)arg;
    state_seen[i] = rt0_demo_state();             /* before waiting: still running? */
    results[i] = rt0_demo_ready();                /* waits */
    if (rt0_demo_state() != 2) results[i] = -1;   /* after the wait: done, never partial */
    return NULL;
}

int main(void) {
    demo_load();
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, call, (void *)(long)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    int ones = 0, running = 0;
    for (int i = 0; i < THREADS; i++) {
        ones += results[i] == 1;
        running += state_seen[i] == 1;
    }
    printf("threads=%d\nones=%d\nsaw_running=%d\n", THREADS, ones, running);
    return ones == THREADS ? 0 : 1;
}
