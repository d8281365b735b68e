/* The host ends while init is still running: argv[1] = "exit" returns from main (exit runs the
 * library destructors, rt0's among them, which waits for init to finish), "_exit" ends at once. */
#include "rel_api.h"
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    rel_load();
    printf("state_at_end=%d\nhas_destructor=%d\n", rt0_demo_state(), rt0_demo_has_destructor());
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "_exit")) _exit(0);
    return 0;
}
