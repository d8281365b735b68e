/* The host ends while init is still running (the test makes init sleep far longer than its
 * deadline): argv[1] = "exit" returns from main (exit runs atexit handlers and every library's
 * destructors), "_exit" ends at once. Neither may wait for init: rt0 registers no destructor. */
#include "rel_api.h"
#include <string.h>
#include <unistd.h>

static void at_exit(void) { printf("atexit_ran=1\n"); }

int main(int argc, char **argv) {
    rel_load();
    atexit(at_exit);
    printf("state_at_end=%d\n", rt0_demo_state());
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "_exit")) _exit(0);
    return 0;
}
