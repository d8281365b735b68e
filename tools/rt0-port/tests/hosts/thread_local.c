/* C thread-local variables: clang emits a __thread_vars descriptor for each (its thunk bound to
 * __tlv_bootstrap), the Mach-O form every std Rust library has too. Each thread must get its own
 * copy, starting from the initial value (__thread_data) or zero (__thread_bss), whatever other
 * threads did to theirs. Prints `main=...` and `thread=...`; exits 0 when all of it held. */
#include <string.h>
#include <unistd.h>

/* Not in the emulator's headers (it has no pthread.h). */
typedef struct opaque_pthread *pthread_t;
int pthread_create(pthread_t *t, const void *attr, void *(*fn)(void *), void *arg);
int sched_yield(void);

static _Thread_local long seeded = 41; /* __thread_data */
static _Thread_local long zeroed;      /* __thread_bss */
static volatile long thread_saw_seeded = -1, thread_saw_zeroed = -1, thread_done;

static void say(const char *key, long a, long b) {
    char buf[64];
    char *p = buf;
    size_t n = strlen(key);
    memcpy(p, key, n);
    p += n;
    *p++ = '=';
    long v[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        char digits[24];
        int k = 0;
        unsigned long u = v[i] < 0 ? (unsigned long)-v[i] : (unsigned long)v[i];
        if (v[i] < 0) *p++ = '-';
        do { digits[k++] = (char)('0' + u % 10); u /= 10; } while (u);
        while (k) *p++ = digits[--k];
        *p++ = i == 0 ? ',' : '\n';
    }
    write(1, buf, (size_t)(p - buf));
}

static void *worker(void *arg) {
    (void)arg;
    thread_saw_seeded = seeded; /* its own copy: still 41 */
    thread_saw_zeroed = zeroed; /* still 0 */
    seeded = 7;
    zeroed = 8;
    thread_done = 1;
    return 0;
}

int main(void) {
    seeded += 1;
    zeroed = 100;
    pthread_t t;
    if (pthread_create(&t, 0, worker, 0) != 0) return 10;
    while (!thread_done) sched_yield();
    say("main", seeded, zeroed);
    say("thread", thread_saw_seeded, thread_saw_zeroed);
    if (seeded != 42 || zeroed != 100) return 1;
    if (thread_saw_seeded != 41 || thread_saw_zeroed != 0) return 2;
    return 0;
}
