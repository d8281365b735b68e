/* Forks two deep over forky (on_fork = reinit, tests/fork_policy.rs). The parent waits for its
 * init, then forks a child; the child forks a grandchild:
 *   after_reinit   once the child's own init (its reinit) has finished: the child has called
 *                  exports and got its own answers;
 *   during_reinit  while the child's reinit still runs: the child's first call is an export
 *                  that never waits (forky_ready_now: it starts the child's init and returns),
 *                  and the child forks at once (every init sleeps FORKY_INIT_SLEEP_MS).
 * Each process reports its answers (computed by its library's worker thread and tokio runtime),
 * its pid and the pid its init ran in, under its prefix (child_, grandchild_, parent_). Waits
 * are bounded (a process still running at its deadline is killed and reported hung).
 *
 * usage: fork_grandchild after_reinit|during_reinit */
#include "fork_api.h"

/* Calls the exports and reports under `who`. */
static void answers(struct fork_report *r, const char *who, long long n) {
    int state_first = forky_state();
    double t0 = fork_now_ms();
    long long square = forky_square(n), tokio = forky_tokio(n);
    double ms = fork_now_ms() - t0;
    long long worker_tid = forky_worker_tid();
    fork_put(r, "%s_pid=%d\n%s_init_pid=%lld\n%s_inits=%d\n%s_state_first=%d\n%s_state=%d\n",
             who, (int)getpid(), who, forky_init_pid(), who, forky_inits(), who, state_first, who,
             forky_state());
    fork_put(r, "%s_square_right=%d\n%s_tokio_right=%d\n%s_worker_tid_mine=%d\n%s_ms=%.0f\n", who,
             square == n * n, who, tokio == n * n * n, who, fork_thread_is_mine(worker_tid), who, ms);
}

int main(int argc, char **argv) {
    int during = argc > 1 && strcmp(argv[1], "during_reinit") == 0;
    struct fork_report r = {.len = 0};
    if (forky_ready() != 1) { fprintf(stderr, "the parent's init failed\n"); return 2; }
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 2; }
    if (child == 0) {
        if (during) {
            /* Starts this child's init and returns at once: it is still running at the fork. */
            int ready_now = forky_ready_now();
            fork_put(&r, "child_ready_now=%d\nchild_state_at_fork=%d\n", ready_now, forky_state());
        } else {
            answers(&r, "child_before_fork", 3);
            fork_put(&r, "child_state_at_fork=%d\n", forky_state());
        }
        pid_t grandchild = fork();
        if (grandchild < 0) { perror("fork"); _exit(2); }
        if (grandchild == 0) {
            struct fork_report g = {.len = 0};
            answers(&g, "grandchild", 11);
            fork_send(&g);
            exit(0);
        }
        answers(&r, "child", 5);
        int code, hung = fork_wait_bounded(grandchild, fork_now_ms() + 15000, &code);
        fork_put(&r, "grandchild_hung=%d\ngrandchild_exit=%d\n", hung, code);
        fork_send(&r);
        exit(0);
    }
    int code, hung = fork_wait_bounded(child, fork_now_ms() + 25000, &code);
    fork_put(&r, "child_hung=%d\nchild_exit=%d\n", hung, code);
    answers(&r, "parent", 7);
    fork_send(&r);
    return 0;
}
