/* Item 6: an export called from a host constructor that runs before rt0's entry (priority 101;
 * linked statically, where priority constructors come first) must return a defined result at once,
 * and the library must still initialize. With RT0_DEMO_INIT_CALLS_EXPORT=1, init itself calls an
 * export: that must not deadlock either. */
#include "rel_api.h"

static int early_state = -1, early_ready = -1;
static double early_ms = -1;

__attribute__((constructor(101))) static void early(void) {
#if !REL_CAN_UNLOAD
    double t0 = rel_now_ms();
    early_state = rt0_demo_state();
    early_ready = rt0_demo_ready();               /* before the entry: NotStarted, returns 0 */
    early_ms = rel_now_ms() - t0;
#endif
}

int main(void) {
    rel_load();
    double t0 = rel_now_ms();
    int ready = rt0_demo_ready();
    printf("early_state=%d\nearly_ready=%d\nearly_ms=%.3f\n", early_state, early_ready, early_ms);
    printf("ready=%d\nstate=%d\ninit_export_result=%d\nmain_wait_ms=%.0f\n", ready, rt0_demo_state(),
           rt0_demo_init_export_result(), rel_now_ms() - t0);
    return 0;
}
