/* Under the emulated XNU: an export called from a host initializer that runs
 * before rt0's entry starts the entry itself and waits for init (rt0_demo_ready() == 1; the
 * state read just before is still 0), and dyld's later call of rt0's initializer starts nothing. In one static Mach-O image there is a single
 * __mod_init_func section, which dyld runs in order (DYLD Loader.cpp findAndRunAllInitializers);
 * the linker concatenates the input objects' sections in link order (this object, then the archive
 * member holding rt0's entry), and a constructor priority only orders the initializers within one
 * object file. So this initializer runs first because the host object comes first on the link
 * line, not because of its priority (kept as the Linux hosts use it). With
 * RT0_DEMO_INIT_CALLS_EXPORT=1 init calls its own export too. */
#include <unistd.h>
#include <string.h>
#include "rt0_demo.h"

static int early_state = -1, early_ready = -1, early_ran;

static void put(const char *s) { (void)!write(1, s, strlen(s)); }
static void line(const char *k, long long v) {
    char b[24]; int i = sizeof b;
    int neg = v < 0;
    if (neg) v = -v;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    if (neg) b[--i] = '-';
    put(k); put("=");
    (void)!write(1, b + i, sizeof b - (size_t)i);
    put("\n");
}

__attribute__((constructor(101))) static void early(void) {
    early_ran = 1;
    early_state = rt0_demo_state();
    early_ready = rt0_demo_ready();               /* before the entry: starts it, waits, 1 */
}

int main(void) {
    int ready = rt0_demo_ready();
    line("early_ran", early_ran);
    line("early_state", early_state);
    line("early_ready", early_ready);
    line("ready", ready);
    line("state", rt0_demo_state());
    line("init_export_result", rt0_demo_init_export_result());
    line("init_argc", rt0_demo_argc());
    return 0;
}
