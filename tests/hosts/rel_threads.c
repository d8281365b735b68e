/* 64 host threads call exports during a slow init; all must wait and then see the whole
 * of init's result (done, init's thread id, argc, path), never a partial state. argv[1] = rounds:
 * with -DRT0_DLOPEN each round loads and unloads the demo; otherwise one round per process. */
#include "rel_api.h"
#include <pthread.h>
#include <string.h>

#define THREADS 64
static int results[THREADS];
static int saw_running[THREADS];
static int expected_argc;

static void *call(void *arg) {
    int i = (int)(long)arg;
    saw_running[i] = rt0_demo_state() == 1;
    int ok = rt0_demo_ready() == 1;               /* waits */
    ok &= rt0_demo_state() == 2;                  /* after the wait: done */
    ok &= rt0_demo_init_tid() > 0;
    ok &= rt0_demo_argc() == expected_argc;
    ok &= rt0_demo_path() != NULL && strcmp(rt0_demo_path(), "none") != 0;
    results[i] = ok;
    return NULL;
}

int main(int argc, char **argv) {
    expected_argc = argc;
    int rounds = REL_CAN_UNLOAD && argc > 1 ? atoi(argv[1]) : 1;
    int all_ok = 0, running = 0;
    for (int r = 0; r < rounds; r++) {
        rel_load();
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, call, (void *)(long)i);
        for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        for (int i = 0; i < THREADS; i++) {
            all_ok += results[i];
            running += saw_running[i];
        }
        if (REL_CAN_UNLOAD) {
            int unloads = rel_image_unloads();
            rel_unload();
            /* pthread path: the next round must load a fresh image, not the one whose init
             * thread is still ending, so that its 64 threads meet a running init again. */
            if (unloads && !rel_wait_unmapped()) { printf("not_unmapped_after_round=%d\n", r); return 1; }
        }
    }
    printf("rounds=%d\ncalls=%d\nok=%d\nsaw_running=%d\n", rounds, rounds * THREADS, all_ok, running);
    return all_ok == rounds * THREADS ? 0 : 1;
}
