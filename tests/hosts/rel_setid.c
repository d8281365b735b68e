/* setgid/setuid in main while init runs (the demo's init sleeps). The C library changes the
 * credentials of every thread it knows by signalling each one (glibc: SIGSETXID, musl:
 * __synccall) and waiting for all of them: an init thread that blocked the C library's reserved
 * signals would hang the host here. The calls must return while init still runs (state 1 right
 * after them), and init must then finish. Run as root, the host becomes `nobody` (65534);
 * otherwise it sets its own ids again (the C library broadcasts all the same). Also reports the
 * uid the init thread had right after setuid (all threads' uids are read then; the init thread
 * is picked out by its id once init is done): the kernel keeps
 * credentials per thread. */
#include "rel_api.h"
#include <errno.h>
#include <unistd.h>

/* Every thread's real uid, read from /proc/self/task/<tid>/status (at most 64). */
static int uids(long *tid, long *uid) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 64) {
        if (e->d_name[0] == '.') continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        tid[n] = atol(e->d_name);
        uid[n] = -1;
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Uid:", 4)) uid[n] = atol(line + 4);
        if (f) fclose(f);
        n++;
    }
    if (d) closedir(d);
    return n;
}

int main(void) {
    uid_t uid0 = getuid();
    uid_t target = uid0 == 0 ? 65534 : uid0;
    rel_load();
    int state_before = rt0_demo_state();
    int gid_rc = setgid(uid0 == 0 ? 65534 : getgid());
    int gid_errno = gid_rc ? errno : 0;
    int uid_rc = setuid(target);
    int uid_errno = uid_rc ? errno : 0;
    int state_after_setid = rt0_demo_state();    /* 1: the calls did not wait for init */
    long tid[64], uid[64], init_uid = -1;
    int n = uids(tid, uid);                       /* right after setuid, while init still runs */
    int ready = rt0_demo_ready();
    long long init_tid = rt0_demo_init_tid();
    int not_dropped = 0;                          /* threads that kept another uid */
    for (int i = 0; i < n; i++) {
        if (tid[i] == init_tid) init_uid = uid[i];
        not_dropped += uid[i] != (long)target;
    }
    const char *err = rt0_demo_error();
    printf("uid_start=%d\nuid_target=%d\nstate_before=%d\n", (int)uid0, (int)target, state_before);
    printf("setgid=%d\nsetgid_errno=%d\nsetuid=%d\nsetuid_errno=%d\n", gid_rc, gid_errno, uid_rc, uid_errno);
    printf("state_after_setid=%d\ninit_thread_uid=%ld\nuid_end=%d\n", state_after_setid, init_uid, (int)getuid());
    printf("threads_not_dropped=%d\n", not_dropped);
    printf("ready=%d\nstate=%d\nerror=%s\n", ready, rt0_demo_state(), err ? err : "(none)");
    return 0;
}
