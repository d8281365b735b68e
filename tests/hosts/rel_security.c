/* While init runs (the demo's init sleeps), its stack is a read/write, never executable,
 * mapping with an inaccessible guard mapping right below it. rt0 keeps its own copy of argv and
 * envp: other pointers than the host's, the same text, in a mapping nobody can write. The init
 * thread is named after the library. */
#include "rel_api.h"
#include <stdint.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    (void)argc;
    char **env_at_start = environ;
    rel_load();
    unsigned long long addr = 0;
    for (int i = 0; i < 2000 && !(addr = rt0_demo_init_stack_addr()); i++) {
        struct timespec d = {0, 1000 * 1000};
        nanosleep(&d, NULL);
    }
    int state_while_reading = rt0_demo_state();
    /* The init thread carries the library's name (what `top -H`, `ps -L` and gdb show). */
    int init_thread_named = 0;
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *task;
    while (tasks && (task = readdir(tasks))) {
        if (task->d_name[0] == '.') continue;
        char comm_path[300], comm[64] = "";
        snprintf(comm_path, sizeof comm_path, "/proc/self/task/%s/comm", task->d_name);
        FILE *c = fopen(comm_path, "r");
        if (c && fgets(comm, sizeof comm, c) && !strcmp(comm, "rt0-demo\n")) init_thread_named = 1;
        if (c) fclose(c);
    }
    if (tasks) closedir(tasks);
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], perms[8] = "", below_perms[8] = "(none)";
    unsigned long long lo, hi, prev_hi = 0, found_lo = 0, found_hi = 0, below_size = 0;
    char prev_perms[8] = "";
    unsigned long long prev_lo = 0;
    while (f && fgets(line, sizeof line, f)) {
        char p[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, p) != 3) continue;
        if (addr >= lo && addr < hi) {
            strcpy(perms, p);
            found_lo = lo;
            found_hi = hi;
            if (prev_hi == lo) { strcpy(below_perms, prev_perms); below_size = prev_hi - prev_lo; }
        }
        prev_lo = lo; prev_hi = hi; strcpy(prev_perms, p);
    }
    if (f) fclose(f);
    int ready = rt0_demo_ready();
    printf("ready=%d\nstate_while_reading=%d\nstack_perms=%s\nstack_size=%llu\nbelow_perms=%s\nbelow_size=%llu\n",
           ready, state_while_reading, perms, found_hi - found_lo, below_perms, below_size);
    const char *kept_argv0 = rt0_demo_argv(0);
    const char *const *kept_envp = rt0_demo_envp();
    printf("argv0_same_pointer=%d\nargv0_same_text=%d\n", kept_argv0 == argv[0],
           kept_argv0 && !strcmp(kept_argv0, argv[0]));
    printf("envp_same_pointer=%d\nenvp0_same_text=%d\n", (char **)kept_envp == env_at_start,
           kept_envp && kept_envp[0] && env_at_start[0] && !strcmp(kept_envp[0], env_at_start[0]));
    /* The permissions of the mapping that holds rt0's copy of envp. */
    char copy_perms[8] = "(none)";
    unsigned long long at = (unsigned long long)(uintptr_t)kept_envp;
    f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) {
        char p[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, p) == 3 && at >= lo && at < hi) strcpy(copy_perms, p);
    }
    if (f) fclose(f);
    printf("args_copy_perms=%s\n", copy_perms);
    printf("init_thread_named=%d\n", init_thread_named);
    return 0;
}
