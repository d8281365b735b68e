/* The host's handlers for SIGSEGV, SIGBUS, SIGPIPE and SIGUSR1, and its sigaltstack, set
 * by a priority constructor (before rt0's entry when the demo is linked statically or dlopen()ed
 * later), stay installed and fire, also for a signal sent while a host thread waits inside an
 * export; rt0 installs no handler of its own. */
#include "rel_api.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t fired[65];
static sigjmp_buf segv_jump;
static char altstack[64 * 1024];

static void on_signal(int sig, siginfo_t *info, void *uc) {
    (void)info; (void)uc;
    fired[sig]++;
    if (sig == SIGSEGV) siglongjmp(segv_jump, 1);
}

static const int host_signals[] = {SIGSEGV, SIGBUS, SIGPIPE, SIGUSR1};
#define NHOST (int)(sizeof host_signals / sizeof host_signals[0])

__attribute__((constructor(101))) static void host_setup(void) {
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    for (int i = 0; i < NHOST; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigaction(host_signals[i], &sa, NULL);
    }
#if !REL_CAN_UNLOAD
    printf("state_in_constructor=%d\n", rt0_demo_state());   /* static: 0, the entry has not run */
#endif
}

static int state_at_send = -1;

/* Sends a process-directed SIGUSR1 while main waits inside rt0_demo_ready. This thread blocks
 * SIGUSR1 and rt0's init thread blocks every asynchronous signal, so the kernel can only deliver
 * it to main, in the middle of its wait. */
static void *send_usr1_later(void *arg) {
    (void)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    struct timespec d = {0, 50 * 1000 * 1000};
    nanosleep(&d, NULL);
    state_at_send = rt0_demo_state();             /* 1: init still running, main still waiting */
    kill(getpid(), SIGUSR1);
    return NULL;
}

int main(void) {
    rel_load();
    pthread_t t;
    pthread_create(&t, NULL, send_usr1_later, NULL);
    int ready = rt0_demo_ready();                 /* slow init: waits while SIGUSR1 arrives */
    pthread_join(t, NULL);
    int usr1_during_wait = fired[SIGUSR1];
    int kept = 0;
    for (int i = 0; i < NHOST; i++) {
        struct sigaction cur;
        sigaction(host_signals[i], NULL, &cur);
        kept += (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_signal;
    }
    int foreign = 0;
    for (int s = 1; s < 65; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == 32 || s == 33) continue;   /* 32/33: libc's own */
        int ours = 0;
        for (int i = 0; i < NHOST; i++) ours |= host_signals[i] == s;
        if (ours) continue;
        struct sigaction cur;
        if (sigaction(s, NULL, &cur) != 0) continue;
        if (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN) {
            printf("foreign_handler_for=%d\n", s);
            foreign++;
        }
    }
    stack_t ss;
    sigaltstack(NULL, &ss);
    int altstack_kept = ss.ss_sp == altstack && ss.ss_size == sizeof altstack;
    raise(SIGUSR1);
    raise(SIGPIPE);
    raise(SIGBUS);
    if (sigsetjmp(segv_jump, 1) == 0) {
        volatile int *bad = (volatile int *)(unsigned long)8;
        *bad = 1;                                 /* a real fault: the host's handler jumps back */
    }
    printf("ready=%d\nhandlers_kept=%d\nforeign_handlers=%d\naltstack_kept=%d\n", ready, kept, foreign,
           altstack_kept);
    printf("state_at_send=%d\n", state_at_send);
    printf("usr1_during_wait=%d\nfired_usr1=%d\nfired_pipe=%d\nfired_bus=%d\nfired_segv=%d\n", usr1_during_wait,
           fired[SIGUSR1], fired[SIGPIPE], fired[SIGBUS], fired[SIGSEGV]);
    return 0;
}
