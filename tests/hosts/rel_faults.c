/* Init thread creation that fails. A priority constructor (before rt0's entry when linked
 * statically; before dlopen otherwise) can
 *   REL_SECCOMP=1  install a seccomp filter that makes clone and clone3 fail with EAGAIN,
 *   REL_NPROC=1    set RLIMIT_NPROC to 1 (effective for an unprivileged user: run under setpriv).
 * main then reports what the exports say and that the host lives on. argv[1] = "try" calls
 * rt0_demo_try_newosproc0 too, "newosproc0" calls rt0_demo_newosproc0 (exits 1 on failure). */
#include "rel_api.h"
#include <errno.h>
/* musl-gcc sees no kernel headers: there the seccomp part is left out (REL_SECCOMP then
 * reports the filter as not installed), and the other faults still run. */
#if __has_include(<linux/filter.h>)
#define REL_HAVE_SECCOMP 1
#include <linux/filter.h>
#include <linux/seccomp.h>
#endif
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435                           /* same number on every architecture */
#endif

#ifdef REL_HAVE_SECCOMP
static int install_filter(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAGAIN & SECCOMP_RET_DATA)),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#else
static int install_filter(void) { return -1; }
#endif

static int setup_result = 0;

__attribute__((constructor(101))) static void setup(void) {
    const char *s = getenv("REL_SECCOMP"), *n = getenv("REL_NPROC");
    if (s && !strcmp(s, "1")) setup_result |= install_filter() == 0 ? 1 : 0x10;
    if (n && !strcmp(n, "1")) {
        struct rlimit r = {1, 1};
        setup_result |= setrlimit(RLIMIT_NPROC, &r) == 0 ? 2 : 0x20;
    }
}

int main(int argc, char **argv) {
    printf("setup=%d\nuid=%d\n", setup_result, (int)getuid());
    fflush(stdout);
    rel_load();
    int ready = rt0_demo_ready();
    const char *err = rt0_demo_error();
    printf("ready=%d\nstate=%d\nerror=%s\n", ready, rt0_demo_state(), err ? err : "(none)");
    if (argc > 1 && !strcmp(argv[1], "try")) printf("try_errno=%d\n", rt0_demo_try_newosproc0(64 * 1024));
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "newosproc0")) {
        rt0_demo_newosproc0(64 * 1024);
        printf("newosproc0_returned=1\n");
    }
    printf("host_alive=1\n");
    return 0;
}
