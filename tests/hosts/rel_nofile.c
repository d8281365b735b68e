/* Exports when the process has no free file descriptor (RLIMIT_NOFILE lowered to 64, then
 * /dev/null opened until EMFILE). argv[1] = "main": the demo is loaded first (dlopen needs a
 * descriptor), then main uses up the descriptors and calls an export while init still runs: it
 * waits and succeeds. "ctor" (static link): a priority constructor uses them up before rt0's
 * entry and calls an export there, which starts the entry itself (reading /proc/self/stat for the
 * arguments, which now fails) and waits: it succeeds too, with no arguments recovered. */
#include "rel_api.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

static int fds[128], nfds = -1, emfile = 0;

static void exhaust(void) {
    struct rlimit r = {64, 64};
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = 64;
    setrlimit(RLIMIT_NOFILE, &r);
    nfds = 0;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) { emfile = errno == EMFILE; break; }
        if (nfds < 128) fds[nfds++] = fd;
        else { close(fd); break; }
    }
}

static void release(void) {
    for (int i = 0; i < nfds; i++) close(fds[i]);
}

static int ctor_state = -1, ctor_ready = -1, ctor_emfile = -1, ctor_nfds = -1;

__attribute__((constructor(101))) static void early(void) {
    const char *mode = getenv("REL_NOFILE_MODE");
    if (!mode || strcmp(mode, "ctor")) return;
#if !REL_CAN_UNLOAD
    exhaust();
    ctor_state = rt0_demo_state();
    ctor_ready = rt0_demo_ready();                /* starts the entry, waits for init */
    ctor_emfile = emfile;
    ctor_nfds = nfds;
    release();
#endif
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    const char *mode = getenv("REL_NOFILE_MODE");
    rel_load();
    if (mode && !strcmp(mode, "main")) {
        exhaust();
        int state_before = rt0_demo_state();
        int ready = rt0_demo_ready();
        const char *err = rt0_demo_error();
        int emfile_still = open("/dev/null", O_RDONLY) < 0 && errno == EMFILE;
        release();
        printf("opened=%d\nemfile=%d\nemfile_during_call=%d\nstate_before=%d\nready=%d\nerror=%s\n", nfds, emfile,
               emfile_still, state_before, ready, err ? err : "(none)");
    } else {
        printf("ctor_opened=%d\nctor_emfile=%d\nctor_state=%d\nctor_ready=%d\n", ctor_nfds, ctor_emfile, ctor_state,
               ctor_ready);
        printf("ready=%d\nargc=%d\n", rt0_demo_ready(), rt0_demo_argc());
    }
    printf("state=%d\n", rt0_demo_state());
    return 0;
}
