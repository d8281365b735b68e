/* Host signal handlers while a raw-creator init runs (tests/raw_hazards.rs). The host installs
 * handlers that save and restore errno (what a C handler typically does, and what faults on a
 * thread with no thread pointer) for SIGSYS and SIGUSR1, then:
 *   - a seccomp filter that traps (SECCOMP_RET_TRAP) getppid: the main thread calls getppid
 *     over and over while init runs; each call raises SIGSYS on the calling thread only;
 *   - SIGUSR1 sent to the whole process over and over while init runs: the kernel picks any
 *     thread that does not block it, never the raw init thread (it blocks every asynchronous
 *     signal).
 * Every handler run records the thread it ran on; none may be the init thread, and the process
 * must not crash. Prints key=value lines. */
#include "rel_api.h"
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static volatile sig_atomic_t sigsys_count, usr1_count;
static volatile long handler_tids[4096];
static volatile sig_atomic_t handler_runs;

static void note(void) {
    int saved = errno;                      /* a thread-local access, like most C handlers */
    long tid = syscall(SYS_gettid);
    int i = handler_runs++;
    if (i < 4096) handler_tids[i] = tid;
    errno = saved;
}

static void on_sigsys(int sig, siginfo_t *info, void *uc) {
    (void)sig; (void)info; (void)uc;
    note();
    sigsys_count++;
}

static void on_usr1(int sig) {
    (void)sig;
    note();
    usr1_count++;
}

static int trap_getppid(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    signal(SIGUSR1, on_usr1);
    printf("seccomp=%d\n", trap_getppid());
    rel_load();
    int state_during = rt0_demo_state();
    double end = rel_now_ms() + 300;
    int rounds = 0;
    while (rt0_demo_state() == 1 && rel_now_ms() < end + 5000) {
        errno = 1234;
        syscall(SYS_getppid);               /* trapped: SIGSYS on this thread */
        kill(getpid(), SIGUSR1);            /* process-directed */
        rounds++;
        rel_sleep_ms(1);
    }
    int ready = rt0_demo_ready();
    long long init_tid = rt0_demo_init_tid();
    int on_init = 0;
    for (int i = 0; i < handler_runs && i < 4096; i++) on_init += handler_tids[i] == init_tid;
    printf("state_during=%d\nrounds=%d\nsigsys=%d\nusr1=%d\n", state_during, rounds, (int)sigsys_count, (int)usr1_count);
    printf("handlers_on_init_thread=%d\nready=%d\npath=%s\n", on_init, ready, rt0_demo_path());
    return 0;
}
