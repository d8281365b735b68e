/* A host of tests/crates/modes for every target tests/start_modes_cross.rs runs it on: Linux
 * (glibc and musl, x86_64, aarch64 and riscv64 under qemu-user), Windows (MinGW-w64, under Wine)
 * and darwin (linked by darwin-cc against the emulated XNU's headers, run by `rt0-port emulate`).
 * Compiled with -Wall -Werror against the header cbindgen made from the crate, linked to the
 * library at link time. The same steps as modes_host.c, with the thread id of main printed by
 * the call rt0 itself uses on that system, so that the test can tell on which thread init ran
 * without knowing the system's numbering. Prints key=value lines.
 *   modes_cross_host            what init did before main, then the exports' answers
 *   modes_cross_host idle       lets the library's threads run a while (300 ms; on darwin,
 *                               where the emulated libSystem has no sleep, 2000 yields), then
 *                               reports init's runs and status, calling nothing that waits or
 *                               starts init
 *   modes_cross_host explicit   calls the exports before modes_start() (timed where a clock is
 *                               at hand), then starts init and calls them again
 *   modes_cross_host timeout    (with MODES_INIT_GATE=1, which holds init until the gate opens)
 *                               calls the export that waits at most 50 ms before modes_start()
 *                               and after it, timed; then opens the gate and calls the others
 *   modes_cross_host fork       (Linux) calls the exports, forks, and the child reports its
 *                               status, then calls them (before and after modes_start()) */
#if defined(_WIN32)
#include <windows.h>
#elif defined(__APPLE__)
#include <stddef.h>
#else
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif
#include <stdio.h>
#include <string.h>
#include "modes.h"

#if defined(__APPLE__)
/* The emulated XNU's headers (tools/rt0-port/sdk/include) declare only a few functions; these
 * are in its libSystem (tools/rt0-port/src/emulate/libsystem/exports.rs). */
int getpid(void);
int sched_yield(void);
int pthread_threadid_np(void *thread, unsigned long long *id);
struct timespec {
    long tv_sec;
    long tv_nsec;
};
int clock_gettime(int clock, struct timespec *ts);
#define CLOCK_MONOTONIC 6 /* darwin's <time.h> */
#endif

/* The calling thread's id, as rt0::sys::thread_id() gives it. */
static unsigned long long thread_id(void) {
#if defined(_WIN32)
    return GetCurrentThreadId();
#elif defined(__APPLE__)
    unsigned long long id = 0;
    pthread_threadid_np(NULL, &id);
    return id;
#else
    return (unsigned long long)syscall(SYS_gettid);
#endif
}

static long process_id(void) {
#if defined(_WIN32)
    return (long)GetCurrentProcessId();
#else
    return (long)getpid();
#endif
}

static double now_us(void) {
#if defined(_WIN32)
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (double)t.QuadPart * 1e6 / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
#endif
}

static void idle(void) {
#if defined(_WIN32)
    Sleep(300);
#elif defined(__APPLE__)
    for (int i = 0; i < 2000; i++) sched_yield();
#else
    struct timespec d = {0, 300 * 1000 * 1000};
    while (nanosleep(&d, &d) != 0) {}
#endif
}

/* modes_status with its message, as `<key>=<code>` and `<key>_message=<text or (null)>`. */
static void report_status(const char *key) {
    const char *message = "(not written)";
    int code = modes_status(&message);
    printf("%s=%d\n%s_message=%s\n", key, code, key, message ? message : "(null)");
}

/* The exports that wait for init, stateful and stateless. */
static void report_calls(const char *suffix) {
    const int32_t values[] = {1, 2, 3};
    printf("add%s=%d\n", suffix, modes_add(2));
    printf("sum%s=%lld\n", suffix, (long long)modes_sum(values, 3));
    printf("ready%s=%d\n", suffix, modes_ready());
    printf("helper_tid%s=%llu\n", suffix, (unsigned long long)modes_helper_tid());
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "calls";
    printf("pid=%ld\nmain_tid=%llu\n", process_id(), thread_id());
    report_status("status_at_main");
    printf("runs_at_main=%u\ninit_tid_at_main=%llu\nentry_tid=%llu\n", modes_init_runs(),
           (unsigned long long)modes_init_tid(), (unsigned long long)modes_entry_tid());
    if (!strcmp(what, "idle")) {
        idle();
        report_status("status_after_idle");
        printf("runs_after_idle=%u\n", modes_init_runs());
        return 0;
    }
    if (!strcmp(what, "explicit")) {
        double t0 = now_us();
        int add = modes_add(1);
        double t1 = now_us();
        /* An integer: the emulated libSystem's printf formats no floating point. */
        printf("first_call_before_start=%d\nfirst_call_before_start_us=%lld\n", add,
               (long long)(t1 - t0));
        report_calls("_before_start");
        report_status("status_before_start");
        printf("runs_before_start=%u\n", modes_init_runs());
        modes_start();
    }
    if (!strcmp(what, "timeout")) {
        /* Not started (explicit: -1 at once) or held at the gate (-1 after 50 ms). */
        double t0 = now_us();
        int first = modes_add_within_50ms(1);
        double t1 = now_us();
        printf("timed_first=%d\ntimed_first_us=%lld\n", first, (long long)(t1 - t0));
        report_status("status_after_timed_first");
        modes_start();
        t0 = now_us();
        int second = modes_add_within_50ms(1);
        t1 = now_us();
        printf("timed=%d\ntimed_us=%lld\n", second, (long long)(t1 - t0));
        report_status("status_after_timed");
        modes_open_gate();
    }
#if !defined(_WIN32) && !defined(__APPLE__)
    if (!strcmp(what, "fork")) {
        modes_start();
        report_calls("_parent");
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            printf("child_pid=%ld\nchild_tid=%llu\n", process_id(), thread_id());
            report_status("child_status_at_fork");
            printf("child_runs_at_fork=%u\n", modes_init_runs());
            printf("child_add_first=%d\n", modes_add(2));
            report_status("child_status_after_first");
            modes_start();
            printf("child_add=%d\n", modes_add(2));
            report_status("child_status");
            printf("child_runs=%u\nchild_init_tid=%llu\nchild_helper_tid=%llu\n",
                   modes_init_runs(), (unsigned long long)modes_init_tid(),
                   (unsigned long long)modes_helper_tid());
            fflush(stdout);
            _exit(0);
        }
        int st = 0;
        waitpid(child, &st, 0);
        printf("child_exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
#endif
    report_calls("");
    /* A second start (or the first, in the modes that started already) does nothing. */
    modes_start();
    printf("add_again=%d\n", modes_add(0));
    report_status("status");
    printf("runs=%u\ninit_tid=%llu\n", modes_init_runs(), (unsigned long long)modes_init_tid());
    fflush(stdout);
    return 0;
}
