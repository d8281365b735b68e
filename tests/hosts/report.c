/* Reports what the demo's init saw, as key=value lines. */
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>
#include "demo_api.h"

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    long long main_tid = syscall(SYS_gettid);
    demo_load();                                  /* dlopen variant: rt0's entry runs here */
    printf("state_at_main=%d\n", rt0_demo_state());
    int ready = rt0_demo_ready();
    printf("ready=%d\n", ready);
    printf("path=%s\n", rt0_demo_path());
    printf("main_tid=%lld\n", main_tid);
    printf("entry_tid=%lld\n", rt0_demo_entry_tid());
    printf("init_tid=%lld\n", rt0_demo_init_tid());
    int n = rt0_demo_argc();
    printf("argc=%d\n", n);
    for (int i = 0; i < n; i++) printf("argv[%d]=%s\n", i, rt0_demo_argv(i));
    printf("argv_past_end_is_null=%d\n", rt0_demo_argv(n) == NULL);
    printf("init_sigmask=0x%llx\n", rt0_demo_init_sigmask());
    printf("state_after=%d\n", rt0_demo_state());
    const char *err = rt0_demo_error();
    printf("error=%s\n", err ? err : "(none)");
    return ready ? 0 : 1;
}
