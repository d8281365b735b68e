/* (c) Go c-archive host: calls the archive's one export. */
#include <unistd.h>
#include "libgoready.h"
/* With an argument: _exit right after the export returned (exec-to-ready: no destructors). */
int main(int argc, char **argv) {
    (void)argv;
    int status = GoReady() == 1 ? 0 : 1;
    if (argc > 1) _exit(status);
    return status;
}
