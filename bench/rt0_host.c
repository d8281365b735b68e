/* (d)/(e) rt0 host: calls one rt0-demo export, which waits for the demo's init (run at load on
 * its own thread by rt0_lib_entry). Linked against the demo built with or without `raw`. */
#include <unistd.h>
#include "rt0_demo.h"
/* With an argument: _exit right after the export returned (exec-to-ready: no destructors). */
int main(int argc, char **argv) {
    (void)argv;
    int status = rt0_demo_ready() == 1 ? 0 : 1;
    if (argc > 1) _exit(status);
    return status;
}
