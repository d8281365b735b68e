/* Run as pid 1 of a new PID namespace (`unshare --pid --fork`; tests/lifecycle_unload.rs),
 * linked against std-init (DT_NEEDED), init slow (STD_INIT_SLEEP_MS). While init runs, main
 * forks; the child (pid 2 there, or pid 1's copy: either way not the process the entry ran in)
 * calls an export and prints the kind it got and what its tokio runtime summed (std-init keeps
 * rt0's default on_fork = reinit: the child runs its own init), then forks a grandchild that
 * does the same. Each parent waits for its child at most 15 s and then kills it and says
 * `*_hung=1`, so a child that waits for an init that does not run in it shows as a line, not as
 * a hang. With LC_NEW_PIDNS=1
 * each parent first calls unshare(CLONE_NEWPID), so its child is pid 1 of a namespace of its own:
 * the same pid as the process the entry ran in. With LC_RAW_FORK=1 the forks are glibc's
 * `_Fork()`, which runs no pthread_atfork handler (so the C library's fork count stays as it
 * was too): only what the kernel does to the child tells it apart. */
#define _GNU_SOURCE
#include "lc_std_init.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t fork_child(void) {
    return getenv("LC_RAW_FORK") ? _Fork() : fork();
}

static void new_pidns(void) {
    if (getenv("LC_NEW_PIDNS") && unshare(CLONE_NEWPID) != 0) { perror("unshare"); exit(4); }
}

/* Waits up to 15 s for `pid`; 1 if it ended, 0 if it had to be killed. */
static int wait_bounded(pid_t pid) {
    for (int i = 0; i < 15000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return 1;
        struct timespec d = {0, 1000 * 1000};
        nanosleep(&d, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

int main(void) {
    printf("pid=%d\nstate_at_fork=%d\n", (int)getpid(), std_init_state());
    fflush(stdout);
    new_pidns();
    pid_t child = fork_child();
    if (child == 0) {
        printf("child_pid=%d\n", (int)getpid());
        fflush(stdout);
        printf("child_kind=%s\n", std_init_kind());
        printf("child_tokio_sum=%lld\n", std_init_tokio_sum());
        fflush(stdout);
        new_pidns();
        pid_t grandchild = fork_child();
        if (grandchild == 0) {
            printf("grandchild_pid=%d\n", (int)getpid());
            fflush(stdout);
            printf("grandchild_kind=%s\n", std_init_kind());
            printf("grandchild_tokio_sum=%lld\n", std_init_tokio_sum());
            fflush(stdout);
            _exit(0);
        }
        if (!wait_bounded(grandchild)) printf("grandchild_hung=1\n");
        fflush(stdout);
        _exit(0);
    }
    if (!wait_bounded(child)) printf("child_hung=1\n");
    printf("parent_kind=%s\n", std_init_kind());
    fflush(stdout);
    return 0;
}
