/* Minimal <stdio.h> for C hosts built for rt0-port's emulated XNU (no Apple SDK here).
 * Declares only what the emulated libSystem provides (tools/rt0-port/src/emulate/libsystem/):
 * formatted output to fd 1 and fd 2, unbuffered (each call is one write). As in Apple's
 * header, stdout and stderr are the variables __stdoutp and __stderrp. */
#ifndef RT0_EMU_STDIO_H
#define RT0_EMU_STDIO_H
#include <stdarg.h>
#include <stddef.h>
typedef struct __sFILE FILE;
extern FILE *__stdoutp;
extern FILE *__stderrp;
#define stdout __stdoutp
#define stderr __stderrp
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *stream, const char *format, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *out, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
int puts(const char *s);
int fputs(const char *s, FILE *stream);
int putchar(int c);
int fflush(FILE *stream);
#endif
