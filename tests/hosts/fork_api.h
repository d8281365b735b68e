/* The exports of tests/crates/forky (tests/fork_policy.rs) and what the fork hosts share: a
 * monotonic clock, a bounded wait for a child, and one write per report so the lines of several
 * processes sharing stdout never interleave. The hosts link libforky.so. Linux (glibc). */
#ifndef FORK_API_H
#define FORK_API_H
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int forky_ready(void);
int forky_ready_now(void);
long long forky_init_pid(void);
long long forky_square(long long n);
long long forky_worker_tid(void);
long long forky_tokio(long long n);
int forky_inits(void);
long long forky_first_init_pid(void);
int forky_state(void);
const char *forky_kind(void);
const char *forky_policy(void);

/* Milliseconds on the monotonic clock. */
static inline double fork_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A report built up in memory and written with one write(2) (a pipe keeps writes of up to 4 KiB
 * whole), so the reports of processes sharing stdout never mix. */
struct fork_report {
    char buf[4096];
    size_t len;
};

__attribute__((format(printf, 2, 3), unused))
static void fork_put(struct fork_report *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
    va_end(ap);
    if (n > 0) r->len += (size_t)n < sizeof r->buf - r->len ? (size_t)n : sizeof r->buf - r->len - 1;
}

__attribute__((unused)) static void fork_send(struct fork_report *r) {
    size_t off = 0;
    while (off < r->len) {
        ssize_t n = write(1, r->buf + off, r->len - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
    r->len = 0;
}

/* Whether thread `tid` is a thread of this process. */
__attribute__((unused)) static int fork_thread_is_mine(long long tid) {
    return tid > 0 && syscall(SYS_tgkill, getpid(), (pid_t)tid, 0) == 0;
}

/* Waits for `pid` until `deadline_ms` on fork_now_ms()'s clock; a child still running then is
 * killed. Returns 1 if it hung; `*code` is its exit status, or 128 + the signal that ended it. */
__attribute__((unused)) static int fork_wait_bounded(pid_t pid, double deadline_ms, int *code) {
    int status = 0, hung = 1;
    while (fork_now_ms() < deadline_ms) {
        if (waitpid(pid, &status, WNOHANG) == pid) { hung = 0; break; }
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    if (hung) { kill(pid, SIGKILL); waitpid(pid, &status, 0); }
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return hung;
}
#endif
