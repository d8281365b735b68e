/* Under the emulated XNU: init calls its own export (RT0_DEMO_INIT_CALLS_EXPORT=1) and must get
 * CalledFromInit at once instead of waiting for itself; the host's own call then sees init done.
 * rt0's entry runs as dyld's initializer here (no host initializer calls an export first). */
#include <unistd.h>
#include <string.h>
#include "rt0_demo.h"

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

int main(void) {
    line("ready", rt0_demo_ready());
    line("init_export_result", rt0_demo_init_export_result());
    line("init_argc", rt0_demo_argc());
    return 0;
}
