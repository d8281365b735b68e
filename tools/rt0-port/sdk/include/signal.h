/* Minimal <signal.h> for rt0-port's emulated libSystem: darwin's 32-bit sigset_t and
 * SIG_BLOCK/SIG_UNBLOCK/SIG_SETMASK = 1/2/3 (XNU bsd/sys/signal.h). */
#ifndef RT0_EMU_SIGNAL_H
#define RT0_EMU_SIGNAL_H
typedef unsigned int sigset_t;
#define SIG_BLOCK 1
#define SIG_UNBLOCK 2
#define SIG_SETMASK 3
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGFPE 8
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11
#define SIGSYS 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGURG 16
#define SIGSTOP 17
#define SIGUSR1 30
#define SIGUSR2 31
#define sigemptyset(s) (*(s) = 0, 0)
#define sigfillset(s) (*(s) = ~0u, 0)
#define sigaddset(s, n) (*(s) |= 1u << ((n) - 1), 0)
#define sigismember(s, n) ((*(s) >> ((n) - 1)) & 1)
int pthread_sigmask(int how, const sigset_t *set, sigset_t *oset);
#endif
