/* A thread sends SIGUSR1 to the process continuously while main dlopen()s and
 * dlclose()s the demo; every load must reach ready, and each one sees at least one signal handled
 * while it is in place. argv[1] = number of loads. Built with
 * -DRT0_DLOPEN only. */
#include "rel_api.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_long received;
static atomic_int stop;
static void on_usr1(int sig) { (void)sig; atomic_fetch_add(&received, 1); }

static void *storm(void *arg) {
    (void)arg;
    long sent = 0;
    while (!atomic_load(&stop)) {
        kill(getpid(), SIGUSR1);                  /* process-directed: any unblocking thread */
        sent++;
        if (sent % 64 == 0) sched_yield();
    }
    return (void *)sent;
}

int main(int argc, char **argv) {
    int loads = argc > 1 ? atoi(argv[1]) : 200;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, storm, NULL);
    int ready = 0, unmapped = 0, signalled = 0;
    for (int i = 0; i < loads; i++) {
        long before = atomic_load(&received);
        rel_load();
        ready += rt0_demo_ready() == 1;
        /* At least one signal handled while this load is in place (bounded: ~1 s of yields). */
        for (long spin = 0; spin < 10000000 && atomic_load(&received) == before; spin++) sched_yield();
        signalled += atomic_load(&received) != before;
        int unloads = rel_image_unloads();
        rel_unload();
        /* pthread path: wait until the image is gone, so every load runs a fresh entry and init. */
        if (unloads) unmapped += rel_wait_unmapped();
    }
    atomic_store(&stop, 1);
    void *sent;
    pthread_join(t, &sent);
    printf("loads=%d\nready=%d\nsignalled=%d\nunmapped=%d\nsent=%ld\nreceived=%ld\n", loads, ready, signalled, unmapped, (long)sent, atomic_load(&received));
    return ready == loads ? 0 : 1;
}
