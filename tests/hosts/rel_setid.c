/* setgid/setuid in main while init runs (the demo's init sleeps). The C library changes the
 * credentials of every thread it knows by signalling each one (glibc: SIGSETXID, musl:
 * __synccall) and waiting for all of them: an init thread that blocked the C library's reserved
 * signals would hang the host here. The calls must return while init still runs (state 1 right
 * after them), and init must then finish. Run as root, the host becomes `nobody` (65534);
 * otherwise it sets its own ids again (the C library broadcasts all the same). Also reports the
 * uid of the init thread (the only other thread), read right after setuid: the kernel keeps
 * credentials per thread. */
#include "rel_api.h"
#include <errno.h>
#include <unistd.h>

/* The Uid: line's real uid of another thread of this process, -1 if there is none. */
static long other_thread_uid(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    long uid = -1, me = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || atol(e->d_name) == me) continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Uid:", 4)) uid = atol(line + 4);
        if (f) fclose(f);
    }
    closedir(d);
    return uid;
}

int main(void) {
    uid_t uid0 = getuid();
    uid_t target = uid0 == 0 ? 65534 : uid0;
    rel_load();
    int state_before = rt0_demo_state();
    int threads = rel_count_threads();
    int gid_rc = setgid(uid0 == 0 ? 65534 : getgid());
    int gid_errno = gid_rc ? errno : 0;
    int uid_rc = setuid(target);
    int uid_errno = uid_rc ? errno : 0;
    int state_after_setid = rt0_demo_state();    /* 1: the calls did not wait for init */
    long init_uid = threads == 2 ? other_thread_uid() : -2;
    int ready = rt0_demo_ready();
    const char *err = rt0_demo_error();
    printf("uid_start=%d\nuid_target=%d\nstate_before=%d\nthreads=%d\n", (int)uid0, (int)target, state_before,
           threads);
    printf("setgid=%d\nsetgid_errno=%d\nsetuid=%d\nsetuid_errno=%d\n", gid_rc, gid_errno, uid_rc, uid_errno);
    printf("state_after_setid=%d\ninit_thread_uid=%ld\nuid_end=%d\n", state_after_setid, init_uid, (int)getuid());
    printf("ready=%d\nstate=%d\nerror=%s\n", ready, rt0_demo_state(), err ? err : "(none)");
    return 0;
}
