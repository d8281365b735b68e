/* Fork while init is still running (the demo's init sleeps). The child calls exports
 * and exits normally (atexit handlers, library destructors); it must not hang. The parent is
 * unaffected. Prints child_* lines from the child, then the parent's. */
#include "rel_api.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    rel_load();
    int state_before = rt0_demo_state();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        double t0 = rel_now_ms();
        int ready = rt0_demo_ready();
        const char *err = rt0_demo_error();
        printf("child_state_at_fork=%d\nchild_ready=%d\nchild_state=%d\nchild_error=%s\nchild_ms=%.0f\n",
               state_before, ready, rt0_demo_state(), err ? err : "(none)", rel_now_ms() - t0);
        fflush(stdout);
        exit(0);                                  /* runs atexit handlers and destructors */
    }
    int status = -1, hung = 1;
    double t0 = rel_now_ms();
    while (rel_now_ms() - t0 < 10000) {
        if (waitpid(pid, &status, WNOHANG) == pid) { hung = 0; break; }
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    /* Still 1: the child answered and ended while the parent's init was still running, so it did
     * not wait for an init that does not run in it. */
    int state_when_child_done = rt0_demo_state();
    if (hung) { kill(pid, SIGKILL); waitpid(pid, &status, 0); }
    int ready = rt0_demo_ready();
    const char *err = rt0_demo_error();
    printf("state_when_child_done=%d\nchild_hung=%d\nchild_exit=%d\nparent_ready=%d\nparent_state=%d\nparent_error=%s\n", state_when_child_done, hung,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ready, rt0_demo_state(),
           err ? err : "(none)");
    return 0;
}
