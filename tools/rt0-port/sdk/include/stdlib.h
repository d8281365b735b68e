/* Minimal <stdlib.h> for rt0-port's emulated libSystem. */
#ifndef RT0_EMU_STDLIB_H
#define RT0_EMU_STDLIB_H
#include <stddef.h>
void exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
void *malloc(size_t n);
void free(void *p);
#endif
