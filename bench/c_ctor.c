/* (b) hand-written C: what a careful C programmer writes by hand to get what rt0 gives.
 *
 * A constructor (run by the loader before main, like rt0_lib_entry) starts one detached pthread
 * that runs the library's "init" and signals a condvar; the exported function waits on that
 * condvar (with an atomic fast path) before doing its work. No argc/argv capture, no failure
 * reporting, no signal masking: the practical floor for "init on another thread at load time".
 */
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static atomic_int done;

static void *c_init(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    atomic_store_explicit(&done, 1, memory_order_release);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return 0;
}

__attribute__((constructor)) static void c_lib_entry(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, c_init, 0) != 0) atomic_store(&done, 2);
    pthread_attr_destroy(&attr);
}

/* The one export: waits for init, then reports readiness. */
int c_ready(void) {
    if (atomic_load_explicit(&done, memory_order_acquire)) return 1;
    pthread_mutex_lock(&lock);
    while (!atomic_load_explicit(&done, memory_order_acquire)) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return 1;
}

/* With an argument: _exit right after the export returned (exec-to-ready: no destructors). */
int main(int argc, char **argv) {
    (void)argv;
    int status = c_ready() == 1 ? 0 : 1;
    if (argc > 1) _exit(status);
    return status;
}
