/* Minimal <stdlib.h> for rt0-port's emulated libSystem. */
#ifndef RT0_EMU_STDLIB_H
#define RT0_EMU_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void free(void *p);
#endif
