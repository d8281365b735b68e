/* Minimal <unistd.h> for C hosts built for rt0-port's emulated XNU (no Apple SDK here).
 * Declares only what the emulated libSystem provides (tools/rt0-port/src/emulate/libsystem/). */
#ifndef RT0_EMU_UNISTD_H
#define RT0_EMU_UNISTD_H
#include <stddef.h>
typedef long ssize_t;
ssize_t write(int fd, const void *buf, size_t n);
#endif
