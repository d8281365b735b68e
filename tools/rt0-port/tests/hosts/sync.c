/* What a std Rust library uses of libSystem beyond thread creation, checked one behaviour per
 * line: pthread mutexes (contention, error checks, recursion), pthread_join's value, condition
 * variables (timeout, signal), libdispatch semaphores, _tlv_atexit destructor order, a thread's
 * stack size, getenv, and the allocator. Each line is `key=value`; the test compares them all.
 * Run with `--env RT0_SYNC_ENV=yes`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Not in the emulator's headers (it has no pthread.h or dispatch.h). The static initializers'
 * signatures are Apple's (pthread/pthread_impl.h). */
typedef struct opaque_pthread *pthread_t;
typedef struct { long sig; char opaque[56]; } pthread_mutex_t;
typedef struct { long sig; char opaque[8]; } pthread_mutexattr_t;
typedef struct { long sig; char opaque[40]; } pthread_cond_t;
typedef struct { long sig; char opaque[56]; } pthread_attr_t;
struct timespec { long tv_sec; long tv_nsec; };
#define MUTEX_INIT {0x32AAABA7, {0}}
#define COND_INIT {0x3CB0B1BB, {0}}
int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int pthread_join(pthread_t t, void **value);
pthread_t pthread_self(void);
int pthread_attr_init(pthread_attr_t *a);
int pthread_attr_setstacksize(pthread_attr_t *a, size_t size);
size_t pthread_get_stacksize_np(pthread_t t);
void *pthread_get_stackaddr_np(pthread_t t);
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int pthread_mutex_lock(pthread_mutex_t *m);
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);
int pthread_mutexattr_init(pthread_mutexattr_t *a);
int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_timedwait_relative_np(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
typedef void *dispatch_semaphore_t;
dispatch_semaphore_t dispatch_semaphore_create(long value);
long dispatch_semaphore_wait(dispatch_semaphore_t s, uint64_t timeout);
long dispatch_semaphore_signal(dispatch_semaphore_t s);
uint64_t dispatch_time(uint64_t when, int64_t delta);
void _tlv_atexit(void (*fn)(void *), void *arg);
char *getenv(const char *name);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
int posix_memalign(void **p, size_t align, size_t size);
int sched_yield(void);

/* key=v1,v2,... on fd 1 (no stdio: this host checks libSystem without it). */
static void say(const char *key, int n, const long *v) {
    char buf[256];
    char *p = buf;
    size_t k = strlen(key);
    memcpy(p, key, k);
    p += k;
    *p++ = '=';
    for (int i = 0; i < n; i++) {
        char digits[24];
        int d = 0;
        unsigned long u = v[i] < 0 ? (unsigned long)-v[i] : (unsigned long)v[i];
        if (v[i] < 0) *p++ = '-';
        do { digits[d++] = (char)('0' + u % 10); u /= 10; } while (u);
        while (d) *p++ = digits[--d];
        *p++ = i + 1 < n ? ',' : '\n';
    }
    write(1, buf, (size_t)(p - buf));
}
#define SAY(key, ...) do { long v_[] = {__VA_ARGS__}; say(key, sizeof v_ / sizeof v_[0], v_); } while (0)

/* Contention: the yield inside the critical section hands the CPU to the other threads, which
 * must block on the mutex; without it they would read the same value and lose increments. */
static pthread_mutex_t counter_lock = MUTEX_INIT;
static long counter;
static void *count(void *arg) {
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&counter_lock);
        long v = counter;
        sched_yield();
        counter = v + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return arg;
}

static pthread_mutex_t held = MUTEX_INIT;
static void *try_held(void *arg) {
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_trylock(&held);
}

static pthread_mutex_t signal_lock = MUTEX_INIT;
static pthread_cond_t signal_cond = COND_INIT;
static volatile int waiting, signaled;
static void *wait_for_signal(void *arg) {
    (void)arg;
    pthread_mutex_lock(&signal_lock);
    waiting = 1;
    while (!signaled) pthread_cond_wait(&signal_cond, &signal_lock);
    pthread_mutex_unlock(&signal_lock);
    return (void *)7;
}

static dispatch_semaphore_t wake_me;
static void *sem_waiter(void *arg) {
    (void)arg;
    return (void *)(intptr_t)dispatch_semaphore_wait(wake_me, ~0ull);
}

/* Destructor order: 2 then 3 (registered by 2 while it ran) then 1. */
static long order[3];
static int ran;
static void record(void *v) { order[ran++] = (long)(intptr_t)v; }
static void record_and_register(void *v) {
    record(v);
    _tlv_atexit(record, (void *)3);
}
static void *register_destructors(void *arg) {
    (void)arg;
    _tlv_atexit(record, (void *)1);
    _tlv_atexit(record_and_register, (void *)2);
    return 0;
}

