/* A host that changes its environment and its argv around loading the demo library (dlopen of
 * $RT0_DEMO_SO), as Python, Node and servers that set a process title do:
 *   before the load: setenv of a new name (glibc's environ becomes its own heap array) and a
 *                    putenv;
 *   after the load:  3000 setenv calls of new names (each may realloc environ and free the old
 *                    array), an in-place change of a variable that existed at load, a putenv,
 *                    argv[1] rewritten in place, and with argument "clearenv", clearenv();
 *   then it asks the library what init saw at its end (run with RT0_DEMO_INIT_SLEEP_MS, init
 *   ends after all this) and what rt0 keeps.
 * Usage: env_around_load ARGUMENT [clearenv]. Output: key=value lines on stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int count_environ(void) {
    int n = 0;
    for (char **e = environ; e && *e; e++) n++;
    return n;
}

#define SHOW(s) ((s) ? (s) : "(null)")

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    setenv("RT0_ENV_LOADTIME", "before", 1);
    static char put[] = "RT0_ENV_PUT=put-before";
    putenv(put);
    printf("env_count_at_load=%d\n", count_environ());
    void *lib = dlopen(getenv("RT0_DEMO_SO"), RTLD_NOW);
    if (!lib) { printf("dlopen_error=%s\n", dlerror()); return 1; }

    char name[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "RT0_ENV_NEW_%d", i);
        setenv(name, "x", 1);
    }
    setenv("RT0_ENV_LOADTIME", "changed", 1);
    static char put_after[] = "RT0_ENV_PUT=put-after";
    putenv(put_after);
    memset(argv[1], 'X', strlen(argv[1]));
    int cleared = argc > 2 && !strcmp(argv[2], "clearenv");
    if (cleared) clearenv();
    printf("host_sees_loadtime=%s\n", SHOW(getenv("RT0_ENV_LOADTIME")));
    printf("host_argv1=%s\n", argv[1]);
    fflush(stdout);

    const char *(*watched)(void) = (const char *(*)(void))dlsym(lib, "rt0_demo_init_watched");
    int (*env_count)(void) = (int (*)(void))dlsym(lib, "rt0_demo_init_env_count");
    const char *(*env)(const char *) = (const char *(*)(const char *))dlsym(lib, "rt0_demo_env");
    const char *(*arg)(int) = (const char *(*)(int))dlsym(lib, "rt0_demo_argv");
    if (!watched || !env_count || !env || !arg) { printf("dlsym_error=1\n"); return 1; }
    printf("init_watched=%s\n", SHOW(watched()));
    printf("init_env_count=%d\n", env_count());
    printf("kept_loadtime=%s\n", SHOW(env("RT0_ENV_LOADTIME")));
    printf("kept_put=%s\n", SHOW(env("RT0_ENV_PUT")));
    printf("kept_new_0=%s\n", SHOW(env("RT0_ENV_NEW_0")));
    printf("kept_new_2999=%s\n", SHOW(env("RT0_ENV_NEW_2999")));
    printf("kept_argv1=%s\n", SHOW(arg(1)));
    printf("host_alive=1\n");
    return 0;
}
