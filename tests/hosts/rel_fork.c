/* Fork while init is still running (the demo's init sleeps). The demo starts init anew in a
 * fork child (its on_fork policy is rt0's default, reinit): the child's first export waits for
 * the child's own init, on a thread of the child, and answers ready. The child then exits
 * normally (atexit handlers, library destructors); it must not hang. The parent is unaffected.
 * Prints child_* lines from the child, then the parent's. */
#include "rel_fork_watch.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    rel_load();
    int state_before = rt0_demo_state();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int state_at_first_look = rt0_demo_state();   /* 4: a fork child, init not started yet */
        struct rel_watch watch;
        rel_watch_start(&watch);
        double t0 = rel_now_ms();
        int ready = rt0_demo_ready();
        const char *err = rt0_demo_error();
        long long init_tid = rt0_demo_init_tid(), entry_tid = rt0_demo_entry_tid();
        int seen = rel_watch_stop_saw(&watch, init_tid);
        printf("child_state_at_fork=%d\nchild_state_at_first_look=%d\nchild_ready=%d\n"
               "child_state=%d\nchild_error=%s\nchild_ms=%.0f\n",
               state_before, state_at_first_look, ready, rt0_demo_state(), err ? err : "(none)",
               rel_now_ms() - t0);
        /* The child's own init: its entry ran on the child's (only) thread, its init thread was
         * another thread of the child (the watcher saw it in the child's task list). */
        printf("child_entry_is_child_main=%d\nchild_init_tid=%lld\nchild_init_tid_seen=%d\n",
               entry_tid == (long long)getpid(), init_tid, seen);
        fflush(stdout);
        exit(0);                                  /* runs atexit handlers and destructors */
    }
    int status = -1, hung = 1;
    double t0 = rel_now_ms();
    while (rel_now_ms() - t0 < 20000) {
        if (waitpid(pid, &status, WNOHANG) == pid) { hung = 0; break; }
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    if (hung) { kill(pid, SIGKILL); waitpid(pid, &status, 0); }
    int ready = rt0_demo_ready();
    const char *err = rt0_demo_error();
    printf("child_hung=%d\nchild_exit=%d\nparent_ready=%d\nparent_state=%d\nparent_error=%s\n"
           "parent_init_tid=%lld\n", hung,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ready, rt0_demo_state(),
           err ? err : "(none)", rt0_demo_init_tid());
    return 0;
}
