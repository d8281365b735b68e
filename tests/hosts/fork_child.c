/* One fork child over forky, for each on_fork policy's build (tests/fork_policy.rs): the parent
 * forks after init (`after`: it waited for init first) or while init runs (`during`: once init
 * has begun, before it ends). The child
 * looks at the state without waiting, then calls every export, timing the calls, and reports
 * what they answered; then it returns through exit. The parent waits for it (20 s; killed and
 * reported hung after that), then calls the exports itself, unless told `nowait` (its init may
 * outlast the test: it reports its state and exits, which never waits for init).
 *
 * usage: fork_child after|during [nowait] */
#include "fork_api.h"

int main(int argc, char **argv) {
    int after = argc > 1 && strcmp(argv[1], "after") == 0;
    int nowait = argc > 2 && strcmp(argv[2], "nowait") == 0;
    struct fork_report r = {.len = 0};
    if (after && forky_ready() != 1) { fprintf(stderr, "the parent's init failed\n"); return 2; }
    /* `during`: the parent's init has begun (FORKY_FIRST_INIT_SLEEP_MS sleeps only there). */
    for (double t0 = fork_now_ms(); !after && forky_first_init_pid() == 0;) {
        if (fork_now_ms() - t0 > 10000) { fprintf(stderr, "the parent's init never began\n"); return 2; }
        struct timespec d = {0, 1000 * 1000};
        nanosleep(&d, NULL);
    }
    fork_put(&r, "policy=%s\nparent_pid=%d\nparent_state_at_fork=%d\n", forky_policy(),
             (int)getpid(), forky_state());
    fork_send(&r);
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 2; }
    if (child == 0) {
        int state_first = forky_state();
        double t0 = fork_now_ms();
        int ready = forky_ready();
        const char *kind = forky_kind();
        long long init_pid = forky_init_pid(), square = forky_square(9), tokio = forky_tokio(9);
        long long worker_tid = forky_worker_tid();
        double ms = fork_now_ms() - t0;
        fork_put(&r, "child_pid=%d\nchild_state_first=%d\nchild_ready=%d\nchild_kind=%s\n",
                 (int)getpid(), state_first, ready, kind);
        fork_put(&r, "child_init_pid=%lld\nchild_square=%lld\nchild_tokio=%lld\n"
                 "child_worker_tid=%lld\nchild_worker_tid_mine=%d\n", init_pid, square, tokio,
                 worker_tid, fork_thread_is_mine(worker_tid));
        fork_put(&r, "child_ms=%.1f\nchild_state=%d\nchild_inits=%d\n", ms, forky_state(),
                 forky_inits());
        fork_send(&r);
        exit(0);
    }
    int code, hung = fork_wait_bounded(child, fork_now_ms() + 20000, &code);
    fork_put(&r, "child_hung=%d\nchild_exit=%d\n", hung, code);
    if (!nowait) {
        long long worker_tid = forky_worker_tid();
        fork_put(&r, "parent_ready=%d\nparent_init_pid=%lld\nparent_square=%lld\n"
                 "parent_tokio=%lld\nparent_worker_tid=%lld\nparent_worker_tid_mine=%d\n"
                 "parent_inits=%d\n", forky_ready(), forky_init_pid(), forky_square(9),
                 forky_tokio(9), worker_tid, fork_thread_is_mine(worker_tid), forky_inits());
    }
    fork_put(&r, "parent_state=%d\n", forky_state());
    fork_send(&r);
    return 0;
}
