/* A prefork server over forky (tests/fork_policy.rs): the parent loads the library (linked:
 * rt0's entry runs before main), calls an export first (`after`: the workers are forked after
 * init) or not (`during`: they are forked while init runs, FORKY_INIT_SLEEP_MS), then forks
 * WORKERS workers. Each worker calls the exports CALLS times, every answer computed by its
 * library's worker thread and tokio runtime, and reports them with its pid, the pid its init ran
 * in and whether that worker thread is one of its own; then it returns through exit (atexit
 * handlers, destructors). The parent waits for them (20 s in all; one still running then is
 * killed and reported hung), then calls the exports itself and reports.
 *
 * usage: fork_prefork after|during */
#include "fork_api.h"

#define WORKERS 3
#define CALLS 5

static void work(int i) {
    struct fork_report r = {.len = 0};
    int state_first = forky_state();
    double t0 = fork_now_ms();
    int right_square = 0, right_tokio = 0;
    for (int k = 0; k < CALLS; k++) {
        long long n = 100 * i + k + 1;
        right_square += forky_square(n) == n * n;
        right_tokio += forky_tokio(n) == n * n * n;
    }
    double ms = fork_now_ms() - t0;
    long long worker_tid = forky_worker_tid();
    fork_put(&r, "worker%d_pid=%d\nworker%d_init_pid=%lld\nworker%d_inits=%d\n", i, (int)getpid(), i,
             forky_init_pid(), i, forky_inits());
    fork_put(&r, "worker%d_state_first=%d\nworker%d_state=%d\nworker%d_kind=%s\n", i, state_first, i,
             forky_state(), i, forky_kind());
    fork_put(&r, "worker%d_right_square=%d\nworker%d_right_tokio=%d\nworker%d_calls=%d\n", i,
             right_square, i, right_tokio, i, CALLS);
    fork_put(&r, "worker%d_worker_tid=%lld\nworker%d_worker_tid_mine=%d\nworker%d_ms=%.0f\n", i,
             worker_tid, i, fork_thread_is_mine(worker_tid), i, ms);
    fork_send(&r);
    exit(0);
}

int main(int argc, char **argv) {
    int after = argc > 1 && strcmp(argv[1], "after") == 0;
    struct fork_report r = {.len = 0};
    if (after && forky_ready() != 1) { fprintf(stderr, "the parent's init failed\n"); return 2; }
    fork_put(&r, "policy=%s\nparent_state_at_fork=%d\n", forky_policy(), forky_state());
    fork_send(&r);
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        pids[i] = fork();
        if (pids[i] < 0) { perror("fork"); return 2; }
        if (pids[i] == 0) work(i);
    }
    double deadline = fork_now_ms() + 20000;
    for (int i = 0; i < WORKERS; i++) {
        int code, hung = fork_wait_bounded(pids[i], deadline, &code);
        fork_put(&r, "worker%d_hung=%d\nworker%d_exit=%d\n", i, hung, i, code);
    }
    long long worker_tid = forky_worker_tid();
    fork_put(&r, "parent_pid=%d\nparent_init_pid=%lld\nparent_inits=%d\nparent_state=%d\n",
             (int)getpid(), forky_init_pid(), forky_inits(), forky_state());
    fork_put(&r, "parent_square=%lld\nparent_tokio=%lld\nparent_worker_tid=%lld\n"
             "parent_worker_tid_mine=%d\n", forky_square(7), forky_tokio(7), worker_tid,
             fork_thread_is_mine(worker_tid));
    fork_send(&r);
    return 0;
}
