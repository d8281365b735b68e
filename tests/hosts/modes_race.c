/* Eight threads released at once by a barrier make the first call of tests/crates/modes (built
 * with start = first_call) together: init must run once and every thread get its own answer.
 * Compiled with -Wall -Werror against the header cbindgen made. Prints key=value lines. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "modes.h"

#define RACERS 8
static pthread_barrier_t barrier;
static int32_t answers[RACERS];

static void *racer(void *arg) {
    int32_t i = (int32_t)(intptr_t)arg;
    pthread_barrier_wait(&barrier);
    answers[i] = modes_add(i);
    return NULL;
}

int main(void) {
    printf("status_before=%d\nruns_before=%u\n", modes_status(NULL), modes_init_runs());
    pthread_t threads[RACERS];
    pthread_barrier_init(&barrier, NULL, RACERS);
    for (intptr_t i = 0; i < RACERS; i++)
        if (pthread_create(&threads[i], NULL, racer, (void *)i) != 0) return 2;
    for (int i = 0; i < RACERS; i++) pthread_join(threads[i], NULL);
    printf("answers=");
    for (int i = 0; i < RACERS; i++) printf("%s%d", i ? "," : "", answers[i]);
    printf("\nruns=%u\nstatus=%d\n", modes_init_runs(), modes_status(NULL));
    return 0;
}
