/* An export called from a host constructor that runs before rt0's entry (priority 101;
 * linked statically, where priority constructors come first) starts the entry itself, with argc
 * and argv recovered from the process's initial stack, and waits for init: it returns ready, and
 * init saw the process's real arguments. With RT0_DEMO_INIT_CALLS_EXPORT=1, init itself calls an
 * export: that must not deadlock either. */
#include "rel_api.h"
#include <string.h>

static int early_state = -1, early_ready = -1, early_state_after = -1, early_argc = -1;
static const char *early_argv0;

__attribute__((constructor(101))) static void early(void) {
#if !REL_CAN_UNLOAD
    early_state = rt0_demo_state();               /* static link: 0, the entry has not run */
    early_ready = rt0_demo_ready();               /* starts the entry, then waits for init */
    early_state_after = rt0_demo_state();
    early_argc = rt0_demo_argc();
    early_argv0 = rt0_demo_argv(0);
#endif
}

int main(int argc, char **argv) {
    rel_load();
    int ready = rt0_demo_ready();
    printf("early_state=%d\nearly_ready=%d\nearly_state_after=%d\n", early_state, early_ready, early_state_after);
    printf("argc=%d\nearly_argc=%d\nearly_argv0_same_text=%d\n", argc, early_argc,
           early_argv0 && !strcmp(early_argv0, argv[0]));
    printf("ready=%d\nstate=%d\ninit_export_result=%d\n", ready, rt0_demo_state(), rt0_demo_init_export_result());
    return 0;
}