static void *stack_facts(void *arg) {
    (void)arg;
    char local;
    size_t size = pthread_get_stacksize_np(pthread_self());
    char *top = pthread_get_stackaddr_np(pthread_self());
    long inside = &local < top && &local > top - size;
    long *out = calloc(2, sizeof(long));
    out[0] = (long)size;
    out[1] = inside;
    return out;
}

int main(void) {
    pthread_t t[3];
    void *value;

    for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, count, (void *)(intptr_t)(40 + i));
    long joined = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], &value);
        joined += (long)(intptr_t)value;
    }
    SAY("counter", counter);
    SAY("joined", joined, pthread_join(t[0], &value), pthread_join(pthread_self(), &value));

    pthread_mutexattr_t attr;
    pthread_mutex_t m;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, 1); /* ERRORCHECK */
    pthread_mutex_init(&m, &attr);
    pthread_mutex_lock(&m);
    SAY("errorcheck", pthread_mutex_lock(&m), pthread_mutex_unlock(&m), pthread_mutex_unlock(&m));
    pthread_mutexattr_settype(&attr, 2); /* RECURSIVE */
    pthread_mutex_init(&m, &attr);
    SAY("recursive", pthread_mutex_lock(&m), pthread_mutex_lock(&m), pthread_mutex_unlock(&m),
        pthread_mutex_unlock(&m), pthread_mutex_unlock(&m));
    pthread_mutex_lock(&held);
    pthread_create(&t[0], 0, try_held, 0);
    pthread_join(t[0], &value);
    pthread_mutex_unlock(&held);
    SAY("trylock_held", (long)(intptr_t)value, pthread_mutex_trylock(&held));
    pthread_mutex_unlock(&held);

    pthread_mutex_t cm = MUTEX_INIT;
    pthread_cond_t cc = COND_INIT;
    struct timespec ms = {0, 1000000};
    pthread_mutex_lock(&cm);
    long timed_out = pthread_cond_timedwait_relative_np(&cc, &cm, &ms);
    SAY("cond_timeout", timed_out, pthread_mutex_unlock(&cm));

    pthread_create(&t[0], 0, wait_for_signal, 0);
    while (!waiting) sched_yield();
    pthread_mutex_lock(&signal_lock); /* free only once the waiter is inside pthread_cond_wait */
    signaled = 1;
    pthread_cond_signal(&signal_cond);
    pthread_mutex_unlock(&signal_lock);
    pthread_join(t[0], &value);
    SAY("cond_signal", (long)(intptr_t)value);

    dispatch_semaphore_t s = dispatch_semaphore_create(0);
    long timeout = dispatch_semaphore_wait(s, dispatch_time(0, 1000000));
    long no_waiter = dispatch_semaphore_signal(s);
    SAY("semaphore", timeout, no_waiter, dispatch_semaphore_wait(s, ~0ull),
        dispatch_semaphore_create(-1) == 0);
    wake_me = dispatch_semaphore_create(0);
    pthread_create(&t[0], 0, sem_waiter, 0);
    for (int i = 0; i < 10; i++) sched_yield(); /* the waiter blocks */
    long woke = dispatch_semaphore_signal(wake_me);
    pthread_join(t[0], &value);
    SAY("semaphore_wake", woke, (long)(intptr_t)value);

    pthread_create(&t[0], 0, register_destructors, 0);
    pthread_join(t[0], 0);
    SAY("tlv_order", order[0], order[1], order[2]);

    pthread_attr_t big;
    pthread_attr_init(&big);
    pthread_attr_setstacksize(&big, 1 << 20);
    pthread_create(&t[0], &big, stack_facts, 0);
    pthread_join(t[0], &value);
    SAY("stack", ((long *)value)[0], ((long *)value)[1]);

    const char *env = getenv("RT0_SYNC_ENV");
    SAY("getenv", env && strcmp(env, "yes") == 0, getenv("RT0_SYNC_ENV=") == 0, getenv("NOPE") == 0);

    char *p = malloc(5);
    memcpy(p, "abcd", 5);
    p = realloc(p, 100000);
    void *aligned = 0;
    long *zeros = calloc(1000, sizeof(long));
    long zero = 1;
    for (int i = 0; i < 1000; i++) zero &= zeros[i] == 0;
    SAY("alloc", strcmp(p, "abcd") == 0, posix_memalign(&aligned, 4096, 10),
        ((uintptr_t)aligned & 4095) == 0, posix_memalign(&aligned, 3, 10), zero);
    return 0;
}
