/* Fork after init has finished. The demo keeps rt0's default on_fork = reinit: the child sees
 * a fork child's state (4) at first, and its first export runs the demo's init again in the
 * child: the entry on the child's (only) thread, init on a new thread of the child (a watcher
 * thread sees it in the child's /proc/self/task while the export waits; the demo's init sleeps
 * RT0_DEMO_INIT_SLEEP_MS there too, with the arguments of the load). The child exits normally
 * (atexit handlers, library destructors); it must not hang. The parent is unaffected: its init
 * ran once, on its own thread. Prints child_* lines from the child, then the parent's. */
#include "rel_fork_watch.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    rel_load();
    int parent_ready_before = rt0_demo_ready();
    long long parent_init_tid_before = rt0_demo_init_tid();
    int state_before = rt0_demo_state();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int state_at_first_look = rt0_demo_state();   /* 4: a fork child, init not run here */
        struct rel_watch watch;
        rel_watch_start(&watch);
        double t0 = rel_now_ms();
        int ready = rt0_demo_ready();
        double ms = rel_now_ms() - t0;
        const char *err = rt0_demo_error();
        long long init_tid = rt0_demo_init_tid(), entry_tid = rt0_demo_entry_tid();
        int seen = rel_watch_stop_saw(&watch, init_tid);
        printf("child_state_at_fork=%d\nchild_state_at_first_look=%d\nchild_ready=%d\n"
               "child_state=%d\nchild_error=%s\nchild_ms=%.0f\nchild_path=%s\n",
               state_before, state_at_first_look, ready, rt0_demo_state(), err ? err : "(none)", ms,
               rt0_demo_path());
        printf("child_entry_is_child_main=%d\nchild_init_tid=%lld\nchild_init_tid_seen=%d\n",
               entry_tid == (long long)getpid(), init_tid, seen);
        fflush(stdout);
        exit(0);                                  /* runs atexit handlers and destructors */
    }
    int status = -1, hung = 1;
    double t0 = rel_now_ms();
    while (rel_now_ms() - t0 < 20000) {
        if (waitpid(pid, &status, WNOHANG) == pid) { hung = 0; break; }
        rel_sleep_ms(5);
    }
    if (hung) { kill(pid, SIGKILL); waitpid(pid, &status, 0); }
    int ready = rt0_demo_ready();
    const char *err = rt0_demo_error();
    printf("child_hung=%d\nchild_exit=%d\nparent_ready_before=%d\nparent_ready=%d\n"
           "parent_state=%d\nparent_error=%s\nparent_init_tid=%lld\nparent_init_tid_before=%lld\n"
           "parent_entry_is_main=%d\n", hung,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), parent_ready_before,
           ready, rt0_demo_state(), err ? err : "(none)", rt0_demo_init_tid(),
           parent_init_tid_before, rt0_demo_entry_tid() == (long long)getpid());
    return 0;
}
