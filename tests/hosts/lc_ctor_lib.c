/* A shared library linked against the std-init cdylib (DT_NEEDED) whose constructor calls one of
 * its exports while init runs (tests/lifecycle.rs). The loader runs std-init's initializer (rt0's
 * entry: init starts) before this constructor. Init is held at a gate (a FIFO named by
 * $STD_INIT_GATE that it reads one byte from), so it is certainly still running here.
 *   LC_CTOR_OPENS_GATE unset: the constructor only calls the export. Loaded by dlopen(), the
 *     constructor runs with glibc's loader lock held, so the export must answer WouldDeadlock at
 *     once (waiting could deadlock: init needs that lock); the host opens the gate afterwards.
 *   LC_CTOR_OPENS_GATE=1: the constructor first starts a thread that opens the gate, then calls
 *     the export. Loaded at startup (DT_NEEDED), no loader lock is held: the export waits for init
 *     and succeeds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lc_std_init.h"

static int state_before = -1, state_after = -1;
static const char *kind = "(not called)";

static void *open_gate(void *arg) {
    (void)arg;
    int fd = open(getenv("STD_INIT_GATE"), O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "g", 1) != 1) abort();
        close(fd);
    }
    return NULL;
}

__attribute__((constructor)) static void lc_ctor(void) {
    state_before = std_init_state();              /* no wait */
    const char *opens = getenv("LC_CTOR_OPENS_GATE");
    if (opens && !strcmp(opens, "1")) {
        pthread_t t;
        pthread_create(&t, NULL, open_gate, NULL);
        pthread_detach(t);
    }
    kind = std_init_kind();                       /* waits, or answers at once */
    state_after = std_init_state();
}

int lc_ctor_state_before(void) { return state_before; }
int lc_ctor_state_after(void) { return state_after; }
const char *lc_ctor_kind(void) { return kind; }
/* A later call, from outside any constructor. */
const char *lc_kind_now(void) { return std_init_kind(); }
long long lc_tokio_sum(void) { return std_init_tokio_sum(); }
