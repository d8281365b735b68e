/* The host's own mask must come through rt0's entry unchanged: a host initializer blocks SIGUSR2
 * before main; main prints its mask and the init thread's. */
#include <unistd.h>
#include <string.h>
#include <signal.h>
#include "rt0_demo.h"

static void put(const char *s) { (void)!write(1, s, strlen(s)); }
static void put_x(unsigned long long v) {
    char b[24]; int i = sizeof b;
    do { b[--i] = "0123456789abcdef"[v % 16]; v /= 16; } while (v);
    put("0x");
    (void)!write(1, b + i, sizeof b - (size_t)i);
    put("\n");
}

__attribute__((constructor(101))) static void host_setup(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, 0);
}

int main(void) {
    int ready = rt0_demo_ready();
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, 0, &now);
    put(ready ? "ready=1\n" : "ready=0\n");
    put("host_mask="); put_x(now);
    put("init_mask="); put_x(rt0_demo_init_sigmask());
    return 0;
}
