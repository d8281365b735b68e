/* A darwin host that forks (tests/fork_policy.rs links it for both darwin arches; the emulated
 * XNU has no fork, so it is linked, not run). It waits for the demo's init, forks, and in the
 * child calls the exports again: with the demo's on_fork (rt0's default, reinit) the child runs
 * init anew, which the child handler rt0 registers with pthread_atfork makes known there. Built
 * without an SDK (-nostdlibinc): it declares the few libSystem functions it calls. */
#include "rt0_demo.h"

typedef int pid_t;
pid_t fork(void);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t getpid(void);
int printf(const char *fmt, ...);
void exit(int status);

int main(void) {
    int parent_ready = rt0_demo_ready();
    pid_t child = fork();
    if (child == 0) {
        int state_first = rt0_demo_state(); /* 4: a fork child whose init has not run here */
        printf("child_state_first=%d\nchild_ready=%d\nchild_entry_tid=%lld\n", state_first,
               rt0_demo_ready(), rt0_demo_entry_tid());
        exit(0);
    }
    int status = -1;
    waitpid(child, &status, 0);
    printf("parent_ready=%d\nchild_status=%d\nparent_pid=%d\n", parent_ready, status, getpid());
    return 0;
}
