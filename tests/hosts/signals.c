/* The host's own signal state must come through rt0 unchanged: the mask of the thread that ran
 * rt0's entry, the handlers it installed, and no handler of rt0's own. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include "demo_api.h"

static volatile sig_atomic_t usr1_ran;
static void on_usr1(int sig) { (void)sig; usr1_ran = 1; }
static sigset_t before;

/* Runs before rt0's entry when rt0 is linked statically (priority constructors come first). */
__attribute__((constructor(101))) static void host_setup(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &before);
}

int main(void) {
    demo_load();                                  /* dlopen variant: the entry runs here */
    int ready = rt0_demo_ready();
    sigset_t after;
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    int same = 1;
    for (int s = 1; s < 65; s++) {
        if (s == 32 || s == 33) continue;         /* glibc's internal signals */
        if (sigismember(&before, s) != sigismember(&after, s)) {
            printf("mask_changed_for=%d\n", s);
            same = 0;
        }
    }
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    int kept = cur.sa_handler == on_usr1;
    int foreign = 0;
    for (int s = 1; s < 32; s++) {
        if (s == SIGUSR1 || s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, NULL, &cur);
        if (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN) {
            printf("foreign_handler_for=%d\n", s);
            foreign++;
        }
    }
    raise(SIGUSR1);
    printf("ready=%d\nmask_unchanged=%d\nhandler_kept=%d\nhandler_ran=%d\nforeign_handlers=%d\n",
           ready, same, kept, (int)usr1_ran, foreign);
    return 0;
}
